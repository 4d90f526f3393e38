// `twinlight train-generator`: help and argument errors (training itself, presets and configs are
// covered in-process; each CLI spawn costs seconds).
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'

const CLI = resolve(__dirname, '../../../src/main/cli/index.ts')
const run = promisify(execFile)

async function twinlight(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], { timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('twinlight train-generator', () => {
  it('documents its options', async () => {
    const help = await twinlight('train-generator', '--help')
    expect(help.code).toBe(0)
    for (const option of ['--config', '--preset', '--resume', '--out', '--backend', '--steps', '--max-minutes', '--export-to']) expect(help.stdout).toContain(option)
  })

  it('refuses unclear or bad arguments with a clear message', async () => {
    const none = await twinlight('train-generator')
    expect(none.code).not.toBe(0)
    expect(none.stderr).toMatch(/exactly one of --config FILE, --preset NAME or --resume RUN/)
  })
})
