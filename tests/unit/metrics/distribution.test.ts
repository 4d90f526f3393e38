import { describe, it, expect } from 'vitest'
import {
  MetricsError,
  Prng,
  distributionLabel,
  frechetDistance,
  frechetDistanceFromStats,
  gaussianStats,
  jacobiEigenSymmetric,
  kernelDistance,
  pivotedCholesky,
  sampleWithoutReplacement,
  traceSqrtProduct
} from '../../../src/main/engine/metrics'
import { lcg, normal } from './helpers'

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = lcg(seed)
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r() * 2 - 1
  return a
}

/** GᵀG for a random k×n G: PSD of rank min(k, n). */
function randomPsd(n: number, k: number, seed: number): Float64Array {
  const r = lcg(seed)
  const g = Float64Array.from({ length: k * n }, () => r() - 0.5)
  const s = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let l = 0; l < k; l++) s[i * n + j] += g[l * n + i] * g[l * n + j]
  return s
}

function features(n: number, d: number, seed: number, shift: number[] = []): Float32Array[] {
  const g = normal(lcg(seed))
  return Array.from({ length: n }, () => {
    const common = g()
    return Float32Array.from({ length: d }, (_, i) => g() * (1 + (i % 3)) + common * (i % 2) + (shift[i] ?? 0))
  })
}

describe('Jacobi eigen solver', () => {
  it('solves a 2×2 by hand', () => {
    const e = jacobiEigenSymmetric(Float64Array.of(2, 1, 1, 2), 2)
    expect([...e.values].sort()).toEqual([1, 3].map((x) => expect.closeTo(x, 14)))
    const v = e.vectors as Float64Array
    // Each row is a unit eigenvector: (1, ±1)/√2.
    expect(Math.abs(v[0])).toBeCloseTo(Math.SQRT1_2, 14)
    expect(Math.abs(v[1])).toBeCloseTo(Math.SQRT1_2, 14)
  })

  it('decomposes a random symmetric matrix: AV = VΛ, VᵀV = I, Σλ = trace', () => {
    const n = 40
    const a = randomSymmetric(n, 5)
    const { values, vectors } = jacobiEigenSymmetric(a, n)
    const v = vectors as Float64Array
    let trace = 0
    for (let i = 0; i < n; i++) trace += a[i * n + i]
    expect(values.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 11)
    let worst = 0
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let av = 0
        for (let j = 0; j < n; j++) av += a[i * n + j] * v[k * n + j]
        worst = Math.max(worst, Math.abs(av - values[k] * v[k * n + i]))
      }
      for (let l = 0; l < n; l++) {
        let d = 0
        for (let i = 0; i < n; i++) d += v[k * n + i] * v[l * n + i]
        worst = Math.max(worst, Math.abs(d - (k === l ? 1 : 0)))
      }
    }
    expect(worst).toBeLessThan(1e-12)
    // Values only gives the same eigenvalues.
    const only = jacobiEigenSymmetric(a, n, { vectors: false })
    expect(only.vectors).toBeUndefined()
    const sorted = (x: Float64Array): number[] => [...x].sort((p, q) => p - q)
    sorted(only.values).forEach((x, i) => expect(x).toBeCloseTo(sorted(values)[i], 12))
  })

  it('leaves a diagonal matrix alone and handles 1×1', () => {
    const e = jacobiEigenSymmetric(Float64Array.of(3, 0, 0, 0, -1, 0, 0, 0, 2), 3)
    expect([...e.values]).toEqual([3, -1, 2])
    expect(e.rotations).toBe(0)
    expect([...jacobiEigenSymmetric(Float64Array.of(5), 1).values]).toEqual([5])
    expect(() => jacobiEigenSymmetric(new Float64Array(3), 2)).toThrow(/expected 2×2/)
  })
})

describe('pivoted Cholesky', () => {
  it('reveals the rank of a PSD matrix and reconstructs it', () => {
    const n = 12
    const s = randomPsd(n, 4, 2)
    const { g, rank } = pivotedCholesky(s, n)
    expect(rank).toBe(4)
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0
        for (let k = 0; k < rank; k++) v += g[k * n + i] * g[k * n + j]
        expect(v).toBeCloseTo(s[i * n + j], 12)
      }
    }
    expect(pivotedCholesky(randomPsd(6, 10, 3), 6).rank).toBe(6)
  })
})

