// The identity privacy filter (BiFaceGAN's ArcFace filter, as ArcBiFaceGAN describes it): a
// generated face is discarded when it is too similar to any real face the generator was
// trained on. Similarity is the cosine of L2-normalised embeddings of one model; a sample is
// rejected when its maximum similarity over EVERY reference embedding is strictly greater
// than the threshold. Optionally (ArcBiFaceGAN keeps only detections with p ≥ 0.97) samples
// whose face detector score is below a minimum are rejected too, and samples with no
// detectable face are rejected or kept by policy.
import type { FaceEmbeddingResult } from './types'

/** Anything privacyDecision can search: a ReferenceIdentitySet or an in-memory equivalent. */
export interface ReferenceEmbeddings {
  readonly modelId: string
  readonly dims: number
  readonly size: number
  /** The most similar reference (cosine), or null when there are none. */
  nearest(embedding: Float32Array): NearestReference | null
}

export interface NearestReference {
  similarity: number
  index: number
  identity: string
  file: string
}

export type NoFacePolicy = 'reject' | 'keep'

export interface PrivacyOptions {
  /** Cosine similarity above which a sample is rejected (−1..1). */
  threshold: number
  /** What to do with a sample in which no face was detected. */
  noFace: NoFacePolicy
  /** Reject samples whose detector score is below this (0..1); off when omitted. */
  minDetectorScore?: number
}

export type PrivacyReason = 'ok' | 'too-similar' | 'no-face' | 'low-detector-score'

export interface PrivacyDecision {
  kept: boolean
  reason: PrivacyReason
  /** Highest cosine similarity to any reference; null when there was no face to compare. */
  maxSimilarity: number | null
  /** The reference that gave maxSimilarity. */
  closestReference: { identity: string; file: string } | null
  detectorScore: number | null
}

export class PrivacyFilterError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PrivacyFilterError'
  }
}

export function validatePrivacyOptions(options: PrivacyOptions): void {
  if (options == null || typeof options !== 'object') throw new PrivacyFilterError('privacy options are missing')
  if (typeof options.threshold !== 'number' || !Number.isFinite(options.threshold) || options.threshold < -1 || options.threshold > 1) {
    throw new PrivacyFilterError(`privacy threshold must be a cosine similarity in −1..1, got ${String(options.threshold)}`)
  }
  if (options.noFace !== 'reject' && options.noFace !== 'keep') {
    throw new PrivacyFilterError(`noFace must be 'reject' or 'keep', got ${String(options.noFace)}`)
  }
  const min = options.minDetectorScore
  if (min !== undefined && (typeof min !== 'number' || !(min >= 0 && min <= 1))) {
    throw new PrivacyFilterError(`minDetectorScore must be in 0..1, got ${String(min)}`)
  }
}

/**
 * Decides whether a generated sample may be kept. Order: no face → policy; otherwise the
 * nearest reference is found (reported in every case), then a detector score below
 * minDetectorScore rejects ('low-detector-score'), then maxSimilarity > threshold rejects
 * ('too-similar'); anything else is kept ('ok').
 */
export function privacyDecision(result: FaceEmbeddingResult, references: ReferenceEmbeddings, options: PrivacyOptions): PrivacyDecision {
  validatePrivacyOptions(options)
  if (!result.detected) {
    return { kept: options.noFace === 'keep', reason: 'no-face', maxSimilarity: null, closestReference: null, detectorScore: null }
  }
  if (result.model !== references.modelId) {
    throw new PrivacyFilterError(
      `the sample was embedded with '${result.model}' but the references with '${references.modelId}'; embeddings of different models cannot be compared`
    )
  }
  if (result.embedding.length !== references.dims) {
    throw new PrivacyFilterError(`the sample's embedding has ${result.embedding.length} dimensions, the references ${references.dims}`)
  }
  const nearest = references.nearest(result.embedding)
  if (nearest == null) throw new PrivacyFilterError('the reference set is empty')
  const base = {
    maxSimilarity: nearest.similarity,
    closestReference: { identity: nearest.identity, file: nearest.file },
    detectorScore: result.detectorScore
  }
  if (options.minDetectorScore !== undefined && result.detectorScore < options.minDetectorScore) {
    return { kept: false, reason: 'low-detector-score', ...base }
  }
  if (nearest.similarity > options.threshold) return { kept: false, reason: 'too-similar', ...base }
  return { kept: true, reason: 'ok', ...base }
}

/**
 * Cosine similarity of `query` (unit length) against every row of a row-major N×D matrix of
 * unit vectors; returns the index and value of the maximum (first index on ties).
 */
export function maxDot(matrix: Float32Array, dims: number, query: Float32Array): { index: number; value: number } {
  if (query.length !== dims) throw new PrivacyFilterError(`query has ${query.length} dimensions, the matrix ${dims}`)
  const n = Math.floor(matrix.length / dims)
  let best = -Infinity
  let bestIndex = -1
  for (let r = 0; r < n; r++) {
    const o = r * dims
    let s = 0
    for (let k = 0; k < dims; k++) s += matrix[o + k]! * query[k]!
    if (s > best) {
      best = s
      bestIndex = r
    }
  }
  return { index: bestIndex, value: best }
}
