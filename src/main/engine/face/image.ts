// Small raster helpers for the face engine: an 8-bit interleaved image type (the same shape
// as io/png's RasterImage and metrics' MetricImage), decoding with sharp, conversion to RGB,
// and bilinear affine warping with supersampling (used for face alignment and for the
// crop / flip / shift / brightness augmentations of the tests and the bench).
//
// Coordinates: pixel (i, j) of an image is the point x = j, y = i (pixel centres on integer
// coordinates, as dlib and OpenCV's warpAffine use). Samples outside the image are 0 (black),
// as dlib's extract_image_chip and insightface's cv2.warpAffine(borderValue=0) produce.
import { readFile } from 'node:fs/promises'
import sharp from 'sharp'

export type FaceImageChannels = 1 | 3 | 4

/** An 8-bit interleaved image, row-major: channels 1 = grey, 3 = RGB, 4 = RGBA. */
export interface FaceImage {
  width: number
  height: number
  channels: FaceImageChannels
  data: Uint8Array
}

export class FaceImageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FaceImageError'
  }
}

/** Throws a FaceImageError saying what is wrong with an image passed to the face engine. */
export function assertFaceImage(image: FaceImage, what = 'image'): void {
  if (image == null || typeof image !== 'object') throw new FaceImageError(`${what} is not an image object`)
  const { width, height, channels, data } = image
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new FaceImageError(`${what} has a bad size ${String(width)}×${String(height)}`)
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new FaceImageError(`${what} has ${String(channels)} channels; 1 (grey), 3 (RGB) or 4 (RGBA) are supported`)
  }
  if (!(data instanceof Uint8Array)) throw new FaceImageError(`${what}: data must be a Uint8Array of 8-bit samples`)
  if (data.length !== width * height * channels) {
    throw new FaceImageError(`${what}: ${width}×${height}×${channels} needs ${width * height * channels} bytes, the data has ${data.length}`)
  }
}

/** The image as 3-channel RGB (grey is replicated, alpha is dropped). Returns the input when it already is RGB. */
export function toRgb(image: FaceImage): FaceImage {
  if (image.channels === 3) return image
  const n = image.width * image.height
  const out = new Uint8Array(n * 3)
  const src = image.data
  const c = image.channels
  for (let i = 0; i < n; i++) {
    if (c === 1) {
      const v = src[i]!
      out[i * 3] = v
      out[i * 3 + 1] = v
      out[i * 3 + 2] = v
    } else {
      out[i * 3] = src[i * c]!
      out[i * 3 + 1] = src[i * c + 1]!
      out[i * 3 + 2] = src[i * c + 2]!
    }
  }
  return { width: image.width, height: image.height, channels: 3, data: out }
}

/**
 * Decodes an image file (JPEG, PNG, WebP, TIFF, GIF – whatever sharp reads) to 8-bit samples,
 * EXIF orientation applied, colour converted to sRGB. A truncated or corrupt file throws
 * (sharp is told to fail on decoder warnings such as "premature end of JPEG file").
 */
export async function decodeImageFile(path: string): Promise<FaceImage> {
  const bytes = await readFile(path)
  return decodeImageBuffer(bytes, path)
}

export async function decodeImageBuffer(bytes: Uint8Array, name = 'image'): Promise<FaceImage> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'warning' })
      .rotate()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (info.channels === 2) {
      // grey + alpha: keep the grey samples
      const grey = new Uint8Array(info.width * info.height)
      for (let i = 0; i < grey.length; i++) grey[i] = raw[i * 2]!
      return { width: info.width, height: info.height, channels: 1, data: grey }
    }
    const channels = info.channels
    if (channels !== 1 && channels !== 3 && channels !== 4) throw new FaceImageError(`${name}: decoded to ${channels} channels`)
    return { width: info.width, height: info.height, channels, data: raw }
  } catch (error) {
    if (error instanceof FaceImageError) throw error
    throw new FaceImageError(`${name}: cannot decode the image (${error instanceof Error ? error.message.trim() : String(error)})`)
  }
}

/** Encodes an 8-bit image as PNG (for debugging dumps and test fixtures). */
export async function encodePng(image: FaceImage): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).png().toBuffer()
}

/** Encodes an 8-bit image as JPEG. */
export async function encodeJpeg(image: FaceImage, quality = 92): Promise<Buffer> {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } }).jpeg({ quality }).toBuffer()
}

/**
 * A 2×3 affine map [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f.
 * In warpAffine it maps OUTPUT pixel coordinates to INPUT image coordinates.
 */
