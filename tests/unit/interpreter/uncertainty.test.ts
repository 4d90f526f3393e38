// Majority vote and the Jensen–Shannon uncertainty of the ensemble, against hand computation.
import { describe, it, expect } from 'vitest'
import { imageScore, readout } from '../../../src/main/engine/interpreter/voting'
import { mulberry32 } from '../../../src/main/engine/random/mulberry32'

describe('ensemble read-out', () => {
  it('computes JS = H(mean p) − mean H(p) as worked out by hand', () => {
    // Two members, two classes, three pixels: [p(member, pixel, class)]
    //   pixel 0: member A (0.9, 0.1), member B (0.1, 0.9) – they disagree
    //   pixel 1: both (0.9, 0.1)                           – they agree
    //   pixel 2: A (1, 0), B (0.5, 0.5)                    – one certain (0·ln 0 = 0)
    const probs = Float32Array.from([
      0.9, 0.1, 0.9, 0.1, 1, 0, //
      0.1, 0.9, 0.9, 0.1, 0.5, 0.5
    ])
    const r = readout(probs, 2, 3, 2)
    const h = (p: number[]) => -p.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0)
    // pixel 0: mean (0.5, 0.5): ln 2 − H(0.9, 0.1) = 0.693147 − 0.325083 = 0.368064
    expect(r.uncertainty[0]).toBeCloseTo(Math.log(2) - h([0.9, 0.1]), 6)
    expect(r.uncertainty[0]).toBeCloseTo(0.368064, 5)
    // pixel 1: identical members → 0
    expect(r.uncertainty[1]).toBeCloseTo(0, 7)
    // pixel 2: mean (0.75, 0.25): H = 0.562335; mean H = (0 + 0.693147) / 2 = 0.346574 → 0.215762
    expect(r.uncertainty[2]).toBeCloseTo(h([0.75, 0.25]) - (0 + Math.log(2)) / 2, 6)
    expect(r.uncertainty[2]).toBeCloseTo(0.215762, 5)
    expect(Array.from(r.meanProbs)).toEqual([0.5, 0.9, 0.75, 0.5, 0.1, 0.25].map((v) => Math.fround(v)))
  })

  it('votes by majority, ties going to the smallest class id', () => {
    // Three members, three classes, two pixels.
    const probs = Float32Array.from([
      // member 0: pixel 0 → 2, pixel 1 → 1
      0.1, 0.2, 0.7, 0.2, 0.5, 0.3,
      // member 1: pixel 0 → 2, pixel 1 → 2
      0.2, 0.1, 0.7, 0.1, 0.2, 0.7,
      // member 2: pixel 0 → 0, pixel 1 → 0
      0.8, 0.1, 0.1, 0.6, 0.2, 0.2
    ])
    const r = readout(probs, 3, 2, 3)
    expect(r.mask[0]).toBe(2) // two votes for class 2
    expect(r.mask[1]).toBe(0) // one vote each: the smallest id wins
  })

  it('scores an image by the mean of its top 10 % pixel uncertainties', () => {
    const u = Float32Array.from({ length: 20 }, (_, i) => i / 10) // 0 … 1.9
    expect(imageScore(u)).toBeCloseTo((1.9 + 1.8) / 2, 6) // top 2 of 20
    expect(imageScore(Float32Array.from([0.3, 0.1, 0.2]))).toBeCloseTo(0.3, 6) // at least one pixel
  })

  it('gives the same score, bit for bit, as summing the top 10 % of a full sort', () => {
    const fullSort = (u: Float32Array) => {
      const sorted = Float32Array.from(u).sort()
      const k = Math.max(1, Math.floor(u.length / 10))
      let s = 0
      for (let i = u.length - k; i < u.length; i++) s += sorted[i]
      return s / k
    }
    const next = mulberry32(7)
    for (const n of [1, 9, 10, 11, 1000, 65536]) {
      // values over many magnitudes (so the summation order matters), with ties
      const u = Float32Array.from({ length: n }, () => (next() < 0.01 ? 0.25 : next() ** 200))
      expect(imageScore(u)).toBe(fullSort(u))
    }
    expect(imageScore(Float32Array.from([0.1, NaN, 0.2]))).toBeNaN()
  })
})
