// The partial-sum formulation (first layer at native resolution, then upsampling) against the
// naive one (every map upsampled and concatenated per pixel): inference and training gradients.
import { describe, it, expect, beforeAll } from 'vitest'
import type { Tensor } from '@tensorflow/tfjs-core'
import { predictProbs } from '../../../src/main/engine/interpreter/inference'
import { naiveFeatures, naiveProbs } from '../../../src/main/engine/interpreter/naive'
import { BN_EPSILON, dimsFor, initParams, type EnsembleParams } from '../../../src/main/engine/interpreter/model'
import { InterpreterTrainer } from '../../../src/main/engine/interpreter/trainer'
import { bifaceganLayout, featureDim } from '../../../src/main/engine/interpreter/layout'
import { bankImageMaps } from '../../../src/main/engine/interpreter/evaluate'
import { OrtGemm } from '../../../src/main/engine/interpreter/gemm'
import { Rng } from '../../../src/main/engine/render/prng'
import type { TfInit } from '../../../src/main/engine/tf/backend'
import { maxAbsDiff, syntheticBank, tf as initTf, tinyLayout } from './helpers'

let init: TfInit
beforeAll(async () => {
  init = await initTf()
})

/** Random parameters with non-trivial BatchNorm statistics and larger weights. */
function randomParams(layout = tinyLayout(), M = 3, K = 3, seed = 9): { params: EnsembleParams; dims: ReturnType<typeof dimsFor> } {
  const dims = dimsFor(layout, K, M)
  const params = initParams(dims, seed)
  const rng = new Rng(seed)
  for (const n of ['w1', 'w2', 'w3'] as const) for (let i = 0; i < params[n].length; i++) params[n][i] *= 10
  for (const n of ['b1', 'be1', 'rm1', 'b2', 'be2', 'rm2', 'b3'] as const) for (let i = 0; i < params[n].length; i++) params[n][i] = rng.normal() * 0.3
  for (const n of ['g1', 'g2'] as const) for (let i = 0; i < params[n].length; i++) params[n][i] = 0.5 + rng.next()
  for (const n of ['rv1', 'rv2'] as const) for (let i = 0; i < params[n].length; i++) params[n][i] = 0.2 + rng.next()
  return { params, dims }
}

describe('inference with partial sums', () => {
  it('matches the naive upsample-and-concatenate MLP within 1e-4 (odd, non-square sizes)', async () => {
    const layout = tinyLayout()
    const { maps } = await syntheticBank(layout, 2)
    const { params, dims } = randomParams(layout)
    for (const m of maps.values()) {
      const fast = predictProbs(init.tf, params, dims, layout, m)
      const slow = naiveProbs(params, dims, naiveFeatures(layout, m), layout.height * layout.width)
      expect(maxAbsDiff(fast, slow)).toBeLessThanOrEqual(1e-4)
    }
  })

  it('matches on a reduced BiFaceGAN layout (conv0 + conv1 of 4² … 32²) with members in chunks', async () => {
    const layout = bifaceganLayout({ resolution: 32, channelDivisor: 32 })
    expect(layout.maps).toHaveLength(8)
    const { maps } = await syntheticBank(layout, 1)
    const { params, dims } = randomParams(layout, 4, 5)
    const m = [...maps.values()][0]
    const fast = predictProbs(init.tf, params, dims, layout, m, { maxBlockFloats: 32 * 32 * 128 })
    const slow = naiveProbs(params, dims, naiveFeatures(layout, m), 32 * 32)
    expect(maxAbsDiff(fast, slow)).toBeLessThanOrEqual(1e-4)
  })
})

/** Reference gradient: materialised D-wide features, the whole model in TensorFlow.js autodiff. */
function naiveGradients(tf: TfInit['tf'], params: EnsembleParams, dims: ReturnType<typeof dimsFor>, X: Float32Array, labels: Int32Array): Record<string, Float32Array> {
  const { M, D, H1, H2, K } = dims
  const B = labels.length
  const x = tf.tensor2d(X, [B, D])
  const onehot = tf.reshape(tf.oneHot(tf.tensor1d(labels, 'int32'), K), [1, B, K])
  const names = ['w1', 'b1', 'g1', 'be1', 'w2', 'b2', 'g2', 'be2', 'w3', 'b3'] as const
  const shapes: Record<string, number[]> = { w1: [D, M * H1], w2: [M, H1, H2], w3: [M, H2, K] }
  const inputs = names.map((n) => tf.tensor(params[n], shapes[n] ?? [params[n].length]))
  const f = (w1: Tensor, b1: Tensor, g1: Tensor, be1: Tensor, w2: Tensor, b2: Tensor, g2: Tensor, be2: Tensor, w3: Tensor, b3: Tensor) => {
    const a1 = tf.relu(tf.add(tf.matMul(x, w1), b1))
    const mu1 = tf.mean(a1, 0)
    const v1 = tf.mean(tf.square(tf.sub(a1, mu1)), 0)
    const n1 = tf.add(tf.mul(tf.div(tf.sub(a1, mu1), tf.sqrt(tf.add(v1, BN_EPSILON))), g1), be1)
    const x2 = tf.transpose(tf.reshape(n1, [B, M, H1]), [1, 0, 2])
    const a2 = tf.relu(tf.add(tf.matMul(x2, w2), tf.reshape(b2, [M, 1, H2])))
    const mu2 = tf.mean(a2, 1, true)
    const v2 = tf.mean(tf.square(tf.sub(a2, mu2)), 1, true)
    const n2 = tf.add(tf.mul(tf.div(tf.sub(a2, mu2), tf.sqrt(tf.add(v2, BN_EPSILON))), tf.reshape(g2, [M, 1, H2])), tf.reshape(be2, [M, 1, H2]))
    const logits = tf.add(tf.matMul(n2, w3), tf.reshape(b3, [M, 1, K]))
    return tf.sum(tf.mean(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1)), 1))
  }
  const grads = tf.grads(f as never)(inputs)
  const out: Record<string, Float32Array> = {}
  names.forEach((n, i) => (out[n] = grads[i].dataSync() as Float32Array))
  tf.dispose([...grads, ...inputs, x, onehot])
  return out
}

