// Identity metrics on face embeddings (the embedding model is plugged in elsewhere).
//
// Conventions:
//  - Every embedding is L2-normalised (in float64) before use; a zero vector is an error.
//  - Cosine similarity = a·b / (|a||b|).
//  - Closed-set identification (CMOS-GAN): each probe's similarity to every gallery entry
//    (one per identity, plus optional distractors that match no probe). The rank of the true
//    match is 1 + the number of gallery entries with STRICTLY greater similarity, so ties are
//    resolved in the probe's favour. CMC(k) = fraction of probes with rank ≤ k, k = 1..maxRank.
//  - Verification (LFW protocol, as USynthFace evaluates it): distance = squared L2 distance
//    of the normalised embeddings (0..4); a pair is predicted "same" when distance < threshold
//    (strictly). 10-fold cross-validation with contiguous folds in the given pair order (like
//    sklearn KFold without shuffling: the first n mod k folds get one extra pair). For each
//    fold the threshold is the one in 0, 0.01, …, 3.99 (numpy arange(0, 4, 0.01): start + i·step)
//    with the best accuracy on the other folds; ties go to the SMALLEST such threshold (numpy
//    argmax). Accuracy is measured on the held-out fold; mean ± POPULATION std over folds.
//  - TAR@FAR: over all pairs (not cross-validated), the threshold is the largest t with
//    FAR(t) = #{impostor pairs with distance < t} / #impostors ≤ far, which is exactly the
//    (⌊far·#impostors⌋ + 1)-th smallest impostor distance (no interpolation; +Infinity when
//    far·#impostors ≥ #impostors). TAR = #{genuine pairs with distance < t} / #genuine. With
//    fewer than 1/far impostor pairs this means FAR = 0, i.e. t = the smallest impostor distance.
import { MetricsError, check, checkDims } from './errors'
import { Summary } from './summary'

export type Embedding = Float32Array | Float64Array
export type IdentityLabel = string | number

function norm(v: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < v.length; i++) s += v[i] * v[i]
  return Math.sqrt(s)
}

