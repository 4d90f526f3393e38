// Interfaces of the dataset pipeline's stages (see pipeline.ts):
//   SampleSource   seed → images per modality (+ feature maps, + exact mask for the renderer)
//   MaskPredictor  sample → voted mask, per-pixel uncertainty, image score
//   PrivacyStage   images → keep / reject with the identity score
import type { RasterImage } from '../io/png'

export interface FeatureTensor {
  /** NCHW float32, N = 1. */
  data: Float32Array
  shape: readonly number[]
}

export interface SourceSample {
  seed: number
  /** 8-bit interleaved images by modality id. */
  images: Record<string, RasterImage>
  /** Generator feature maps by name (ONNX generators). */
  features?: Record<string, FeatureTensor>
  /** Exact mask in the dataset's class ids (the built-in renderer). */
  truth?: Uint8Array
  /** How the latent was drawn (stored in metadata.jsonl as `latent`). */
  latent: Record<string, unknown>
}

export interface SourceInfo {
  kind: 'renderer' | 'onnx-generator' | 'test'
  name: string
  sha256?: string
  [key: string]: unknown
}

export interface SampleSource {
  readonly size: number
  readonly modalities: readonly string[]
  describe(): SourceInfo
  sample(seed: number): Promise<SourceSample>
  release?(): Promise<void>
}

export interface MaskPrediction {
  /** Class id per pixel (row-major, size × size). */
  mask: Uint8Array
  /** Per-pixel Jensen–Shannon uncertainty (nats); may be all zeros. */
  uncertainty: Float32Array
  /** Image score: mean of the top 10 % pixel uncertainties. */
  score: number
}

export interface PredictorInfo {
  kind: 'ground-truth' | 'onnx-interpreter' | 'test'
  name: string
  sha256?: string
  [key: string]: unknown
}

export interface MaskPredictor {
  describe(): PredictorInfo
  predict(sample: SourceSample): Promise<MaskPrediction>
  /** Predictions it can run at once (default 1); the pipeline keeps that many samples in inference. */
  readonly concurrency?: number
  release?(): Promise<void>
}

export interface PrivacyResult {
  kept: boolean
  /** 'ok', 'too-similar', 'no-face', 'low-detector-score' (engine/face privacyDecision). */
  reason: string
  /** Highest cosine similarity to any reference identity; null without a face. */
  identityScore: number | null
  closestIdentity: string | null
}

export interface PrivacyInfo {
  model: string
  threshold: number
  references: number
  modality: string
  [key: string]: unknown
}

export interface PrivacyStage {
  describe(): PrivacyInfo
  check(sample: SourceSample): Promise<PrivacyResult>
  release?(): Promise<void>
}

export interface DatasetClass {
  id: number
  name: string
  color: string
}
