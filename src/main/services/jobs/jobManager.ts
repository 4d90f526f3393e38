// The job manager of one project: queues jobs, runs each in its own worker process,
// relays progress/logs/metrics/artifacts as events, and persists the job list in
// `jobs.json` so that after a restart running jobs show as interrupted (and resumable
// kinds can be resumed in place).
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { ZodType } from 'zod'
import { ApiError } from '../../../shared/api'
import { Emitter } from '../../../shared/emitter'
import {
  FINISHED_STATES,
  WorkerToManagerSchema,
  type JobInfo,
  type JobLogLine,
  type JobMetricPoint,
  type WorkerToManager
} from '../../../shared/jobs'
import { formatIssues } from '../../../shared/zodIssues'
import { writeJsonAtomic } from '../../engine/io/atomic'
import type { WorkerHandle, WorkerHost } from './workerHost'

export interface JobKind<P = unknown> {
  kind: string
  /** Absolute path of the worker entry (see workerEntry()). */
  entry: string
  params: ZodType<P>
  title(params: P): string
  resumable: boolean
  /** Heap limit for the worker, in MB (V8 old space). */
  maxOldSpaceMb?: number
}

export interface JobManagerEvents {
  updated: JobInfo
  removed: string
  log: { jobId: string; line: JobLogLine }
  metrics: { jobId: string; point: JobMetricPoint }
}

const JOBS_FILE = 'jobs.json'
const CANCEL_GRACE_MS = 5000
const STDERR_TAIL = 4000

interface Running {
  handle: WorkerHandle
  startedAtMs: number
  startFraction: number
  stderr: string
  outcome: WorkerToManager | null
  cancelTimer: NodeJS.Timeout | null
}

export class JobManager {
  readonly events = new Emitter<JobManagerEvents>()
  private jobs = new Map<string, JobInfo>()
  private running = new Map<string, Running>()
  /** Jobs queued by resume(): their worker is told to pick up from its saved state. */
  private resumeRequested = new Set<string>()
  private persistChain: Promise<void> = Promise.resolve()

  constructor(
    readonly projectDir: string,
    private readonly kinds: ReadonlyMap<string, JobKind<never>>,
    private readonly host: WorkerHost,
    private readonly maxConcurrent = 2
  ) {}

  /** Load jobs.json. Jobs that were queued or running when the app stopped become interrupted. */
  async load(): Promise<void> {
    let list: JobInfo[] = []
    try {
      const parsed = JSON.parse(await readFile(join(this.projectDir, JOBS_FILE), 'utf8'))
      if (Array.isArray(parsed)) list = parsed
    } catch {
      list = []
    }
    let changed = false
    for (const job of list) {
      if (job.state === 'running' || job.state === 'queued') {
        job.state = 'interrupted'
        job.message = job.resumable ? 'interrupted when the studio stopped; resume it to continue' : 'interrupted when the studio stopped'
        job.etaSeconds = null
        job.finishedAt = new Date().toISOString()
        changed = true
      }
      this.jobs.set(job.id, job)
    }
    if (changed) await this.persist()
  }

