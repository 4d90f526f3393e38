// The class-weighted L1 reconstruction loss (loss.reconClassWeights): per-pixel weights from
// the renderer's exact mask, scaled to mean 1 per image; weights of 1 are plain L1; the
// weighting and the fine-tuning learning-rate restart start at their steps and not before.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Scalar, Tensor, Tensor4D } from '@tensorflow/tfjs-core'
import type { Tf } from '../../../src/main/engine/tf/backend'
import { GanTrainer, openDataSource, parseGanConfig, pixelWeightMap, Prng, reconClassWeightTable, reconstructionL1 } from '../../../src/main/engine/gan'
import { render, sampleParams } from '../../../src/main/engine/render'
import { FACE_CLASSES } from '../../../src/shared/faceClasses'
import { maxAbsDiff, setupTf, tinyConfig } from './helpers'

let tf: Tf

beforeAll(async () => {
  tf = await setupTf()
})

const classId = (name: string): number => FACE_CLASSES.find((c) => c.name === name)!.id
const SUPERVISED = { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2 }

/** Value and gradient (w.r.t. fake) of the loss for fixed fake / real / weights. */
function lossAndGrad(fake: Float32Array, real: Float32Array, shape: [number, number, number, number], weights: Float32Array | null) {
  return tf.tidy(() => {
    const f = tf.tensor4d(fake, shape)
    const r = tf.tensor4d(real, shape)
    const w = weights ? tf.tensor4d(weights, [shape[0], shape[1], shape[2], 1]) : null
    const { value, grad } = tf.valueAndGrad((x: Tensor) => reconstructionL1(tf, x as Tensor4D, r, w) as Scalar)(f)
    return { value: value.dataSync()[0], grad: Float32Array.from(grad.dataSync()) }
  })
}

describe('class-weighted L1 reconstruction loss', () => {
  const shape: [number, number, number, number] = [2, 3, 3, 2]
  const n = shape.reduce((a, b) => a * b, 1)
  const prng = new Prng(3, 0)
  const fake = prng.normals(n)
  const real = prng.normals(n)

  it('with all weights 1 equals plain L1, value and gradient', () => {
    const plain = lossAndGrad(fake, real, shape, null)
    const ones = lossAndGrad(fake, real, shape, new Float32Array(2 * 3 * 3).fill(1))
    let expected = 0
    for (let i = 0; i < n; i++) expected += Math.abs(fake[i] - real[i])
    expect(plain.value).toBeCloseTo(expected / n, 6)
    expect(ones.value).toBeCloseTo(plain.value, 7)
    expect(maxAbsDiff(ones.grad, plain.grad)).toBeLessThan(1e-9)
  })

  it('a weighted pixel scales its gradient (every channel) by its weight', () => {
    const weights = new Float32Array(2 * 3 * 3).fill(1)
    const pixel = 4 // image 0, y 1, x 1
    weights[pixel] = 5
    const plain = lossAndGrad(fake, real, shape, null)
    const weighted = lossAndGrad(fake, real, shape, weights)
    for (let i = 0; i < n; i++) {
      const w = Math.floor(i / shape[3]) === pixel ? 5 : 1
      expect(weighted.grad[i], `element ${i}`).toBeCloseTo(w * plain.grad[i], 7)
      expect(Math.abs(weighted.grad[i])).toBeCloseTo(w / n, 7)
    }
    let expected = 0
    for (let i = 0; i < n; i++) expected += (Math.floor(i / shape[3]) === pixel ? 5 : 1) * Math.abs(fake[i] - real[i])
    expect(weighted.value).toBeCloseTo(expected / n, 6)
  })
})

