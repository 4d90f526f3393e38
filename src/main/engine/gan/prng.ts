// The trainer's own seeded random numbers (xoshiro128**), with a state that a checkpoint
// stores, so a resumed run draws exactly the batches, latents and noise an uninterrupted run
// would have drawn. Weight initialisation uses it too, so a config gives the same initial
// network on every backend.

export interface PrngState {
  s: [number, number, number, number]
}

function mix32(value: number): number {
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

export class Prng {
  private s0 = 0
  private s1 = 0
  private s2 = 0
  private s3 = 0

  /** A generator seeded from (seed, stream); different streams are unrelated sequences. */
  constructor(seed: number, stream = 0) {
    const lo = seed % 4294967296 >>> 0
    const hi = Math.floor(seed / 4294967296) >>> 0
    let state = (mix32(lo ^ 0x5bd1e995) ^ mix32(hi + 0x9e3779b9) ^ mix32(stream + 0x7f4a7c15)) >>> 0
    const next = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      return mix32(state)
    }
    this.s0 = next()
    this.s1 = next()
    this.s2 = next()
    this.s3 = next()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1
  }

  static fromState(state: PrngState): Prng {
    const p = new Prng(0)
    const s = state?.s
    if (!Array.isArray(s) || s.length !== 4 || s.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error('bad random-number state (expected four 32-bit unsigned integers)')
    }
    ;[p.s0, p.s1, p.s2, p.s3] = s
    return p
  }

  state(): PrngState {
    return { s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0] }
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0
    const t = (this.s1 << 9) >>> 0
    this.s2 = (this.s2 ^ this.s0) >>> 0
    this.s3 = (this.s3 ^ this.s1) >>> 0
    this.s1 = (this.s1 ^ this.s2) >>> 0
    this.s0 = (this.s0 ^ this.s3) >>> 0
    this.s2 = (this.s2 ^ t) >>> 0
    this.s3 = rotl(this.s3, 11)
    return result
  }

  /** Uniform in (0, 1), 53 bits. */
  uniform(): number {
    const a = this.nextU32() >>> 5
    const b = this.nextU32() >>> 6
    return (a * 67108864 + b + 0.5) / 9007199254740992
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n))
  }

  /** `count` standard normals (Box–Muller, both values of each pair used). */
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
