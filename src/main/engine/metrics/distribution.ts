// Distribution distances between two feature sets: Fréchet distance (FID when the features
// are Inception-v3 pool3) and KID.
//
// Fréchet distance between N(µ1, Σ1) and N(µ2, Σ2):
//   ‖µ1 − µ2‖² + Tr(Σ1) + Tr(Σ2) − 2·Tr((Σ1Σ2)^½)
// with sample covariances (÷(n−1), as numpy.cov and pytorch-fid), all in float64.
// The trace of the matrix square root uses the symmetric trick: for any factor Σ1 = GᵀG
// (Σ1^½ is one; we use the pivoted Cholesky factor, G r×d with r = rank Σ1), Σ1Σ2 has the
// same non-zero eigenvalues as the symmetric PSD matrix M = G Σ2 Gᵀ (for G = Σ1^½ that is
// Σ1^½ Σ2 Σ1^½), so Tr((Σ1Σ2)^½) = Σ √max(eig(M), 0), with eig(M) from the Jacobi solver
// (values only). A rank-deficient Σ1 (fewer samples than dimensions) just makes M smaller;
// no ε is added to the diagonal. Tiny negative eigenvalues (rounding) count as 0.
// Cost: O(n·d²) per covariance, O(d·r²) Cholesky, ~1.5·d²·r for M, and the Jacobi solver's
// O(r³) per sweep (see linalg.ts), which dominates for large d. Measured on this project's
// shared 2-core development VM (under load, so an upper bound): d = 512, n = 1000: ~5–10 s;
// d = 1024, n = 2048: ~40 s; d = 2048 (Inception pool3), n = 4096: ~8 min (covariances
// 43 s, Cholesky 24 s, M 31 s, Jacobi 389 s with 13 sweeps). Time grows as d³: run large
// FIDs off the UI thread (worker) and cache reference statistics (frechetDistanceFromStats).
//
// KID (Bińkowski et al. 2018; torch-fidelity defaults): unbiased MMD² with the polynomial
// kernel k(x, y) = (x·y/d + 1)³, on `numSubsets` (100) random subsets of `subsetSize` (1000)
// samples drawn without replacement from each set, independently per subset; the subset size
// is clamped to the smaller set. Per subset, with m samples x and y:
//   MMD²ᵤ = [Σ_{i≠j} k(xi,xj) + Σ_{i≠j} k(yi,yj)] / (m(m−1)) − 2·Σ_{i,j} k(xi,yj) / m².
// Reported as mean ± POPULATION std over subsets (torch-fidelity uses np.std). The PRNG is
// a seeded xoshiro128** (default seed 0), so results are reproducible here but not bitwise
// equal to numpy's sampling.
// KID(a, a) is close to but not exactly 0 (typically slightly negative): the x and y subsets
// drawn from the same set share samples, and a shared sample puts k(x, x) into the cross
// term; the effect is of order 2·overlap/m²·(mean k(x,x) − mean k(x,y)).
// Cost: numSubsets·2m² dot products of length d (e.g. 100·2·1000²·2048 ≈ 4·10¹¹ flops for the
// defaults on Inception features: many minutes in JS), or — chosen automatically when
// cheaper and it fits in 256 MiB — the full kernel between all samples once
// ((n1 + n2)²/2 dot products) and table look-ups per subset.
import { check } from './errors'
import { GaussianStats, dotAt, gaussianStats, jacobiEigenSymmetric, multiplyABt, pivotedCholesky } from './linalg'
import { Xoshiro128 } from '../random/xoshiro128'

export type FeatureVector = ArrayLike<number>

/** What produced the features; decides how the result may be labelled. */
export type FeatureSpace =
  | { kind: 'inception' }
  | { kind: 'face-embedding'; model?: string }
  | { kind: 'other'; name?: string }

export interface DistributionLabel {
  /** Short column name: "FID", "KID", "FD-face", "KID-face", "FD-other", … */
  short: string
  /** Text for a tooltip/legend, e.g. "FD-face (not comparable to published FID)". */
  long: string
  /** True only for Inception features, whose values can be set beside published numbers. */
  comparableToPublished: boolean
  featureSpace: FeatureSpace
}

/** The label for a Fréchet ('FD') or kernel ('KD') distance computed in a feature space. */
export function distributionLabel(metric: 'FD' | 'KD', space: FeatureSpace): DistributionLabel {
  const published = metric === 'FD' ? 'FID' : 'KID'
  if (space.kind === 'inception') {
    return { short: published, long: `${published} (Inception-v3 features)`, comparableToPublished: true, featureSpace: space }
  }
  const suffix = space.kind === 'face-embedding' ? 'face' : 'other'
  const short = metric === 'FD' ? `FD-${suffix}` : `KID-${suffix}`
  const detail = space.kind === 'face-embedding' ? space.model : space.name
  const what = detail ? `${short}, ${detail}` : short
  return { short, long: `${what} (not comparable to published ${published})`, comparableToPublished: false, featureSpace: space }
}

