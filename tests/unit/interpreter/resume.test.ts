// A cancelled run resumes from its checkpoint and ends with exactly the weights of an
// uninterrupted run (same seed), continuing the same step count.
import { describe, it, expect, beforeAll } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { loadModel } from '../../../src/main/engine/interpreter/modelFile'
import { readCheckpoint } from '../../../src/main/engine/interpreter/modelFile'
import { CHECKPOINT, MODEL_DIR, runInterpreterTraining } from '../../../src/main/services/interpreter/trainRun'
import { InterpreterConfigSchema } from '../../../src/shared/interpreter'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { CLASSES, fakeContext, syntheticBank, tempDir, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
beforeAll(async () => {
  init = await initTf()
})

describe('resume', () => {
  it('continues the same run from the checkpoint and reaches the same final weights', async () => {
    const { dir, cleanup } = await tempDir('tl-resume-')
    try {
      const layout = tinyLayout()
      const { bank, source } = await syntheticBank(layout, 3)
      const samples = bank.images.map((im) => ({ id: im.id, labels: im.labels }))
      // 960 labelled pixels, batch 100 → 10 steps per epoch, 3 epochs; plateau rule state too.
      const config = InterpreterConfigSchema.parse({ ensembleSize: 2, batchSize: 100, learningRate: 3e-3, stop: { kind: 'plateau', minEpochs: 1, patience: 4, maxEpochs: 3 }, folds: 0, gemm: 'tfjs' })
      const input = { config, classes: CLASSES, samples, source, generator: null, tf: init, checkpointSeconds: 3600, metricsIntervalMs: 0 }

      const straight = fakeContext(dir, join(dir, 'runs', 'straight'), false)
      await runInterpreterTraining(straight, input)
      const reference = await loadModel(join(dir, 'runs', 'straight', MODEL_DIR))

      const runDir = join(dir, 'runs', 'interrupted')
      const first = fakeContext(dir, runDir, false, (ctx, step) => {
        if (step >= 13) ctx.controller.abort()
      })
      await expect(runInterpreterTraining(first, input)).rejects.toThrow(/cancelled/)
      expect(existsSync(join(runDir, MODEL_DIR, 'model.json'))).toBe(false)
      const ckpt = await readCheckpoint(join(runDir, CHECKPOINT))
      expect(ckpt).not.toBeNull()
      const savedStep = ckpt!.snapshot.state.step
      expect(savedStep).toBeGreaterThanOrEqual(13)

      const second = fakeContext(dir, runDir, true)
      const result = await runInterpreterTraining(second, input)
      expect(second.logs.some((l) => l.includes(`resuming from the checkpoint at step ${savedStep}`))).toBe(true)
      expect(second.metricsSeen[0].step).toBeGreaterThan(savedStep)
      const resumed = await loadModel(join(runDir, MODEL_DIR))
      expect(result.train!.steps).toBe(straight.metricsSeen.at(-1)!.step)
      for (const name of Object.keys(reference.params) as (keyof typeof reference.params)[]) {
        expect(Array.from(resumed.params[name]), name).toEqual(Array.from(reference.params[name]))
      }
    } finally {
      await cleanup()
    }
  })
})
