// Running an ONNX generator: one onnxruntime session per GeneratorRuntime, created once and
// reused for every batch (keep one runtime per worker process for the whole job).
//
//   const runtime = await GeneratorRuntime.open({ onnx, manifest }, { setting: 'cpu', log })
//   const [sample] = await runtime.run([{ seed: 7, recipe: recipeForSeed(manifest, 0.7) }], { features: true })
//   sample.images.rgb   -> { width, height, channels: 3, data: Uint8Array (H×W×C) }
//   sample.features['b8.conv0'] -> { data: Float32Array, shape: [1, C, H, W] }
//   await runtime.release()
//
// Opening checks the manifest against the graph (names, ranks, sizes, element types) before
// any session exists, so a mismatch is a ManifestMismatchError naming the tensor and a damaged
// file an OnnxFormatError. Requests are batched (split where ψ changes, since ψ is one scalar
// per batch, and padded when the graph has a fixed batch size).
import * as ort from 'onnxruntime-node'
import type { GeneratorManifest } from '../../../shared/generator'
import { inspectOnnx, type OnnxGraphInfo } from '../onnx/inspect'
import { assertManifestMatchesGraph, type ManifestProblem } from '../onnx/manifest'
import { createSession, type ExecutionProviderName, type SessionCreateOptions } from './providers'
import { RecipeError, recipeMismatch, resolveNoise, resolveVector, type SampleRecipe } from './recipe'
import { outputToPixels } from './pixels'

export interface GeneratorSource {
  onnx: Uint8Array
  manifest: GeneratorManifest
}

export interface GenerateRequest {
  seed: number
  recipe: SampleRecipe
}

export interface RunOptions {
  /** 8-bit images per modality (default true). */
  images?: boolean
  /** Feature maps: false (default), true for all the manifest lists, or a list of names. */
  features?: boolean | readonly string[]
}

export interface SampleImage {
  width: number
  height: number
  channels: 1 | 3
  /** Interleaved H × W × C bytes (see pixels.ts for the mapping). */
  data: Uint8Array
}

export interface FeatureMap {
  /** NCHW float32 with N = 1. */
  data: Float32Array
  shape: [1, number, number, number]
}

export interface GeneratedSample {
  seed: number
  images: Record<string, SampleImage>
  features: Record<string, FeatureMap>
}

export class GeneratorRunError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GeneratorRunError'
  }
}

/** Graph interface check: throws OnnxFormatError / ManifestMismatchError, returns the graph and the warnings. */
export function checkGenerator(source: GeneratorSource): { graph: OnnxGraphInfo; warnings: ManifestProblem[] } {
  const graph = inspectOnnx(source.onnx)
  const warnings = assertManifestMatchesGraph(source.manifest, graph)
  return { graph, warnings }
}

export class GeneratorRuntime {
  private constructor(
    readonly manifest: GeneratorManifest,
    private readonly session: ort.InferenceSession,
    readonly provider: ExecutionProviderName,
    /** Why the requested provider was not used, or null. */
    readonly fallback: string | null,
    readonly warnings: ManifestProblem[],
    /** The graph's fixed batch size, or null when it is dynamic. */
    readonly fixedBatch: number | null
  ) {}

  static async open(source: GeneratorSource, options: SessionCreateOptions = {}): Promise<GeneratorRuntime> {
    const { graph, warnings } = checkGenerator(source)
    for (const w of warnings) options.log?.(`generator: ${w.message}`, 'warn')
    const latentShape = graph.inputs.find((t) => t.name === source.manifest.latent.input)?.shape
    const batchDim = latentShape?.[0]
    const fixedBatch = typeof batchDim === 'number' && batchDim > 0 ? batchDim : null
    const created = await createSession(source.onnx, options)
    return new GeneratorRuntime(source.manifest, created.session, created.provider, created.fallback, warnings, fixedBatch)
  }

  /** Runs the requests in batches of at most `batchSize` (the graph's fixed size wins). */
  async run(requests: readonly GenerateRequest[], options: RunOptions = {}, batchSize = 8): Promise<GeneratedSample[]> {
    const limit = this.fixedBatch ?? Math.max(1, Math.floor(batchSize))
    const out: GeneratedSample[] = []
    let start = 0
    while (start < requests.length) {
      // ψ is one scalar per run: a batch holds requests with the same ψ only.
      const psi = requests[start].recipe.truncation
      let end = start + 1
      while (end < requests.length && end - start < limit && requests[end].recipe.truncation === psi) end++
      out.push(...(await this.runBatch(requests.slice(start, end), options, limit)))
      start = end
    }
    return out
  }