export interface DistributionOptions {
  /** What produced the features. Default { kind: 'other' } (labelled as not comparable). */
  featureSpace?: FeatureSpace
}

export interface FrechetResult {
  value: number
  /** ‖µ1 − µ2‖². */
  meanTerm: number
  /** Tr(Σ1) + Tr(Σ2) − 2·Tr((Σ1Σ2)^½). */
  covTerm: number
  dims: number
  n1: number
  n2: number
  label: DistributionLabel
}

/** Fréchet distance from precomputed statistics (e.g. cached reference statistics). */
export function frechetDistanceFromStats(s1: GaussianStats, s2: GaussianStats, opts: DistributionOptions = {}): FrechetResult {
  check(s1.dims === s2.dims, `Fréchet distance: the feature sets have ${s1.dims} and ${s2.dims} dimensions`)
  const d = s1.dims
  check(s1.mean.length === d && s2.mean.length === d && s1.cov.length === d * d && s2.cov.length === d * d, 'Fréchet distance: malformed statistics')
  let meanTerm = 0
  for (let i = 0; i < d; i++) {
    const diff = s1.mean[i] - s2.mean[i]
    meanTerm += diff * diff
  }
  let tr1 = 0
  let tr2 = 0
  for (let i = 0; i < d; i++) {
    tr1 += s1.cov[i * d + i]
    tr2 += s2.cov[i * d + i]
  }
  // Tr((Σ1Σ2)^½) = Tr((Σ2Σ1)^½): factor the covariance of the smaller set, whose rank
  // (≤ n − 1) bounds the size of the eigenproblem.
  const trSqrt = s1.n <= s2.n ? traceSqrtProduct(s1.cov, s2.cov, d) : traceSqrtProduct(s2.cov, s1.cov, d)
  const covTerm = tr1 + tr2 - 2 * trSqrt
  return {
    value: meanTerm + covTerm,
    meanTerm,
    covTerm,
    dims: d,
    n1: s1.n,
    n2: s2.n,
    label: distributionLabel('FD', opts.featureSpace ?? { kind: 'other' })
  }
}

/**
 * Tr((S1·S2)^½) for symmetric PSD S1, S2 (d×d): S1 = GᵀG by pivoted Cholesky (G is r×d,
 * r = numerical rank), then the eigenvalues of the symmetric PSD r×r matrix G·S2·Gᵀ — which
 * are the non-zero eigenvalues of S1·S2 — come from the Jacobi solver, and the result is
 * Σ √max(λ, 0).
 */
export function traceSqrtProduct(s1: Float64Array, s2: Float64Array, d: number): number {
  const { g, rank: r } = pivotedCholesky(s1, d)
  if (r === 0) return 0
  const gs2 = multiplyABt(g, r, s2, d, d) // G·S2 (S2 symmetric, so S2ᵀ = S2): r×d
  const m = multiplyABt(gs2, r, g, r, d, true) // G·S2·Gᵀ: r×r
  const e = jacobiEigenSymmetric(m, r, { vectors: false })
  let tr = 0
  for (const v of e.values) if (v > 0) tr += Math.sqrt(v)
  return tr
}

/** Fréchet distance between two feature sets (FID for Inception features). */
export function frechetDistance(a: FeatureVector[], b: FeatureVector[], opts: DistributionOptions = {}): FrechetResult {
  check(a.length > 0 && b.length > 0, `Fréchet distance: empty feature set (${a.length} and ${b.length} samples)`)
  check(a[0].length === b[0].length, `Fréchet distance: the feature sets have ${a[0].length} and ${b[0].length} dimensions`)
  return frechetDistanceFromStats(gaussianStats(a, 'first feature set'), gaussianStats(b, 'second feature set'), opts)
}

// ---------------------------------------------------------------- KID

/** Seeded xoshiro128** (random/xoshiro128.ts, keyed by the seed itself); next() is uniform in [0, 1). */
export class Prng extends Xoshiro128 {
  constructor(seed = 0) {
    super(seed >>> 0)
  }

  next(): number {
    return this.nextU32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

/** m distinct indices from [0, n), by a partial Fisher–Yates shuffle. */
export function sampleWithoutReplacement(rng: Prng, n: number, m: number): Int32Array {
  check(m <= n, `cannot draw ${m} distinct samples from ${n}`)
  const idx = new Int32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i)
    const t = idx[i]
    idx[i] = idx[j]
    idx[j] = t
  }
  return idx.slice(0, m)
}

export interface KidOptions extends DistributionOptions {
  /** Default 100. */
  numSubsets?: number
  /** Default 1000, clamped to the smaller set. */
  subsetSize?: number
  /** PRNG seed. Default 0. */
  seed?: number
  /**
   * 'auto' (default): cache the kernel between all samples when that takes fewer dot products
   * than the subsets do and fits in 32M float64 entries; 'never' / 'always' force a path.
   * Both give the same values up to rounding.
   */
  kernelCache?: 'auto' | 'always' | 'never'
}

