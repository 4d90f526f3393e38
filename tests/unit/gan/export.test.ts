// ONNX export of a trained generator: the graph run in onnxruntime-node matches the tfjs
// network (max abs difference ≤ 1e-4) on random latents, for every modality and feature map,
// and generator.json is valid and matches the graph.
import { beforeAll, describe, expect, it } from 'vitest'
import * as ort from 'onnxruntime-node'
import type { Tensor, Tensor4D } from '@tensorflow/tfjs-core'
import type { Tf } from '../../../src/main/engine/tf/backend'
import { GanTrainer, Prng, exportGeneratorOnnx, generatorForward, openDataSource, type GanConfig } from '../../../src/main/engine/gan'
import { GeneratorManifestSchema } from '../../../src/shared/generator'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import { assertManifestMatchesGraph } from '../../../src/main/engine/onnx/manifest'
import { setupTf, tinyConfig } from './helpers'

let tf: Tf

beforeAll(async () => {
  tf = await setupTf()
})

/** NHWC tfjs values vs an NCHW onnxruntime output. */
function nchwDiff(onnx: ort.Tensor, nhwc: Float32Array): number {
  const [n, c, h, w] = onnx.dims as number[]
  const a = onnx.data as Float32Array
  let d = 0
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) d = Math.max(d, Math.abs(a[((i * c + ch) * h + y) * w + x] - nhwc[((i * h + y) * w + x) * c + ch]))
  return d
}

async function checkExport(config: GanConfig, psi: number): Promise<void> {
  const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
  try {
    await trainer.trainStep()
    await trainer.trainStep()
    const weights = trainer.weights('G_ema')
    const buffers = trainer.generatorBuffers()
    const exported = exportGeneratorOnnx({ config, weights, buffers })
    const manifest = GeneratorManifestSchema.parse(exported.manifest)
    assertManifestMatchesGraph(manifest, inspectOnnx(exported.onnx))
    expect(manifest.modalities.map((m) => [m.id, m.channels, m.resolution])).toEqual(config.modalities.map((m) => [m.id, m.channels, config.resolution]))
    expect(manifest.features.map((f) => f.name)).toEqual(trainer.arch.layers.map((l) => l.name))

    // Random latents, conditions and noise (not the studio's seeds: any input must match).
    const n = 3
    const prng = new Prng(99)
    const z = prng.normals(n * config.latentSize)
    const c = config.conditional ? Float32Array.from(prng.normals(n * trainer.conditionSize), (v, i) => v * 0.3 + buffers.condMean![i % trainer.conditionSize]) : null
    const noise = trainer.arch.layers.map((l) => prng.normals(n * l.res * l.res))
    const feeds: Record<string, ort.Tensor> = {
      z: new ort.Tensor('float32', z, [n, config.latentSize]),
      psi: new ort.Tensor('float32', Float32Array.of(psi), [])
    }
    if (c) feeds.c = new ort.Tensor('float32', c, [n, trainer.conditionSize])
    if (manifest.noise.kind === 'explicit') {
      manifest.noise.inputs.forEach((input, i) => {
        feeds[input.name] = new ort.Tensor('float32', noise[i], [n, ...input.shape])
      })
    }
    const session = await ort.InferenceSession.create(exported.onnx)
    const out = await session.run(feeds)

    const reference = tf.tidy(() => {
      const p: Record<string, Tensor> = {}
      for (const [k, w] of weights) p[k] = tf.tensor(w.data, w.shape)
      const result = generatorForward(
        tf,
        p,
        {
          wAvg: tf.tensor1d(buffers.wAvg),
          condMean: buffers.condMean ? tf.tensor1d(buffers.condMean) : undefined,
          condInvStd: buffers.condStd ? tf.tensor1d(buffers.condStd.map((s) => 1 / s)) : undefined
        },
        config,
        {
          z: tf.tensor2d(z, [n, config.latentSize]),
          c: c ? tf.tensor2d(c, [n, trainer.conditionSize]) : null,
          noise: config.export.noise === 'explicit' ? trainer.arch.layers.map((l, i) => tf.tensor4d(noise[i], [n, l.res, l.res, 1])) : null,
          psi
        },
        trainer.arch
      )
      const values: Record<string, Float32Array> = {}
      for (const [k, t] of Object.entries({ ...result.images, ...result.features })) values[k] = Float32Array.from((t as Tensor4D).dataSync())
      return values
    })
    for (const m of manifest.modalities) {
      expect(out[m.output].dims).toEqual([n, m.channels, config.resolution, config.resolution])
      expect(nchwDiff(out[m.output], reference[m.id]), m.id).toBeLessThanOrEqual(1e-4)
    }
    for (const f of manifest.features) expect(nchwDiff(out[f.name], reference[f.name]), f.name).toBeLessThanOrEqual(1e-4)
    // The outputs are not trivially small (the comparison means something).
    expect(Math.max(...Array.from(reference[config.modalities[0].id], Math.abs))).toBeGreaterThan(0.05)
  } finally {
    trainer.dispose()
  }
}

describe('exportGeneratorOnnx', () => {
  it('conditional, explicit noise, ψ = 0.7: onnxruntime matches tfjs within 1e-4', async () => {
    await checkExport(tinyConfig({ resolution: 16, export: { noise: 'explicit', truncation: 0.7 } }), 0.7)
  })

  it('unconditional, no noise, const input: onnxruntime matches tfjs within 1e-4', async () => {
    await checkExport(
      tinyConfig({
        conditional: false,
        inputFromW: false,
        loss: { adversarial: 1, recon: 0, r1Gamma: 1, r1Interval: 4 },
        modalities: [
          { id: 'rgb', channels: 3, ganWeight: 1, reconWeight: 1 },
          { id: 'nir', channels: 1, ganWeight: 0.1, reconWeight: 1 },
          { id: 'sketch', channels: 1, ganWeight: 0.5, reconWeight: 1 }
        ],
        export: { noise: 'none', truncation: 1 }
      }),
      1
    )
  })
})
