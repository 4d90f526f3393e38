// The one seeded random-number core of the engines: xoshiro128** (Blackman & Vigna) with its
// 128-bit state filled by splitmix32 from a 32-bit key. Each user derives its key from its own
// (seed, stream) rule, and those rules are pinned by what they reproduce: sample.json's
// 'twinlight-normal-v1' sampler (generator/random.ts), the generator trainer's checkpoints
// (gan/prng.ts) and KID's subsets (metrics/distribution.ts). Integer steps use Math.imul and
// >>> 0 only, so the words are bit-exact on every machine; normals use Math.log/cos/sin/sqrt,
// which V8 computes with its own fdlibm port, identical across platforms.

/** murmur3's fmix32 finaliser (also splitmix32's output mix). */
export function mix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

export type Xoshiro128Words = [number, number, number, number]

export class Xoshiro128 {
  private s0 = 0
  private s1 = 0
  private s2 = 0
  private s3 = 0

  /** State from the first four splitmix32 outputs after `key`. */
  constructor(key: number) {
    let state = key >>> 0
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      return mix32(state)
    }
    this.setWords([splitmix32(), splitmix32(), splitmix32(), splitmix32()])
  }

  /** The raw state (for checkpoints). */
  words(): Xoshiro128Words {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0]
  }

  /** Restores a state from words(); the all-zero state is a fixed point, so it becomes [1, 0, 0, 0]. */
  protected setWords(words: readonly number[]): void {
    ;[this.s0, this.s1, this.s2, this.s3] = words
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  /** The next 32-bit word. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0
    const t = this.s1 << 9
    this.s2 ^= this.s0
    this.s3 ^= this.s1
    this.s1 ^= this.s2
    this.s0 ^= this.s3
    this.s2 ^= t
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** Uniform double strictly inside (0, 1), 53 bits: two words a, b → ((a >>> 5)·2^26 + (b >>> 6) + 0.5) / 2^53. */
  uniform(): number {
    const a = this.nextU32() >>> 5
    const b = this.nextU32() >>> 6
    return (a * 67108864 + b + 0.5) / 9007199254740992
  }

  /** `count` normals of standard deviation `scale`: Box–Muller in float64 (r cos θ then r sin θ, both used), stored as float32. */
  normals(count: number, scale = 1): Float32Array {
    const out = new Float32Array(count)
    for (let i = 0; i < count; i += 2) {
      const r = Math.sqrt(-2 * Math.log(this.uniform())) * scale
      const theta = 2 * Math.PI * this.uniform()
      out[i] = r * Math.cos(theta)
      if (i + 1 < count) out[i + 1] = r * Math.sin(theta)
    }
    return out
  }
}
