// SSIM with the semantics of scikit-image's
//   structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
//                         use_sample_covariance=False, data_range=255, channel_axis=-1)
// (Wang et al. 2004 settings), written from the definition:
//  - Samples are float64 on [0, 255]; C1 = (0.01·255)², C2 = (0.03·255)².
//  - Local statistics use a separable Gaussian, σ = 1.5, truncated at 3.5σ: radius
//    r = floor(3.5·1.5 + 0.5) = 5, an 11-tap kernel exp(-x²/(2σ²)) normalised to sum 1.
//  - Borders are filled by half-sample symmetric reflection ("d c b a | a b c d | d c b a",
//    scipy.ndimage mode 'reflect'), rows filtered first, then columns.
//  - Population (co)variances: vx = G*(x²) − (G*x)², vxy = G*(xy) − (G*x)(G*y).
//  - SSIM map = (2µxµy + C1)(2vxy + C2) / ((µx² + µy² + C1)(vx + vy + C2)); its mean is
//    taken after removing a (11 − 1)/2 = 5 pixel strip from every side.
//  - Colour: the mean of the per-channel SSIMs. Images must be at least 11×11 (after any crop).
import { check } from './errors'
import { ImagePrepOptions, MetricImage, PreparedPair, describeImage, preparePair } from './image'

export const SSIM_SIGMA = 1.5
export const SSIM_TRUNCATE = 3.5
export const SSIM_K1 = 0.01
export const SSIM_K2 = 0.03
export const SSIM_DATA_RANGE = 255
/** Radius as scipy.ndimage computes it: int(truncate·σ + 0.5). */
export const SSIM_RADIUS = Math.floor(SSIM_TRUNCATE * SSIM_SIGMA + 0.5)
export const SSIM_WIN_SIZE = 2 * SSIM_RADIUS + 1

/** Normalised 1-D Gaussian taps w[0..r] (w[k] is the weight at offset ±k). */
function gaussianTaps(sigma: number, radius: number): Float64Array {
  const full = new Float64Array(2 * radius + 1)
  let sum = 0
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp((-0.5 / (sigma * sigma)) * i * i)
    full[i + radius] = v
    sum += v
  }
  const half = new Float64Array(radius + 1)
  for (let k = 0; k <= radius; k++) half[k] = full[k + radius] / sum
  return half
}

const TAPS = gaussianTaps(SSIM_SIGMA, SSIM_RADIUS)

/** Index into [0, n) with half-sample symmetric reflection, for any integer i. */
export function reflectIndex(i: number, n: number): number {
  if (i >= 0 && i < n) return i
  if (n === 1) return 0
  const period = 2 * n
  const m = ((i % period) + period) % period
  return m < n ? m : period - 1 - m
}

/**
 * Gaussian filter of a w×h float64 plane (reflect borders), rows axis first like scipy.
 * `line` and `tmp` are scratch buffers.
 */
function gaussianFilter(src: Float64Array, w: number, h: number, out: Float64Array, tmp: Float64Array, line: Float64Array): void {
  const r = TAPS.length - 1
  const w0 = TAPS[0]
  // Axis 0 (along columns, i.e. vertical): gather each column with reflected padding.
  for (let x = 0; x < w; x++) {
    for (let i = -r; i < h + r; i++) line[i + r] = src[reflectIndex(i, h) * w + x]
    for (let y = 0; y < h; y++) {
      const c = y + r
      let acc = line[c] * w0
      for (let k = 1; k <= r; k++) acc += (line[c - k] + line[c + k]) * TAPS[k]
      tmp[y * w + x] = acc
    }
  }
  // Axis 1 (horizontal).
  for (let y = 0; y < h; y++) {
    const row = y * w
    for (let i = -r; i < w + r; i++) line[i + r] = tmp[row + reflectIndex(i, w)]
    for (let x = 0; x < w; x++) {
      const c = x + r
      let acc = line[c] * w0
      for (let k = 1; k <= r; k++) acc += (line[c - k] + line[c + k]) * TAPS[k]
      out[row + x] = acc
    }
  }
}

/** SSIM of one channel (`ch`) of an interleaved prepared pair. */
function ssimChannel(p: PreparedPair, ch: number): number {
  const { width: w, height: h, channels: c } = p
  const n = w * h
  const x = new Float64Array(n)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    x[i] = p.pred[i * c + ch]
    y[i] = p.gt[i * c + ch]
  }
  const prod = new Float64Array(n)
  const tmp = new Float64Array(n)
  const line = new Float64Array(Math.max(w, h) + 2 * SSIM_RADIUS)
  const ux = new Float64Array(n)
  const uy = new Float64Array(n)
  const uxx = new Float64Array(n)
  const uyy = new Float64Array(n)
  const uxy = new Float64Array(n)
  gaussianFilter(x, w, h, ux, tmp, line)
  gaussianFilter(y, w, h, uy, tmp, line)
  for (let i = 0; i < n; i++) prod[i] = x[i] * x[i]
  gaussianFilter(prod, w, h, uxx, tmp, line)
  for (let i = 0; i < n; i++) prod[i] = y[i] * y[i]
  gaussianFilter(prod, w, h, uyy, tmp, line)
  for (let i = 0; i < n; i++) prod[i] = x[i] * y[i]
  gaussianFilter(prod, w, h, uxy, tmp, line)

  const C1 = (SSIM_K1 * SSIM_DATA_RANGE) ** 2
  const C2 = (SSIM_K2 * SSIM_DATA_RANGE) ** 2
  const pad = (SSIM_WIN_SIZE - 1) >> 1
  let sum = 0
  for (let yy = pad; yy < h - pad; yy++) {
    let rowSum = 0
    for (let xx = pad; xx < w - pad; xx++) {
      const i = yy * w + xx
      const mx = ux[i]
      const my = uy[i]
      const vx = uxx[i] - mx * mx
      const vy = uyy[i] - my * my
      const vxy = uxy[i] - mx * my
      const a1 = 2 * mx * my + C1
      const a2 = 2 * vxy + C2
      const b1 = mx * mx + my * my + C1
      const b2 = vx + vy + C2
      rowSum += (a1 * a2) / (b1 * b2)
    }
    sum += rowSum
  }
  return sum / ((w - 2 * pad) * (h - 2 * pad))
}

/** SSIM of an already prepared pair (see preparePair). */
export function ssimPrepared(p: PreparedPair): number {
  check(
    p.width >= SSIM_WIN_SIZE && p.height >= SSIM_WIN_SIZE,
    () => `SSIM needs images of at least ${SSIM_WIN_SIZE}×${SSIM_WIN_SIZE} pixels (after any crop), got ${describeImage(p)}`
  )
  let total = 0
  for (let ch = 0; ch < p.channels; ch++) total += ssimChannel(p, ch)
  return total / p.channels
}

/** Mean SSIM of pred against gt; 1 for identical images. */
export function ssim(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): number {
  return ssimPrepared(preparePair(pred, gt, opts))
}
