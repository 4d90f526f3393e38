// The trainer's own seeded random numbers, with a state that a checkpoint stores, so a
// resumed run draws exactly the batches, latents and noise an uninterrupted run would have
// drawn. Weight initialisation uses it too, so a config gives the same initial network on
// every backend. The generator is the engines' xoshiro128** (random/xoshiro128.ts); the key
// rule below is pinned by existing checkpoints and the shipped demo generator.
import { mix32, Xoshiro128, type Xoshiro128Words } from '../random/xoshiro128'

export interface PrngState {
  s: Xoshiro128Words
}

export class Prng extends Xoshiro128 {
  /** A generator seeded from (seed, stream); different streams are unrelated sequences. */
  constructor(seed: number, stream = 0) {
    const lo = seed % 4294967296 >>> 0
    const hi = Math.floor(seed / 4294967296) >>> 0
    super(mix32(lo ^ 0x5bd1e995) ^ mix32(hi + 0x9e3779b9) ^ mix32(stream + 0x7f4a7c15))
  }

  static fromState(state: PrngState): Prng {
    const s = state?.s
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error('bad random-number state (expected four 32-bit unsigned integers)')
    }
    const p = new Prng(0)
    p.setWords(s)
    return p
  }

  state(): PrngState {
    return { s: this.words() }
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n))
  }
}
