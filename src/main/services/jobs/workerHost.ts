// How a job's worker process is started. The job manager only sees this interface: under
// Node it is a child process, in Electron a utilityProcess (src/main/app), so a worker
// that crashes or runs out of memory takes only itself down.
import { fork } from 'node:child_process'
import type { ManagerToWorker } from '../../../shared/jobs'

export interface WorkerHandle {
  send(message: ManagerToWorker): void
  onMessage(listener: (message: unknown) => void): void
  /** Called once when the process has gone, whatever the reason. */
  onExit(listener: (code: number | null, signal: string | null) => void): void
  onStderr(listener: (text: string) => void): void
  kill(): void
}

export interface WorkerHost {
  spawn(entry: string, options: { env?: Record<string, string>; maxOldSpaceMb?: number }): WorkerHandle
}

export class ChildProcessWorkerHost implements WorkerHost {
  spawn(entry: string, options: { env?: Record<string, string>; maxOldSpaceMb?: number }): WorkerHandle {
    const execArgv: string[] = []
    if (entry.endsWith('.ts')) execArgv.push('--import', 'tsx')
    if (options.maxOldSpaceMb) execArgv.push(`--max-old-space-size=${options.maxOldSpaceMb}`)
    const child = fork(entry, [], {
      execArgv,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced'
    })
    return {
      send: (message) => {
        if (child.connected) child.send(message)
      },
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => {
        let reported = false
        const report = (code: number | null, signal: string | null) => {
          if (reported) return
          reported = true
          listener(code, signal)
        }
        child.on('exit', report)
        child.on('error', () => report(null, 'spawn-error'))
      },
      onStderr: (listener) => void child.stderr?.on('data', (chunk: Buffer) => listener(chunk.toString())),
      kill: () => void child.kill('SIGKILL')
    }
  }
}
