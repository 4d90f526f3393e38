// ONNX-backed stages: an ONNX generator as a sample source (images + feature maps from one
// warm session) and the style interpreter's ONNX export (engine/interpreter/onnxExport.ts:
// inputs = feature maps by name, outputs mask uint8 [N,H,W] and uncertainty float32 [N,H,W])
// as the mask predictor, in a session on its own thread. Only `mask` and `uncertainty` are
// fetched (never the per-member probs).
import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import type { GeneratorManifest } from '../../../shared/generator'
import { GeneratorRuntime } from '../generator/runtime'
import { recipeForSeed, type SampleRecipe } from '../generator/recipe'
import type { SessionCreateOptions } from '../generator/providers'
import { imageScore } from '../interpreter/voting'
import type { RasterImage } from '../io/png'
import { ThreadSession } from './inferenceThread'
import type { FeatureTensor, MaskPredictor, MaskPrediction, PredictorInfo, SampleSource, SourceInfo, SourceSample } from './types'

export interface OnnxGeneratorSourceOptions {
  onnx: Uint8Array
  manifest: GeneratorManifest
  sha256: string
  truncation?: number | null
  /** Feature maps to compute (false: images only, e.g. with a ground-truth-free predictor). */
  features?: boolean
  session?: SessionCreateOptions
}

export class OnnxGeneratorSource implements SampleSource {
  readonly size: number
  readonly modalities: readonly string[]
  private constructor(
    private readonly runtime: GeneratorRuntime,
    private readonly recipe: SampleRecipe,
    private readonly sha256: string,
    private readonly withFeatures: boolean
  ) {
    this.size = runtime.manifest.resolution
    this.modalities = runtime.manifest.modalities.map((m) => m.id)
  }

  static async open(options: OnnxGeneratorSourceOptions): Promise<OnnxGeneratorSource> {
    const runtime = await GeneratorRuntime.open({ onnx: options.onnx, manifest: options.manifest }, options.session)
    return new OnnxGeneratorSource(runtime, recipeForSeed(options.manifest, options.truncation ?? null), options.sha256, options.features ?? true)
  }

  describe(): SourceInfo {
    return { kind: 'onnx-generator', name: this.runtime.manifest.name, sha256: this.sha256, recipe: this.recipe }
  }

  async sample(seed: number): Promise<SourceSample> {
    const [g] = await this.runtime.run([{ seed, recipe: this.recipe }], { images: true, features: this.withFeatures }, 1)
    const images: Record<string, RasterImage> = {}
    for (const m of this.modalities) {
      const im = g!.images[m]!
      images[m] = { width: im.width, height: im.height, channels: im.channels, data: im.data }
    }
    const features: Record<string, FeatureTensor> = {}
    for (const [name, f] of Object.entries(g!.features)) features[name] = { data: f.data, shape: f.shape }
    return { seed, images, features, latent: { generatorSha256: this.sha256, seed, recipe: this.recipe } }
  }

  async release(): Promise<void> {
    await this.runtime.release()
  }
}

export interface InterpreterPredictorOptions {
  /** onnxruntime intra-op threads (default: onnxruntime's, one per physical core). */
  intraOpNumThreads?: number
  /** Let idle pool threads spin (onnxruntime's default). Off by default here: the pipeline's own thread (PNG encoding, writes) and other jobs share the cores. */
  allowSpinning?: boolean
}

export class OnnxInterpreterPredictor implements MaskPredictor {
  private constructor(
    private readonly session: ThreadSession,
    private readonly name: string,
    private readonly sha256: string
  ) {}

  /** Loads the export into a session on its own thread (see inferenceThread.ts). */
  static async open(path: string, name = path, options: InterpreterPredictorOptions = {}): Promise<OnnxInterpreterPredictor> {
    const bytes = await readFile(path)
    const session = await ThreadSession.open(bytes, {
      intraOpNumThreads: options.intraOpNumThreads,
      graphOptimizationLevel: 'all',
      extra: { 'session.intra_op.allow_spinning': options.allowSpinning ? '1' : '0' }
    })
    for (const out of ['mask', 'uncertainty']) {
      if (!session.outputNames.includes(out)) {
        await session.release()
        throw new Error(`${path} is not a Twinlight interpreter export (no "${out}" output)`)
      }
    }
    return new OnnxInterpreterPredictor(session, name, createHash('sha256').update(bytes).digest('hex'))
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames
  }

  describe(): PredictorInfo {
    return { kind: 'onnx-interpreter', name: this.name, sha256: this.sha256 }
  }

  async predict(sample: SourceSample): Promise<MaskPrediction> {
    const feeds: Record<string, FeatureTensor> = {}
    for (const name of this.session.inputNames) {
      const f = sample.features?.[name]
      if (!f) throw new Error(`the interpreter needs feature map "${name}", which the generator did not give`)
      feeds[name] = f
    }
    const out = await this.session.run(feeds, ['mask', 'uncertainty'])
    const uncertainty = out.uncertainty as Float32Array
    return { mask: out.mask as Uint8Array, uncertainty, score: imageScore(uncertainty) }
  }

  async release(): Promise<void> {
    await this.session.release()
  }
}