export type Affine = readonly [number, number, number, number, number, number]

export interface WarpOptions {
  /**
   * Samples per output pixel along each axis when the map shrinks the input (anti-aliasing).
   * Default: ceil(scale) capped at 8, where scale = input pixels per output pixel.
   */
  supersample?: number
  /** Value of samples outside the input (default 0). */
  border?: number
}

/** Input pixels per output pixel of an affine map (geometric mean of the two axis scales). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]))
}

/**
 * Resamples `image` through the affine map `m` (output → input coordinates) into an
 * outWidth×outHeight image with the same channels. Bilinear interpolation; when the map
 * shrinks (scale > 1) each output pixel averages k×k bilinear samples spread over its
 * footprint, so a large face is not aliased when reduced to a 112–150 px crop.
 */
export function warpAffine(image: FaceImage, m: Affine, outWidth: number, outHeight: number, options: WarpOptions = {}): FaceImage {
  const { width: w, height: h, channels: c, data } = image
  const scale = affineScale(m)
  const k = Math.max(1, Math.min(8, options.supersample ?? Math.ceil(scale - 1e-6)))
  const border = options.border ?? 0
  const out = new Uint8Array(outWidth * outHeight * c)
  const acc = new Float64Array(c)
  const [a, b, cc, d, e, f] = m
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      acc.fill(0)
      for (let sy = 0; sy < k; sy++) {
        const py = oy + (sy + 0.5) / k - 0.5
        for (let sx = 0; sx < k; sx++) {
          const px = ox + (sx + 0.5) / k - 0.5
          const x = a * px + b * py + cc
          const y = d * px + e * py + f
          const x0 = Math.floor(x)
          const y0 = Math.floor(y)
          const fx = x - x0
          const fy = y - y0
          for (let ch = 0; ch < c; ch++) {
            const v00 = sample(data, w, h, c, x0, y0, ch, border)
            const v10 = sample(data, w, h, c, x0 + 1, y0, ch, border)
            const v01 = sample(data, w, h, c, x0, y0 + 1, ch, border)
            const v11 = sample(data, w, h, c, x0 + 1, y0 + 1, ch, border)
            acc[ch]! += (v00 * (1 - fx) + v10 * fx) * (1 - fy) + (v01 * (1 - fx) + v11 * fx) * fy
          }
        }
      }
      const o = (oy * outWidth + ox) * c
      for (let ch = 0; ch < c; ch++) out[o + ch] = clampByte(acc[ch]! / (k * k))
    }
  }
  return { width: outWidth, height: outHeight, channels: c, data: out }
}

function sample(data: Uint8Array, w: number, h: number, c: number, x: number, y: number, ch: number, border: number): number {
  if (x < 0 || y < 0 || x >= w || y >= h) return border
  return data[(y * w + x) * c + ch]!
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)
}

/** Axis-aligned rectangle in pixel units (x, y = top-left corner). */
export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/**
 * Crops `rect` (may extend past the image: outside is black) and resizes it to
 * outWidth×outHeight. The rectangle's edges are pixel edges: rect {0, 0, w, h} resized to
 * w×h is the identity.
 */
export function cropResize(image: FaceImage, rect: Rect, outWidth: number, outHeight: number): FaceImage {
  const sx = rect.width / outWidth
  const sy = rect.height / outHeight
  // Output pixel centre ox maps to rect.x + (ox + 0.5)·sx − 0.5 (edge-aligned, like cv2.resize / PIL).
  const m: Affine = [sx, 0, rect.x + 0.5 * sx - 0.5, 0, sy, rect.y + 0.5 * sy - 0.5]
  return warpAffine(image, m, outWidth, outHeight)
}

/** Mirror image (left ↔ right). */
export function flipHorizontal(image: FaceImage): FaceImage {
  const { width: w, height: h, channels: c, data } = image
  const out = new Uint8Array(data.length)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c
      const t = (y * w + (w - 1 - x)) * c
      for (let ch = 0; ch < c; ch++) out[t + ch] = data[s + ch]!
    }
  }
  return { width: w, height: h, channels: c, data: out }
}

/** Multiplies every colour sample by `factor` (1.15 = 15 % brighter), clamped to 0..255; alpha is kept. */
export function scaleBrightness(image: FaceImage, factor: number): FaceImage {
  const { channels: c, data } = image
  const out = new Uint8Array(data.length)
  for (let i = 0; i < data.length; i++) {
    out[i] = c === 4 && i % 4 === 3 ? data[i]! : clampByte(data[i]! * factor)
  }
  return { ...image, data: out }
}
