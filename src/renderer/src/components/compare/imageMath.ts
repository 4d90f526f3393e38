// Pixel arithmetic of the Compare view on plain typed arrays (RGBA as canvases give it), with
// no DOM: levels (contrast / gamma for dark NIR), histograms, the per-pixel difference, the
// perceptual colormaps of the difference heat-map, and mask colouring. Unit-tested in
// tests/unit/compare.

export type Rgba = Uint8ClampedArray | Uint8Array

/** Black point, white point (0..255) and gamma of a pane's display. */
export interface Levels {
  black: number
  white: number
  gamma: number
}

export const IDENTITY_LEVELS: Levels = { black: 0, white: 255, gamma: 1 }

export function isIdentityLevels(l: Levels): boolean {
  return l.black === 0 && l.white === 255 && l.gamma === 1
}

/** 256-entry table: v → 255·clamp((v − black)/(white − black))^(1/gamma), rounded. */
export function levelsLut(l: Levels): Uint8Array {
  const lut = new Uint8Array(256)
  const span = Math.max(1, l.white - l.black)
  const inv = 1 / Math.max(0.05, l.gamma)
  for (let v = 0; v < 256; v++) {
    const t = Math.min(1, Math.max(0, (v - l.black) / span))
    lut[v] = Math.round(255 * Math.pow(t, inv))
  }
  return lut
}

/** Applies a LUT to the colour channels of RGBA pixels (alpha kept). */
export function applyLut(src: Rgba, lut: Uint8Array, out: Rgba = new Uint8ClampedArray(src.length)): Rgba {
  for (let i = 0; i < src.length; i += 4) {
    out[i] = lut[src[i]]
    out[i + 1] = lut[src[i + 1]]
    out[i + 2] = lut[src[i + 2]]
    out[i + 3] = src[i + 3]
  }
  return out
}

/** True when every pixel has R = G = B (a grey modality drawn into an RGBA canvas). */
export function isGreyRgba(rgba: Rgba): boolean {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false
  return true
}

/** Per-channel 256-bin histograms: one for grey images, three (R, G, B) otherwise. */
export function histogram(rgba: Rgba, grey: boolean): Uint32Array[] {
  const bins = grey ? [new Uint32Array(256)] : [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)]
  for (let i = 0; i < rgba.length; i += 4) {
    if (grey) bins[0][rgba[i]]++
    else {
      bins[0][rgba[i]]++
      bins[1][rgba[i + 1]]++
      bins[2][rgba[i + 2]]++
    }
  }
  return bins
}

/**
 * |a − b| per pixel on a's grid, averaged over R, G, B (a grey image has R = G = B, so grey
 * against grey is the plain difference). b is sampled nearest-neighbour when its size differs.
 */
export function differenceMap(a: Rgba, aw: number, ah: number, b: Rgba, bw: number, bh: number): Float32Array {
  const out = new Float32Array(aw * ah)
  for (let y = 0; y < ah; y++) {
    const by = bh === ah ? y : Math.min(bh - 1, Math.floor(((y + 0.5) * bh) / ah))
    for (let x = 0; x < aw; x++) {
      const bx = bw === aw ? x : Math.min(bw - 1, Math.floor(((x + 0.5) * bw) / aw))
      const i = (y * aw + x) * 4
      const j = (by * bw + bx) * 4
      out[y * aw + x] = (Math.abs(a[i] - b[j]) + Math.abs(a[i + 1] - b[j + 1]) + Math.abs(a[i + 2] - b[j + 2])) / 3
    }
  }
  return out
}

export interface DiffStats {
  max: number
  mean: number
  /** 99th percentile: a robust top of the colour bar. */
  p99: number
}

export function diffStats(diff: Float32Array): DiffStats {
  if (diff.length === 0) return { max: 0, mean: 0, p99: 0 }
  const hist = new Uint32Array(256 * 3 + 1)
  let max = 0
  let sum = 0
  for (const v of diff) {
    if (v > max) max = v
    sum += v
    hist[Math.min(hist.length - 1, Math.round(v * 3))]++
  }
  const target = Math.ceil(diff.length * 0.99)
  let acc = 0
  let p99 = 0
  for (let k = 0; k < hist.length; k++) {
    acc += hist[k]
    if (acc >= target) {
      p99 = k / 3
      break
    }
  }
  return { max, mean: sum / diff.length, p99 }
}

