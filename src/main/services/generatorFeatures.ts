// Generator feature maps of a sample, rebuilt on demand from its sample.json - the input of
// the style interpreter (DatasetGAN / BiFaceGAN). Feature maps are never stored for every
// sample; annotated samples (the few the interpreter trains on) keep a float16 cache in
// samples/<id>/features.f16 (format: engine/generator/featureCache.ts).
//
//   import { computeFeatures, releaseFeatureRuntimes } from '../services/generatorFeatures'
//   const f = await computeFeatures(projectDir, 'g1a2b3c4d-00000012')
//   for (const name of f.names) {
//     const { data, shape } = f.features.get(name)!   // Float32Array NCHW, shape [1, C, H, W]
//   }
//   await releaseFeatureRuntimes()                   // when the worker is done
//
// Which generator: the one the sample names (sample.json `generator`: path + sha256). Its file
// is hashed (memoised per path, size and mtime); if it no longer matches the sample's hash the
// pixels the user painted cannot be reproduced and a GeneratorChangedError says so
// (`allowChangedGenerator: true` computes with the file as it is anyway).
//
// Cache policy (`cache`):
//   'auto'   (default) read a valid cache; write one when the sample is annotated (in progress or done)
//   'always' read a valid cache; always write one
//   'never'  neither read nor write
// A cache is valid when its generatorSha256 equals the hash of the generator file in use and
// its recipeHash equals that of the sample's seed + recipe: attaching another generator at the
// same path, or regenerating the sample, invalidates it and the next call recomputes.
//
// Precision: whenever the cache policy applies to a sample (annotated with 'auto', or
// 'always'), the values returned are float16-rounded even when freshly computed, so training
// sees the same numbers whether the cache existed or not ('precision' says which you got).
//
// Sessions: one GeneratorRuntime per generator hash is kept open in this process (warm) until
// releaseFeatureRuntimes(); call this from a worker, never from the main process.
import { existsSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ExecutionProviderSetting } from '../../shared/api'
import { GeneratorRuntime, type FeatureMap } from '../engine/generator/runtime'
import { roundToFloat16 } from '../engine/generator/float16'
import { FEATURE_CACHE_FILE, readFeatureCache, readFeatureCacheHeader, recipeHash, writeFeatureCache } from '../engine/generator/featureCache'
import { SampleStore, type SampleFile } from './sampleStore'
import { AnnotationStore } from './annotationStore'
import { GeneratorChangedError, fileSha256, loadProjectGenerator, type OnnxGeneratorRef } from './generatorStore'
import { resolveInProject } from './paths'

export { GeneratorChangedError, fileSha256 } from './generatorStore'
export type { FeatureMap } from '../engine/generator/runtime'

export interface ComputeFeaturesOptions {
  /** Feature names (default: every feature the manifest lists, in its order). */
  names?: readonly string[]
  cache?: 'auto' | 'always' | 'never'
  /** Compute even when the generator file no longer matches the sample's hash. */
  allowChangedGenerator?: boolean
  provider?: ExecutionProviderSetting
  log?: (text: string, level: 'info' | 'warn') => void
}

export interface SampleFeatures {
  sampleId: string
  seed: number
  /** Hash of the generator file the features come from. */
  generatorSha256: string
  /** Feature names in manifest order (the order to concatenate them in). */
  names: string[]
  features: Map<string, FeatureMap>
  precision: 'float32' | 'float16'
  source: 'cache' | 'computed'
}

export class FeaturesUnavailableError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FeaturesUnavailableError'
  }
}

// -------------------------------------------------------------------------------- warm sessions

const runtimes = new Map<string, Promise<GeneratorRuntime>>()

async function runtimeFor(projectDir: string, ref: OnnxGeneratorRef, allowChanged: boolean, options: ComputeFeaturesOptions): Promise<{ runtime: GeneratorRuntime; sha256: string }> {
  const sha256 = await fileSha256(resolveInProject(projectDir, ref.path))
  if (sha256 === null) throw new GeneratorChangedError(`the generator file ${ref.path} is missing; its samples' features cannot be rebuilt`)
  if (sha256 !== ref.sha256 && !allowChanged) {
    throw new GeneratorChangedError(
      `the generator file ${ref.path} changed since this sample was drawn (sha256 ${sha256.slice(0, 12)}…, the sample says ${ref.sha256.slice(0, 12)}…): its features would not match the painted pixels`
    )
  }
  let pending = runtimes.get(sha256)
  if (!pending) {
    pending = loadProjectGenerator(projectDir, ref, { allowChanged: true }).then((loaded) =>
      GeneratorRuntime.open({ onnx: loaded.onnx, manifest: loaded.manifest }, { setting: options.provider ?? 'cpu', log: options.log })
    )
    runtimes.set(sha256, pending)
    pending.catch(() => runtimes.delete(sha256))
  }
  return { runtime: await pending, sha256 }
}

