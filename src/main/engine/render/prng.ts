// Small seeded pseudo-random numbers for the face renderer.
//
// Everything the renderer draws comes from these generators, never from Math.random, so a
// seed names one sample on every machine. Integer arithmetic only (Math.imul, shifts), so the
// stream is bit-exact everywhere; the few float transforms (normal()) use Math.log/cos/sqrt,
// which V8 computes with its own fdlibm port, identical across platforms.

import { mix32 } from '../random/xoshiro128'

/**
 * Fold any non-negative integer seed (up to Number.MAX_SAFE_INTEGER) and a stream number into
 * a 32-bit state: the same (seed, stream) always gives the same state, different streams give
 * unrelated sequences.
 */
export function deriveSeed(seed: number, stream: number): number {
  const lo = seed >>> 0
  const hi = Math.floor(seed / 4294967296) >>> 0
  return mix32(mix32(lo ^ 0x9e3779b9) ^ mix32(hi + 0x632be5ab) ^ Math.imul(stream + 1, 0x2545f491))
}

/** splitmix32: a 32-bit counter run through a strong mixer. Period 2^32, plenty for parameters. */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) | 0
    return mix32(this.state)
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next()
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next() // (0, 1]
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  /** Normal with mean and standard deviation, clipped to [lo, hi]. */
  gauss(mean: number, sd: number, lo: number, hi: number): number {
    const x = mean + sd * this.normal()
    return x < lo ? lo : x > hi ? hi : x
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  /** Index drawn with the given non-negative weights. */
  pick(weights: readonly number[]): number {
    let total = 0
    for (const w of weights) total += w
    let r = this.next() * total
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]
      if (r < 0) return i
    }
    return weights.length - 1
  }
}
