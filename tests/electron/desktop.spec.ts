import { test, expect, _electron as electron } from '@playwright/test'
import { createRequire } from 'node:module'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown
    return typeof path === 'string' && existsSync(path) ? path : null
  } catch {
    return null
  }
}

const binary = electronBinary()
const display = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY)

test.describe('desktop app', () => {
  test.skip(!binary, 'no Electron binary is installed (npm could not download it): the desktop suite is skipped')
  test.skip(!display, 'no display (run under xvfb-run): the desktop suite is skipped')

  test('opens a secure window with window.studio over IPC and creates a project', async () => {
    const base = await mkdtemp(join(tmpdir(), 'tl-electron-'))
    const app = await electron.launch({
      executablePath: binary!,
      args: [ROOT, '--no-sandbox'],
      env: { ...process.env, TWINLIGHT_HOME: join(base, 'home'), TWINLIGHT_PROJECTS_HOME: join(base, 'projects') }
    })
    const window = await app.firstWindow()
    await expect(window.getByTestId('status-backend')).toContainText('desktop')
    // Sandboxed, context-isolated renderer: no Node, only the bridge.
    expect(await window.evaluate(() => [typeof (window as unknown as { require?: unknown }).require, typeof (window as unknown as { process?: unknown }).process, typeof (window as unknown as { studio?: { invoke?: unknown } }).studio?.invoke])).toEqual(['undefined', 'undefined', 'function'])
    await window.getByTestId('nav-projects').click()
    await window.getByTestId('create-name').fill('Desktop')
    await window.getByTestId('create-submit').click()
    await expect(window.getByTestId('status-project')).toHaveText('Desktop')
    await app.close()
    await rm(base, { recursive: true, force: true })
  })
})
