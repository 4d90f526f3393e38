// The exported ONNX interpreter in onnxruntime-node against the TypeScript engine.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import * as ort from 'onnxruntime-node'
import { predictSample } from '../../../src/main/engine/interpreter/inference'
import { bandedYWeights, buildInterpreterOnnx, interpolationMatrix, rowBands, rowBlocks } from '../../../src/main/engine/interpreter/onnxExport'
import { InterpreterTrainer } from '../../../src/main/engine/interpreter/trainer'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import type { FeatureLayout } from '../../../src/main/engine/interpreter/layout'
import { dimsFor, initParams } from '../../../src/main/engine/interpreter/model'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { maxAbsDiff, syntheticBank, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
let trained: { trainer: InterpreterTrainer; maps: Map<string, Float32Array[]> }
const layout = tinyLayout()
beforeAll(async () => {
  init = await initTf()
  const { bank, maps } = await syntheticBank(layout, 3)
  const trainer = new InterpreterTrainer(init.tf, bank, 3, { ensembleSize: 3, learningRate: 3e-3, batchSize: 256, stop: { kind: 'epochs', epochs: 2 }, sampling: 'uniform', seed: 5 })
  while (!trainer.done) await trainer.step()
  trained = { trainer, maps }
})
afterAll(async () => {
  await trained.trainer.dispose()
})

/** Feeds for a batch of the given samples (NCHW, N = ids.length). */
function batchFeeds(maps: Map<string, Float32Array[]>, ids: readonly string[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {}
  layout.maps.forEach((m, i) => {
    const hw = m.channels * m.height * m.width
    const data = new Float32Array(ids.length * hw)
    ids.forEach((id, n) => data.set(maps.get(id)![i], n * hw))
    feeds[m.name] = new ort.Tensor('float32', data, [ids.length, m.channels, m.height, m.width])
  })
  return feeds
}

describe('ONNX export', () => {
  it('runs in onnxruntime with the same probabilities, uncertainty and votes as the TS engine', async () => {
    const { trainer, maps } = trained
    const bytes = buildInterpreterOnnx(trainer.params, trainer.dims, layout, { metadata: { twinlight: '{"generatorSha256":null}' } })
    const info = inspectOnnx(bytes)
    expect(info.inputs.map((i) => i.name)).toEqual(layout.maps.map((m) => m.name))
    expect(info.outputs.map((o) => o.name).sort()).toEqual(['mask', 'probs', 'uncertainty'])
    expect(info.opTypes.some((op) => op.includes('MatMulInteger'))).toBe(false)

    const session = await ort.InferenceSession.create(Buffer.from(bytes))
    const ids = [...maps.keys()]
    // Batch of 2 through the symbolic N.
    const out = await session.run(batchFeeds(maps, ids.slice(0, 2)))
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
  })

  it('offers an int8 first layer that stays close to the exact vote', async () => {
    const { trainer, maps } = trained
    const bytes = buildInterpreterOnnx(trainer.params, trainer.dims, layout, { probs: false, precision: 'int8' })
    expect(inspectOnnx(bytes).opTypes).toContain('com.microsoft:MatMulIntegerToFloat')
    const session = await ort.InferenceSession.create(Buffer.from(bytes))
    const P = layout.height * layout.width
    let agree = 0
    let worstUncertainty = 0
    for (const id of maps.keys()) {
      const out = await session.run(batchFeeds(maps, [id]))
      const ts = predictSample(init.tf, trainer.params, trainer.dims, layout, maps.get(id)!)
      const mask = out.mask.data as Uint8Array
      for (let p = 0; p < P; p++) if (mask[p] === ts.mask[p]) agree++
      worstUncertainty = Math.max(worstUncertainty, maxAbsDiff(out.uncertainty.data as Float32Array, ts.uncertainty))
    }
    await session.release()
    const share = agree / (P * maps.size)
    console.log(`int8 vs exact: ${(100 * share).toFixed(2)} % of voted pixels agree, uncertainty within ${worstUncertainty.toExponential(2)}`)
    expect(share).toBeGreaterThan(0.97)
    expect(share).toBeLessThanOrEqual(1)
    expect(worstUncertainty).toBeLessThan(0.05)
  })

  // Row blocks (rowBlocks: 3 of 16 rows at 48, 2 at 32) with a batch of 2 and BatchNorm folded,
  // against the TS engine; int8 of the same graph must stay close to the exact vote.
  const blockLayouts: Array<[string, FeatureLayout]> = [
    [
      'maps at 4×5 and 6×5 upsampled along x by matrix, 12×10 by Resize, added to the 48×40 product',
      { height: 48, width: 40, maps: [{ name: 'a', channels: 5, height: 4, width: 5 }, { name: 'b', channels: 3, height: 6, width: 5 }, { name: 'c', channels: 4, height: 12, width: 10 }, { name: 'd', channels: 2, height: 48, width: 40 }] }
    ],
    ['every map at mask size (no upsampling: the first-layer bias goes on the product)', { height: 32, width: 20, maps: [{ name: 'a', channels: 3, height: 32, width: 20 }, { name: 'b', channels: 2, height: 32, width: 20 }] }],
    [
      'no map at mask size (the convolution has no running sum), one already full width (no x step)',
      { height: 32, width: 20, maps: [{ name: 'a', channels: 3, height: 4, width: 5 }, { name: 'b', channels: 2, height: 8, width: 10 }, { name: 'c', channels: 2, height: 16, width: 20 }] }
    ]
  ]
  for (const [name, blockLayout] of blockLayouts) {
    it(`stays exact in row blocks: ${name}`, async () => {
      let state = 99
      const rnd = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1
      const dims = dimsFor(blockLayout, 4, 3)
      const params = initParams(dims, 11)
      for (const k of ['w1', 'w2', 'w3'] as const) params[k] = params[k].map((v) => v * 40)
      for (const k of ['b1', 'be1', 'rm1', 'b2', 'be2', 'rm2', 'b3'] as const) params[k] = params[k].map(() => rnd() * 0.5)
      for (const k of ['g1', 'rv1', 'g2', 'rv2'] as const) params[k] = params[k].map(() => 0.5 + Math.abs(rnd()))
      const samples = [0, 1].map(() => blockLayout.maps.map((m) => Float32Array.from({ length: m.channels * m.height * m.width }, rnd)))
      const feeds: Record<string, ort.Tensor> = {}
      blockLayout.maps.forEach((m, i) => {
        const both = new Float32Array(2 * samples[0][i].length)
        both.set(samples[0][i])
        both.set(samples[1][i], samples[0][i].length)
        feeds[m.name] = new ort.Tensor('float32', both, [2, m.channels, m.height, m.width])
      })
      const run = async (precision: 'fp32' | 'int8') => {
        const bytes = buildInterpreterOnnx(params, dims, blockLayout, { precision, probs: precision === 'fp32' })
        const { opTypes } = inspectOnnx(bytes)
        expect(opTypes).not.toContain('Sum')
        // upsampled maps are added by the fused convolution
        expect(opTypes.includes('com.microsoft:FusedConv')).toBe(blockLayout.maps.some((m) => m.height !== blockLayout.height || m.width !== blockLayout.width))
        const session = await ort.InferenceSession.create(Buffer.from(bytes))
        const out = await session.run(feeds)
        await session.release()
        return out
      }
      const out = await run('fp32')
      const int8 = await run('int8')
      const P = blockLayout.height * blockLayout.width
      const probs = out.probs.data as Float32Array
      const uncertainty = out.uncertainty.data as Float32Array
      let agree = 0
      samples.forEach((maps, n) => {
        const ts = predictSample(init.tf, params, dims, blockLayout, maps, { keepProbs: true })
        const mine = new Float32Array(dims.M * dims.K * P)
        for (let m = 0; m < dims.M; m++) for (let k = 0; k < dims.K; k++) for (let p = 0; p < P; p++) mine[(m * dims.K + k) * P + p] = ts.probs![(m * P + p) * dims.K + k]
        let spread = 0
        for (const v of mine) spread = Math.max(spread, Math.abs(v - 0.25))
        expect(spread).toBeGreaterThan(0.2) // the probabilities are far from uniform, so the comparison means something
        expect(maxAbsDiff(probs.subarray(n * mine.length, (n + 1) * mine.length), mine)).toBeLessThanOrEqual(1e-4)
        expect(maxAbsDiff(uncertainty.subarray(n * P, (n + 1) * P), ts.uncertainty)).toBeLessThanOrEqual(1e-4)
        const mask = (int8.mask.data as Uint8Array).subarray(n * P, (n + 1) * P)
        for (let p = 0; p < P; p++) if (mask[p] === ts.mask[p]) agree++
      })
      expect(agree / (2 * P)).toBeGreaterThan(0.95)
    })
  }

  it('bands the y upsampling exactly: each block of output rows reads only its own source rows', () => {
    expect([256, 512, 48, 16, 17].map(rowBlocks)).toEqual([16, 32, 3, 1, 1])
    // Row counts of the anchor layout's groups at 256² in 16 blocks: 128→10, 64→6, 32→4, 16→3, 8→2, 4→2.
    expect([128, 64, 32, 16, 8, 4].map((h) => rowBands(h, 256, 16).rows)).toEqual([10, 6, 4, 3, 2, 2])
    for (const [sizes, H, blocks] of [[[128, 64, 4], 256, 16], [[12, 7, 3], 48, 3], [[6, 16], 16, 1], [[5, 9], 20, 4]] as const) {
      const bands = sizes.map((h) => rowBands(h, H, blocks))
      const w = bandedYWeights(bands, H, blocks)
      const width = bands.reduce((a, b) => a + b.rows, 0)
      let offset = 0
      let worst = 0
      let outside = 0
      sizes.forEach((h, i) => {
        const dense = interpolationMatrix(h, H)
        const { rows, start } = bands[i]
        for (let o = 0; o < H; o++) {
          const b = Math.floor(o / (H / blocks))
          const row = new Float32Array(h) // the banded weights scattered back to source rows
          for (let j = 0; j < rows; j++) row[start[b] + j] += w[o * width + offset + j]
          for (let r = 0; r < h; r++) worst = Math.max(worst, Math.abs(row[r] - dense[o * h + r]))
          if (start[b] < 0 || start[b] + rows > h) outside++
        }
        offset += rows
      })
      expect(worst).toBeLessThanOrEqual(1e-6)
      expect(outside).toBe(0)
    }
  })
})
