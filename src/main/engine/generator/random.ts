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

import { mix32, Xoshiro128 } from '../random/xoshiro128'

export const NORMAL_SAMPLER = 'twinlight-normal-v1'

/** Stream numbers of the generator inputs drawn from a seed. */
export const STREAM = {
  latent: 0,
  condition: 1,
  /** Explicit noise input i uses stream noise + i. */
  noise: 2
} as const

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`${what} must be a non-negative safe integer, got ${seed}`)
}

/** xoshiro128** seeded from (seed, stream) as described above. */
export class SeededRandom extends Xoshiro128 {
  constructor(seed: number, stream = 0) {
    checkSeed(seed, 'seed')
    checkSeed(stream, 'stream')
    const lo = seed % 4294967296
    const hi = Math.floor(seed / 4294967296)
    super(mix32(lo) ^ mix32(hi + 0x9e3779b9) ^ mix32(stream + 0x632be5ab))
  }
}

/** `count` standard-normal values from (seed, stream), sampler 'twinlight-normal-v1'. */
export function seededNormals(seed: number, stream: number, count: number): Float32Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`)
  return new SeededRandom(seed, stream).normals(count)
}