describe('pixel weight maps from the mask', () => {
  it('weights the named classes, scales each map to mean 1, box-averages to smaller sizes', () => {
    const config = tinyConfig({ loss: { ...SUPERVISED, reconClassWeights: { iris: 9, pupil: 0 } } })
    const table = reconClassWeightTable(config)!
    expect(table[classId('iris')]).toBe(9)
    expect(table[classId('pupil')]).toBe(0)
    expect(table[classId('skin')]).toBe(1)
    // 4×4 mask: 2 iris pixels, 1 pupil, 13 skin → raw sum 2·9 + 0 + 13 = 31, mean 31/16.
    const mask = new Uint8Array(16).fill(classId('skin'))
    mask[0] = classId('iris')
    mask[1] = classId('iris')
    mask[5] = classId('pupil')
    const full = new Float32Array(16)
    pixelWeightMap(mask, 4, table, 4, full, 0)
    const scale = 16 / 31
    expect(full[0]).toBeCloseTo(9 * scale, 6)
    expect(full[5]).toBe(0)
    expect(full[15]).toBeCloseTo(scale, 6)
    expect(full.reduce((a, b) => a + b, 0) / 16).toBeCloseTo(1, 6)
    // At 2×2 each weight is its block's mean: top-left block = iris, iris, skin, pupil.
    const half = new Float32Array(5)
    pixelWeightMap(mask, 4, table, 2, half, 1)
    expect(half[0]).toBe(0)
    expect(half[1]).toBeCloseTo(((9 + 9 + 1 + 0) / 4) * (4 / (31 / 4)), 6)
    expect(half.slice(1).reduce((a, b) => a + b, 0) / 4).toBeCloseTo(1, 6)
  })

  it('plain L1 (no weights, or all 1) needs no mask', () => {
    expect(reconClassWeightTable(tinyConfig({ loss: SUPERVISED }))).toBeNull()
    expect(reconClassWeightTable(tinyConfig({ loss: { ...SUPERVISED, reconClassWeights: { iris: 1 } } }))).toBeNull()
  })

  it('the renderer source weights the pixels of the rendered mask and draws the same images', async () => {
    const overrides = { resolution: 64, data: { source: 'renderer' as const, seedStart: 500, count: 6, cacheSize: 0 } }
    const weighted = tinyConfig({ ...overrides, loss: { ...SUPERVISED, reconClassWeights: { sclera: 10, iris: 10, pupil: 10 } } })
    const plain = tinyConfig({ ...overrides, loss: SUPERVISED })
    const a = await (await openDataSource(weighted)).batch(new Prng(5, 0), 2)
    const b = await (await openDataSource(plain)).batch(new Prng(5, 0), 2)
    expect(b.pixelWeights).toBeNull()
    expect(maxAbsDiff(a.images.rgb, b.images.rgb)).toBe(0)
    expect(maxAbsDiff(a.images.nir, b.images.nir)).toBe(0)
    expect(maxAbsDiff(a.condition!, b.condition!)).toBe(0)
    // Which faces were drawn: the same PRNG draws, so re-derive the first one's mask.
    const index = new Prng(5, 0).int(6)
    const mask = render(sampleParams(500 + index), { size: 64, modalities: ['mask'] }).mask!
    const w = a.pixelWeights!.subarray(0, 64 * 64)
    const eye = [...mask.keys()].filter((i) => [classId('sclera'), classId('iris'), classId('pupil')].includes(mask[i]))
    expect(eye.length).toBeGreaterThan(0)
    const other = [...mask.keys()].find((i) => !eye.includes(i))!
    for (const i of eye) expect(w[i] / w[other]).toBeCloseTo(10, 5)
    expect(w.reduce((s, v) => s + v, 0) / w.length).toBeCloseTo(1, 4)
  })

  it('the config refuses unknown classes and class weights without renderer data', () => {
    expect(() => tinyConfig({ loss: { ...SUPERVISED, reconClassWeights: { eyes: 3 } as never } })).toThrow(/loss\.reconClassWeights/)
    expect(() => tinyConfig({ loss: { ...SUPERVISED, reconClassWeights: { iris: -1 } } })).toThrow(/loss\.reconClassWeights/)
    expect(() => tinyConfig({ loss: { ...SUPERVISED, reconClassWeights: { iris: 3 } }, data: { source: 'folder', path: '/tmp/x' } })).toThrow(
      /loss\.reconClassWeights: per-class weights need .*renderer data/
    )
    expect(() => parseGanConfig({ ...tinyConfig(), loss: { ...SUPERVISED, recon: 0, adversarial: 1, reconClassWeights: { iris: 3 } } })).toThrow(
      /per-class weights need the L1 reconstruction loss/
    )
  })
})

describe('fine-tuning phase', () => {
  it('class weights change training from loss.reconClassWeightsFromStep on, not before', async () => {
    const weighted = tinyConfig({ steps: 2, loss: { ...SUPERVISED, reconClassWeights: { iris: 10, lips: 10 }, reconClassWeightsFromStep: 1 } })
    const plain = tinyConfig({ steps: 2, loss: SUPERVISED })
    const a = await GanTrainer.create(tf, weighted, await openDataSource(weighted))
    const b = await GanTrainer.create(tf, plain, await openDataSource(plain))
    try {
      const a1 = await a.trainStep()
      const b1 = await b.trainStep()
      expect(a1.g_wl1_rgb).toBeUndefined()
      expect(a1.g_loss).toBe(b1.g_loss)
      const gA = a.weights('G')
      const gB = b.weights('G')
      for (const [k, v] of gA) expect(maxAbsDiff(v.data, gB.get(k)!.data), k).toBe(0)
      const a2 = await a.trainStep()
      const b2 = await b.trainStep()
      // g_l1_* stays plain L1 (the same as the plain run's); the weighted term drives G.
      expect(a2.g_l1_rgb).toBe(b2.g_l1_rgb)
      expect(a2.g_wl1_rgb).toBeGreaterThan(0)
      expect(a2.g_wl1_rgb).not.toBe(a2.g_l1_rgb)
      expect(a2.g_loss).toBeCloseTo(a2.g_wl1_rgb + a2.g_wl1_nir, 5)
      const moved = [...a.weights('G')].filter(([k, v]) => maxAbsDiff(v.data, b.weights('G').get(k)!.data) > 0)
      expect(moved.length).toBeGreaterThan(0)
    } finally {
      a.dispose()
      b.dispose()
    }
  })

  it('the learning rate restarts at optimizer.restartAtStep and falls to 0 at the last step', async () => {
    const factors = async (steps: number): Promise<number[]> => {
      const config = tinyConfig({ steps, loss: SUPERVISED })
      const c = { ...config, optimizer: { ...config.optimizer, rampDownSteps: 2, restartAtStep: 4, restartLrScale: 0.5 } }
      const trainer = await GanTrainer.create(tf, c, await openDataSource(c))
      const out: number[] = []
      try {
        for (let step = 0; step < steps; step++) {
          trainer.step = step
          out.push(trainer.learningRateFactor())
        }
      } finally {
        trainer.dispose()
      }
      return out
    }
    // Before step 4: a 4-step run's ramp-down; then 0.5 falling linearly to 0 at step 6.
    expect(await factors(6)).toEqual([1, 1, 1, 0.5, 0.5, 0.25])
    // A run no longer than restartAtStep has no fine-tuning phase (its own ramp-down).
    expect(await factors(3)).toEqual([1, 1, 0.5])
  })
})
