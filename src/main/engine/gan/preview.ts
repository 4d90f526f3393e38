// Preview grids of a generator in training: fixed sample seeds, every modality side by side,
// and (conditional mode) the renderer's own render of the same parameters under each row, so
// the pixel alignment and the likeness can be judged at a glance.
import { encodePng } from '../io/png'
import { render, sampleParams, type Modality } from '../render'
import { toTrainingImage } from './data'
import type { SampleImages } from './trainer'

export interface GridRow {
  label: string
  channels: number
  /** [count, res, res, channels] uint8. */
  data: Uint8Array
}

/** Rows → one RGB image: columns are samples, rows stacked, `gap` px of dark grey between. */
export function composeGrid(rows: readonly GridRow[], count: number, res: number, gap = 2): { width: number; height: number; data: Uint8Array } {
  const width = count * res + (count + 1) * gap
  const height = rows.length * res + (rows.length + 1) * gap
  const out = new Uint8Array(width * height * 3).fill(32)
  rows.forEach((row, r) => {
    for (let i = 0; i < count; i++) {
      const x0 = gap + i * (res + gap)
      const y0 = gap + r * (res + gap)
      for (let y = 0; y < res; y++) {
        for (let x = 0; x < res; x++) {
          const src = ((i * res + y) * res + x) * row.channels
          const dst = ((y0 + y) * width + x0 + x) * 3
          if (row.channels === 3) {
            out[dst] = row.data[src]
            out[dst + 1] = row.data[src + 1]
            out[dst + 2] = row.data[src + 2]
          } else {
            out[dst] = out[dst + 1] = out[dst + 2] = row.data[src]
          }
        }
      }
    }
  })
  return { width, height, data: out }
}

/** The renderer's images of sampleParams(seed) at `res` (box-filtered from 64 px when smaller). */
export function renderReference(seeds: readonly number[], modalities: readonly { id: string; channels: number }[], res: number): Record<string, Uint8Array> {
  const size = Math.max(64, res)
  const out: Record<string, Uint8Array> = {}
  for (const m of modalities) out[m.id] = new Uint8Array(seeds.length * res * res * m.channels)
  const tmp = new Float32Array(res * res * 3)
  seeds.forEach((seed, i) => {
    const result = render(sampleParams(seed), { size, modalities: modalities.map((m) => m.id as Modality) })
    for (const m of modalities) {
      const src = result[m.id as 'rgb' | 'nir' | 'sketch' | 'depth']
      if (!src) continue
      toTrainingImage(src, size, m.channels, res, tmp, 0)
      const dst = out[m.id]
      const n = res * res * m.channels
      for (let k = 0; k < n; k++) dst[i * n + k] = Math.max(0, Math.min(255, Math.round((tmp[k] + 1) * 127.5)))
    }
  })
  return out
}

/** Grid rows for generated samples, each followed by the renderer's reference when given. */
export function previewRows(samples: SampleImages, modalities: readonly { id: string; channels: number }[], reference: Record<string, Uint8Array> | null): GridRow[] {
  const rows: GridRow[] = []
  for (const m of modalities) {
    const generated = samples.images[m.id]
    rows.push({ label: `${m.id} (generator)`, channels: generated.channels, data: generated.data })
    if (reference?.[m.id]) rows.push({ label: `${m.id} (renderer)`, channels: m.channels, data: reference[m.id] })
  }
  return rows
}

export function previewPng(samples: SampleImages, modalities: readonly { id: string; channels: number }[], reference: Record<string, Uint8Array> | null, scale = 1): Uint8Array {
  const grid = composeGrid(previewRows(samples, modalities, reference), samples.count, samples.resolution)
  const up = scale > 1 ? upscale(grid, scale) : grid
  return encodePng({ width: up.width, height: up.height, channels: 3, data: up.data })
}

function upscale(img: { width: number; height: number; data: Uint8Array }, s: number): { width: number; height: number; data: Uint8Array } {
  const width = img.width * s
  const height = img.height * s
  const out = new Uint8Array(width * height * 3)
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / s)
    for (let x = 0; x < width; x++) {
      const src = (sy * img.width + Math.floor(x / s)) * 3
      const dst = (y * width + x) * 3
      out[dst] = img.data[src]
      out[dst + 1] = img.data[src + 1]
      out[dst + 2] = img.data[src + 2]
    }
  }
  return { width, height, data: out }
}
