// The exported ONNX interpreter in onnxruntime-node against the TypeScript engine.
import { describe, it, expect, beforeAll } from 'vitest'
import * as ort from 'onnxruntime-node'
import { predictSample } from '../../../src/main/engine/interpreter/inference'
import { buildInterpreterOnnx } from '../../../src/main/engine/interpreter/onnxExport'
import { InterpreterTrainer } from '../../../src/main/engine/interpreter/trainer'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { maxAbsDiff, syntheticBank, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
beforeAll(async () => {
  init = await initTf()
})

describe('ONNX export', () => {
  it('runs in onnxruntime with the same probabilities, uncertainty and votes as the TS engine', async () => {
    const layout = tinyLayout()
    const { bank, maps } = await syntheticBank(layout, 3)
    const trainer = new InterpreterTrainer(init.tf, bank, 3, { ensembleSize: 3, learningRate: 3e-3, batchSize: 256, stop: { kind: 'epochs', epochs: 2 }, sampling: 'uniform', seed: 5 })
    while (!trainer.done) await trainer.step()
    const bytes = buildInterpreterOnnx(trainer.params, trainer.dims, layout, { metadata: { twinlight: '{"generatorSha256":null}' } })
    const info = inspectOnnx(bytes)
    expect(info.inputs.map((i) => i.name)).toEqual(layout.maps.map((m) => m.name))
    expect(info.outputs.map((o) => o.name).sort()).toEqual(['mask', 'probs', 'uncertainty'])

    const session = await ort.InferenceSession.create(Buffer.from(bytes))
    const ids = [...maps.keys()]
    // Batch of 2 through the symbolic N.
    const feeds: Record<string, ort.Tensor> = {}
    layout.maps.forEach((m, i) => {
      const hw = m.channels * m.height * m.width
      const data = new Float32Array(2 * hw)
      data.set(maps.get(ids[0])![i], 0)
      data.set(maps.get(ids[1])![i], hw)
      feeds[m.name] = new ort.Tensor('float32', data, [2, m.channels, m.height, m.width])
    })
    const out = await session.run(feeds)
    await session.release()
    const P = layout.height * layout.width
    const { M, K } = trainer.dims
    expect(out.probs.dims).toEqual([2, M, K, layout.height, layout.width])
    expect(out.mask.type).toBe('uint8')
    for (let n = 0; n < 2; n++) {
      const ts = predictSample(init.tf, trainer.params, trainer.dims, layout, maps.get(ids[n])!, { keepProbs: true })
      const probs = out.probs.data as Float32Array
      const mine = new Float32Array(M * K * P)
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) for (let p = 0; p < P; p++) mine[(m * K + k) * P + p] = ts.probs![(m * P + p) * K + k]
      expect(maxAbsDiff(probs.subarray(n * M * K * P, (n + 1) * M * K * P), mine)).toBeLessThanOrEqual(1e-4)
      expect(maxAbsDiff((out.uncertainty.data as Float32Array).subarray(n * P, (n + 1) * P), ts.uncertainty)).toBeLessThanOrEqual(1e-4)
      // Votes agree wherever the vote is clear (no near-tie of member probabilities).
      const mask = (out.mask.data as Uint8Array).subarray(n * P, (n + 1) * P)
      let compared = 0
      for (let p = 0; p < P; p++) {
        let margin = Infinity
        for (let m = 0; m < M; m++) {
          const row = Array.from({ length: K }, (_, k) => ts.probs![(m * P + p) * K + k]).sort((a, b) => b - a)
          margin = Math.min(margin, row[0] - row[1])
        }
        if (margin < 1e-3) continue
        compared++
        expect(mask[p]).toBe(ts.mask[p])
      }
      expect(compared).toBeGreaterThan(P * 0.9)
    }
    await trainer.dispose()
  })
})
