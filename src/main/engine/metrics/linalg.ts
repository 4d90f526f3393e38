// Small dense float64 linear algebra for the distribution metrics: mean/covariance of a
// feature set and a cyclic Jacobi eigenvalue solver for symmetric matrices.
//
// Matrices are row-major Float64Array of n×n.
//
// Jacobi solver (jacobiEigenSymmetric):
//  - Cyclic-by-row sweeps over all p < q on the upper triangle. Each rotation zeroes a_pq by
//    A ← JᵀAJ and costs O(n) (about 3n flops per row pair; plus 3n for the two rows of Vᵀ
//    when vectors are wanted), so one sweep of n(n−1)/2 rotations is O(n³), ~1.5n³ flops
//    (3n³ with vectors). On covariance-like matrices 10–13 sweeps are typical (measured: 12
//    at n = 512, 13 at n = 2048), about 6 full sweeps' worth of rotations in total; the
//    last sweeps converge quadratically and skip most pairs.
//  - During the first three sweeps only elements above 0.2·(Σ|a_pq|)/n² are rotated (the
//    classic threshold strategy); after that a rotation is skipped when
//    |a_pq| ≤ 1e-15·√|a_pp·a_qq| (negligible relative to the diagonal — this keeps small
//    eigenvalues of positive semi-definite matrices accurate) or |a_pq| ≤ 1e-300 +
//    1e-17·‖A‖_F. The solver stops after a sweep with no rotation; it throws if 100 sweeps
//    did not converge (never seen in practice).
//  - Measured timing: see distribution.ts (FID) for whole-pipeline numbers.
import { check } from './errors'

export interface EigenResult {
  /** Eigenvalues, in no particular order (values[i] belongs to vectors row i). */
  values: Float64Array
  /** n×n, ROW i is the unit eigenvector of values[i] (i.e. this is Vᵀ). Only when asked. */
  vectors?: Float64Array
  sweeps: number
  rotations: number
}

export interface JacobiOptions {
  /** Also compute eigenvectors. Default true. */
  vectors?: boolean
  maxSweeps?: number
}

