import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { JobManager, type JobKind } from '../../../src/main/services/jobs/jobManager'
import { ChildProcessWorkerHost } from '../../../src/main/services/jobs/workerHost'
import type { JobInfo } from '../../../src/shared/jobs'

const TEST_WORKER = resolve(__dirname, '../../fixtures/workers/testWorker.ts')
const kinds = new Map<string, JobKind<never>>([
  [
    'test.sleep',
    {
      kind: 'test.sleep',
      entry: TEST_WORKER,
      params: z.object({ steps: z.number().int().min(1), stepMs: z.number(), failAt: z.number().optional(), crashAt: z.number().optional(), oomAt: z.number().optional() }) as never,
      title: () => 'test',
      resumable: true,
      maxOldSpaceMb: 64
    }
  ]
])

let dir: string
let manager: JobManager

async function waitFor(predicate: () => boolean, timeoutMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-jobs-'))
  manager = new JobManager(dir, kinds, new ChildProcessWorkerHost())
  await manager.load()
})
afterEach(async () => {
  manager.shutdown()
  // A killed worker's exit is still being recorded (jobs.json, logs) as the folder goes.
  await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 })
})

describe('JobManager', () => {
  it('runs a job in a worker and relays progress, metrics, logs and artifacts', async () => {
    const updates: JobInfo[] = []
    const metrics: number[] = []
    manager.events.on('updated', (job) => updates.push(job))
    manager.events.on('metrics', ({ point }) => metrics.push(point.values.loss))
    const job = await manager.start('test.sleep', { steps: 5, stepMs: 5 })
    await manager.idle()
    const done = manager.get(job.id)
    expect(done.state).toBe('succeeded')
    expect(done.progress).toBe(1)
    expect(done.result).toEqual({ steps: 5 })
    expect(done.artifacts).toEqual([`runs/${job.id}/state.json`])
    expect(metrics).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    expect(updates.some((u) => u.state === 'running')).toBe(true)
    const log = await manager.log(job.id)
    expect(log.map((l) => l.text)).toContain('running 5 steps')
    expect((await manager.metrics(job.id)).length).toBe(5)
    const persisted = JSON.parse(await readFile(join(dir, 'jobs.json'), 'utf8')) as JobInfo[]
    expect(persisted[0].state).toBe('succeeded')
  })

  it('refuses unknown kinds and invalid parameters, naming the field', async () => {
    await expect(manager.start('nope', {})).rejects.toThrow(/unknown job kind "nope"/)
    await expect(manager.start('test.sleep', { steps: 'many', stepMs: 1 })).rejects.toMatchObject({ field: 'params.steps' })
  })

  it('fails a job whose worker throws, with its message', async () => {
    const job = await manager.start('test.sleep', { steps: 5, stepMs: 1, failAt: 2 })
    await manager.idle()
    expect(manager.get(job.id).state).toBe('failed')
    expect(manager.get(job.id).error).toBe('asked to fail at step 2')
  })

  it('fails a job whose worker crashes, and keeps running others', async () => {
    const crash = await manager.start('test.sleep', { steps: 5, stepMs: 1, crashAt: 1 })
    const fine = await manager.start('test.sleep', { steps: 2, stepMs: 1 })
    await manager.idle()
    expect(manager.get(crash.id).state).toBe('failed')
    expect(manager.get(crash.id).error).toMatch(/exited with code 3/)
    expect(manager.get(fine.id).state).toBe('succeeded')
  })

  it('reports a worker that runs out of memory', async () => {
    const job = await manager.start('test.sleep', { steps: 5, stepMs: 1, oomAt: 1 })
    await manager.idle()
    expect(manager.get(job.id).state).toBe('failed')
    expect(manager.get(job.id).error).toMatch(/out of memory/)
  })

  it('cancels a running job', async () => {
    const job = await manager.start('test.sleep', { steps: 1000, stepMs: 10 })
    await waitFor(() => manager.get(job.id).progress > 0)
    await manager.cancel(job.id)
    await manager.idle()
    expect(manager.get(job.id).state).toBe('cancelled')
    expect(manager.get(job.id).progress).toBeLessThan(1)
  })

  it('marks running jobs interrupted after a restart, and resumes them in place', async () => {
    const job = await manager.start('test.sleep', { steps: 30, stepMs: 10 })
    await waitFor(() => manager.get(job.id).progress >= 0.2)
    // Simulate the studio stopping: the worker dies and jobs.json still says running.
    manager.shutdown()
    const snapshot = manager.list().map((j) => ({ ...j, state: j.id === job.id ? 'running' : j.state }))
    await writeFile(join(dir, 'jobs.json'), JSON.stringify(snapshot))

    const restarted = new JobManager(dir, kinds, new ChildProcessWorkerHost())
    await restarted.load()
    expect(restarted.get(job.id).state).toBe('interrupted')
    const stateBefore = JSON.parse(await readFile(join(dir, job.dir, 'state.json'), 'utf8')).step as number
    expect(stateBefore).toBeGreaterThan(0)

    await restarted.resume(job.id)
    await restarted.idle()
    expect(restarted.get(job.id).state).toBe('succeeded')
    const log = (await restarted.log(job.id)).map((l) => l.text)
    expect(log.some((t) => /^resuming at step [1-9]/.test(t))).toBe(true)
    expect(restarted.get(job.id).result).toEqual({ steps: 30 })
    await expect(restarted.resume(job.id)).rejects.toThrow(/only interrupted, failed or cancelled/)
  })
})
