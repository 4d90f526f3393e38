// Starts the real `twinlight serve` (built CLI, real backend) for end-to-end tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const TEST_WORKER = join(ROOT, 'tests/fixtures/workers/testWorker.ts')

export interface RunningServer {
  url: string
  launchUrl: string
  token: string
  port: number
  process: ChildProcess
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** Temporary homes of this test process, removed when it exits (TWINLIGHT_KEEP_E2E=1 keeps them for a look). */
const homes: string[] = []
process.once('exit', () => {
  if (process.env.TWINLIGHT_KEEP_E2E === '1') return
  for (const base of homes) {
    try {
      rmSync(base, { recursive: true, force: true })
    } catch {
      // a server still writing there: leave it to the OS's temp clean-up
    }
  }
})

export async function makeHome(): Promise<{ home: string; projects: string }> {
  const base = await mkdtemp(join(tmpdir(), 'tl-e2e-'))
  homes.push(base)
  return { home: join(base, 'home'), projects: join(base, 'projects') }
}

export async function startServer(options: { home: string; projects: string; port?: number; project?: string; args?: string[] }): Promise<RunningServer> {
  const args = [join(ROOT, 'out/main/cli.js'), 'serve', '--no-open', '--port', String(options.port ?? 0)]
  if (options.project) args.push('--project', options.project)
  args.push(...(options.args ?? []))
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, TWINLIGHT_HOME: options.home, TWINLIGHT_PROJECTS_HOME: options.projects, TWINLIGHT_TEST_WORKER: TEST_WORKER },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  const launchUrl = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /at (http:\/\/\S+\?token=\S+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolvePromise(match[1])
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
  })
  const url = new URL(launchUrl)
  return {
    url: url.origin,
    launchUrl,
    token: url.searchParams.get('token')!,
    port: Number(url.port),
    process: child,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolvePromise) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolvePromise()
        child.once('exit', () => resolvePromise())
        child.kill(signal)
      })
  }
}
