// A fixed-seed synthetic "generator" for tests and benchmarks: smooth random feature maps at
// their native resolutions, and masks that depend on them.
//
// Like a real generator, every map encodes one underlying scene: sample s has J smooth latent
// fields z_j(u, v) (sums of low-frequency separable waves with per-sample phases, u, v ∈ (0, 1)
// at pixel centres). Channel c of map l is tanh(Σ_j A_l[c, j]·z_j + n_c), with A_l fixed across
// samples and n_c a per-channel nuisance wave whose frequency grows with the map's resolution.
// The mask is the argmax over classes of a fixed random linear projection of the upsampled
// features (computed at native resolution and upsampled – the identity the interpreter uses),
// so it is a function of the scene that a classifier can learn from a few samples.
import { Rng, deriveSeed } from '../render/prng'
import type { FeatureSource } from './features'
import { axisTaps, featureDim, type FeatureLayout } from './layout'

export interface SyntheticOptions {
  seed?: number
  numClasses?: number
}

export class SyntheticSource implements FeatureSource {
  readonly generatorSha256: string | null = null
  readonly seed: number
  readonly numClasses: number
  /** Per map: [K, C] projection. */
  private readonly projection: Float32Array[]
  /** Per map: [C, J] mixing of the latent fields. */
  private readonly mixing: Float32Array[]
  /** Per map and channel: the nuisance wave's frequencies. */
  private readonly nuisance: { fx: Float32Array; fy: Float32Array }[]
  /** Latent fields: frequencies and amplitudes (fixed), phases per sample. */
  private readonly latent: { fx: Float32Array; fy: Float32Array; amp: Float32Array }
  static readonly FIELDS = 6
  static readonly WAVES = 3
  static readonly NUISANCE = 0.3

  constructor(
    readonly layout: FeatureLayout,
    options: SyntheticOptions = {}
  ) {
    this.seed = options.seed ?? 1
    this.numClasses = options.numClasses ?? 4
    const rng = new Rng(deriveSeed(this.seed, 7))
    const J = SyntheticSource.FIELDS
    const D = featureDim(layout)
    const scale = 1 / Math.sqrt(D)
    this.projection = layout.maps.map((m) => {
      const r = new Float32Array(this.numClasses * m.channels)
      for (let i = 0; i < r.length; i++) r[i] = rng.normal() * scale * 4
      return r
    })
    this.mixing = layout.maps.map((m) => {
      const a = new Float32Array(m.channels * J)
      for (let i = 0; i < a.length; i++) a[i] = (rng.normal() * 1.5) / Math.sqrt(J)
      return a
    })
    this.nuisance = layout.maps.map((m) => {
      const fx = new Float32Array(m.channels)
      const fy = new Float32Array(m.channels)
      const maxF = Math.max(1, Math.min(m.width, m.height) / 8)
      for (let i = 0; i < m.channels; i++) {
        fx[i] = 0.25 + rng.next() * maxF
        fy[i] = 0.25 + rng.next() * maxF
      }
      return { fx, fy }
    })
    const n = J * SyntheticSource.WAVES
    this.latent = { fx: new Float32Array(n), fy: new Float32Array(n), amp: new Float32Array(n) }
    for (let i = 0; i < n; i++) {
      this.latent.fx[i] = 0.3 + rng.next() * 2.2
      this.latent.fy[i] = 0.3 + rng.next() * 2.2
      this.latent.amp[i] = 0.5 + rng.next()
    }
  }

  /** Sample index of an id: 'syn-12' → 12 (any trailing number). */
  static index(sampleId: string): number {
    const m = /(\d+)$/.exec(sampleId)
    if (!m) throw new Error(`synthetic sample ids end in a number, got "${sampleId}"`)
    return Number(m[1])
  }

  static ids(count: number, start = 0): string[] {
    return Array.from({ length: count }, (_, i) => `syn-${start + i}`)
  }

  async load(sampleId: string): Promise<Float32Array[]> {
    return this.mapsOf(SyntheticSource.index(sampleId))
  }

