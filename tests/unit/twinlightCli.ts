// Runs the `twinlight` CLI from source as a user would (a child process through tsx), for the
// tests that check what a command prints and how it exits. Each spawn costs about a second,
// so tests call commands in-process where the output format is not what they check.
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'

export const CLI_ENTRY = resolve(__dirname, '../../src/main/cli/index.ts')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Never rejects: a failing command gives its exit code and output. */
export function runTwinlight(args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, ['--import', 'tsx', CLI_ENTRY, ...args], { timeout: options.timeoutMs ?? 60_000, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error == null ? 0 : typeof error.code === 'number' ? error.code : 1
      resolvePromise({ code, stdout, stderr })
    })
  })
}

/** `twinlight ...args`, with the default timeout. */
export const twinlight = (...args: string[]): Promise<CliResult> => runTwinlight(args)
