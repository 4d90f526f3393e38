import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  computeFeatures,
  featureCachePath,
  featureCacheValid,
  invalidateFeatureCache,
  releaseFeatureRuntimes,
  GeneratorChangedError,
  FeaturesUnavailableError
} from '../../../src/main/services/generatorFeatures'
import { readFeatureCacheHeader, recipeHash } from '../../../src/main/engine/generator/featureCache'
import { GeneratorRuntime } from '../../../src/main/engine/generator/runtime'
import { recipeForSeed } from '../../../src/main/engine/generator/recipe'
import { float16BitsToFloat32, float32ToFloat16Bits } from '../../../src/main/engine/generator/float16'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { sampleIdForGenerator } from '../../../src/main/services/sampleStore'
import { sha256Hex } from '../../../src/main/services/generatorStore'
import { tempStudio, toyUpload, waitForJobs } from './helpers'

let studio: Awaited<ReturnType<typeof tempStudio>>
let dir: string
let sha: string
const TOY = { resolution: 16 }

beforeAll(async () => {
  studio = await tempStudio('tl-features-')
  dir = await studio.project('Features')
  sha = (await studio.backend.call('models.attachGenerator', toyUpload(TOY))).attached.ref.sha256
  await studio.backend.call('samples.generate', { count: 3, seedStart: 0 })
  await waitForJobs(studio.backend)
})
afterAll(async () => {
  await releaseFeatureRuntimes()
  await studio.cleanup()
})

async function reference(seed: number, options = TOY): Promise<Record<string, Float32Array>> {
  const toy = buildToyGenerator(options)
  const runtime = await GeneratorRuntime.open(toy)
  const [sample] = await runtime.run([{ seed, recipe: recipeForSeed(toy.manifest) }], { images: false, features: true })
  await runtime.release()
  return Object.fromEntries(Object.entries(sample.features).map(([name, f]) => [name, f.data]))
}

const f16 = (values: Float32Array) => Array.from(values, (v) => float16BitsToFloat32(float32ToFloat16Bits(v)))

async function annotate(id: string): Promise<void> {
  await studio.backend.call('annotations.save', { sampleId: id, width: 16, height: 16, labels: new Uint8Array(256).fill(1), status: 'done' })
}