/** Closes the sessions computeFeatures keeps open. */
export async function releaseFeatureRuntimes(): Promise<void> {
  const all = [...runtimes.values()]
  runtimes.clear()
  for (const pending of all) await (await pending.catch(() => null))?.release()
}

// -------------------------------------------------------------------------------- the API

export function featureCachePath(projectDir: string, sampleId: string): string {
  return resolveInProject(projectDir, join('samples', sampleId, FEATURE_CACHE_FILE))
}

/** Deletes a sample's feature cache (it is rebuilt on the next call). */
export async function invalidateFeatureCache(projectDir: string, sampleId: string): Promise<void> {
  await rm(featureCachePath(projectDir, sampleId), { force: true })
}

/** Whether a sample's cache exists and is valid for its generator file and recipe as they are now. */
export async function featureCacheValid(projectDir: string, sampleId: string): Promise<boolean> {
  const sample = await readSample(projectDir, sampleId)
  if (sample.generator.kind !== 'onnx' || !sample.recipe) return false
  const header = await readFeatureCacheHeader(featureCachePath(projectDir, sampleId))
  const sha256 = await fileSha256(resolveInProject(projectDir, sample.generator.path))
  return !!header && header.generatorSha256 === sha256 && header.recipeHash === recipeHash(sample.seed, sample.recipe)
}

async function readSample(projectDir: string, sampleId: string): Promise<SampleFile> {
  return new SampleStore(projectDir, new AnnotationStore(projectDir)).readSampleFile(sampleId)
}

async function isAnnotated(projectDir: string, sampleId: string): Promise<boolean> {
  const statuses = await new AnnotationStore(projectDir).statuses().catch(() => ({}) as Record<string, string>)
  const status = statuses[sampleId]
  if (status === 'in-progress' || status === 'done') return true
  return existsSync(join(projectDir, 'annotations', `${sampleId}.png`))
}

/** The feature maps of one sample (see the note at the top of this file). */
export async function computeFeatures(projectDir: string, sampleId: string, options: ComputeFeaturesOptions = {}): Promise<SampleFeatures> {
  const sample = await readSample(projectDir, sampleId)
  if (sample.generator.kind !== 'onnx' || !sample.recipe) {
    throw new FeaturesUnavailableError(`sample "${sampleId}" was drawn by the built-in renderer, which has no feature maps; draw samples with an ONNX generator`)
  }
  const ref = sample.generator
  const recipe = sample.recipe
  const policy = options.cache ?? 'auto'
  const cached = policy === 'always' || (policy === 'auto' && (await isAnnotated(projectDir, sampleId)))
  const { runtime, sha256 } = await runtimeFor(projectDir, ref, options.allowChangedGenerator === true, options)
  const manifestNames = runtime.manifest.features.map((f) => f.name)
  const names = options.names ? [...options.names] : manifestNames
  for (const name of names) {
    if (!manifestNames.includes(name)) throw new FeaturesUnavailableError(`feature "${name}" is not in the generator's manifest (features: ${manifestNames.join(', ') || 'none'})`)
  }
  if (names.length === 0) throw new FeaturesUnavailableError(`the generator "${runtime.manifest.name}" lists no feature outputs`)
  const hash = recipeHash(sample.seed, recipe)
  const path = featureCachePath(projectDir, sampleId)

  if (policy !== 'never') {
    const header = await readFeatureCacheHeader(path)
    if (header && header.generatorSha256 === sha256 && header.recipeHash === hash) {
      const hit = await readFeatureCache(path, names)
      if (hit) return { sampleId, seed: sample.seed, generatorSha256: sha256, names, features: hit.features, precision: 'float16', source: 'cache' }
    }
  }

  // Compute every manifest feature when a cache is to be written (so later calls for other subsets hit it).
  const computeNames = cached ? manifestNames : names
  const [generated] = await runtime.run([{ seed: sample.seed, recipe }], { images: false, features: computeNames })
  const all = new Map(computeNames.map((name) => [name, generated.features[name]!]))
  if (cached) {
    for (const map of all.values()) roundToFloat16(map.data)
    await writeFeatureCache(path, { sampleId, seed: sample.seed, generatorSha256: sha256, recipeHash: hash }, [...all.entries()])
  }
  const features = new Map(names.map((name) => [name, all.get(name)!]))
  return { sampleId, seed: sample.seed, generatorSha256: sha256, names, features, precision: cached ? 'float16' : 'float32', source: 'computed' }
}
