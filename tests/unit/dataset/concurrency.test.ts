// Inference of several samples at once (a predictor with concurrency > 1, e.g. the interpreter's
// pool of sessions): the dataset is the same bytes as one sample at a time, even when the
// predictions finish out of order; the source sees one sample at a time, in seed order; at most
// `concurrency` predictions run at once; and a finished prediction starts the next sample even
// while an earlier seed is still being inferred (no core idles waiting for seed order).
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDataset, RendererSource, type MaskPredictor, type SampleSource, type SourceSample } from '../../../src/main/engine/dataset'
import { baseOptions, scoredPredictor, treeHashes } from './helpers'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-dataset-concurrency-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The helpers' scored predictor, `concurrency` at once, even seeds slower than odd ones (so they finish out of order). */
function concurrentPredictor(concurrency: number) {
  const inner = scoredPredictor((seed) => ((seed * 37) % 11) / 10)
  const stats = { running: 0, maxRunning: 0, finished: [] as number[] }
  const predictor: MaskPredictor = {
    concurrency,
    describe: inner.describe,
    predict: async (sample: SourceSample) => {
      stats.running++
      stats.maxRunning = Math.max(stats.maxRunning, stats.running)
      try {
        await delay(sample.seed % 2 === 0 ? 40 : 5)
        return await inner.predict(sample)
      } finally {
        stats.running--
        stats.finished.push(sample.seed)
      }
    }
  }
  return { predictor, stats }
}

/** The renderer, recording the order of its calls and whether two ever overlapped. */
function watchedSource() {
  const renderer = new RendererSource({ size: 64, modalities: ['rgb', 'nir'], classCount: 10 })
  const stats = { order: [] as number[], active: 0, overlapped: false }
  const source: SampleSource = {
    size: renderer.size,
    modalities: renderer.modalities,
    describe: () => renderer.describe(),
    sample: async (seed: number) => {
      stats.active++
      if (stats.active > 1) stats.overlapped = true
      stats.order.push(seed)
      try {
        await delay(1)
        return await renderer.sample(seed)
      } finally {
        stats.active--
      }
    }
  }
  return { source, stats }
}

describe('dataset generation with inference of several samples at once', () => {
  it('writes the same bytes as one at a time, with the source in seed order and at most `concurrency` predictions running', async () => {
    const one = join(root, 'one')
    await makeDataset(baseOptions(one, { filter: { dropFraction: 0.25 } }))

    const many = join(root, 'many')
    const { predictor, stats } = concurrentPredictor(3)
    const watched = watchedSource()
    const summary = await makeDataset(baseOptions(many, { predictor, source: watched.source, filter: { dropFraction: 0.25 } }))
    expect(summary.finalized).toBe(true)
    expect(await treeHashes(many)).toEqual(await treeHashes(one))

    // inference really overlapped, within the bound, and finished out of seed order
    expect(stats.maxRunning).toBe(3)
    expect(stats.finished).not.toEqual([...stats.finished].sort((a, b) => a - b))
    // the source: one call at a time, in seed order
    expect(watched.stats.overlapped).toBe(false)
    expect(watched.stats.order).toEqual(Array.from({ length: 12 }, (_, i) => 3 + i))
  })

  it('starts the next sample as soon as any prediction finishes, while an earlier seed is still inferred', async () => {
    const dir = join(root, 'eager')
    const { predictor: inner, seedStart: first } = baseOptions(dir)
    // The first seed's prediction finishes only once a prediction two seeds later has started,
    // or after 5 s: a pipeline that waited for seed order would get there only that way.
    let release!: () => void
    const laterStarted = new Promise<void>((resolve) => (release = resolve))
    let releasedInTime = false
    const predictor: MaskPredictor = {
      concurrency: 2,
      describe: inner.describe,
      predict: async (sample: SourceSample) => {
        if (sample.seed === first + 2) release()
        if (sample.seed === first) releasedInTime = await Promise.race([laterStarted.then(() => true), delay(5000).then(() => false)])
        return inner.predict(sample)
      }
    }
    const summary = await makeDataset(baseOptions(dir, { predictor }))
    expect(summary.finalized).toBe(true)
    expect(releasedInTime).toBe(true)
    const reference = join(root, 'eager-reference')
    await makeDataset(baseOptions(reference))
    expect(await treeHashes(dir)).toEqual(await treeHashes(reference))
  })

  it('a failing prediction fails the run with its error, and a rerun completes the same dataset', async () => {
    const dir = join(root, 'failing')
    const { predictor } = concurrentPredictor(2)
    const failing: MaskPredictor = { ...predictor, predict: async (s) => (s.seed === 8 ? Promise.reject(new Error('inference failed on seed 8')) : predictor.predict(s)) }
    await expect(makeDataset(baseOptions(dir, { predictor: failing }))).rejects.toThrow('inference failed on seed 8')
    await makeDataset(baseOptions(dir, { predictor: concurrentPredictor(2).predictor }))
    const reference = join(root, 'reference')
    await makeDataset(baseOptions(reference))
    expect(await treeHashes(dir)).toEqual(await treeHashes(reference))
  })
})