  /** The J latent fields of a sample at a resolution: [J, h·w]. */
  private fields(index: number, h: number, w: number): Float32Array {
    const J = SyntheticSource.FIELDS
    const T = SyntheticSource.WAVES
    const rng = new Rng(deriveSeed(this.seed * 7919 + index, 99))
    const out = new Float32Array(J * h * w)
    const colV = new Float32Array(w)
    const rowV = new Float32Array(h)
    for (let k = 0; k < J * T; k++) {
      const px = rng.next() * 2 * Math.PI
      const py = rng.next() * 2 * Math.PI
      for (let x = 0; x < w; x++) colV[x] = Math.sin(2 * Math.PI * this.latent.fx[k] * ((x + 0.5) / w) + px)
      for (let y = 0; y < h; y++) rowV[y] = this.latent.amp[k] * Math.sin(2 * Math.PI * this.latent.fy[k] * ((y + 0.5) / h) + py)
      const base = Math.floor(k / T) * h * w
      for (let y = 0; y < h; y++) {
        const r = rowV[y]
        const o = base + y * w
        for (let x = 0; x < w; x++) out[o + x] += r * colV[x]
      }
    }
    return out
  }

  mapsOf(index: number): Float32Array[] {
    const J = SyntheticSource.FIELDS
    const fieldCache = new Map<string, Float32Array>()
    return this.layout.maps.map((m, l) => {
      const key = `${m.height}x${m.width}`
      let z = fieldCache.get(key)
      if (!z) {
        z = this.fields(index, m.height, m.width)
        fieldCache.set(key, z)
      }
      const rng = new Rng(deriveSeed(this.seed * 7919 + index, 100 + l))
      const hw = m.height * m.width
      const out = new Float32Array(m.channels * hw)
      const A = this.mixing[l]
      const { fx, fy } = this.nuisance[l]
      const rowV = new Float32Array(m.height)
      const colV = new Float32Array(m.width)
      const acc = new Float32Array(hw)
      for (let c = 0; c < m.channels; c++) {
        const px = rng.next() * 2 * Math.PI
        const py = rng.next() * 2 * Math.PI
        for (let x = 0; x < m.width; x++) colV[x] = Math.sin(2 * Math.PI * fx[c] * ((x + 0.5) / m.width) + px)
        for (let y = 0; y < m.height; y++) rowV[y] = SyntheticSource.NUISANCE * Math.sin(2 * Math.PI * fy[c] * ((y + 0.5) / m.height) + py)
        for (let y = 0; y < m.height; y++) {
          const r = rowV[y]
          const o = y * m.width
          for (let x = 0; x < m.width; x++) acc[o + x] = r * colV[x]
        }
        for (let j = 0; j < J; j++) {
          const a = A[c * J + j]
          const zj = z.subarray(j * hw, (j + 1) * hw)
          for (let p = 0; p < hw; p++) acc[p] += a * zj[p]
        }
        const base = c * hw
        for (let p = 0; p < hw; p++) out[base + p] = Math.tanh(acc[p])
      }
      return out
    })
  }

  /** Class scores [K, H·W] of a sample's (possibly float16-rounded) maps. */
  scores(maps: readonly Float32Array[]): Float32Array {
    const { height: H, width: W } = this.layout
    const K = this.numClasses
    const out = new Float32Array(K * H * W)
    this.layout.maps.forEach((m, l) => {
      const hw = m.height * m.width
      const proj = new Float32Array(K * hw)
      const R = this.projection[l]
      for (let k = 0; k < K; k++) {
        for (let c = 0; c < m.channels; c++) {
          const r = R[k * m.channels + c]
          const f = maps[l].subarray(c * hw, (c + 1) * hw)
          const o = k * hw
          for (let p = 0; p < hw; p++) proj[o + p] += r * f[p]
        }
      }
      const ry = axisTaps(m.height, H)
      const rx = axisTaps(m.width, W)
      for (let k = 0; k < K; k++) {
        const f = proj.subarray(k * hw, (k + 1) * hw)
        for (let y = 0; y < H; y++) {
          const y0 = ry.lo[y] * m.width
          const y1 = ry.hi[y] * m.width
          const wy = ry.w[y]
          for (let x = 0; x < W; x++) {
            const wx = rx.w[x]
            const top = (1 - wx) * f[y0 + rx.lo[x]] + wx * f[y0 + rx.hi[x]]
            const bottom = (1 - wx) * f[y1 + rx.lo[x]] + wx * f[y1 + rx.hi[x]]
            out[k * H * W + y * W + x] += (1 - wy) * top + wy * bottom
          }
        }
      }
    })
    return out
  }

  /** Ground-truth mask: argmax of the class scores. */
  mask(maps: readonly Float32Array[]): Uint8Array {
    const { height: H, width: W } = this.layout
    const K = this.numClasses
    const s = this.scores(maps)
    const P = H * W
    const out = new Uint8Array(P)
    for (let p = 0; p < P; p++) {
      let best = 0
      for (let k = 1; k < K; k++) if (s[k * P + p] > s[best * P + p]) best = k
      out[p] = best
    }
    return out
  }
}
