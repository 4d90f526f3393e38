import { describe, it, expect } from 'vitest'
import {
  MetricsError,
  combineFlipEmbeddings,
  cosineSimilarity,
  identify,
  kFoldBounds,
  l2Normalize,
  squaredL2Distance,
  tarAtFar,
  thresholdGrid,
  verify,
  type VerificationPair
} from '../../../src/main/engine/metrics'
import { lcg } from './helpers'

const v = (...xs: number[]): Float32Array => Float32Array.from(xs)
/** Unit vector at `deg` degrees in the first two of `dims` dimensions. */
const angle = (deg: number, dims = 2): Float32Array => {
  const out = new Float32Array(dims)
  out[0] = Math.cos((deg * Math.PI) / 180)
  out[1] = Math.sin((deg * Math.PI) / 180)
  return out
}

describe('embedding basics', () => {
  it('cosine similarity is scale-invariant', () => {
    expect(cosineSimilarity(v(1, 0), v(1, 1))).toBeCloseTo(Math.SQRT1_2, 7)
    expect(cosineSimilarity(v(3, 4), v(6, 8))).toBeCloseTo(1, 7)
    expect(cosineSimilarity(v(1, 0), v(-2, 0))).toBeCloseTo(-1, 12)
    expect(l2Normalize(v(3, 4))).toEqual(Float64Array.of(0.6, 0.8))
  })

  it('combines an embedding with its flipped embedding: sum, then L2-normalise', () => {
    const c = combineFlipEmbeddings(v(2, 0), v(0, 1))
    // (2, 1)/√5
    expect(c[0]).toBeCloseTo(2 / Math.sqrt(5), 6)
    expect(c[1]).toBeCloseTo(1 / Math.sqrt(5), 6)
  })

  it('squared L2 distance of normalised embeddings is 2 − 2·cos', () => {
    expect(squaredL2Distance(v(5, 0), v(0, 3))).toBeCloseTo(2, 12)
    expect(squaredL2Distance(angle(0), angle(60))).toBeCloseTo(1, 6)
    expect(squaredL2Distance(v(1, 2, 3), v(1, 2, 3))).toBeCloseTo(0, 12)
  })

  it('rejects zero vectors and mismatched dimensions', () => {
    expect(() => cosineSimilarity(v(0, 0), v(1, 0))).toThrow(/all zeros/)
    expect(() => cosineSimilarity(v(1, 0, 0), v(1, 0))).toThrow(/3 and 2 dimensions/)
    expect(() => squaredL2Distance(v(1, 0), v(1, 0, 0))).toThrow(MetricsError)
    expect(() => combineFlipEmbeddings(v(1, 0), v(1))).toThrow(MetricsError)
  })
})