describe('Fréchet distance', () => {
  it('matches the closed form for diagonal covariances', () => {
    const stats = (mean: number[], diag: number[]) => {
      const d = mean.length
      const cov = new Float64Array(d * d)
      diag.forEach((x, i) => (cov[i * d + i] = x))
      return { n: 10, dims: d, mean: Float64Array.from(mean), cov }
    }
    // ‖(1, 2)‖² + (√1 − √9)² + (√4 − √16)² = 5 + 4 + 4
    expect(frechetDistanceFromStats(stats([0, 0], [1, 4]), stats([1, 2], [9, 16])).value).toBeCloseTo(13, 12)
  })

  it('matches the 2×2 closed form Tr(√A) = √(tr A + 2√det A) for non-commuting covariances', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const s1 = randomPsd(2, 3, seed)
      const s2 = randomPsd(2, 3, seed + 100)
      const a = [s1[0] * s2[0] + s1[1] * s2[2], s1[0] * s2[1] + s1[1] * s2[3], s1[2] * s2[0] + s1[3] * s2[2], s1[2] * s2[1] + s1[3] * s2[3]]
      const det = a[0] * a[3] - a[1] * a[2]
      expect(traceSqrtProduct(s1, s2, 2)).toBeCloseTo(Math.sqrt(a[0] + a[3] + 2 * Math.sqrt(det)), 12)
    }
  })

  it('is ≈ 0 for identical sets', () => {
    const a = features(300, 16, 1)
    const r = frechetDistance(a, a)
    expect(Math.abs(r.value)).toBeLessThan(1e-9)
    expect(r.meanTerm).toBe(0)
    expect(r.dims).toBe(16)
    expect(r.n1).toBe(300)
  })

  it('is ‖shift‖² for a shifted copy, and ≈ ‖shift‖² for fresh samples', () => {
    const d = 12
    const shift = Array.from({ length: d }, (_, i) => (i % 4) * 0.5 - 0.3)
    const norm2 = shift.reduce((s, x) => s + x * x, 0)
    const a = features(500, d, 2)
    const moved = a.map((f) => Float64Array.from(f, (x, i) => x + shift[i]))
    expect(frechetDistance(a, moved).value).toBeCloseTo(norm2, 8)
    // Independent samples: sampling noise adds a small positive bias.
    const b = features(4000, d, 3, shift)
    const c = features(4000, d, 4)
    expect(Math.abs(frechetDistance(c, b).value - norm2)).toBeLessThan(0.25)
  })

  it('handles fewer samples than dimensions (singular covariance)', () => {
    const a = features(10, 32, 5)
    const b = features(12, 32, 6)
    const r = frechetDistance(a, b)
    expect(Number.isFinite(r.value)).toBe(true)
    expect(r.value).toBeGreaterThan(0)
    // Symmetric in its arguments.
    expect(frechetDistance(b, a).value).toBeCloseTo(r.value, 8)
  })

  it('labels the result by feature space', () => {
    const a = features(20, 4, 7)
    expect(frechetDistance(a, a, { featureSpace: { kind: 'inception' } }).label).toMatchObject({ short: 'FID', comparableToPublished: true })
    const face = frechetDistance(a, a, { featureSpace: { kind: 'face-embedding' } }).label
    expect(face.short).toBe('FD-face')
    expect(face.long).toBe('FD-face (not comparable to published FID)')
    expect(face.comparableToPublished).toBe(false)
    expect(distributionLabel('FD', { kind: 'face-embedding', model: 'arcface-r50' }).long).toBe('FD-face, arcface-r50 (not comparable to published FID)')
    expect(distributionLabel('KD', { kind: 'inception' }).short).toBe('KID')
    expect(distributionLabel('KD', { kind: 'face-embedding' }).long).toBe('KID-face (not comparable to published KID)')
    expect(frechetDistance(a, a).label.comparableToPublished).toBe(false)
  })

  it('rejects bad input', () => {
    const a = features(5, 4, 1)
    expect(() => frechetDistance([], a)).toThrow(/empty/)
    expect(() => frechetDistance(a.slice(0, 1), a)).toThrow(/at least 2 samples/)
    expect(() => frechetDistance(features(5, 1, 1), features(5, 1, 2))).toThrow(/at least 2 dimensions/)
    expect(() => frechetDistance(a, features(5, 6, 1))).toThrow(/4 and 6 dimensions/)
    expect(() => frechetDistance([...a, new Float32Array(3)], a)).toThrow(MetricsError)
    expect(() => gaussianStats([Float32Array.of(1, NaN), Float32Array.of(1, 2)])).toThrow(/non-finite/)
  })
})

