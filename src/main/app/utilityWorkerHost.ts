// Job workers on the desktop: Electron utilityProcess, so a crashing or out-of-memory
// worker takes only itself down and the window keeps running.
import { utilityProcess } from 'electron'
import type { WorkerHandle, WorkerHost } from '../services/jobs/workerHost'

export class UtilityProcessWorkerHost implements WorkerHost {
  spawn(entry: string, options: { env?: Record<string, string>; maxOldSpaceMb?: number }): WorkerHandle {
    const child = utilityProcess.fork(entry, [], {
      env: { ...process.env, ...options.env } as Record<string, string>,
      execArgv: options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [],
      stdio: ['ignore', 'inherit', 'pipe'],
      serviceName: 'Twinlight worker'
    })
    return {
      send: (message) => child.postMessage(message),
      onMessage: (listener) => void child.on('message', listener),
      onExit: (listener) => void child.once('exit', (code) => listener(code, null)),
      onStderr: (listener) => void child.stderr?.on('data', (chunk: Buffer) => listener(chunk.toString())),
      kill: () => void child.kill()
    }
  }
}