describe('closed-set identification', () => {
  // Identities A..D at 0°, 10°, 20°, 30°.
  const gallery = [
    { label: 'A', embedding: angle(0) },
    { label: 'B', embedding: angle(10) },
    { label: 'C', embedding: angle(20) },
    { label: 'D', embedding: angle(30) }
  ]

  it('ranks the true match among the gallery', () => {
    const probes = [
      { label: 'A', embedding: angle(1) }, // A is nearest: rank 1
      { label: 'A', embedding: angle(12) }, // B (2°), C (8°), then A (12°): rank 3
      { label: 'D', embedding: angle(14) }, // B 4°, C 6°, A 14°, D 16°: rank 4
      { label: 'C', embedding: angle(24) } // D 6°, C 4°: rank 1
    ]
    const r = identify(probes, gallery)
    expect([...r.ranks]).toEqual([1, 3, 4, 1])
    expect(r.cmc).toHaveLength(20)
    expect(r.cmc.slice(0, 5)).toEqual([0.5, 0.5, 0.75, 1, 1])
    expect(r.cmc[19]).toBe(1)
    expect(r.rank1).toBe(0.5)
    expect(r.numIdentities).toBe(4)
  })

  it('counts distractors that are closer than the true match', () => {
    const probes = [{ label: 'A', embedding: angle(-5) }]
    expect(identify(probes, gallery).ranks[0]).toBe(1)
    const r = identify(probes, gallery, [angle(-4), angle(-6), angle(-20)], { maxRank: 3 })
    expect(r.ranks[0]).toBe(3) // −4° and −6° are 1° away, A is 5° away
    expect(r.cmc).toEqual([0, 0, 1])
    expect(r.numDistractors).toBe(3)
  })

  it('resolves exact ties in the probe’s favour', () => {
    const g = [
      { label: 'x', embedding: v(1, 1, 0) },
      { label: 'y', embedding: v(1, -1, 0) },
      { label: 'z', embedding: v(0, 0, 1) }
    ]
    // Exactly equally similar to x and y.
    const r = identify([{ label: 'y', embedding: v(1, 0, 0) }, { label: 'x', embedding: v(1, 0, 0) }], g)
    expect([...r.ranks]).toEqual([1, 1])
  })

  it('accepts numeric labels', () => {
    const r = identify([{ label: 2, embedding: angle(19) }], [{ label: 1, embedding: angle(0) }, { label: 2, embedding: angle(20) }])
    expect(r.rank1).toBe(1)
  })

  it('rejects bad input', () => {
    expect(() => identify([{ label: 'E', embedding: angle(0) }], gallery)).toThrow(/identity "E", which is not in the gallery/)
    expect(() => identify([], gallery)).toThrow(/no probes/)
    expect(() => identify([{ label: 'A', embedding: angle(0) }], [])).toThrow(/empty gallery/)
    expect(() => identify([{ label: 'A', embedding: angle(0) }], [...gallery, { label: 'A', embedding: angle(5) }])).toThrow(/more than once/)
    expect(() => identify([{ label: 'A', embedding: angle(0, 3) }], gallery)).toThrow(/probes\[0\] has 3 dimensions, expected 2/)
    expect(() => identify([{ label: 'A', embedding: angle(0) }], gallery, [angle(0, 4)])).toThrow(/distractors\[0\] has 4 dimensions/)
  })
})

/** A pair of unit vectors at squared L2 distance d, in a random orientation. */
function pairAt(d: number, same: boolean, rand: () => number, dims = 8): VerificationPair {
  const cos = 1 - d / 2
  const sin = Math.sqrt(1 - cos * cos)
  // Random orthonormal u, w in `dims` dimensions (Gram–Schmidt); a = u, b = cos·u + sin·w.
  const u = Float64Array.from({ length: dims }, () => rand() - 0.5)
  const w = Float64Array.from({ length: dims }, () => rand() - 0.5)
  const nu = Math.hypot(...u)
  u.forEach((x, i) => (u[i] = x / nu))
  const proj = w.reduce((s, x, i) => s + x * u[i], 0)
  w.forEach((x, i) => (w[i] = x - proj * u[i]))
  const nw = Math.hypot(...w)
  w.forEach((x, i) => (w[i] = x / nw))
  const scale = 0.5 + rand() * 3 // embeddings need not be normalised on input
  return { a: u.map((x) => x * scale), b: u.map((x, i) => cos * x + sin * w[i]), same }
}

