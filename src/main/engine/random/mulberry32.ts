// mulberry32 (Tommy Ettinger): a tiny seeded generator of uniform numbers in [0, 1), one
// 32-bit state. It draws fixed data that only has to be the same on every run: the toy
// generator's weights, the strokes of the paint benchmarks, the painting engine's randomised
// tests. What sample.json or a checkpoint must reproduce uses xoshiro128.ts instead.
// Integer steps use Math.imul and >>> 0 only, so the sequence is bit-exact on every machine.

/** Uniform numbers in [0, 1) from `seed`; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