describe('KID', () => {
  function naiveMmd(x: ArrayLike<number>[], y: ArrayLike<number>[]): number {
    const d = x[0].length
    const m = x.length
    const k = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
      let s = 0
      for (let i = 0; i < d; i++) s += a[i] * b[i]
      return (s / d + 1) ** 3
    }
    let xx = 0
    let yy = 0
    let xy = 0
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (i !== j) {
          xx += k(x[i], x[j])
          yy += k(y[i], y[j])
        }
        xy += k(x[i], y[j])
      }
    }
    return (xx + yy) / (m * (m - 1)) - (2 * xy) / (m * m)
  }

  it('matches the unbiased MMD² formula on one full subset', () => {
    const a = features(40, 6, 1)
    const b = features(40, 6, 2, [1, 0, 0.5])
    const r = kernelDistance(a, b, { numSubsets: 1, subsetSize: 40 })
    expect(r.mean).toBeCloseTo(naiveMmd(a, b), 10)
    expect(r.std).toBe(0)
  })

  it('is ≈ 0 for identical sets and clearly positive for shifted ones', () => {
    const g = normal(lcg(11))
    const gauss = (n: number, d: number, shift: number): Float64Array[] =>
      Array.from({ length: n }, () => Float64Array.from({ length: d }, (_, i) => g() + (i < 4 ? shift : 0)))
    const a = gauss(400, 16, 0)
    const opts = { numSubsets: 50, subsetSize: 200 }
    const shifted = kernelDistance(a, gauss(400, 16, 1), opts)
    expect(shifted.mean).toBeGreaterThan(10 * shifted.std)
    // Identical sets: subsets drawn from the same set share samples, which adds a small
    // negative term (see distribution.ts); it is tiny next to a real difference.
    const same = kernelDistance(a, a, opts)
    expect(Math.abs(same.mean)).toBeLessThan(0.05 * shifted.mean)
    // Another sample of the same distribution: unbiased, so ≈ 0 too.
    const fresh = kernelDistance(a, gauss(400, 16, 0), opts)
    expect(Math.abs(fresh.mean)).toBeLessThan(0.05 * shifted.mean)
  })

  it('uses the defaults, clamps the subset size and is reproducible per seed', () => {
    const a = features(30, 4, 5)
    const b = features(25, 4, 6)
    const r = kernelDistance(a, b)
    expect(r.numSubsets).toBe(100)
    expect(r.subsetSize).toBe(25)
    expect(r.subsets).toHaveLength(100)
    const s = r.subsets
    const mean = s.reduce((x, y) => x + y, 0) / s.length
    expect(r.mean).toBeCloseTo(mean, 14)
    expect(r.std).toBeCloseTo(Math.sqrt(s.reduce((x, y) => x + (y - mean) ** 2, 0) / s.length), 14) // population std
    expect(kernelDistance(a, b, { seed: 0 }).subsets).toEqual(r.subsets)
    expect(kernelDistance(a, b, { seed: 1 }).subsets).not.toEqual(r.subsets)
  })

  it('gives the same values with and without the kernel cache', () => {
    const a = features(60, 5, 7)
    const b = features(50, 5, 8)
    const cached = kernelDistance(a, b, { numSubsets: 7, subsetSize: 20, kernelCache: 'always' })
    const direct = kernelDistance(a, b, { numSubsets: 7, subsetSize: 20, kernelCache: 'never' })
    cached.subsets.forEach((v, i) => expect(v).toBeCloseTo(direct.subsets[i], 12))
  })

  it('rejects bad input', () => {
    const a = features(5, 4, 1)
    expect(() => kernelDistance(a.slice(0, 1), a)).toThrow(/at least 2 samples/)
    expect(() => kernelDistance(a, features(5, 3, 1))).toThrow(/4 and 3 dimensions/)
    expect(() => kernelDistance(a, a, { subsetSize: 1 })).toThrow(/subsetSize/)
    expect(() => kernelDistance(a, a, { numSubsets: 0 })).toThrow(/numSubsets/)
  })
})

describe('PRNG', () => {
  it('is deterministic and samples without replacement', () => {
    const a = new Prng(42)
    const b = new Prng(42)
    const xs = Array.from({ length: 1000 }, () => a.next())
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs)
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...xs)).toBeLessThan(1)
    expect(Math.abs(xs.reduce((s, x) => s + x, 0) / 1000 - 0.5)).toBeLessThan(0.05)
    const idx = sampleWithoutReplacement(new Prng(1), 50, 50)
    expect(new Set(idx).size).toBe(50)
    expect(() => sampleWithoutReplacement(new Prng(1), 3, 4)).toThrow()
  })
})