export interface KidResult {
  mean: number
  /** Population std over subsets. */
  std: number
  /** MMD² of each subset. */
  subsets: number[]
  /** The subset size actually used (after clamping). */
  subsetSize: number
  numSubsets: number
  dims: number
  n1: number
  n2: number
  label: DistributionLabel
}

function toMatrix(features: FeatureVector[], dims: number, what: string): Float64Array {
  const out = new Float64Array(features.length * dims)
  features.forEach((f, i) => {
    check(f.length === dims, () => `${what}[${i}] has ${f.length} dimensions, expected ${dims} (all feature vectors must have the same dimension)`)
    for (let j = 0; j < dims; j++) {
      const v = f[j]
      check(Number.isFinite(v), () => `${what}[${i}] has a non-finite value`)
      out[i * dims + j] = v
    }
  })
  return out
}

/** Kernel Inception Distance (or its analogue in another feature space). */
export function kernelDistance(a: FeatureVector[], b: FeatureVector[], opts: KidOptions = {}): KidResult {
  const numSubsets = opts.numSubsets ?? 100
  const requested = opts.subsetSize ?? 1000
  check(Number.isInteger(numSubsets) && numSubsets >= 1, `numSubsets must be a whole number ≥ 1, got ${numSubsets}`)
  check(Number.isInteger(requested) && requested >= 2, `subsetSize must be a whole number ≥ 2, got ${requested}`)
  const n1 = a.length
  const n2 = b.length
  check(n1 >= 2 && n2 >= 2, `KID needs at least 2 samples in each set, got ${n1} and ${n2}`)
  const d = a[0].length
  check(d >= 1, 'KID: feature vectors are empty')
  check(b[0].length === d, `KID: the feature sets have ${d} and ${b[0].length} dimensions`)
  const x = toMatrix(a, d, 'first feature set')
  const y = toMatrix(b, d, 'second feature set')
  const m = Math.min(requested, n1, n2)
  const rng = new Prng(opts.seed ?? 0)
  const k = (dotv: number): number => {
    const v = dotv / d + 1
    return v * v * v
  }

  // Either cache the kernel between all samples once, or compute it per subset, whichever
  // needs fewer dot products (the cache is limited to 32M entries, 256 MiB).
  const cacheEntries = n1 * n1 + n2 * n2 + n1 * n2
  const cacheDots = (n1 * (n1 + 1)) / 2 + (n2 * (n2 + 1)) / 2 + n1 * n2
  const subsetDots = numSubsets * 2 * m * m
  const mode = opts.kernelCache ?? 'auto'
  const useCache = mode === 'always' || (mode === 'auto' && cacheEntries <= 32 * 1024 * 1024 && cacheDots < subsetDots)
  let kxx: Float64Array | undefined
  let kyy: Float64Array | undefined
  let kxy: Float64Array | undefined
  if (useCache) {
    kxx = multiplyABt(x, n1, x, n1, d, true).map(k)
    kyy = multiplyABt(y, n2, y, n2, d, true).map(k)
    kxy = multiplyABt(x, n1, y, n2, d).map(k)
  }

  const subsets: number[] = []
  for (let s = 0; s < numSubsets; s++) {
    const ix = sampleWithoutReplacement(rng, n1, m)
    const iy = sampleWithoutReplacement(rng, n2, m)
    let sxx = 0
    let syy = 0
    let sxy = 0
    for (let i = 0; i < m; i++) {
      const xi = ix[i]
      const yi = iy[i]
      for (let j = i + 1; j < m; j++) {
        const xj = ix[j]
        const yj = iy[j]
        if (useCache) {
          sxx += (kxx as Float64Array)[xi * n1 + xj]
          syy += (kyy as Float64Array)[yi * n2 + yj]
        } else {
          sxx += k(dotAt(x, xi * d, x, xj * d, d))
          syy += k(dotAt(y, yi * d, y, yj * d, d))
        }
      }
      for (let j = 0; j < m; j++) {
        sxy += useCache ? (kxy as Float64Array)[xi * n2 + iy[j]] : k(dotAt(x, xi * d, y, iy[j] * d, d))
      }
    }
    // Off-diagonal sums counted once above; each appears twice in the full matrix.
    subsets.push((2 * (sxx + syy)) / (m * (m - 1)) - (2 * sxy) / (m * m))
  }
  const mean = subsets.reduce((acc, v) => acc + v, 0) / numSubsets
  const std = Math.sqrt(subsets.reduce((acc, v) => acc + (v - mean) * (v - mean), 0) / numSubsets)
  return { mean, std, subsets, subsetSize: m, numSubsets, dims: d, n1, n2, label: distributionLabel('KD', opts.featureSpace ?? { kind: 'other' }) }
}
