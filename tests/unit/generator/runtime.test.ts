import { describe, it, expect, afterAll } from 'vitest'
import { GeneratorRuntime, GeneratorRunError } from '../../../src/main/engine/generator/runtime'
import { recipeForSeed, resolveVector } from '../../../src/main/engine/generator/recipe'
import { outputToPixels } from '../../../src/main/engine/generator/pixels'
import { createSession } from '../../../src/main/engine/generator/providers'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { OnnxFormatError } from '../../../src/main/engine/onnx/inspect'
import { ManifestMismatchError } from '../../../src/main/engine/onnx/manifest'
import { encodePng } from '../../../src/main/engine/io/png'
import { PARAM_VECTOR_LENGTH, paramsToVector, sampleParams } from '../../../src/main/engine/render'

const opened: GeneratorRuntime[] = []
async function open(options: Parameters<typeof buildToyGenerator>[0] = {}): Promise<GeneratorRuntime> {
  const toy = buildToyGenerator({ resolution: 16, ...options })
  const runtime = await GeneratorRuntime.open(toy)
  opened.push(runtime)
  return runtime
}
afterAll(async () => {
  for (const r of opened) await r.release()
})

const png = (image: { width: number; height: number; channels: 1 | 3; data: Uint8Array }) => Buffer.from(encodePng(image))

describe('GeneratorRuntime', () => {
  it('the same generator, seed, ψ and noise give byte-identical PNGs, in another session too', async () => {
    for (const noise of ['seed', 'explicit', 'none'] as const) {
      const a = await open({ noise })
      const b = await open({ noise })
      const recipe = recipeForSeed(a.manifest, 0.6)
      const seeds = [0, 1, 2, 3, 1000, 2 ** 31 - 1]
      const first = await a.run(seeds.map((seed) => ({ seed, recipe })), {}, 4)
      const again = await a.run(seeds.map((seed) => ({ seed, recipe })), {}, 4)
      const other = await b.run(seeds.map((seed) => ({ seed, recipe })), {}, 1) // other batching too
      for (let i = 0; i < seeds.length; i++) {
        for (const m of ['rgb', 'nir']) {
          expect(png(first[i].images[m]).equals(png(again[i].images[m]))).toBe(true)
          expect(png(first[i].images[m]).equals(png(other[i].images[m]))).toBe(true)
        }
      }
      // Different seeds give different images.
      expect(png(first[0].images.rgb).equals(png(first[1].images.rgb))).toBe(false)
    }
  })

  it('ψ changes the output, and batches are split where ψ changes', async () => {
    const runtime = await open()
    const half = recipeForSeed(runtime.manifest, 0.5)
    const one = recipeForSeed(runtime.manifest, 1)
    expect(recipeForSeed(runtime.manifest).truncation).toBe(0.7) // the manifest's default
    const [a, b, c] = await runtime.run([
      { seed: 4, recipe: half },
      { seed: 4, recipe: one },
      { seed: 4, recipe: half }
    ])
    expect(Buffer.from(a.images.rgb.data).equals(Buffer.from(b.images.rgb.data))).toBe(false)
    expect(Buffer.from(a.images.rgb.data).equals(Buffer.from(c.images.rgb.data))).toBe(true)
  })

  it('returns images in the manifest layout and feature maps only when asked', async () => {
    const runtime = await open()
    const recipe = recipeForSeed(runtime.manifest)
    const [plain] = await runtime.run([{ seed: 3, recipe }])
    expect(plain.images.rgb).toMatchObject({ width: 16, height: 16, channels: 3 })
    expect(plain.images.rgb.data.length).toBe(16 * 16 * 3)
    expect(plain.images.nir.data.length).toBe(16 * 16)
    expect(plain.features).toEqual({})
    const [withFeatures] = await runtime.run([{ seed: 3, recipe }], { features: true })
    expect(Object.keys(withFeatures.features)).toEqual(['b8.conv0', 'b16.conv0'])
    expect(withFeatures.features['b8.conv0'].shape).toEqual([1, 12, 8, 8])
    expect(withFeatures.features['b16.conv0'].data.length).toBe(8 * 16 * 16)
    expect(Buffer.from(withFeatures.images.rgb.data).equals(Buffer.from(plain.images.rgb.data))).toBe(true)
    const [onlyLow] = await runtime.run([{ seed: 3, recipe }], { images: false, features: ['b8.conv0'] })
    expect(Object.keys(onlyLow.images)).toEqual([])
    expect(Array.from(onlyLow.features['b8.conv0'].data)).toEqual(Array.from(withFeatures.features['b8.conv0'].data))
    await expect(runtime.run([{ seed: 3, recipe }], { features: ['b99.conv1'] })).rejects.toThrow('feature "b99.conv1" is not in the generator')
  })

  it('draws the renderer-params condition from sampleParams(seed)', async () => {
    const runtime = await open({ conditionSize: PARAM_VECTOR_LENGTH })
    const recipe = recipeForSeed(runtime.manifest)
    expect(recipe.condition).toMatchObject({ prior: 'renderer-params', sampler: 'renderer-params-v1' })
    expect(Array.from(resolveVector(recipe.condition!, 9, 'condition'))).toEqual(Array.from(Float32Array.from(paramsToVector(sampleParams(9)))))
    const [a, b] = await runtime.run([
      { seed: 9, recipe },
      { seed: 10, recipe }
    ])
    expect(Buffer.from(a.images.rgb.data).equals(Buffer.from(b.images.rgb.data))).toBe(false)
  })

  it('refuses a recipe that does not fit the generator', async () => {
    const runtime = await open()
    const other = buildToyGenerator({ latentSize: 4 })
    await expect(runtime.run([{ seed: 1, recipe: recipeForSeed(other.manifest) }])).rejects.toThrow(GeneratorRunError)
    await expect(runtime.run([{ seed: 1, recipe: recipeForSeed(other.manifest) }])).rejects.toThrow('the latent has 4 values, the generator wants 8')
  })

  it('checks the manifest against the graph when it opens: a mismatch names the tensor', async () => {
    const toy = buildToyGenerator()
    const missingFeature = { ...toy.manifest, features: [...toy.manifest.features, { name: 'b16.conv1', channels: 8, resolution: 16 }] }
    await expect(GeneratorRuntime.open({ onnx: toy.onnx, manifest: missingFeature })).rejects.toThrow(ManifestMismatchError)
    await expect(GeneratorRuntime.open({ onnx: toy.onnx, manifest: missingFeature })).rejects.toThrow('feature output "b16.conv1" is not an output of the graph')
    const wrongLatent = { ...toy.manifest, latent: { ...toy.manifest.latent, size: 9 } }
    await expect(GeneratorRuntime.open({ onnx: toy.onnx, manifest: wrongLatent })).rejects.toThrow('latent input "z" has size 8 in the graph, the manifest says size 9')
    await expect(GeneratorRuntime.open({ onnx: toy.onnx.subarray(0, 100), manifest: toy.manifest })).rejects.toThrow(OnnxFormatError)
  })
})

