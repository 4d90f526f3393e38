// Seeded random numbers for generator inputs. A sample's latent vector and its explicit noise
// tensors are drawn here from the sample's seed, so `sample.json` only needs to store the seed
// (and the sampler's name) to rebuild them bit for bit.
//
// Sampler 'twinlight-normal-v1' (documented here because sample.json refers to it by name;
// never change its output - add a v2 instead):
//
//   1. Key. The seed (a non-negative safe integer) is split into lo = seed mod 2^32 and
//      hi = floor(seed / 2^32); the stream number s (0 = latent, 1 = condition, 2 + i = the
//      i-th explicit noise input) selects an independent sequence. The 128-bit state of the
//      generator is four outputs of splitmix32 seeded with
//      mix32(lo) ^ mix32(hi + 0x9e3779b9) ^ mix32(s + 0x632be5ab)   (mix32 = murmur3's fmix32).
//   2. Uniforms. xoshiro128** (Blackman & Vigna) gives 32-bit words; two words a, b make one
//      double u = ((a >>> 5) * 2^26 + (b >>> 6) + 0.5) / 2^53, strictly inside (0, 1).
//   3. Normals. Box-Muller on a pair of uniforms (u1, u2), in float64:
//      r = sqrt(-2 ln u1), θ = 2π u2, giving r cos θ then r sin θ (both are used, in that order).
//   4. Storage. Each double is rounded to float32 (round to nearest even) when written into the
//      Float32Array the graph is fed with.
//
// Math.log/cos/sin/sqrt: V8 implements log/cos/sin with its own port of fdlibm (not the C
// library), so the values are the same on every platform for a given Node/Electron; sqrt is
// exact IEEE. Pure integer steps use Math.imul and >>> 0 only.

export const NORMAL_SAMPLER = 'twinlight-normal-v1'

/** Stream numbers of the generator inputs drawn from a seed. */
export const STREAM = {
  latent: 0,
  condition: 1,
  /** Explicit noise input i uses stream noise + i. */
  noise: 2
} as const

function mix32(value: number): number {
  let h = value >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${seed}`)
}

/** xoshiro128** seeded from (seed, stream) as described above. */
export class SeededRandom {
  private s0: number
  private s1: number
  private s2: number
  private s3: number

  constructor(seed: number, stream = 0) {
    checkSeed(seed, 'seed')
    checkSeed(stream, 'stream')
    const lo = seed % 4294967296
    const hi = Math.floor(seed / 4294967296)
    let state = (mix32(lo) ^ mix32(hi + 0x9e3779b9) ^ mix32(stream + 0x632be5ab)) >>> 0
    const splitmix32 = (): number => {
      state = (state + 0x9e3779b9) >>> 0
      let z = state
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s0 = splitmix32()
    this.s1 = splitmix32()
    this.s2 = splitmix32()
    this.s3 = splitmix32()
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1 // the all-zero state is a fixed point
  }

  /** Next 32-bit word (xoshiro128**). */
  nextUint32(): number {
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

  /** Uniform double strictly inside (0, 1), 53 bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5
    const b = this.nextUint32() >>> 6
    return (a * 67108864 + b + 0.5) / 9007199254740992
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}

/** `count` standard-normal values from (seed, stream), sampler 'twinlight-normal-v1'. */
export function seededNormals(seed: number, stream: number, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`)
  const out = new Float32Array(count)
  const random = new SeededRandom(seed, stream)
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(random.uniform()))
    const theta = 2 * Math.PI * random.uniform()
    out[i] = r * Math.cos(theta)
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta)
  }
  return out
}