/** Eigen-decomposition of a symmetric n×n matrix (the input is not modified). */
export function jacobiEigenSymmetric(matrix: Float64Array, n: number, opts: JacobiOptions = {}): EigenResult {
  check(Number.isInteger(n) && n >= 1, `matrix size must be ≥ 1, got ${n}`)
  check(matrix.length === n * n, `expected ${n}×${n} = ${n * n} entries, got ${matrix.length}`)
  const wantVectors = opts.vectors ?? true
  const maxSweeps = opts.maxSweeps ?? 100
  // Work on the upper triangle (a[i·n + j], i ≤ j) of a copy; the input's upper and lower
  // triangles are averaged so tiny asymmetries from the caller's rounding do not matter.
  const a = new Float64Array(n * n)
  let frob = 0
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = i === j ? matrix[i * n + i] : 0.5 * (matrix[i * n + j] + matrix[j * n + i])
      check(Number.isFinite(v), 'matrix has non-finite entries')
      a[i * n + j] = v
      frob += (i === j ? 1 : 2) * v * v
    }
  }
  frob = Math.sqrt(frob)
  const vt = wantVectors ? new Float64Array(n * n) : undefined
  if (vt) for (let i = 0; i < n; i++) vt[i * n + i] = 1
  const absFloor = 1e-300 + 1e-17 * frob
  const relTol = 1e-15

  let rotations = 0
  let sweep = 0
  for (; sweep < maxSweeps; sweep++) {
    let offSum = 0
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) offSum += Math.abs(a[p * n + q])
    if (offSum <= absFloor) break
    const thresh = sweep < 3 ? (0.2 * offSum) / (n * n) : 0
    let rotatedThisSweep = 0
    for (let p = 0; p < n - 1; p++) {
      const rp = p * n
      for (let q = p + 1; q < n; q++) {
        const rq = q * n
        const apq = a[rp + q]
        const absApq = Math.abs(apq)
        if (absApq <= thresh || absApq <= absFloor) continue
        const app = a[rp + p]
        const aqq = a[rq + q]
        if (absApq <= relTol * Math.sqrt(Math.abs(app * aqq))) {
          if (sweep >= 3) a[rp + q] = 0
          continue
        }
        // t = tan(φ), the smaller root of t² + 2θt − 1 = 0 with θ = (a_qq − a_pp)/(2a_pq).
        const theta = (aqq - app) / (2 * apq)
        const t = Math.abs(theta) > 1e150 ? 0.5 / theta : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        a[rp + p] = app - t * apq
        a[rq + q] = aqq + t * apq
        a[rp + q] = 0
        // Rotate the rest of rows/columns p and q, reading each from the upper triangle.
        for (let j = 0, jn = 0; j < p; j++, jn += n) {
          const x = a[jn + p]
          const y = a[jn + q]
          a[jn + p] = c * x - s * y
          a[jn + q] = s * x + c * y
        }
        for (let j = p + 1; j < q; j++) {
          const x = a[rp + j]
          const y = a[j * n + q]
          a[rp + j] = c * x - s * y
          a[j * n + q] = s * x + c * y
        }
        for (let j = q + 1; j < n; j++) {
          const x = a[rp + j]
          const y = a[rq + j]
          a[rp + j] = c * x - s * y
          a[rq + j] = s * x + c * y
        }
        if (vt) {
          for (let k = 0; k < n; k++) {
            const x = vt[rp + k]
            const y = vt[rq + k]
            vt[rp + k] = c * x - s * y
            vt[rq + k] = s * x + c * y
          }
        }
        rotatedThisSweep++
      }
    }
    rotations += rotatedThisSweep
    if (rotatedThisSweep === 0 && sweep >= 3) break
  }
  if (sweep >= maxSweeps) throw new Error(`Jacobi eigen solver did not converge in ${maxSweeps} sweeps (n = ${n})`)
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) values[i] = a[i * n + i]
  return { values, vectors: vt, sweeps: sweep + 1, rotations }
}

export interface PivotedCholesky {
  /** r×n, row-major: S ≈ GᵀG (row k of G is column k of the Cholesky factor L, S = LLᵀ). */
  g: Float64Array
  /** Numerical rank r. */
  rank: number
  n: number
}

/**
 * Pivoted (rank-revealing) Cholesky of a symmetric positive semi-definite n×n matrix:
 * S = GᵀG + E, with diagonal pivoting on the largest remaining diagonal entry and stopping
 * when that entry is ≤ n·2⁻⁵²·max(diag S) (LAPACK dpstrf's default tolerance), so E is below
 * rounding level. O(n·r²) time. Negative or tiny remaining pivots end the factorisation.
 */
export function pivotedCholesky(s: Float64Array, n: number): PivotedCholesky {
  check(s.length === n * n, `expected ${n}×${n} = ${n * n} entries, got ${s.length}`)
  const d = new Float64Array(n)
  let maxDiag = 0
  for (let i = 0; i < n; i++) {
    d[i] = s[i * n + i]
    check(Number.isFinite(d[i]), 'matrix has non-finite entries')
    maxDiag = Math.max(maxDiag, d[i])
  }
  const tol = n * 2.220446049250313e-16 * maxDiag
  const pivoted = new Uint8Array(n)
  const rows: Float64Array[] = []
  while (rows.length < n) {
    let j = -1
    let best = -Infinity
    for (let i = 0; i < n; i++) {
      if (!pivoted[i] && d[i] > best) {
        best = d[i]
        j = i
      }
    }
    if (j < 0 || best <= tol) break
    pivoted[j] = 1
    const col = Float64Array.from(s.subarray(j * n, j * n + n)) // row j = column j (symmetric)
    for (const prev of rows) {
      const f = prev[j]
      if (f !== 0) for (let i = 0; i < n; i++) col[i] -= f * prev[i]
    }
    const root = Math.sqrt(best)
    for (let i = 0; i < n; i++) {
      if (pivoted[i] && i !== j) col[i] = 0
      else col[i] /= root
    }
    col[j] = root
    for (let i = 0; i < n; i++) if (!pivoted[i]) d[i] -= col[i] * col[i]
    rows.push(col)
  }
  const r = rows.length
  const g = new Float64Array(r * n)
  rows.forEach((row, k) => g.set(row, k * n))
  return { g, rank: r, n }
}

