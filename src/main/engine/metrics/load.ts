// Reading image files for the metrics: 8-bit non-interlaced PNGs through io/png (exact, no
// colour management), everything else through sharp. Label maps (masks) must be palette or
// grey PNGs: their values are class ids, never colours.
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import sharp from 'sharp'
import { decodePng } from '../io/png'
import { MetricsError } from './errors'
import type { MetricChannels, MetricImage } from './image'

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new MetricsError(`${path} cannot be read: ${code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`)
  }
}

function fromPng(bytes: Uint8Array): MetricImage | null {
  let png
  try {
    png = decodePng(bytes)
  } catch {
    return null
  }
  if (png.colorType === 3) {
    // Palette image shown as a picture: expand to RGB.
    const pal = png.palette
    if (!pal) return null
    const n = png.width * png.height
    const out = new Uint8Array(n * 3)
    for (let i = 0; i < n; i++) {
      const k = png.data[i] * 3
      out[i * 3] = pal[k] ?? 0
      out[i * 3 + 1] = pal[k + 1] ?? 0
      out[i * 3 + 2] = pal[k + 2] ?? 0
    }
    return { width: png.width, height: png.height, channels: 3, data: out }
  }
  if (png.channels === 2) {
    const n = png.width * png.height
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = png.data[i * 2]
    return { width: png.width, height: png.height, channels: 1, data: out }
  }
  return { width: png.width, height: png.height, channels: png.channels as MetricChannels, data: png.data }
}

/** An image file as 8-bit samples: grey stays 1 channel, RGB 3, RGBA 4 (grey + alpha becomes grey). */
export async function loadMetricImage(path: string): Promise<MetricImage> {
  const bytes = await readBytes(path)
  const png = fromPng(bytes)
  if (png) return png
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true })
    let channels = info.channels as number
    let samples = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (channels === 2) {
      const n = info.width * info.height
      const grey = new Uint8Array(n)
      for (let i = 0; i < n; i++) grey[i] = samples[i * 2]
      samples = grey
      channels = 1
    }
    if (channels !== 1 && channels !== 3 && channels !== 4) throw new Error(`${channels} channels`)
    return { width: info.width, height: info.height, channels: channels as MetricChannels, data: samples }
  } catch (error) {
    throw new MetricsError(`${basename(path)} is not an image the metrics can read: ${(error as Error).message}`)
  }
}

export interface LabelMapImage {
  width: number
  height: number
  /** One class id per pixel (255 = unlabeled / ignored). */
  data: Uint8Array
}

/** A mask file as class ids: an 8-bit palette or grey PNG (the indices are the ids). */
export async function loadLabelMap(path: string): Promise<LabelMapImage> {
  const bytes = await readBytes(path)
  let png
  try {
    png = decodePng(bytes)
  } catch (error) {
    throw new MetricsError(`${basename(path)} is not a label map: ${(error as Error).message} (masks are 8-bit palette or grey PNGs whose values are class ids)`)
  }
  if (png.colorType !== 3 && png.colorType !== 0) {
    throw new MetricsError(`${basename(path)} is a colour PNG, not a label map (masks are 8-bit palette or grey PNGs whose values are class ids)`)
  }
  return { width: png.width, height: png.height, data: png.data }
}
