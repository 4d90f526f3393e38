// The face engine's vocabulary: embedders, detectors and their results.
import type { Point } from './align'
import type { FaceImage } from './image'

export type { Point } from './align'
export type { FaceImage, FaceImageChannels } from './image'

/** Face box in image pixels (x, y = top-left corner). */
export interface FaceBox {
  x: number
  y: number
  width: number
  height: number
}

/** One face found by a detector. */
export interface FaceDetection {
  /** Detector confidence 0..1. */
  score: number
  box: FaceBox
  /** iBUG 68-point landmarks in image pixels, when the detector provides them. */
  landmarks68: Point[] | null
  /** ArcFace's 5 points (eye centres, nose tip, mouth corners) in image pixels. */
  landmarks5: Point[] | null
}

/** Finds faces; results are sorted by score, best first. */
export interface FaceDetector {
  readonly id: string
  detect(image: FaceImage): Promise<FaceDetection[]>
}

export interface FaceEmbedderDescription {
  name: string
  /** Length of the embedding vector. */
  dims: number
  /** Whether the model wants landmark-aligned crops (the embedder then aligns with a detector). */
  needsAlignment: boolean
  /** Cosine similarity above which two faces count as the same person. */
  defaultThreshold: number
  /** How defaultThreshold was obtained. */
  thresholdNote: string
  /** What the embedder does to an image before the network sees it. */
  preprocessing?: string
}

interface FaceEmbeddingCommon {
  /** The embedder's id; embeddings of different models must never be compared. */
  model: string
  /** Number of faces the detector returned (the best-scoring one is embedded). */
  faceCount: number
}

export interface FaceFound extends FaceEmbeddingCommon {
  detected: true
  /** Detector confidence of the embedded face (1 when the embedder runs without a detector). */
  detectorScore: number
  box: FaceBox
  /** The detector's landmarks in image pixels: 68 points when it gives them, else its 5 points; null without a detector. */
  landmarks: Point[] | null
  /** L2-normalised embedding. */
  embedding: Float32Array
  reason?: undefined
}

export interface FaceNotFound extends FaceEmbeddingCommon {
  detected: false
  detectorScore: null
  box: null
  landmarks: null
  embedding: null
  /** Why there is no embedding, in words. */
  reason: string
}

export type FaceEmbeddingResult = FaceFound | FaceNotFound

/** The result of an image in which `model`'s detector found no face, and why. */
export function faceNotFound(model: string, reason: string): FaceNotFound {
  return { model, detected: false, detectorScore: null, box: null, landmarks: null, embedding: null, faceCount: 0, reason }
}

export interface FaceEmbedder {
  /** Stable id of the model (cache keys and reference sets are bound to it). */
  readonly id: string
  describe(): FaceEmbedderDescription
  embed(image: FaceImage): Promise<FaceEmbeddingResult>
  /** Releases model memory; the embedder cannot be used afterwards. */
  dispose?(): Promise<void> | void
}

/** Scales v in place to unit L2 norm and returns it. Throws for a zero or non-finite vector. */
export function l2NormalizeInPlace(v: Float32Array, what = 'embedding'): Float32Array {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!
  const n = Math.sqrt(s)
  if (!Number.isFinite(n)) throw new Error(`${what} has non-finite values`)
  if (!(n > 0)) throw new Error(`${what} is all zeros and cannot be L2-normalised`)
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n
  return v
}

/** Dot product of two vectors (= cosine similarity for unit vectors). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}