  async release(): Promise<void> {
    await this.session.release()
  }

  private featureNames(options: RunOptions): string[] {
    const all = this.manifest.features.map((f) => f.name)
    if (!options.features) return []
    if (options.features === true) return all
    for (const name of options.features) {
      if (!all.includes(name)) throw new GeneratorRunError(`feature "${name}" is not in the generator's manifest (features: ${all.join(', ') || 'none'})`)
    }
    return [...options.features]
  }

  private async runBatch(batch: readonly GenerateRequest[], options: RunOptions, limit: number): Promise<GeneratedSample[]> {
    const m = this.manifest
    for (const request of batch) {
      const problem = recipeMismatch(m, request.recipe)
      if (problem) throw new GeneratorRunError(`sample with seed ${request.seed} cannot be generated by "${m.name}": ${problem}`)
    }
    // A fixed-batch graph gets exactly its size: pad with the last request, drop the extra results.
    const padded = this.fixedBatch ? [...batch, ...Array<GenerateRequest>(Math.max(0, limit - batch.length)).fill(batch[batch.length - 1])] : [...batch]
    const n = padded.length

    const feeds: Record<string, ort.Tensor> = {}
    try {
      feeds[m.latent.input] = new ort.Tensor('float32', concat(padded.map((r) => resolveVector(r.recipe.latent, r.seed, 'latent'))), [n, m.latent.size])
      if (m.condition) {
        feeds[m.condition.input] = new ort.Tensor('float32', concat(padded.map((r) => resolveVector(r.recipe.condition!, r.seed, 'condition'))), [n, m.condition.size])
      }
    } catch (error) {
      if (error instanceof RecipeError) throw new GeneratorRunError(error.message)
      throw error
    }
    if (m.truncation) feeds[m.truncation.input] = new ort.Tensor('float32', Float32Array.of(padded[0].recipe.truncation ?? m.truncation.default), [])
    if (m.noise.kind === 'seed') feeds[m.noise.input] = new ort.Tensor('int64', BigInt64Array.from(padded, (r) => BigInt(r.seed)), [n])
    if (m.noise.kind === 'explicit') {
      const perSample = padded.map((r) => resolveNoise(r.recipe, r.seed))
      for (const input of m.noise.inputs) {
        feeds[input.name] = new ort.Tensor('float32', concat(perSample.map((noise) => noise.get(input.name)!)), [n, ...input.shape])
      }
    }

    const wantImages = options.images !== false
    const features = this.featureNames(options)
    const fetches = [...(wantImages ? m.modalities.map((mod) => mod.output) : []), ...features]
    if (fetches.length === 0) return batch.map((r) => ({ seed: r.seed, images: {}, features: {} }))
    const result = await this.session.run(feeds, fetches)

    const samples: GeneratedSample[] = batch.map((r) => ({ seed: r.seed, images: {}, features: {} }))
    if (wantImages) {
      for (const mod of m.modalities) {
        const tensor = this.checkedOutput(result, mod.output, `modality "${mod.id}" output`, n, mod.channels, mod.resolution)
        const data = tensor.data as Float32Array
        samples.forEach((sample, i) => {
          sample.images[mod.id] = {
            width: mod.resolution,
            height: mod.resolution,
            channels: mod.channels,
            data: outputToPixels(data, i, mod.channels, mod.resolution, mod.resolution, mod.range)
          }
        })
      }
    }
    for (const name of features) {
      const spec = m.features.find((f) => f.name === name)!
      const tensor = this.checkedOutput(result, name, 'feature output', n, spec.channels, spec.resolution)
      const data = tensor.data as Float32Array
      const per = spec.channels * spec.resolution * spec.resolution
      samples.forEach((sample, i) => {
        sample.features[name] = { data: data.slice(i * per, (i + 1) * per), shape: [1, spec.channels, spec.resolution, spec.resolution] }
      })
    }
    for (const tensor of Object.values(result)) tensor.dispose?.()
    return samples
  }

  private checkedOutput(result: ort.InferenceSession.OnnxValueMapType, name: string, label: string, n: number, channels: number, resolution: number): ort.Tensor {
    const tensor = result[name] as ort.Tensor | undefined
    if (!tensor) throw new GeneratorRunError(`${label} "${name}" was not produced by the graph`)
    const want = [n, channels, resolution, resolution]
    if (tensor.type !== 'float32' || tensor.dims.length !== 4 || tensor.dims.some((d, i) => d !== want[i])) {
      throw new GeneratorRunError(`${label} "${name}" came out as ${tensor.type} [${tensor.dims.join(', ')}], the manifest says float32 [${want.join(', ')}]`)
    }
    return tensor
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