/** The embedding scaled to unit L2 norm, in float64. Throws for a zero or non-finite vector. */
export function l2Normalize(v: ArrayLike<number>, name = 'embedding'): Float64Array {
  check(v.length > 0, `${name} is empty`)
  const n = norm(v)
  check(Number.isFinite(n), `${name} has non-finite values`)
  check(n > 0, `${name} is all zeros and cannot be L2-normalised`)
  const out = new Float64Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = v[i] / n
  return out
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

/** Cosine similarity of two embeddings of the same dimension (−1..1). */
export function cosineSimilarity(a: Embedding, b: Embedding): number {
  check(a.length === b.length, `cosine similarity: embeddings have ${a.length} and ${b.length} dimensions`)
  return dot(l2Normalize(a, 'first embedding'), l2Normalize(b, 'second embedding'))
}

/**
 * The test-time-augmented embedding used for verification: the embedding of the image plus
 * the embedding of its horizontally flipped copy, summed element-wise, then L2-normalised
 * (as the LFW evaluation in insightface/USynthFace does). Returned as Float32Array.
 */
export function combineFlipEmbeddings(embedding: Embedding, flipped: Embedding): Float32Array {
  check(embedding.length === flipped.length, `flip combination: embeddings have ${embedding.length} and ${flipped.length} dimensions`)
  const sum = new Float64Array(embedding.length)
  for (let i = 0; i < sum.length; i++) sum[i] = embedding[i] + flipped[i]
  return Float32Array.from(l2Normalize(sum, 'embedding + flipped embedding'))
}

/** Squared L2 distance of the two L2-normalised embeddings (= 2 − 2·cosine, 0..4). */
export function squaredL2Distance(a: Embedding, b: Embedding): number {
  check(a.length === b.length, `distance: embeddings have ${a.length} and ${b.length} dimensions`)
  const x = l2Normalize(a, 'first embedding')
  const y = l2Normalize(b, 'second embedding')
  let s = 0
  for (let i = 0; i < x.length; i++) {
    const d = x[i] - y[i]
    s += d * d
  }
  return s
}

// ---------------------------------------------------------------- identification

export interface LabelledEmbedding {
  label: IdentityLabel
  embedding: Embedding
}

export interface IdentificationOptions {
  /** Longest rank of the CMC curve. Default 20. */
  maxRank?: number
}

export interface IdentificationResult {
  /** 1-based rank of the true match for each probe (ties in the probe's favour). */
  ranks: Int32Array
  /** cmc[k − 1] = fraction of probes whose rank ≤ k, for k = 1..maxRank. */
  cmc: number[]
  rank1: number
  numProbes: number
  numIdentities: number
  numDistractors: number
}

/**
 * Closed-set identification: every probe label must appear exactly once in the gallery;
 * distractors are extra gallery entries no probe matches.
 */
export function identify(
  probes: LabelledEmbedding[],
  gallery: LabelledEmbedding[],
  distractors: Embedding[] = [],
  opts: IdentificationOptions = {}
): IdentificationResult {
  const maxRank = opts.maxRank ?? 20
  check(Number.isInteger(maxRank) && maxRank >= 1, `maxRank must be a whole number ≥ 1, got ${maxRank}`)
  check(probes.length > 0, 'identification: no probes (empty set)')
  check(gallery.length > 0, 'identification: empty gallery')
  const dims = gallery[0].embedding.length
  checkDims('identification', gallery.map((g) => g.embedding), dims, 'gallery')
  checkDims('identification', probes.map((p) => p.embedding), dims, 'probes')
  checkDims('identification', distractors, dims, 'distractors')

  const index = new Map<IdentityLabel, number>()
  gallery.forEach((g, i) => {
    check(!index.has(g.label), `identification: gallery has identity ${JSON.stringify(g.label)} more than once; give one embedding per identity`)
    index.set(g.label, i)
  })
  const entries = [...gallery.map((g, i) => l2Normalize(g.embedding, `gallery[${i}]`)), ...distractors.map((d, i) => l2Normalize(d, `distractors[${i}]`))]

  const ranks = new Int32Array(probes.length)
  for (let p = 0; p < probes.length; p++) {
    const probe = probes[p]
    const truth = index.get(probe.label)
    if (truth === undefined) throw new MetricsError(`identification: probe ${p} has identity ${JSON.stringify(probe.label)}, which is not in the gallery (closed-set identification needs every probe identity in the gallery)`)
    const q = l2Normalize(probe.embedding, `probes[${p}]`)
    const target = dot(q, entries[truth])
    let better = 0
    for (let g = 0; g < entries.length; g++) if (g !== truth && dot(q, entries[g]) > target) better++
    ranks[p] = better + 1
  }
  const cmc: number[] = []
  const hist = new Float64Array(maxRank + 1)
  for (const r of ranks) if (r <= maxRank) hist[r]++
  let acc = 0
  for (let k = 1; k <= maxRank; k++) {
    acc += hist[k]
    cmc.push(acc / probes.length)
  }
  return { ranks, cmc, rank1: cmc[0], numProbes: probes.length, numIdentities: gallery.length, numDistractors: distractors.length }
}

// ---------------------------------------------------------------- verification

export interface VerificationPair {
  a: Embedding
  b: Embedding
  /** True for a genuine (same identity) pair, false for an impostor pair. */
  same: boolean
}

export interface VerificationOptions {
  /** Number of cross-validation folds. Default 10. */
  folds?: number
  /** Threshold grid numpy.arange(start, stop, step). Defaults 0, 4, 0.01. */
  thresholdStart?: number
  thresholdStop?: number
  thresholdStep?: number
  /** Target false accept rate for TAR@FAR. Default 1e-3. */
  far?: number
}

export interface TarAtFar {
  far: number
  threshold: number
  tar: number
  /** The FAR actually reached at `threshold` (≤ far). */
  achievedFar: number
}

export interface VerificationResult {
  /** Held-out accuracy of each fold. */
  foldAccuracies: number[]
  /** Threshold chosen on the other folds, for each fold. */
  foldThresholds: number[]
  /** Pairs in each fold. */
  foldSizes: number[]
  accuracy: Pick<Summary, 'mean' | 'std'>
  tarAtFar: TarAtFar
  /** Squared L2 distance of every pair, in input order. */
  distances: Float64Array
  numGenuine: number
  numImpostor: number
}

/** numpy.arange(start, stop, step) semantics. */
export function thresholdGrid(start = 0, stop = 4, step = 0.01): Float64Array {
  check(step > 0 && Number.isFinite(step), `threshold step must be > 0, got ${step}`)
  const n = Math.max(0, Math.ceil((stop - start) / step))
  check(n > 0, `empty threshold grid ${start}..${stop} step ${step}`)
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = start + i * step
  return out
}

/** Fold boundaries like sklearn KFold(n_splits=k, shuffle=False): [start, end) per fold. */
export function kFoldBounds(n: number, k: number): [number, number][] {
  check(Number.isInteger(k) && k >= 2, `folds must be a whole number ≥ 2, got ${k}`)
  check(n >= k, `cannot split ${n} pairs into ${k} folds`)
  const base = Math.floor(n / k)
  const extra = n % k
  const out: [number, number][] = []
  let s = 0
  for (let f = 0; f < k; f++) {
    const size = base + (f < extra ? 1 : 0)
    out.push([s, s + size])
    s += size
  }
  return out
}

/** TAR at the largest threshold whose FAR ≤ far (see module notes). */
export function tarAtFar(distances: ArrayLike<number>, same: ArrayLike<boolean>, far = 1e-3): TarAtFar {
  check(far >= 0 && far <= 1, `far must be in [0, 1], got ${far}`)
  const imp: number[] = []
  const gen: number[] = []
  for (let i = 0; i < distances.length; i++) (same[i] ? gen : imp).push(distances[i])
  check(imp.length > 0, 'TAR@FAR needs at least one impostor (different identity) pair')
  check(gen.length > 0, 'TAR@FAR needs at least one genuine (same identity) pair')
  imp.sort((x, y) => x - y)
  // Guard against far·n landing a hair below an integer (e.g. 0.001·3000).
  const k = Math.floor(far * imp.length + 1e-9)
  const threshold = k >= imp.length ? Infinity : imp[k]
  let fa = 0
  for (const d of imp) if (d < threshold) fa++
  let ta = 0
  for (const d of gen) if (d < threshold) ta++
  return { far, threshold, tar: ta / gen.length, achievedFar: fa / imp.length }
}

/** LFW-style verification with k-fold threshold selection and TAR@FAR. */
export function verify(pairs: VerificationPair[], opts: VerificationOptions = {}): VerificationResult {
  const folds = opts.folds ?? 10
  check(pairs.length > 0, 'verification: no pairs (empty set)')
  const dims = pairs[0].a.length
  const distances = new Float64Array(pairs.length)
  const same: boolean[] = []
  let numGenuine = 0
  for (let i = 0; i < pairs.length; i++) {
    const { a, b } = pairs[i]
    check(a.length === dims && b.length === dims, () => `verification: pair ${i} has embeddings of ${a.length} and ${b.length} dimensions, expected ${dims}`)
    check(typeof pairs[i].same === 'boolean', `verification: pair ${i} has no boolean 'same'`)
    try {
      distances[i] = squaredL2Distance(a, b)
    } catch (e) {
      throw new MetricsError(`verification: pair ${i}: ${(e as Error).message}`)
    }
    same.push(pairs[i].same)
    if (pairs[i].same) numGenuine++
  }
  const numImpostor = pairs.length - numGenuine
  check(numGenuine > 0 && numImpostor > 0, `verification needs both genuine and impostor pairs (got ${numGenuine} genuine, ${numImpostor} impostor)`)

  const thresholds = thresholdGrid(opts.thresholdStart ?? 0, opts.thresholdStop ?? 4, opts.thresholdStep ?? 0.01)
  const bounds = kFoldBounds(pairs.length, folds)
  // correct[t] over a range of pairs: genuine correct iff d < t, impostor correct iff d ≥ t.
  const correctCounts = (from: number, to: number): Int32Array => {
    const c = new Int32Array(thresholds.length)
    for (let i = from; i < to; i++) {
      const d = distances[i]
      const s = same[i]
      for (let t = 0; t < thresholds.length; t++) if (d < thresholds[t] === s) c[t]++
    }
    return c
  }
  const all = correctCounts(0, pairs.length)
  const foldAccuracies: number[] = []
  const foldThresholds: number[] = []
  for (const [from, to] of bounds) {
    const test = correctCounts(from, to)
    let best = 0
    let bestCount = -1
    for (let t = 0; t < thresholds.length; t++) {
      const train = all[t] - test[t]
      if (train > bestCount) {
        bestCount = train
        best = t
      }
    }
    foldThresholds.push(thresholds[best])
    foldAccuracies.push(test[best] / (to - from))
  }
  const mean = foldAccuracies.reduce((s, v) => s + v, 0) / foldAccuracies.length
  const std = Math.sqrt(foldAccuracies.reduce((s, v) => s + (v - mean) * (v - mean), 0) / foldAccuracies.length)
  return {
    foldAccuracies,
    foldThresholds,
    foldSizes: bounds.map(([a, b]) => b - a),
    accuracy: { mean, std },
    tarAtFar: tarAtFar(distances, same, opts.far ?? 1e-3),
    distances,
    numGenuine,
    numImpostor
  }
}
