// Display levels for one modality (black point, white point, gamma): a 256-entry lookup
// table applied to the display copy of the image, never to the data the tools read. Dark
// near-infrared captures usually need the white point pulled down and gamma raised.

export interface Levels {
  /** Input value shown as black, 0–254. */
  low: number
  /** Input value shown as white, 1–255, above low. */
  high: number
  /** Midtone exponent: output = input^(1/gamma); > 1 brightens, < 1 darkens. */
  gamma: number
}

export const IDENTITY_LEVELS: Readonly<Levels> = Object.freeze({ low: 0, high: 255, gamma: 1 })
export const MIN_GAMMA = 0.2
export const MAX_GAMMA = 5

export function isIdentityLevels(l: Levels): boolean {
  return l.low === 0 && l.high === 255 && l.gamma === 1
}

/** Clamp and order the fields so that any slider combination gives a valid table. */
export function normaliseLevels(l: Levels): Levels {
  const low = Math.round(Math.min(254, Math.max(0, l.low)))
  const high = Math.round(Math.min(255, Math.max(low + 1, l.high)))
  const gamma = Math.min(MAX_GAMMA, Math.max(MIN_GAMMA, Number.isFinite(l.gamma) ? l.gamma : 1))
  return { low, high, gamma }
}

export function levelsLut(levels: Levels): Uint8Array {
  const { low, high, gamma } = normaliseLevels(levels)
  const lut = new Uint8Array(256)
  const span = high - low
  for (let v = 0; v < 256; v++) {
    const t = Math.min(1, Math.max(0, (v - low) / span))
    lut[v] = Math.round(255 * Math.pow(t, 1 / gamma))
  }
  return lut
}

/** RGBA → RGBA through the table (alpha copied). `dst` may be `src`. */
export function applyLevels(src: Uint8Array | Uint8ClampedArray, dst: Uint8Array | Uint8ClampedArray, lut: Uint8Array): void {
  if (dst.length < src.length) throw new RangeError(`output has ${dst.length} bytes, expected ${src.length}`)
  for (let i = 0; i < src.length; i += 4) {
    dst[i] = lut[src[i]]
    dst[i + 1] = lut[src[i + 1]]
    dst[i + 2] = lut[src[i + 2]]
    dst[i + 3] = src[i + 3]
  }
}

/**
 * Levels that stretch the brightest channel's histogram between two percentiles (the
 * "auto contrast" of ImageJ and napari), sampling at most ~1M pixels.
 */
export function autoLevels(rgba: Uint8Array | Uint8ClampedArray, lowPercent = 0.5, highPercent = 99.5): Levels {
  const hist = new Float64Array(256)
  const pixels = rgba.length >> 2
  const stride = Math.max(1, Math.floor(pixels / 1_000_000))
  let n = 0
  for (let p = 0; p < pixels; p += stride) {
    const i = p << 2
    if (rgba[i + 3] === 0) continue
    hist[Math.max(rgba[i], rgba[i + 1], rgba[i + 2])]++
    n++
  }
  if (n === 0) return { ...IDENTITY_LEVELS }
  const lowCount = (lowPercent / 100) * n
  const highCount = (highPercent / 100) * n
  let acc = 0
  let low = 0
  let high = 255
  let lowSet = false
  for (let v = 0; v < 256; v++) {
    acc += hist[v]
    if (!lowSet && acc > lowCount) {
      low = v
      lowSet = true
    }
    if (acc >= highCount) {
      high = v
      break
    }
  }
  if (high <= low) return { ...IDENTITY_LEVELS }
  return normaliseLevels({ low, high, gamma: 1 })
}