describe('verification', () => {
  it('uses the numpy arange threshold grid and sklearn KFold splits', () => {
    const g = thresholdGrid()
    expect(g.length).toBe(400)
    expect(g[0]).toBe(0)
    expect(g[51]).toBe(51 * 0.01)
    expect(g[399]).toBeCloseTo(3.99, 12)
    expect(kFoldBounds(23, 10).map(([a, b]) => b - a)).toEqual([3, 3, 3, 2, 2, 2, 2, 2, 2, 2])
    expect(kFoldBounds(6000, 10)[9]).toEqual([5400, 6000])
  })

  it('separates same (0.5) and different (1.5) pairs perfectly', () => {
    const rand = lcg(3)
    const pairs: VerificationPair[] = []
    for (let i = 0; i < 600; i++) pairs.push(pairAt(i % 2 === 0 ? 0.5 : 1.5, i % 2 === 0, rand))
    const r = verify(pairs)
    expect(r.foldAccuracies).toEqual(new Array(10).fill(1))
    expect(r.accuracy.mean).toBe(1)
    expect(r.accuracy.std).toBe(0)
    for (const t of r.foldThresholds) {
      expect(t).toBeGreaterThanOrEqual(0.5)
      expect(t).toBeLessThan(1.5)
      expect(t).toBeLessThanOrEqual(0.51) // ties go to the smallest threshold
    }
    expect(r.distances[0]).toBeCloseTo(0.5, 10)
    expect(r.distances[1]).toBeCloseTo(1.5, 10)
    expect(r.numGenuine).toBe(300)
    expect(r.numImpostor).toBe(300)
    expect(r.tarAtFar.tar).toBe(1)
    expect(r.tarAtFar.achievedFar).toBe(0)
  })

  it('chooses each fold’s threshold on the other folds (hand example)', () => {
    const rand = lcg(9)
    // fold 1: same 0.205, same 0.605, diff 0.405, diff 1.005
    // fold 2: same 0.305, diff 0.805, same 0.905, diff 1.205
    const spec: [number, boolean][] = [
      [0.205, true], [0.605, true], [0.405, false], [1.005, false],
      [0.305, true], [0.805, false], [0.905, true], [1.205, false]
    ]
    const r = verify(spec.map(([d, s]) => pairAt(d, s, rand)), { folds: 2 })
    // Fold 1 is tested with the threshold trained on fold 2: 3/4 first reached for t in (0.305, 0.805] → 0.31.
    // Fold 2 is tested with the threshold trained on fold 1: 3/4 first reached for t in (0.205, 0.405] → 0.21.
    expect(r.foldThresholds[0]).toBeCloseTo(0.31, 12)
    expect(r.foldThresholds[1]).toBeCloseTo(0.21, 12)
    expect(r.foldAccuracies).toEqual([0.75, 0.5])
    expect(r.accuracy.mean).toBe(0.625)
    expect(r.accuracy.std).toBe(0.125) // population std
    expect(r.foldSizes).toEqual([4, 4])
  })

  it('computes TAR at FAR without interpolation', () => {
    const imp = Array.from({ length: 1000 }, (_, i) => 1 + i / 1000)
    const gen = [...new Array(900).fill(0.5), 1.0005, ...new Array(99).fill(1.5)]
    const d = [...imp, ...gen]
    const same = [...imp.map(() => false), ...gen.map(() => true)]
    const r = tarAtFar(d, same, 1e-3)
    expect(r.threshold).toBe(1.001) // one impostor (1.000) below it: FAR = 1/1000
    expect(r.achievedFar).toBe(0.001)
    expect(r.tar).toBe(0.901)
    const r0 = tarAtFar(d, same, 0)
    expect(r0.threshold).toBe(1)
    expect(r0.achievedFar).toBe(0)
    expect(r0.tar).toBe(0.9)
    // With fewer than 1/FAR impostors the threshold falls to the smallest impostor distance.
    const few = tarAtFar([1, 2, 0.5, 1.5], [false, false, true, true], 1e-3)
    expect(few.threshold).toBe(1)
    expect(few.tar).toBe(0.5)
    expect(tarAtFar([1, 0.5], [false, true], 1).threshold).toBe(Infinity)
  })

  it('rejects bad input', () => {
    const rand = lcg(1)
    expect(() => verify([])).toThrow(/no pairs/)
    expect(() => verify(Array.from({ length: 20 }, () => pairAt(0.5, true, rand)))).toThrow(/both genuine and impostor/)
    const p = [pairAt(0.5, true, rand), pairAt(1.5, false, rand)]
    expect(() => verify(p)).toThrow(/cannot split 2 pairs into 10 folds/)
    expect(() => verify([...p, { a: v(1, 0), b: v(0, 1), same: false }], { folds: 2 })).toThrow(/pair 2 has embeddings of 2 and 2 dimensions, expected 8/)
    expect(() => verify([...p, { a: new Float32Array(8), b: pairAt(1, true, rand).b, same: true }], { folds: 2 })).toThrow(/pair 2: .*all zeros/)
  })
})
