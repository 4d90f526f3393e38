// Cross-validation folds: complete, disjoint, deterministic, leave-one-out below k, and no
// held-out sample ever reaches a fold's training set (checked at the trainer's input).
import { describe, it, expect, beforeAll } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { makeFolds, trainingIds } from '../../../src/main/engine/interpreter/evaluate'
import { runInterpreterTraining } from '../../../src/main/services/interpreter/trainRun'
import type { InterpreterEvalSummary } from '../../../src/shared/interpreter'
import { InterpreterConfigSchema } from '../../../src/shared/interpreter'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { CLASSES, fakeContext, readJson, syntheticBank, tempDir, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
beforeAll(async () => {
  init = await initTf()
})

describe('fold assignment', () => {
  it('deals every sample into exactly one fold, deterministically', () => {
    const ids = Array.from({ length: 13 }, (_, i) => `s${i}`)
    const plan = makeFolds(ids, 5, 7)
    expect(plan.k).toBe(5)
    expect(plan.leaveOneOut).toBe(false)
    const seen = plan.folds.flat()
    expect(seen.sort()).toEqual([...ids].sort())
    expect(new Set(seen).size).toBe(ids.length)
    expect(plan.folds.map((f) => f.length).sort()).toEqual([2, 3, 3, 3, 2].sort())
    expect(makeFolds([...ids].reverse(), 5, 7)).toEqual(plan)
    for (const held of plan.folds) {
      const train = trainingIds(ids, held)
      expect(train.filter((id) => held.includes(id))).toEqual([])
      expect(train.length + held.length).toBe(ids.length)
    }
  })

  it('falls back to leave-one-out with fewer samples than folds, and to none below 2', () => {
    const plan = makeFolds(['a', 'b', 'c'], 5, 0)
    expect(plan).toMatchObject({ k: 3, leaveOneOut: true })
    expect(plan.folds.every((f) => f.length === 1)).toBe(true)
    expect(makeFolds(['a'], 5, 0).k).toBe(0)
  })
})

describe('cross-validation run', () => {
  it('never trains a fold on its held-out samples, and evaluates every sample once', async () => {
    const { dir, cleanup } = await tempDir('tl-cv-')
    try {
      const layout = tinyLayout()
      const { bank, source } = await syntheticBank(layout, 4)
      const samples = bank.images.map((im) => ({ id: im.id, labels: im.labels }))
      const seen: { fold: number; train: readonly string[]; held: readonly string[] }[] = []
      const jobDir = join(dir, 'runs', 'cv')
      const ctx = fakeContext(dir, jobDir, false)
      const config = InterpreterConfigSchema.parse({ ensembleSize: 2, batchSize: 256, stop: { kind: 'epochs', epochs: 1 }, folds: 3, gemm: 'tfjs' })
      const result = await runInterpreterTraining(ctx, { config, classes: CLASSES, samples, source, generator: null, tf: init, onFold: (fold, train, held) => seen.push({ fold, train, held }) })
      expect(seen).toHaveLength(3)
      for (const f of seen) {
        expect(f.train.filter((id) => f.held.includes(id))).toEqual([])
        const file = await readJson<{ trained: string[]; heldOut: string[] }>(join(jobDir, 'eval', `fold-${f.fold}.json`))
        expect(file.trained.filter((id) => file.heldOut.includes(id))).toEqual([])
        expect([...file.trained, ...file.heldOut].sort()).toEqual(samples.map((s) => s.id).sort())
      }
      expect(seen.flatMap((f) => f.held).sort()).toEqual(samples.map((s) => s.id).sort())
      const summary = result.eval!
      expect(summary.folds).toBe(3)
      expect(summary.perSample.map((s) => s.sampleId).sort()).toEqual(samples.map((s) => s.id).sort())
      for (const s of summary.perSample) expect(existsSync(join(dir, s.image))).toBe(true)
      const onDisk = await readJson<InterpreterEvalSummary>(join(jobDir, 'eval', 'summary.json'))
      expect(onDisk.confusion.flat().reduce((a, b) => a + b, 0)).toBe(4 * layout.width * layout.height)
      expect(onDisk.classes.map((c) => c.name)).toEqual(['background', 'skin', 'hair'])
      expect(onDisk.miou).toBeGreaterThan(0)
    } finally {
      await cleanup()
    }
  })
})
