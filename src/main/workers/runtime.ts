// The worker side of the job protocol. A worker entry calls `runWorker(handler)`; the
// handler gets a context to report progress, logs, metrics and artifacts, and to notice
// cancellation. Works in a Node child process (process.send) and in an Electron
// utilityProcess (process.parentPort), without importing electron.
import type { ManagerToWorker, WorkerStartMessage, WorkerToManager } from '../../shared/jobs'

export class JobCancelledError extends Error {
  constructor() {
    super('cancelled')
    this.name = 'JobCancelledError'
  }
}

export interface JobContext {
  readonly jobId: string
  readonly params: unknown
  readonly projectDir: string
  readonly jobDir: string
  readonly resume: boolean
  readonly signal: AbortSignal
  progress(fraction: number, message?: string): void
  log(text: string, level?: 'info' | 'warn' | 'error'): void
  /** A metric point; `items`: per-item columns since the previous point (JobMetricPoint.items). */
  metrics(step: number, values: Record<string, number>, items?: Record<string, Array<number | null>>): void
  artifact(projectRelativePath: string): void
  /** Throws JobCancelledError once cancel was asked; call it between units of work. */
  checkCancelled(): void
}

export type JobHandler = (ctx: JobContext) => Promise<unknown>

interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void
  postMessage(message: unknown): void
}

function channel(): { send(message: WorkerToManager): void; listen(listener: (message: ManagerToWorker) => void): void } {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      listen: (listener) => parentPort.on('message', (event) => listener(event.data as ManagerToWorker))
    }
  }
  if (typeof process.send === 'function') {
    return {
      send: (message) => void process.send!(message),
      listen: (listener) => void process.on('message', (message) => listener(message as ManagerToWorker))
    }
  }
  throw new Error('a worker must run as a child process or utility process of the job manager')
}

export function runWorker(handler: JobHandler): void {
  const { send, listen } = channel()
  const controller = new AbortController()
  let started = false
  let lastProgressAt = 0

  const finish = (message: WorkerToManager) => {
    send(message)
    // Give the IPC channel a moment to flush, then leave.
    setTimeout(() => process.exit(0), 50)
  }

  listen((message) => {
    if (message.type === 'cancel') {
      controller.abort()
      return
    }
    if (message.type !== 'start' || started) return
    started = true
    const start: WorkerStartMessage = message
    const ctx: JobContext = {
      jobId: start.jobId,
      params: start.params,
      projectDir: start.projectDir,
      jobDir: start.jobDir,
      resume: start.resume,
      signal: controller.signal,
      progress(fraction, text) {
        // Throttle: a worker may report per item; the UI needs a few updates a second.
        const now = Date.now()
        if (fraction < 1 && now - lastProgressAt < 100) return
        lastProgressAt = now
        send({ type: 'progress', fraction: Math.max(0, Math.min(1, fraction)), message: text })
      },
      log: (text, level = 'info') => send({ type: 'log', level, text }),
      metrics: (step, values, items) => send(items ? { type: 'metrics', step, values, items } : { type: 'metrics', step, values }),
      artifact: (path) => send({ type: 'artifact', path }),
      checkCancelled() {
        if (controller.signal.aborted) throw new JobCancelledError()
      }
    }
    handler(ctx).then(
      (result) => finish(controller.signal.aborted ? { type: 'cancelled' } : { type: 'done', result }),
      (error: unknown) => {
        if (error instanceof JobCancelledError || controller.signal.aborted) return finish({ type: 'cancelled' })
        const err = error instanceof Error ? error : new Error(String(error))
        finish({ type: 'error', message: err.message, stack: err.stack })
      }
    )
  })
}