describe('computeFeatures', () => {
  it('rebuilds the feature maps of an unannotated sample from sample.json, exactly, without caching them', async () => {
    const id = sampleIdForGenerator(sha, 0)
    const result = await computeFeatures(dir, id)
    expect(result).toMatchObject({ sampleId: id, seed: 0, generatorSha256: sha, names: ['b8.conv0', 'b16.conv0'], precision: 'float32', source: 'computed' })
    expect(result.features.get('b8.conv0')!.shape).toEqual([1, 12, 8, 8])
    expect(result.features.get('b16.conv0')!.shape).toEqual([1, 8, 16, 16])
    const ref = await reference(0)
    expect(Array.from(result.features.get('b8.conv0')!.data)).toEqual(Array.from(ref['b8.conv0']))
    expect(Array.from(result.features.get('b16.conv0')!.data)).toEqual(Array.from(ref['b16.conv0']))
    expect(existsSync(featureCachePath(dir, id))).toBe(false)
    const subset = await computeFeatures(dir, id, { names: ['b16.conv0'] })
    expect(subset.names).toEqual(['b16.conv0'])
    await expect(computeFeatures(dir, id, { names: ['b4.conv1'] })).rejects.toThrow(FeaturesUnavailableError)
  })

  it('caches an annotated sample as float16 and reads the cache back', async () => {
    const id = sampleIdForGenerator(sha, 1)
    await annotate(id)
    const first = await computeFeatures(dir, id)
    expect(first).toMatchObject({ precision: 'float16', source: 'computed' })
    const header = await readFeatureCacheHeader(featureCachePath(dir, id))
    expect(header).toMatchObject({ format: 'twinlight-features', version: 1, sampleId: id, seed: 1, generatorSha256: sha, dtype: 'float16' })
    expect(header!.features.map((f) => [f.name, f.shape, f.offset])).toEqual([
      ['b8.conv0', [1, 12, 8, 8], 0],
      ['b16.conv0', [1, 8, 16, 16], 768]
    ])
    // float16 values of the exact features; the cache file holds them.
    const ref = await reference(1)
    expect(Array.from(first.features.get('b8.conv0')!.data)).toEqual(f16(ref['b8.conv0']))
    const second = await computeFeatures(dir, id)
    expect(second.source).toBe('cache')
    expect(Array.from(second.features.get('b16.conv0')!.data)).toEqual(Array.from(first.features.get('b16.conv0')!.data))
    const size = (await readFile(featureCachePath(dir, id))).length
    expect(size).toBeGreaterThanOrEqual((768 + 2048) * 2)
    expect(size).toBeLessThan((768 + 2048) * 2 + 1024)
    expect(await featureCacheValid(dir, id)).toBe(true)
    expect((await computeFeatures(dir, id, { cache: 'never' })).precision).toBe('float32')
    await invalidateFeatureCache(dir, id)
    expect(existsSync(featureCachePath(dir, id))).toBe(false)
  })

  it('recomputes when the generator changes (hash mismatch), and refuses a silently changed generator file', async () => {
    const id = sampleIdForGenerator(sha, 2)
    await annotate(id)
    await computeFeatures(dir, id)
    expect((await computeFeatures(dir, id)).source).toBe('cache')
    const samplePath = join(dir, 'samples', id, 'sample.json')
    const sample = JSON.parse(await readFile(samplePath, 'utf8'))
    const generatorPath = join(dir, sample.generator.path)
    const original = await readFile(generatorPath)

    // Another generator at the same path: the sample no longer matches what was painted.
    const other = buildToyGenerator({ ...TOY, weightSeed: 7 })
    await writeFile(generatorPath, other.onnx)
    await expect(computeFeatures(dir, id)).rejects.toThrow(GeneratorChangedError)
    expect(await featureCacheValid(dir, id)).toBe(false)

    // Asked to go ahead anyway: the cache (made with the old hash) is not used.
    const forced = await computeFeatures(dir, id, { allowChangedGenerator: true })
    expect(forced).toMatchObject({ source: 'computed', generatorSha256: sha256Hex(other.onnx) })
    expect(Array.from(forced.features.get('b8.conv0')!.data)).toEqual(f16((await reference(2, { ...TOY, weightSeed: 7 } as typeof TOY))['b8.conv0']))

    // The sample regenerated with the new generator (sample.json names its hash): the cache follows it.
    await writeFile(samplePath, JSON.stringify({ ...sample, generator: { ...sample.generator, sha256: sha256Hex(other.onnx) } }))
    const header = await readFeatureCacheHeader(featureCachePath(dir, id))
    expect(header!.generatorSha256).toBe(sha256Hex(other.onnx))
    expect((await computeFeatures(dir, id)).source).toBe('cache')

    // Back to the original generator file and sample.json: hash mismatch again, recompute.
    await writeFile(generatorPath, original)
    await writeFile(samplePath, JSON.stringify(sample))
    const back = await computeFeatures(dir, id)
    expect(back).toMatchObject({ source: 'computed', generatorSha256: sha })
    expect((await readFeatureCacheHeader(featureCachePath(dir, id)))!.recipeHash).toBe(recipeHash(sample.seed, sample.recipe))
    expect(Array.from(back.features.get('b8.conv0')!.data)).toEqual(f16((await reference(2))['b8.conv0']))
  })

  it('recomputes when the sample recipe changes', async () => {
    const id = sampleIdForGenerator(sha, 1)
    await computeFeatures(dir, id)
    const samplePath = join(dir, 'samples', id, 'sample.json')
    const sample = JSON.parse(await readFile(samplePath, 'utf8'))
    await writeFile(samplePath, JSON.stringify({ ...sample, recipe: { ...sample.recipe, truncation: 0.3 } }))
    expect((await computeFeatures(dir, id)).source).toBe('computed')
    await writeFile(samplePath, JSON.stringify(sample))
  })

  it('says renderer samples have no feature maps', async () => {
    await studio.backend.call('models.useGenerator', { kind: 'builtin', id: 'renderer-face' })
    await studio.backend.call('samples.generate', { count: 1, seedStart: 0 })
    await waitForJobs(studio.backend)
    await expect(computeFeatures(dir, 's00000000')).rejects.toThrow('built-in renderer, which has no feature maps')
  })
})
