// Sources and predictors that need no trained model: the built-in renderer (its exact mask
// is the "interpreter", score 0) and the ground-truth predictor.
import { renderSample, type RenderMode } from '../render'
import type { RasterImage } from '../io/png'
import type { MaskPredictor, MaskPrediction, PredictorInfo, SampleSource, SourceInfo, SourceSample } from './types'

export interface RendererSourceOptions {
  size: number
  modalities: readonly string[]
  mode?: RenderMode
  /** Number of dataset classes: renderer classes ≥ it become skin (1), as the project does. */
  classCount: number
}

export class RendererSource implements SampleSource {
  readonly size: number
  readonly modalities: readonly string[]
  private readonly mode: RenderMode
  private readonly toClass: Uint8Array

  constructor(options: RendererSourceOptions) {
    this.size = options.size
    this.modalities = [...options.modalities]
    this.mode = options.mode ?? 'face'
    const k = options.classCount
    this.toClass = new Uint8Array(256).map((_, id) => (id < k ? id : k > 1 ? 1 : 0))
  }

  describe(): SourceInfo {
    return { kind: 'renderer', name: 'built-in face renderer', mode: this.mode, size: this.size, modalities: [...this.modalities] }
  }

  async sample(seed: number): Promise<SourceSample> {
    const r = renderSample(seed, this.size, [...this.modalities, 'mask'], this.mode)
    const images: Record<string, RasterImage> = {}
    for (const m of this.modalities) {
      const data = (r as unknown as Record<string, Uint8Array | undefined>)[m]
      if (!data) throw new Error(`the renderer has no "${m}" modality`)
      images[m] = { width: r.size, height: r.size, channels: m === 'rgb' ? 3 : 1, data }
    }
    return { seed, images, truth: r.mask!.map((v) => this.toClass[v]!), latent: { sampler: 'renderer-params-v1', seed } }
  }
}

/** The source's exact mask (renderer), zero uncertainty, score 0. */
export class GroundTruthPredictor implements MaskPredictor {
  describe(): PredictorInfo {
    return { kind: 'ground-truth', name: "the renderer's exact mask" }
  }

  async predict(sample: SourceSample): Promise<MaskPrediction> {
    if (!sample.truth) throw new Error('the ground-truth predictor needs a source with exact masks (the built-in renderer)')
    return { mask: sample.truth, uncertainty: new Float32Array(sample.truth.length), score: 0 }
  }
}