  list(): JobInfo[] {
    return [...this.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  }

  get(id: string): JobInfo {
    const job = this.jobs.get(id)
    if (!job) throw new ApiError({ code: 'not-found', field: 'id', message: `no job "${id}"` })
    return job
  }

  async start(kindName: string, rawParams: unknown): Promise<JobInfo> {
    const kind = this.kinds.get(kindName)
    if (!kind) {
      throw new ApiError({ code: 'validation', field: 'kind', message: `unknown job kind "${kindName}" (known: ${[...this.kinds.keys()].join(', ')})` })
    }
    const parsed = kind.params.safeParse(rawParams)
    if (!parsed.success) {
      throw new ApiError({ code: 'validation', field: ['params', ...parsed.error.issues[0].path].join('.'), message: `invalid ${kindName} parameters: ${formatIssues(parsed.error)}` })
    }
    const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`
    const job: JobInfo = {
      id,
      kind: kindName,
      title: kind.title(parsed.data as never),
      params: parsed.data,
      state: 'queued',
      progress: 0,
      message: 'queued',
      etaSeconds: null,
      createdAt: new Date().toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      artifacts: [],
      resumable: kind.resumable,
      dir: `runs/${id}`,
      result: null
    }
    this.jobs.set(id, job)
    await mkdir(join(this.projectDir, job.dir), { recursive: true })
    this.changed(job, true)
    this.pump()
    return job
  }

  async cancel(id: string): Promise<JobInfo> {
    const job = this.get(id)
    if (job.state === 'queued') {
      this.finish(job, 'cancelled', 'cancelled before it started')
      return job
    }
    const run = this.running.get(id)
    if (!run) return job
    job.message = 'cancelling…'
    this.changed(job, false)
    run.handle.send({ type: 'cancel' })
    // A worker stuck in native code does not answer: stop it the hard way.
    run.cancelTimer = setTimeout(() => run.handle.kill(), CANCEL_GRACE_MS)
    return job
  }

  async resume(id: string): Promise<JobInfo> {
    const job = this.get(id)
    if (!job.resumable) throw new ApiError({ code: 'conflict', message: `a ${job.kind} job cannot be resumed` })
    if (!['interrupted', 'failed', 'cancelled'].includes(job.state)) {
      throw new ApiError({ code: 'conflict', message: `job ${id} is ${job.state}; only interrupted, failed or cancelled jobs can be resumed` })
    }
    Object.assign(job, { state: 'queued', message: 'queued to resume', error: null, finishedAt: null, etaSeconds: null })
    this.resumeRequested.add(id)
    this.changed(job, true)
    this.pump()
    return job
  }

  async remove(id: string): Promise<void> {
    const job = this.get(id)
    if (!FINISHED_STATES.includes(job.state)) throw new ApiError({ code: 'conflict', message: `job ${id} is ${job.state}; cancel it first` })
    this.jobs.delete(id)
    this.events.emit('removed', id)
    await this.persist()
  }

  async log(id: string): Promise<JobLogLine[]> {
    return readJsonLines<JobLogLine>(join(this.projectDir, this.get(id).dir, 'log.jsonl'))
  }

  async metrics(id: string): Promise<JobMetricPoint[]> {
    return readJsonLines<JobMetricPoint>(join(this.projectDir, this.get(id).dir, 'metrics.jsonl'))
  }

  /** Resolves when no job is queued or running (for tests and the CLI). */
  async idle(): Promise<void> {
    while ([...this.jobs.values()].some((j) => j.state === 'queued' || j.state === 'running')) {
      await new Promise((r) => setTimeout(r, 50))
    }
    await this.persistChain
  }

  /** Stop every worker (the app is quitting). Their jobs become interrupted on next load. */
  shutdown(): void {
    for (const run of this.running.values()) run.handle.kill()
  }

  private pump(): void {
    const queued = [...this.jobs.values()].filter((j) => j.state === 'queued').sort((a, b) => a.createdAt.localeCompare(b.createdAt))
    for (const job of queued) {
      if (this.running.size >= this.maxConcurrent) return
      this.launch(job)
    }
  }

  private launch(job: JobInfo): void {
    const kind = this.kinds.get(job.kind)
    if (!kind) {
      this.finish(job, 'failed', `job kind "${job.kind}" is not available in this version`)
      return
    }
    const resume = this.resumeRequested.delete(job.id)
    let handle: WorkerHandle
    try {
      handle = this.host.spawn(kind.entry, { maxOldSpaceMb: kind.maxOldSpaceMb })
    } catch (error) {
      this.finish(job, 'failed', `could not start the worker: ${(error as Error).message}`)
      return
    }
    const run: Running = { handle, startedAtMs: Date.now(), startFraction: job.progress, stderr: '', outcome: null, cancelTimer: null }
    this.running.set(job.id, run)
    job.state = 'running'
    job.startedAt ??= new Date().toISOString()
    job.message = resume ? 'resuming…' : 'starting…'
    this.changed(job, true)
    handle.onStderr((text) => {
      run.stderr = (run.stderr + text).slice(-STDERR_TAIL)
    })
    handle.onMessage((raw) => this.onWorkerMessage(job, run, raw))
    handle.onExit((code, signal) => this.onWorkerExit(job, run, code, signal))
    handle.send({ type: 'start', jobId: job.id, kind: job.kind, params: job.params, projectDir: this.projectDir, jobDir: join(this.projectDir, job.dir), resume })
  }

  private onWorkerMessage(job: JobInfo, run: Running, raw: unknown): void {
    const parsed = WorkerToManagerSchema.safeParse(raw)
    if (!parsed.success) return // a worker speaking out of protocol is reported by its exit
    const message = parsed.data
    switch (message.type) {
      case 'progress': {
        job.progress = message.fraction
        if (message.message !== undefined) job.message = message.message
        job.etaSeconds = estimateEta(run, message.fraction)
        this.changed(job, false)
        break
      }
      case 'log': {
        const line: JobLogLine = { time: new Date().toISOString(), level: message.level, text: message.text }
        void appendFile(join(this.projectDir, job.dir, 'log.jsonl'), JSON.stringify(line) + '\n')
        this.events.emit('log', { jobId: job.id, line })
        break
      }
      case 'metrics': {
        const point: JobMetricPoint = message.items ? { step: message.step, values: message.values, items: message.items } : { step: message.step, values: message.values }
        void appendFile(join(this.projectDir, job.dir, 'metrics.jsonl'), JSON.stringify(point) + '\n')
        this.events.emit('metrics', { jobId: job.id, point })
        break
      }
      case 'artifact': {
        if (!job.artifacts.includes(message.path)) job.artifacts.push(message.path)
        this.changed(job, false)
        break
      }
      default:
        run.outcome = message
    }
  }

  private onWorkerExit(job: JobInfo, run: Running, code: number | null, signal: string | null): void {
    if (run.cancelTimer) clearTimeout(run.cancelTimer)
    this.running.delete(job.id)
    const outcome = run.outcome
    if (outcome?.type === 'done') {
      job.progress = 1
      job.result = outcome.result ?? null
      this.finish(job, 'succeeded', 'done')
    } else if (outcome?.type === 'cancelled' || (job.message === 'cancelling…' && !outcome)) {
      this.finish(job, 'cancelled', 'cancelled')
    } else if (outcome?.type === 'error') {
      this.finish(job, 'failed', outcome.message)
    } else {
      const oom = /heap out of memory|Allocation failed|ERR_WORKER_OUT_OF_MEMORY/i.test(run.stderr)
      const how = oom ? 'ran out of memory' : signal ? `was killed by ${signal}` : `exited with code ${code}`
      const tail = run.stderr.trim().split('\n').slice(-3).join(' | ')
      this.finish(job, 'failed', `the worker ${how}${tail ? `: ${tail}` : ''}`)
    }
    this.pump()
  }

  private finish(job: JobInfo, state: 'succeeded' | 'failed' | 'cancelled', message: string): void {
    job.state = state
    job.message = message
    job.error = state === 'failed' ? message : null
    job.etaSeconds = null
    job.finishedAt = new Date().toISOString()
    if (state === 'failed') {
      const line: JobLogLine = { time: job.finishedAt, level: 'error', text: message }
      void appendFile(join(this.projectDir, job.dir, 'log.jsonl'), JSON.stringify(line) + '\n').catch(() => undefined)
      this.events.emit('log', { jobId: job.id, line })
    }
    this.changed(job, true)
  }

  private changed(job: JobInfo, persist: boolean): void {
    this.events.emit('updated', { ...job })
    if (persist) void this.persist()
  }

  private persist(): Promise<void> {
    // Serialised so that two quick state changes cannot write out of order.
    this.persistChain = this.persistChain
      .then(() => writeJsonAtomic(join(this.projectDir, JOBS_FILE), this.list()))
      .catch(() => undefined)
    return this.persistChain
  }
}

function estimateEta(run: Running, fraction: number): number | null {
  const elapsed = (Date.now() - run.startedAtMs) / 1000
  const done = fraction - run.startFraction
  if (elapsed < 1 || done <= 0.005) return null
  return Math.max(0, Math.round((elapsed * (1 - fraction)) / done))
}

async function readJsonLines<T>(path: string): Promise<T[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return []
  }
  const out: T[] = []
  for (const line of text.split('\n')) {
    if (!line.trim()) continue
    try {
      out.push(JSON.parse(line) as T)
    } catch {
      /* a line cut short by a crash */
    }
  }
  return out
}