export type ColormapName = 'magma' | 'viridis' | 'inferno'
export const COLORMAPS: ColormapName[] = ['magma', 'viridis', 'inferno']

// Polynomial fits (degree 6) of matplotlib's perceptually uniform colormaps (Matt Zucker's
// fits, max error about 1/255): rgb(t) = c0 + t·(c1 + t·(c2 + …)).
const COEFFS: Record<ColormapName, number[][]> = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832]
  ],
  magma: [
    [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
    [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
    [8.353717279216625, -3.577719514958484, 0.3144679030132573],
    [-27.66873308576866, 14.26473078096533, -13.64921318813922],
    [52.17613981234068, -27.94360607168351, 12.94416944238394],
    [-50.76852536473588, 29.04658282127291, 4.23415299384598],
    [18.65570506591883, -11.48977351997711, -5.601961508734096]
  ],
  inferno: [
    [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
    [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
    [11.60249308247187, -3.972853965665698, -15.9423941062914],
    [-41.70399613139459, 17.43639888205313, 44.35414519872813],
    [77.162935699427, -33.40235894210092, -81.80730925738993],
    [-71.31942824499214, 32.62606426397723, 73.20951985803202],
    [25.13112622477341, -12.24266895238567, -23.07032500287172]
  ]
}

const lutCache = new Map<ColormapName, Uint8Array>()

/** 256 RGB triples of a colormap. */
export function colormapLut(name: ColormapName): Uint8Array {
  let lut = lutCache.get(name)
  if (lut) return lut
  lut = new Uint8Array(256 * 3)
  const c = COEFFS[name]
  for (let i = 0; i < 256; i++) {
    const t = i / 255
    for (let k = 0; k < 3; k++) {
      let v = c[6][k]
      for (let d = 5; d >= 0; d--) v = c[d][k] + t * v
      lut[i * 3 + k] = Math.round(255 * Math.min(1, Math.max(0, v)))
    }
  }
  lutCache.set(name, lut)
  return lut
}

/** The difference map as RGBA through a colormap, 0 → the map's start, ≥ max → its end. */
export function colorizeDiff(diff: Float32Array, max: number, name: ColormapName, out: Rgba = new Uint8ClampedArray(diff.length * 4)): Rgba {
  const lut = colormapLut(name)
  const scale = 255 / Math.max(1e-6, max)
  for (let p = 0; p < diff.length; p++) {
    const k = Math.min(255, Math.round(diff[p] * scale)) * 3
    out[p * 4] = lut[k]
    out[p * 4 + 1] = lut[k + 1]
    out[p * 4 + 2] = lut[k + 2]
    out[p * 4 + 3] = 255
  }
  return out
}

/** '#rrggbb' → [r, g, b]. */
export function hexToRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1, 7), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

/** Label map → RGBA in class colours; 255 (unlabeled) and unknown ids are transparent. */
export function colorizeLabels(labels: Uint8Array, classes: readonly { id: number; color: string }[], out: Rgba = new Uint8ClampedArray(labels.length * 4)): Rgba {
  const table = new Int32Array(256).fill(-1)
  for (const c of classes) {
    const [r, g, b] = hexToRgb(c.color)
    table[c.id] = (r << 16) | (g << 8) | b
  }
  for (let p = 0; p < labels.length; p++) {
    const v = table[labels[p]]
    if (v < 0) {
      out[p * 4 + 3] = 0
      continue
    }
    out[p * 4] = (v >> 16) & 255
    out[p * 4 + 1] = (v >> 8) & 255
    out[p * 4 + 2] = v & 255
    out[p * 4 + 3] = 255
  }
  return out
}

/** "12 px" style ticks for a colour bar from 0 to max: 0, max/2, max, with sensible rounding. */
export function colorBarTicks(max: number): number[] {
  const digits = max >= 10 ? 0 : max >= 1 ? 1 : 2
  const r = (v: number) => Number(v.toFixed(digits))
  return [0, r(max / 2), r(max)]
}
