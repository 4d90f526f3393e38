// The generator trainer: a few steps on tiny sizes train every network with finite losses,
// R1's double back-propagation is right, and a resumed run is bit-identical to an
// uninterrupted one.
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core'
import type { Tf } from '../../../src/main/engine/tf/backend'
import {
  GanTrainer,
  decodeCheckpoint,
  discriminatorForward,
  discriminatorSpecs,
  encodeCheckpoint,
  initialWeights,
  openDataSource,
  Prng,
  type WeightMap
} from '../../../src/main/engine/gan'
import { maxAbsDiff, setupTf, tinyConfig } from './helpers'

let tf: Tf

beforeAll(async () => {
  tf = await setupTf()
})

function changed(before: WeightMap, after: WeightMap): string[] {
  return [...before.keys()].filter((k) => maxAbsDiff(before.get(k)!.data, after.get(k)!.data) > 0)
}

describe('GanTrainer', () => {
  it('trains G, G_ema and one D per modality with finite losses and R1 on every D', async () => {
    const config = tinyConfig()
    const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
    try {
      const g0 = trainer.weights('G')
      const e0 = trainer.weights('G_ema')
      const d0 = { rgb: trainer.weights('D.rgb'), nir: trainer.weights('D.nir') }
      const tensorsBefore = tf.memory().numTensors
      const m1 = await trainer.trainStep()
      const afterOne = tf.memory().numTensors
      const m2 = await trainer.trainStep()
      // No tensor leaks from one step to the next.
      expect(tf.memory().numTensors).toBe(afterOne)
      expect(afterOne).toBe(tensorsBefore)
      for (const m of [m1, m2]) for (const [k, v] of Object.entries(m)) expect(Number.isFinite(v), k).toBe(true)
      // Step 0 is an R1 step (interval 2): both discriminators were penalised.
      expect(m1.r1_rgb).toBeGreaterThan(0)
      expect(m1.r1_nir).toBeGreaterThan(0)
      expect(m2.r1_rgb).toBeUndefined()
      for (const key of ['g_loss', 'g_adv_rgb', 'g_adv_nir', 'g_l1_rgb', 'g_l1_nir', 'd_loss_rgb', 'd_loss_nir']) expect(m1[key], key).toBeGreaterThan(0)

      const g1 = trainer.weights('G')
      // Every generator parameter moves (Adam), G_ema follows, both discriminators move.
      expect(changed(g0, g1).length).toBeGreaterThan(g0.size * 0.9)
      expect(changed(e0, trainer.weights('G_ema')).length).toBeGreaterThan(0)
      expect(changed(d0.rgb, trainer.weights('D.rgb')).length).toBe(d0.rgb.size)
      expect(changed(d0.nir, trainer.weights('D.nir')).length).toBe(d0.nir.size)
      expect(trainer.state()).toMatchObject({ step: 2, imagesSeen: 4 })
    } finally {
      trainer.dispose()
    }
  })

  it('supervised runs (adversarial 0) have no discriminators', async () => {
    const config = tinyConfig({ loss: { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2 } })
    const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
    try {
      const m = await trainer.trainStep()
      expect(Object.keys(m).filter((k) => k.startsWith('d_'))).toEqual([])
      expect(trainer.discriminated()).toEqual([])
      expect([...trainer.checkpointContents().tensors.keys()].some((k) => k.startsWith('D.'))).toBe(false)
    } finally {
      trainer.dispose()
    }
  })

  it('a supervised warm-up (loss.adversarialFromStep) leaves the discriminators untouched until its last step', async () => {
    const config = tinyConfig({ steps: 4, loss: { adversarial: 1, recon: 1, r1Gamma: 1, r1Interval: 2, adversarialFromStep: 2 } })
    const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
    try {
      const d0 = trainer.weights('D.rgb')
      expect(trainer.adversarialActive()).toBe(false)
      const warmUp = [await trainer.trainStep(), await trainer.trainStep()]
      for (const m of warmUp) {
        expect(Object.keys(m).filter((k) => k.startsWith('d_') || k.startsWith('g_adv_') || k.startsWith('r1_'))).toEqual([])
        expect(m.g_l1_rgb).toBeGreaterThan(0)
      }
      expect(changed(d0, trainer.weights('D.rgb'))).toEqual([])
      expect(trainer.checkpointContents().header.optimizerSteps).toEqual({ G: 2, 'D.rgb': 0, 'D.nir': 0 })
      expect(trainer.adversarialActive()).toBe(true)
      const adversarial = await trainer.trainStep()
      expect(adversarial.g_adv_rgb).toBeGreaterThan(0)
      expect(adversarial.r1_nir).toBeGreaterThan(0)
      expect(changed(d0, trainer.weights('D.rgb')).length).toBe(d0.size)
    } finally {
      trainer.dispose()
    }
    expect(() => tinyConfig({ loss: { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2, adversarialFromStep: 5 } })).toThrow(/loss\.adversarialFromStep: a delayed adversarial phase needs/)
  })

  it('the learning rate ramps down linearly over the last optimizer.rampDownSteps steps', async () => {
    const config = tinyConfig({ steps: 4, loss: { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2 } })
    const ramped = { ...config, optimizer: { ...config.optimizer, rampDownSteps: 2 } }
    const trainer = await GanTrainer.create(tf, ramped, await openDataSource(ramped))
    try {
      const factors: number[] = []
      for (let i = 0; i < 4; i++) {
        factors.push(trainer.learningRateFactor())
        await trainer.trainStep()
      }
      expect(factors).toEqual([1, 1, 1, 0.5])
    } finally {
      trainer.dispose()
    }
    // A ramp longer than the run (a preset run shortened in the form) spans the whole run.
    const long = { ...config, optimizer: { ...config.optimizer, rampDownSteps: 8 } }
    const shortRun = await GanTrainer.create(tf, long, await openDataSource(long))
    try {
      const factors: number[] = []
      for (let i = 0; i < 4; i++) {
        factors.push(shortRun.learningRateFactor())
        await shortRun.trainStep()
      }
      expect(factors).toEqual([1, 0.75, 0.5, 0.25])
    } finally {
      shortRun.dispose()
    }
    // Without a ramp-down the factor stays 1.
    const constant = await GanTrainer.create(tf, config, await openDataSource(config))
    expect(constant.learningRateFactor()).toBe(1)
    constant.dispose()
  })

  it("R1's gradient (tf.grad inside tf.variableGrads) matches finite differences", () => {
    const config = tinyConfig({ conditional: false, loss: { adversarial: 1, recon: 0, r1Gamma: 1, r1Interval: 1 } })
    const weights = initialWeights(discriminatorSpecs(config, 1, 0), new Prng(3))
    const vars: Record<string, ReturnType<Tf['variable']>> = {}
    for (const [k, w] of weights) vars[k] = tf.variable(tf.tensor(w.data, w.shape))
    const real = tf.tensor4d(new Prng(4).normals(2 * 8 * 8), [2, 8, 8, 1])
    const r1 = (): Tensor => {
      const g = tf.grad((x: Tensor) => tf.sum(discriminatorForward(tf, vars, config, x as Tensor4D)))(real)
      return tf.mean(tf.sum(tf.square(g), [1, 2, 3]))
    }
    try {
      const name = 'b8.conv0.weight'
      const { grads } = tf.variableGrads(r1 as () => ReturnType<Tf['scalar']>, [vars[name]])
      const analytic = grads[vars[name].name].dataSync()
      const base = Float32Array.from(vars[name].dataSync())
      const h = 1e-2
      for (const i of [0, 7, 31]) {
        const at = (delta: number): number => {
          const p = base.slice()
          p[i] += delta
          vars[name].assign(tf.tensor(p, vars[name].shape))
          return tf.tidy(() => r1().dataSync()[0])
        }
        const numeric = (at(h) - at(-h)) / (2 * h)
        expect(Math.abs(numeric - analytic[i])).toBeLessThan(0.05 * Math.max(1e-3, Math.abs(numeric)) + 2e-4)
      }
      expect(Math.max(...Array.from(analytic, Math.abs))).toBeGreaterThan(0)
    } finally {
      Object.values(vars).forEach((v) => v.dispose())
      real.dispose()
    }
  })

  it('a resumed run is bit-identical to an uninterrupted one (weights, G_ema, Adam, PRNG)', async () => {
    const config = tinyConfig()
    const straight = await GanTrainer.create(tf, config, await openDataSource(config))
    for (let i = 0; i < 3; i++) await straight.trainStep()
    const expected = straight.checkpointContents()
    straight.dispose()

    const first = await GanTrainer.create(tf, config, await openDataSource(config))
    for (let i = 0; i < 2; i++) await first.trainStep()
    // Through the on-disk format.
    const saved = decodeCheckpoint(encodeCheckpoint(first.checkpointContents()))
    first.dispose()
    const resumed = GanTrainer.fromCheckpoint(tf, saved, await openDataSource(config))
    await resumed.trainStep()
    const actual = resumed.checkpointContents()
    resumed.dispose()

    expect(actual.header.step).toBe(3)
    expect(actual.header.prng).toEqual(expected.header.prng)
    expect(actual.header.optimizerSteps).toEqual(expected.header.optimizerSteps)
    expect([...actual.tensors.keys()].sort()).toEqual([...expected.tensors.keys()].sort())
    const differing = [...expected.tensors.keys()].filter((k) => maxAbsDiff(expected.tensors.get(k)!.data, actual.tensors.get(k)!.data) !== 0)
    expect(differing).toEqual([])
    expect([...expected.tensors.keys()].some((k) => k.startsWith('opt.D.nir/v/'))).toBe(true)
  })
})