describe('execution providers', () => {
  it('falls back to the CPU with a message when a provider cannot start', async () => {
    const toy = buildToyGenerator()
    const lines: string[] = []
    const created = await createSession(toy.onnx, { setting: 'cuda', log: (text) => lines.push(text) })
    // CUDA is not installed on the test machines (onnxruntime-node-install=skip); where it is, it is used.
    if (created.provider === 'cpu') {
      expect(created.fallback).toMatch(/execution provider "cuda" (is not available|failed to start)/)
      expect(lines.join('\n')).toContain('using the CPU')
    }
    await created.session.release()
  })
})

describe('output to pixels', () => {
  it('maps the range to 0..255, clamps and rounds half up', () => {
    const data = Float32Array.of(-1, 1, 0, -2, 2, NaN)
    expect(Array.from(outputToPixels(data, 0, 1, 1, 6, [-1, 1]))).toEqual([0, 255, 128, 0, 255, 0])
    // Exact halves (range [0, 255] maps values to themselves): round half up.
    const halves = Float32Array.of(0.5, 1.5, 2.5, 0.49, 254.5, 254.49)
    expect(Array.from(outputToPixels(halves, 0, 1, 1, 6, [0, 255]))).toEqual([1, 2, 3, 0, 255, 254])
    // NCHW to interleaved HWC.
    const rgb = Float32Array.of(0, 0, 0.5, 0.5, 1, 1)
    expect(Array.from(outputToPixels(rgb, 0, 3, 1, 2, [0, 1]))).toEqual([0, 128, 255, 0, 128, 255])
  })
})
