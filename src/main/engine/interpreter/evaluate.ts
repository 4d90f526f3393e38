// k-fold cross-validation pieces: fold assignment and the side-by-side images.
import { encodePng } from '../io/png'
import { Rng, deriveSeed } from '../render/prng'
import { float16Table, type BankImage, type FeatureBank } from './features'

export interface FoldPlan {
  /** k actually used: min(requested, samples); leave-one-out when that equals the sample count. */
  k: number
  leaveOneOut: boolean
  /** folds[f] = held-out sample ids of fold f. */
  folds: string[][]
}

/**
 * Deterministic folds: ids shuffled with the seed, then dealt round-robin. With fewer samples
 * than `k`, every sample is its own fold (leave-one-out). Fewer than 2 samples: no folds.
 */
export function makeFolds(ids: readonly string[], k: number, seed: number): FoldPlan {
  const n = ids.length
  if (k < 2 || n < 2) return { k: 0, leaveOneOut: false, folds: [] }
  const kk = Math.min(k, n)
  const order = [...ids].sort()
  const rng = new Rng(deriveSeed(seed, 31_337))
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const folds: string[][] = Array.from({ length: kk }, () => [])
  order.forEach((id, i) => folds[i % kk].push(id))
  return { k: kk, leaveOneOut: kk === n, folds }
}

/** Training ids of a fold: everything not held out. Throws if they overlap (a leak). */
export function trainingIds(all: readonly string[], heldOut: readonly string[]): string[] {
  const held = new Set(heldOut)
  const train = all.filter((id) => !held.has(id))
  for (const id of train) if (held.has(id)) throw new Error(`sample ${id} is both held out and trained on`)
  return train
}

/** NCHW float32 maps of a bank image (the inverse of FeatureBank.add, up to float16 rounding). */
export function bankImageMaps(bank: FeatureBank, image: BankImage): Float32Array[] {
  const t = float16Table()
  return bank.layout.maps.map((m, i) => {
    const hw = m.height * m.width
    const out = new Float32Array(m.channels * hw)
    const src = image.maps[i]
    for (let p = 0; p < hw; p++) {
      const b = p * m.channels
      for (let c = 0; c < m.channels; c++) out[c * hw + p] = t[src[b + c]]
    }
    return out
  })
}

function hexRgb(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color)
  return m ? [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] : [255, 0, 255]
}

/** A perceptual dark→bright heat ramp (black, purple, orange, yellow), t in [0, 1]. */
export function heat(t: number): [number, number, number] {
  const stops: [number, [number, number, number]][] = [
    [0, [0, 0, 4]],
    [0.25, [87, 16, 110]],
    [0.5, [188, 55, 84]],
    [0.75, [249, 142, 9]],
    [1, [252, 255, 164]]
  ]
  const x = Math.max(0, Math.min(1, t))
  for (let i = 1; i < stops.length; i++) {
    if (x <= stops[i][0]) {
      const [a, ca] = stops[i - 1]
      const [b, cb] = stops[i]
      const f = (x - a) / (b - a)
      return [0, 1, 2].map((k) => Math.round(ca[k] + f * (cb[k] - ca[k]))) as [number, number, number]
    }
  }
  return stops[stops.length - 1][1]
}

/**
 * One PNG: annotation | prediction | uncertainty heat map, separated by 4 px gaps. Unlabelled
 * annotation pixels are a grey checkerboard; uncertainty is scaled to [0, the image's maximum].
 */
export function sideBySide(args: { width: number; height: number; annotation: Uint8Array; prediction: Uint8Array; uncertainty: Float32Array; colors: readonly string[] }): Uint8Array {
  const { width: W, height: H } = args
  const gap = 4
  const total = W * 3 + gap * 2
  const data = new Uint8Array(total * H * 3).fill(40)
  const palette = args.colors.map(hexRgb)
  // Scaled to the image's own largest uncertainty, so that where the ensemble disagrees shows
  // even when it rarely does (the figure's caption gives the image score).
  let maxU = 1e-6
  for (const u of args.uncertainty) if (u > maxU) maxU = u
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = y * W + x
      const put = (panel: number, rgb: readonly number[]) => {
        const o = (y * total + panel * (W + gap) + x) * 3
        data[o] = rgb[0]
        data[o + 1] = rgb[1]
        data[o + 2] = rgb[2]
      }
      const a = args.annotation[p]
      put(0, a === 255 ? ((((x >> 3) + (y >> 3)) & 1) === 0 ? [110, 110, 110] : [150, 150, 150]) : (palette[a] ?? [255, 0, 255]))
      put(1, palette[args.prediction[p]] ?? [255, 0, 255])
      put(2, heat(args.uncertainty[p] / maxU))
    }
  }
  return encodePng({ width: total, height: H, channels: 3, data })
}
