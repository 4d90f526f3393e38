// A make-dataset run's live scores (shared/datasetLive.ts): what the pipeline reports per drawn
// sample, buffered between metric points and carried as JobMetricPoint.items through JSON (as
// in metrics.jsonl), adds up in the view's LiveScores to the run's scores, and the provisional
// top-x % cut over every sample is the cut the finished dataset records.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDataset, type DatasetProgress } from '../../../src/main/engine/dataset'
import { LiveSampleBuffer, LiveScores } from '../../../src/shared/datasetLive'
import { WorkerToManagerSchema, type JobMetricPoint } from '../../../src/shared/jobs'
import { baseOptions } from './helpers'

interface Line {
  seed: number
  uncertainty: number
  kept: boolean
  reasons: string[]
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-dataset-live-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** Runs the pipeline, sending a point every `every` reports, as the worker does (through JSON, as metrics.jsonl keeps them). */
async function runWithPoints(dir: string, every: number, over: Parameters<typeof baseOptions>[1] = {}): Promise<{ points: JobMetricPoint[]; reports: DatasetProgress[] }> {
  const buffer = new LiveSampleBuffer()
  const points: JobMetricPoint[] = []
  const reports: DatasetProgress[] = []
  const send = (done: number) => points.push(JSON.parse(JSON.stringify({ step: done, values: { done }, items: buffer.take() })) as JobMetricPoint)
  await makeDataset(
    baseOptions(dir, {
      ...over,
      onProgress: (p) => {
        reports.push(p)
        if (p.sample) buffer.push(p.sample)
        if (reports.length % every === 0 || p.done === p.total) send(p.done)
      }
    })
  )
  return { points, reports }
}

describe('live dataset scores', () => {
  it('add up, point by point, to the scores metadata.jsonl records, and the provisional cut over them all is the final cut', async () => {
    const dir = join(root, 'whole')
    const { points, reports } = await runWithPoints(dir, 5, { filter: { dropFraction: 0.25, maxScore: 0.85 } })
    const lines = (await readFile(join(dir, 'metadata.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line)
    expect(lines).toHaveLength(12)
    expect(reports.every((r) => r.sample !== null)).toBe(true)

    const live = new LiveScores()
    const sizes: number[] = []
    for (const point of points) {
      live.add(point.items)
      sizes.push(live.size)
    }
    // The distribution fills in point by point, not all at the end.
    expect(sizes[0]).toBe(5)
    expect(sizes[sizes.length - 1]).toBe(lines.length)
    expect(new Set(sizes).size).toBeGreaterThan(2)

    const items = live.uncertaintyItems()
    expect(items.map((i) => i.value).sort()).toEqual(lines.map((l) => l.uncertainty).sort())
    // "Kept so far" is every decision but the top-x % drop, which comes at the end.
    const keptSoFar = lines.filter((l) => l.reasons.every((r) => r === 'uncertainty-top')).length
    expect(items.filter((i) => i.kept).length).toBe(keptSoFar)
    expect(keptSoFar).toBeGreaterThan(lines.filter((l) => l.kept).length)
    expect(keptSoFar).toBeLessThan(lines.length) // the 0.85 threshold rejected some while the run went

    const finalCut = Math.min(...lines.filter((l) => l.reasons.includes('uncertainty-top')).map((l) => l.uncertainty))
    expect(live.provisionalCut(0.25)).toBe(finalCut)
    expect(live.hasIdentity).toBe(false)
    expect(live.identityItems().every((i) => i.value === null)).toBe(true)
  })

  it('reports nothing for the seeds a resumed run skips', async () => {
    const dir = join(root, 'resumed')
    await runWithPoints(dir, 3)
    const again = await runWithPoints(dir, 3)
    expect(again.reports).toHaveLength(12)
    expect(again.reports.every((r) => r.sample === null)).toBe(true)
    expect(again.points.every((p) => p.items === undefined)).toBe(true)
  })

  it('keeps one entry per seed, skips entries it cannot read, and carries missing similarities as null', () => {
    const buffer = new LiveSampleBuffer()
    buffer.push({ seed: 1, score: 0.5, identityScore: 0.3, kept: true })
    buffer.push({ seed: 2, score: 0.7, identityScore: NaN, kept: false })
    const items = JSON.parse(JSON.stringify(buffer.take())) as JobMetricPoint['items']
    expect(items).toEqual({ seed: [1, 2], uncertainty: [0.5, 0.7], identity: [0.3, null], kept: [1, 0] })
    expect(buffer.take()).toBeUndefined()

    const live = new LiveScores()
    expect(live.add(items)).toBe(2)
    expect(live.add({ seed: [2, 3], uncertainty: [0.9, 0.1], identity: [0.8, null], kept: [1, 1] })).toBe(2)
    expect(live.size).toBe(3)
    expect(live.uncertaintyItems()).toEqual([
      { value: 0.5, kept: true },
      { value: 0.9, kept: true },
      { value: 0.1, kept: true }
    ])
    expect(live.identityItems().map((i) => i.value)).toEqual([0.3, 0.8, null])
    expect(live.hasIdentity).toBe(true)
    // Damaged entries (a hand-edited metrics.jsonl): a seed that is not whole, a score that is not a number, columns of unequal length.
    expect(live.add({ seed: [4.5, 5], uncertainty: [0.2, null] })).toBe(0)
    expect(live.add({ seed: [6, 7], uncertainty: [0.2] })).toBe(0)
    expect(live.add(undefined)).toBe(0)
    expect(live.size).toBe(3)
    expect(live.skipped).toBe(4)
  })

  it('cuts where floor(x · n) of the scores so far are above or on the cut, and nowhere while that is zero', () => {
    const live = new LiveScores()
    live.add({ seed: [0, 1, 2], uncertainty: [0.3, 0.1, 0.2] })
    expect(live.provisionalCut(0.25)).toBeNull() // floor(0.75) = 0
    expect(live.provisionalCut(0.34)).toBe(0.3) // floor(1.02) = 1
    live.add({ seed: [3, 4, 5, 6, 7, 8, 9], uncertainty: [0.9, 0.4, 0.8, 0.5, 0.6, 0.7, 1.0] })
    expect(live.provisionalCut(0.25)).toBe(0.9) // floor(2.5) = 2: 1.0 and 0.9
    expect(live.provisionalCut(0.29)).toBe(0.9)
    expect(live.provisionalCut(0.3)).toBe(0.8)
    expect(live.provisionalCut(0)).toBeNull()
  })

  it('travels in the worker protocol: numbers or null per item, nothing else', () => {
    const ok = WorkerToManagerSchema.safeParse({ type: 'metrics', step: 3, values: { kept: 2 }, items: { seed: [1, 2], identity: [null, 0.4] } })
    expect(ok.success).toBe(true)
    expect(WorkerToManagerSchema.safeParse({ type: 'metrics', step: 3, values: {} }).success).toBe(true)
    expect(WorkerToManagerSchema.safeParse({ type: 'metrics', step: 3, values: {}, items: { seed: ['1'] } }).success).toBe(false)
  })
})
