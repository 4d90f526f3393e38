// Pixel-level image quality: MAE, MSE, RMSE, PSNR, and the shared preparation step
// (optional grey conversion, optional border crop) that SSIM uses too.
//
// Conventions (the same as CMOS-GAN's and IDE's evaluation scripts, which call
// scikit-image on uint8 arrays):
//  - Values are the raw 8-bit samples on [0, 255]; nothing is rescaled to [0, 1].
//  - MAE and MSE are means over every sample (pixels × channels), in float64.
//  - PSNR = 10·log10(255² / MSE) (peak 255, like skimage's data_range=255).
//    Identical images have MSE 0 and PSNR = +Infinity; formatMetric shows it as "∞".
//  - An alpha channel is dropped: a 4-channel image is compared on its RGB samples.
//  - Sizes are written width×height×channels in messages.
import { MetricsError, check } from './errors'

export type MetricChannels = 1 | 3 | 4

/** An 8-bit interleaved image, row-major (compatible with io/png's RasterImage). */
export interface MetricImage {
  width: number
  height: number
  channels: MetricChannels
  data: Uint8Array
}

export interface ImagePrepOptions {
  /**
   * Convert both images to grey first (CMOS-GAN does this for CUFSF), with ITU-R 601-2
   * luma as Pillow's convert('L') computes it:
   * L = (R·19595 + G·38470 + B·7471 + 32768) >> 16,
   * i.e. R·299/1000 + G·587/1000 + B·114/1000 in 16-bit fixed point, rounded half up to an
   * integer 0..255 (bit-identical to Pillow 9's output). Grey images pass through unchanged.
   */
  grey?: boolean
  /** Pixels cropped from every side of both images before measuring (IDE crops 2). Default 0. */
  crop?: number
}

/** A checked pred/gt pair after alpha drop, grey conversion and crop: interleaved 8-bit samples. */
export interface PreparedPair {
  width: number
  height: number
  channels: 1 | 3
  pred: Uint8Array
  gt: Uint8Array
}

export function describeImage(img: { width: number; height: number; channels: number }): string {
  return `${img.width}×${img.height}×${img.channels}`
}

/** Throws a MetricsError unless `img` is a well-formed MetricImage. */
export function validateImage(img: MetricImage, name: string): void {
  check(img !== null && typeof img === 'object', `${name} is not an image`)
  const { width, height, channels, data } = img
  check(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0, `${name} has an invalid size ${width}×${height}`)
  check(channels === 1 || channels === 3 || channels === 4, `${name} has ${channels} channels; only 1 (grey), 3 (RGB) and 4 (RGBA) are supported`)
  check(data instanceof Uint8Array, `${name}.data must be a Uint8Array (8-bit samples)`)
  const expected = width * height * channels
  check(data.length === expected, `${name} is ${describeImage(img)} and needs ${expected} samples, but its data has ${data.length}`)
}

/** Pillow-compatible ITU-R 601-2 luma of one RGB triple (see ImagePrepOptions.grey). */
export function luma601(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16
}

/** The image as grey (1 channel); alpha is ignored. Grey input is returned as is. */
export function toGrey(img: MetricImage): MetricImage {
  validateImage(img, 'image')
  if (img.channels === 1) return img
  const n = img.width * img.height
  const out = new Uint8Array(n)
  const c = img.channels
  const d = img.data
  for (let i = 0, j = 0; i < n; i++, j += c) out[i] = luma601(d[j], d[j + 1], d[j + 2])
  return { width: img.width, height: img.height, channels: 1, data: out }
}

/** Drops the alpha channel of an RGBA image; others are returned as is. */
export function dropAlpha(img: MetricImage): MetricImage {
  if (img.channels !== 4) return img
  const n = img.width * img.height
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    out[i * 3] = img.data[i * 4]
    out[i * 3 + 1] = img.data[i * 4 + 1]
    out[i * 3 + 2] = img.data[i * 4 + 2]
  }
  return { width: img.width, height: img.height, channels: 3, data: out }
}

/** Removes `px` pixels from each side. */
export function cropBorder(img: MetricImage, px: number): MetricImage {
  check(Number.isInteger(px) && px >= 0, `crop must be a whole number of pixels ≥ 0, got ${px}`)
  if (px === 0) return img
  const w = img.width - 2 * px
  const h = img.height - 2 * px
  check(w > 0 && h > 0, `a ${px} px crop leaves nothing of a ${describeImage(img)} image`)
  const c = img.channels
  const out = new Uint8Array(w * h * c)
  for (let y = 0; y < h; y++) {
    const src = ((y + px) * img.width + px) * c
    out.set(img.data.subarray(src, src + w * c), y * w * c)
  }
  return { width: w, height: h, channels: c, data: out }
}

/**
 * Checks a pred/gt pair and applies the options in the order alpha drop → grey → crop.
 * Throws "pred is W×H×C, gt is W×H×C" when the sizes or channel counts differ (channel
 * counts may differ only when grey is set, or by an alpha channel).
 */
export function preparePair(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): PreparedPair {
  validateImage(pred, 'pred')
  validateImage(gt, 'gt')
  const sizeMsg = `pred is ${describeImage(pred)}, gt is ${describeImage(gt)}`
  if (pred.width !== gt.width || pred.height !== gt.height) throw new MetricsError(`image sizes differ: ${sizeMsg}`)
  let a = dropAlpha(pred)
  let b = dropAlpha(gt)
  if (opts.grey) {
    a = toGrey(a)
    b = toGrey(b)
  } else if (a.channels !== b.channels) {
    throw new MetricsError(`channel counts differ: ${sizeMsg} (set grey: true to compare them in grey)`)
  }
  const crop = opts.crop ?? 0
  a = cropBorder(a, crop)
  b = cropBorder(b, crop)
  return { width: a.width, height: a.height, channels: a.channels as 1 | 3, pred: a.data, gt: b.data }
}

export interface PixelErrors {
  mae: number
  mse: number
  rmse: number
  /** 10·log10(255²/MSE); +Infinity for identical images. */
  psnr: number
}

/** MAE/MSE/RMSE/PSNR of an already prepared pair. */
export function pixelErrorsPrepared(p: PreparedPair): PixelErrors {
  const a = p.pred
  const b = p.gt
  let sumAbs = 0
  let sumSq = 0
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i]
    sumAbs += d < 0 ? -d : d
    sumSq += d * d
  }
  // Integer sums are exact in float64 up to 2^53, far beyond any image.
  const mae = sumAbs / a.length
  const mse = sumSq / a.length
  return { mae, mse, rmse: Math.sqrt(mse), psnr: psnrFromMse(mse) }
}

/** PSNR in dB for 8-bit data (peak 255). MSE 0 gives +Infinity. */
export function psnrFromMse(mse: number, peak = 255): number {
  check(mse >= 0, `MSE must be ≥ 0, got ${mse}`)
  if (mse === 0) return Infinity
  return 10 * Math.log10((peak * peak) / mse)
}

export function pixelErrors(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): PixelErrors {
  return pixelErrorsPrepared(preparePair(pred, gt, opts))
}

export function mae(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): number {
  return pixelErrors(pred, gt, opts).mae
}

export function mse(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): number {
  return pixelErrors(pred, gt, opts).mse
}

export function rmse(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): number {
  return pixelErrors(pred, gt, opts).rmse
}

export function psnr(pred: MetricImage, gt: MetricImage, opts: ImagePrepOptions = {}): number {
  return pixelErrors(pred, gt, opts).psnr
}