/** Σ a[i]·b[i] over n entries starting at the given offsets (4 accumulators). */
export function dotAt(a: Float64Array, ao: number, b: Float64Array, bo: number, n: number): number {
  let s0 = 0
  let s1 = 0
  let s2 = 0
  let s3 = 0
  let i = 0
  for (; i + 3 < n; i += 4) {
    s0 += a[ao + i] * b[bo + i]
    s1 += a[ao + i + 1] * b[bo + i + 1]
    s2 += a[ao + i + 2] * b[bo + i + 2]
    s3 += a[ao + i + 3] * b[bo + i + 3]
  }
  for (; i < n; i++) s0 += a[ao + i] * b[bo + i]
  return s0 + s1 + s2 + s3
}

/**
 * C = A·Bᵀ for A (r×k) and B (c×k), both row-major; C is r×c. With `symmetric` (A and B
 * the same product, so C symmetric) only the upper triangle is computed and mirrored.
 */
export function multiplyABt(a: Float64Array, r: number, b: Float64Array, c: number, k: number, symmetric = false): Float64Array {
  const out = new Float64Array(r * c)
  for (let i = 0; i < r; i++) {
    for (let j = symmetric ? i : 0; j < c; j++) {
      const v = dotAt(a, i * k, b, j * k, k)
      out[i * c + j] = v
      if (symmetric) out[j * c + i] = v
    }
  }
  return out
}

export interface GaussianStats {
  /** Number of samples the statistics came from. */
  n: number
  dims: number
  mean: Float64Array
  /** dims×dims sample covariance (÷(n − 1), like numpy.cov). */
  cov: Float64Array
}

/**
 * Mean and sample covariance (÷(n−1), numpy.cov(rowvar=False)) of n feature vectors of
 * `dims` entries, in float64, by the two-pass (centred) method. O(n·dims²) time, memory
 * O(dims² + dims·block).
 */
export function gaussianStats(features: ArrayLike<number>[], what = 'features'): GaussianStats {
  const n = features.length
  check(n > 0, `${what}: empty set`)
  const dims = features[0].length
  check(dims >= 2, `${what}: feature vectors need at least 2 dimensions, got ${dims}`)
  check(n >= 2, `${what}: need at least 2 samples to estimate a covariance, got ${n}`)
  const mean = new Float64Array(dims)
  for (let s = 0; s < n; s++) {
    const f = features[s]
    check(f.length === dims, () => `${what}[${s}] has ${f.length} dimensions, expected ${dims} (all feature vectors must have the same dimension)`)
    for (let i = 0; i < dims; i++) mean[i] += f[i]
  }
  for (let i = 0; i < dims; i++) {
    mean[i] /= n
    check(Number.isFinite(mean[i]), `${what}: non-finite feature values`)
  }
  const cov = new Float64Array(dims * dims)
  // Centred samples are transposed in blocks (dims × block) so that every covariance entry
  // is a contiguous dot product over the block.
  const block = Math.max(1, Math.min(n, 512))
  const t = new Float64Array(dims * block)
  for (let s0 = 0; s0 < n; s0 += block) {
    const m = Math.min(block, n - s0)
    for (let j = 0; j < m; j++) {
      const f = features[s0 + j]
      for (let i = 0; i < dims; i++) t[i * m + j] = f[i] - mean[i]
    }
    for (let i = 0; i < dims; i++) {
      for (let k = i; k < dims; k++) cov[i * dims + k] += dotAt(t, i * m, t, k * m, m)
    }
  }
  for (let i = 0; i < dims; i++) {
    for (let k = i; k < dims; k++) {
      const v = cov[i * dims + k] / (n - 1)
      cov[i * dims + k] = v
      cov[k * dims + i] = v
    }
  }
  return { n, dims, mean, cov }
}
