// `npm start`: build, then open Twinlight Studio on the demo project, as a desktop window
// where Electron is installed, else in browser mode (served on 127.0.0.1, URL printed).
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)

console.log('Building Twinlight Studio…')
const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
if (build.status !== 0) process.exit(build.status ?? 1)

function electronBinary() {
  try {
    const path = require('electron') // the package exports the binary's path, and throws if the download failed
    return typeof path === 'string' && existsSync(path) ? { path } : { why: 'the Electron binary is missing' }
  } catch (error) {
    return { why: `Electron is not installed (${String(error.message).split('\n')[0]})` }
  }
}

const electron = electronBinary()
const headless = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY
const extra = process.argv.slice(2)

if (electron.path && !headless && !extra.includes('--browser')) {
  const child = spawn(electron.path, [root, ...extra], { stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 0))
} else {
  const why = electron.path ? (headless ? 'no display was found' : 'browser mode was asked for') : electron.why
  console.log(`\n${why}: opening Twinlight Studio in browser mode instead.`)
  console.log('The studio is the same; see "Troubleshooting" in the README to get the desktop window.\n')
  const child = spawn(process.execPath, [join(root, 'out', 'main', 'cli.js'), 'serve', '--demo', ...extra.filter((a) => a !== '--browser')], { stdio: 'inherit' })
  child.on('exit', (code) => process.exit(code ?? 0))
  process.on('SIGINT', () => child.kill('SIGINT'))
}
