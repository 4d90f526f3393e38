// Jobs: long work that runs in a worker process. These types cross every boundary:
// worker ↔ job manager (the worker protocol) and backend ↔ renderer (the API).
import { z } from 'zod'

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const
export type JobState = (typeof JOB_STATES)[number]
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled', 'interrupted']

export interface JobLogLine {
  time: string
  level: 'info' | 'warn' | 'error'
  text: string
}

export interface JobInfo {
  id: string
  kind: string
  title: string
  params: unknown
  state: JobState
  /** 0..1 */
  progress: number
  message: string
  /** Seconds left, estimated from progress so far; null until there is enough to go on. */
  etaSeconds: number | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
  error: string | null
  /** Project-relative paths the job wrote. */
  artifacts: string[]
  /** Whether this kind can pick up where it stopped (resuming reruns the same job id in the same folder). */
  resumable: boolean
  /** Project-relative folder of the job's own files: log, metrics, checkpoints. */
  dir: string
  /** What the job returned when it succeeded. */
  result: unknown
}

export interface JobMetricPoint {
  step: number
  values: Record<string, number>
  /**
   * Per-item values reported since the previous point, column by column (every column has one
   * entry per item; null = no value). A make-dataset run sends its new samples' scores this way
   * (shared/datasetLive.ts), so a view builds live distributions from the points without
   * re-reading every record, and metrics.jsonl holds each item once however long the run.
   */
  items?: Record<string, Array<number | null>>
}

// ---------------------------------------------------------------------------------------
// Worker protocol. The manager sends `start` once, then possibly `cancel`; the worker
// answers with any number of progress/log/metrics/artifact messages and ends with exactly
// one of done/error/cancelled.

export interface WorkerStartMessage {
  type: 'start'
  jobId: string
  kind: string
  params: unknown
  projectDir: string
  /** Folder the job may use for its own state (checkpoints), inside the project. */
  jobDir: string
  resume: boolean
}
export interface WorkerCancelMessage {
  type: 'cancel'
}
export type ManagerToWorker = WorkerStartMessage | WorkerCancelMessage

export const WorkerToManagerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), fraction: z.number().min(0).max(1), message: z.string().optional() }),
  z.object({ type: z.literal('log'), level: z.enum(['info', 'warn', 'error']), text: z.string() }),
  z.object({ type: z.literal('metrics'), step: z.number(), values: z.record(z.string(), z.number()), items: z.record(z.string(), z.array(z.number().nullable())).optional() }),
  z.object({ type: z.literal('artifact'), path: z.string() }),
  z.object({ type: z.literal('done'), result: z.unknown().optional() }),
  z.object({ type: z.literal('error'), message: z.string(), stack: z.string().optional() }),
  z.object({ type: z.literal('cancelled') })
])
export type WorkerToManager = z.infer<typeof WorkerToManagerSchema>

/** "42s left", "3m 5s left", "2h 10m left"; '' while there is no estimate. */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return ''
  if (seconds < 60) return `${seconds}s left`
  const m = Math.floor(seconds / 60)
  return m < 60 ? `${m}m ${seconds % 60}s left` : `${Math.floor(m / 60)}h ${m % 60}m left`
}