describe('training with on-the-fly features', () => {
  it('computes the same gradients through native partial sums, gathered pixels and the naive materialised features', async () => {
    const layout = tinyLayout()
    const { bank } = await syntheticBank(layout, 3)
    const config = { ensembleSize: 2, learningRate: 1e-3, batchSize: 300, stop: { kind: 'epochs' as const, epochs: 1 }, sampling: 'uniform' as const, seed: 4 }
    const native = new InterpreterTrainer(init.tf, bank, 3, config, { strategy: 'native' })
    const pixel = new InterpreterTrainer(init.tf, bank, 3, config, { strategy: 'pixel' })
    expect(native.strategies.filter((s) => s.strategy === 'native').length).toBeGreaterThan(0)
    expect(pixel.strategies.every((s) => s.strategy === 'pixel')).toBe(true)
    const batch = native.firstBatch()
    expect(batch.length).toBe(300)
    const a = await native.gradients(batch)
    const b = await pixel.gradients(batch)

    // Naive: every batch pixel's D-wide vector from the upsampled maps.
    const D = featureDim(layout)
    const HW = layout.height * layout.width
    const X = new Float32Array(batch.length * D)
    const labels = new Int32Array(batch.length)
    const full = bank.images.map((im) => naiveFeatures(layout, bankImageMaps(bank, im)))
    batch.forEach((g, i) => {
      const n = Math.floor(g / HW)
      const q = g % HW
      X.set(full[n].subarray(q * D, (q + 1) * D), i * D)
      labels[i] = bank.images[n].labels[q]
    })
    const ref = naiveGradients(init.tf, native.params, native.dims, X, labels)
    for (const name of Object.keys(ref)) {
      const scale = Math.max(1e-3, ...Array.from(ref[name], Math.abs))
      expect(maxAbsDiff(a.grads[name as keyof typeof a.grads], ref[name]) / scale, `native ${name}`).toBeLessThanOrEqual(1e-4)
      expect(maxAbsDiff(b.grads[name as keyof typeof b.grads], ref[name]) / scale, `pixel ${name}`).toBeLessThanOrEqual(1e-4)
    }
    await native.dispose()
    await pixel.dispose()
  })

  it('gives a stopped member no gradient and leaves the others as they were', async () => {
    const layout = tinyLayout()
    const { bank } = await syntheticBank(layout, 2)
    const config = { ensembleSize: 3, learningRate: 1e-3, batchSize: 200, stop: { kind: 'epochs' as const, epochs: 1 }, sampling: 'uniform' as const, seed: 2 }
    const trainer = new InterpreterTrainer(init.tf, bank, 3, config)
    const batch = trainer.firstBatch()
    // Copied: the trainer reuses its largest gradient buffer from one call to the next.
    const all = structuredClone(await trainer.gradients(batch))
    const some = await trainer.gradients(batch, [true, false, true])
    const { M, H1 } = trainer.dims
    for (const name of ['w1', 'b1', 'g1', 'be1', 'w2', 'b2', 'g2', 'be2', 'w3', 'b3'] as const) {
      const per = all.grads[name].length / M
      // w1 is [D, M·H1] (members side by side in each row); the others are member-major.
      const member = (g: Float32Array, m: number) => (name === 'w1' ? g.filter((_, i) => Math.floor((i % (M * H1)) / H1) === m) : g.subarray(m * per, (m + 1) * per))
      expect(Array.from(member(some.grads[name], 1)).every((v) => v === 0), `member 1 ${name} is zero`).toBe(true)
      expect(Array.from(member(all.grads[name], 1)).some((v) => v !== 0), `member 1 ${name} is non-zero when active`).toBe(true)
      for (const m of [0, 2]) expect(maxAbsDiff(member(some.grads[name], m), member(all.grads[name], m)), `member ${m} ${name}`).toBeLessThanOrEqual(1e-6)
    }
    // Its loss is still reported.
    expect(some.loss[1]).toBeCloseTo(all.loss[1], 6)
    await trainer.dispose()
  })

  it('gives the same steps with the onnxruntime engine as with TensorFlow.js', async () => {
    const layout = tinyLayout()
    const { bank } = await syntheticBank(layout, 2)
    const config = { ensembleSize: 2, learningRate: 1e-3, batchSize: 128, stop: { kind: 'epochs' as const, epochs: 1 }, sampling: 'uniform' as const, seed: 1 }
    const ort = await OrtGemm.create(1)
    const a = new InterpreterTrainer(init.tf, bank, 3, config)
    const b = new InterpreterTrainer(init.tf, bank, 3, config, { gemm: ort })
    for (let i = 0; i < 3; i++) {
      await a.step()
      await b.step()
    }
    expect(maxAbsDiff(a.params.w1, b.params.w1)).toBeLessThanOrEqual(1e-5)
    expect(maxAbsDiff(a.params.w3, b.params.w3)).toBeLessThanOrEqual(1e-5)
    await a.dispose()
    await b.dispose()
    await ort.dispose()
  })
})
