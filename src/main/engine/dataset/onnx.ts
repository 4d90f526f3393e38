// ONNX-backed stages: an ONNX generator as a sample source (images + feature maps from one
// warm session) and the style interpreter's ONNX export (engine/interpreter/onnxExport.ts:
// inputs = feature maps by name, outputs mask uint8 [N,H,W] and uncertainty float32 [N,H,W])
// as the mask predictor, in a session on its own thread. Only `mask` and `uncertainty` are
// fetched (never the per-member probs).
import { readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { availableParallelism } from 'node:os'
import type { GeneratorManifest } from '../../../shared/generator'
import { GeneratorRuntime } from '../generator/runtime'
import { recipeForSeed, type SampleRecipe } from '../generator/recipe'
import type { SessionCreateOptions } from '../generator/providers'
import type { InterpreterPrecision } from '../interpreter/onnxExport'
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
  /**
   * Sessions, each on its own thread, that infer different samples at once. Default: 2 where
   * there are 2 or more cores, else 1.
   */
  sessions?: number
  /** onnxruntime intra-op threads per session. Default: the cores shared out among the sessions (at least 1). */
  intraOpNumThreads?: number
  /** Let idle pool threads spin (onnxruntime's default). Off by default here: the pipeline's own thread (PNG encoding, writes) and other jobs share the cores. */
  allowSpinning?: boolean
  /** The export's first-layer arithmetic (onnxExport.ts), recorded by describe(); default 'fp32', what a training run exports. */
  precision?: InterpreterPrecision
}

/**
 * The interpreter export as the pipeline's mask predictor: a small pool of sessions, each on its
 * own thread, so that several samples are inferred at once (the pipeline keeps `concurrency`
 * samples in inference). Two single-threaded sessions beat one session with two threads on a
 * 2-core machine: a sample's graph has long memory-bound stretches that a second thread does
 * not speed up (anchor scale, idle 2-core VM: 1.52 → 1.75 samples/s fp32, 1.86 → 2.29 int8,
 * onnxruntime alone; bench/dataset.ts for the whole pipeline). Every session runs the same graph
 * with the same options, so a sample's mask does not depend on which session inferred it.
 */
export class OnnxInterpreterPredictor implements MaskPredictor {
  /** Sessions not running a sample, and the predictions waiting for one. */
  private readonly idle: ThreadSession[]
  private readonly waiting: Array<(session: ThreadSession) => void> = []

  private constructor(
    private readonly sessions: readonly ThreadSession[],
    private readonly name: string,
    private readonly sha256: string,
    private readonly precision: InterpreterPrecision
  ) {
    this.idle = [...sessions]
  }

  /** Loads the export into `sessions` sessions, each on its own thread (see inferenceThread.ts). */
  static async open(path: string, name = path, options: InterpreterPredictorOptions = {}): Promise<OnnxInterpreterPredictor> {
    const bytes = await readFile(path)
    const cores = availableParallelism()
    const count = Math.max(1, Math.floor(options.sessions ?? Math.min(2, cores)))
    const threads = options.intraOpNumThreads ?? Math.max(1, Math.floor(cores / count))
    const sessions: ThreadSession[] = []
    try {
      for (let i = 0; i < count; i++) {
        sessions.push(
          await ThreadSession.open(bytes, {
            intraOpNumThreads: threads,
            graphOptimizationLevel: 'all',
            extra: { 'session.intra_op.allow_spinning': options.allowSpinning ? '1' : '0' }
          })
        )
        if (i === 0) {
          for (const out of ['mask', 'uncertainty']) {
            if (!sessions[0].outputNames.includes(out)) throw new Error(`${path} is not a Twinlight interpreter export (no "${out}" output)`)
          }
        }
      }
    } catch (e) {
      for (const session of sessions) await session.release()
      throw e
    }
    return new OnnxInterpreterPredictor(sessions, name, createHash('sha256').update(bytes).digest('hex'), options.precision ?? 'fp32')
  }

  /** Samples this predictor infers at once (its sessions). */
  get concurrency(): number {
    return this.sessions.length
  }

  get inputNames(): readonly string[] {
    return this.sessions[0].inputNames
  }

  describe(): PredictorInfo {
    // precision only when int8: the plans of datasets begun before it was recorded (all fp32)
    // still match, so they can be resumed
    return { kind: 'onnx-interpreter', name: this.name, sha256: this.sha256, ...(this.precision === 'int8' ? { precision: this.precision } : {}) }
  }

  async predict(sample: SourceSample): Promise<MaskPrediction> {
    const feeds: Record<string, FeatureTensor> = {}
    for (const name of this.inputNames) {
      const f = sample.features?.[name]
      if (!f) throw new Error(`the interpreter needs feature map "${name}", which the generator did not give`)
      feeds[name] = f
    }
    const session = this.idle.pop() ?? (await new Promise<ThreadSession>((resolve) => this.waiting.push(resolve)))
    try {
      const out = await session.run(feeds, ['mask', 'uncertainty'])
      const uncertainty = out.uncertainty as Float32Array
      return { mask: out.mask as Uint8Array, uncertainty, score: imageScore(uncertainty) }
    } finally {
      const next = this.waiting.shift()
      if (next) next(session)
      else this.idle.push(session)
    }
  }

  async release(): Promise<void> {
    for (const session of this.sessions) await session.release()
  }
}
