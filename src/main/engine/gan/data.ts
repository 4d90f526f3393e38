// Training data for the generator trainer: paired modality images (and, for conditional
// training, the renderer parameter vector each pair was rendered from).
//
//  - 'renderer': pairs rendered on the fly by the built-in face renderer. Sample i is
//    sampleParams(seedStart + i); the renderer draws at max(64, R) and images are box-filtered
//    down when the training resolution is below the renderer's 64 px minimum.
//  - 'folder': a folder in the renderer's dataset layout (<modality>/<stem>.png, same stems;
//    metadata.jsonl with { stem, params } per line for conditional training).
// Images become float32 NHWC in [-1, 1]. Which samples make a batch is drawn from the trainer's
// PRNG, so batches are reproducible (and the same after a resume).
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodePng } from '../io/png'
import { PARAM_VECTOR_LENGTH, paramsToVector, render, sampleParams, type FaceParams, type Modality } from '../render'
import { FACE_CLASSES } from '../../../shared/faceClasses'
import type { GanConfig, GanModality } from './config'
import { GanConfigError } from './config'
import type { Prng } from './prng'

export interface TrainingBatch {
  size: number
  /** Per modality id: [n, R, R, channels] float32 in [-1, 1]. */
  images: Record<string, Float32Array>
  /** [n, conditionSize] raw condition vectors, or null (unconditional data). */
  condition: Float32Array | null
  /**
   * [n, R, R] per-pixel weights of the L1 reconstruction loss from the mask's classes
   * (loss.reconClassWeights), each image's map scaled to mean 1; null for plain L1.
   */
  pixelWeights: Float32Array | null
}

export interface DataSource {
  readonly description: string
  /** Length of the condition vector (0 when the source has none). */
  readonly conditionSize: number
  /** Draw a batch of n samples using `prng`. */
  batch(prng: Prng, n: number): Promise<TrainingBatch>
  /** Mean and standard deviation of the condition vectors (for normalisation). */
  conditionStats(): Promise<{ mean: Float32Array; std: Float32Array }>
}

const RENDERER_MODALITIES: Record<string, 1 | 3> = { rgb: 3, nir: 1, sketch: 1, depth: 1 }
const RENDER_MIN = 64

function checkRendererModalities(modalities: readonly GanModality[]): void {
  for (const m of modalities) {
    const channels = RENDERER_MODALITIES[m.id]
    if (channels === undefined) {
      throw new GanConfigError(`the renderer cannot draw modality "${m.id}" (it draws ${Object.keys(RENDERER_MODALITIES).join(', ')})`)
    }
    if (channels !== m.channels) throw new GanConfigError(`modality "${m.id}" has ${channels} channel(s) in the renderer, the config says ${m.channels}`)
  }
}

/** uint8 interleaved image [size, size, ch] → float32 [-1, 1] at `res`, box-filtered when smaller. */
export function toTrainingImage(src: Uint8Array, size: number, channels: number, res: number, out: Float32Array, offset: number): void {
  if (size === res) {
    for (let i = 0; i < res * res * channels; i++) out[offset + i] = src[i] / 127.5 - 1
    return
  }
  const f = size / res
  if (!Number.isInteger(f) || f < 1) throw new GanConfigError(`images of ${size} px cannot be reduced to ${res} px (need an integer factor)`)
  const norm = 1 / (f * f * 127.5)
  for (let y = 0; y < res; y++) {
    for (let x = 0; x < res; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0
        for (let dy = 0; dy < f; dy++) {
          const row = (y * f + dy) * size
          for (let dx = 0; dx < f; dx++) sum += src[(row + x * f + dx) * channels + c]
        }
        out[offset + (y * res + x) * channels + c] = sum * norm - 1
      }
    }
  }
}

/**
 * Weight of each face class id for the L1 loss (loss.reconClassWeights; unnamed classes 1), or
 * null when every weight is 1 (plain L1: no mask needed).
 */
export function reconClassWeightTable(config: GanConfig): Float32Array | null {
  const table = new Float32Array(FACE_CLASSES.length).fill(1)
  let any = false
  for (const c of FACE_CLASSES) {
    const w = config.loss.reconClassWeights[c.name]
    if (w !== undefined && w !== 1) {
      table[c.id] = w
      any = true
    }
  }
  return any ? table : null
}

/**
 * A mask [size, size] of class ids → per-pixel loss weights at `res` (box-averaged when
 * smaller), scaled to mean 1 over the image (so the loss keeps the scale of plain L1), written
 * to out[offset … offset + res²).
 */
export function pixelWeightMap(mask: Uint8Array, size: number, table: Float32Array, res: number, out: Float32Array, offset: number): void {
  const f = size / res
  if (!Number.isInteger(f) || f < 1) throw new GanConfigError(`masks of ${size} px cannot be reduced to ${res} px (need an integer factor)`)
  let total = 0
  for (let y = 0; y < res; y++) {
    for (let x = 0; x < res; x++) {
      let sum = 0
      for (let dy = 0; dy < f; dy++) {
        const row = (y * f + dy) * size
        for (let dx = 0; dx < f; dx++) sum += table[mask[row + x * f + dx]] ?? 1
      }
      out[offset + y * res + x] = sum / (f * f)
      total += sum / (f * f)
    }
  }
  // All-zero weights (every pixel of a class weighted 0) fall back to plain L1.
  const scale = total > 0 ? (res * res) / total : 0
  for (let i = 0; i < res * res; i++) out[offset + i] = scale > 0 ? out[offset + i] * scale : 1
}

/** Mean / std of the renderer's parameter vector over a fixed reference set of seeds. */
export function rendererConditionStats(count = 2048): { mean: Float32Array; std: Float32Array } {
  return vectorStats(Array.from({ length: count }, (_, i) => paramsToVector(sampleParams(i))))
}

function vectorStats(vectors: ArrayLike<number>[]): { mean: Float32Array; std: Float32Array } {
  const d = vectors[0]?.length ?? 0
  const mean = new Float64Array(d)
  const sq = new Float64Array(d)
  for (const v of vectors) {
    for (let i = 0; i < d; i++) {
      mean[i] += v[i]
      sq[i] += v[i] * v[i]
    }
  }
  const n = Math.max(1, vectors.length)
  const outMean = new Float32Array(d)
  const outStd = new Float32Array(d)
  for (let i = 0; i < d; i++) {
    const m = mean[i] / n
    const variance = Math.max(0, sq[i] / n - m * m)
    outMean[i] = m
    // Constant entries (std 0) are left unscaled.
    outStd[i] = variance > 1e-10 ? Math.sqrt(variance) : 1
  }
  return { mean: outMean, std: outStd }
}

export class RendererSource implements DataSource {
  readonly description: string
  readonly conditionSize = PARAM_VECTOR_LENGTH
  private readonly renderSize: number
  private readonly cache = new Map<number, Record<string, Uint8Array>>()
  /** Class weights of the L1 loss (null: plain L1, no mask rendered). */
  private readonly classWeights: Float32Array | null

  constructor(
    private readonly config: GanConfig,
    private readonly seedStart: number,
    private readonly count: number,
    private readonly cacheSize: number
  ) {
    checkRendererModalities(config.modalities)
    this.classWeights = reconClassWeightTable(config)
    this.renderSize = Math.max(RENDER_MIN, config.resolution)
    if (this.renderSize > 1024) throw new GanConfigError('the renderer draws at most 1024 px')
    this.description = `face renderer, ${count} faces from seed ${seedStart}, ${config.modalities.map((m) => m.id).join(' + ')} at ${config.resolution}²`
  }

  /** Rendered uint8 images of training sample `index` (cached when cacheSize > 0). */
  renderIndex(index: number): Record<string, Uint8Array> {
    const hit = this.cache.get(index)
    if (hit) return hit
    // The mask is the exact class id per pixel centre; drawing it leaves the images unchanged.
    const modalities = this.config.modalities.map((m) => m.id as Modality)
    if (this.classWeights) modalities.push('mask')
    const result = render(sampleParams(this.seedStart + index), { size: this.renderSize, modalities })
    const images: Record<string, Uint8Array> = {}
    for (const m of this.config.modalities) images[m.id] = result[m.id as 'rgb' | 'nir' | 'sketch' | 'depth'] as Uint8Array
    if (this.classWeights) images.mask = result.mask as Uint8Array
    if (this.cacheSize > 0) {
      if (this.cache.size >= this.cacheSize) this.cache.delete(this.cache.keys().next().value as number)
      this.cache.set(index, images)
    }
    return images
  }

  batch(prng: Prng, n: number): Promise<TrainingBatch> {
    return assembleBatch(this.config, n, this.classWeights, async () => {
      const index = prng.int(this.count)
      const rendered = this.renderIndex(index)
      const condition = this.config.conditional ? paramsToVector(sampleParams(this.seedStart + index)) : null
      return { images: rendered, size: this.renderSize, condition, mask: rendered.mask ?? null }
    })
  }

  async conditionStats(): Promise<{ mean: Float32Array; std: Float32Array }> {
    return rendererConditionStats()
  }
}

interface FolderEntry {
  stem: string
  condition: Float32Array | null
}

export class FolderSource implements DataSource {
  readonly description: string
  readonly conditionSize: number
  private readonly cache = new Map<string, Record<string, Uint8Array>>()

  private constructor(
    private readonly config: GanConfig,
    private readonly dir: string,
    private readonly entries: FolderEntry[],
    private readonly size: number
  ) {
    this.conditionSize = config.conditional ? PARAM_VECTOR_LENGTH : 0
    this.description = `folder ${dir}: ${entries.length} pairs of ${size}², ${config.modalities.map((m) => m.id).join(' + ')}`
  }

  static async open(config: GanConfig, dir: string): Promise<FolderSource> {
    if (!existsSync(dir)) throw new GanConfigError(`data folder ${dir} does not exist`)
    for (const m of config.modalities) {
      if (!existsSync(join(dir, m.id))) throw new GanConfigError(`data folder ${dir} has no "${m.id}" subfolder (expected <folder>/${m.id}/<stem>.png)`)
    }
    const entries: FolderEntry[] = []
    const metaPath = join(dir, 'metadata.jsonl')
    if (existsSync(metaPath)) {
      const lines = (await readFile(metaPath, 'utf8')).split('\n').filter((l) => l.trim())
      lines.forEach((line, i) => {
        let row: { stem?: unknown; params?: unknown }
        try {
          row = JSON.parse(line)
        } catch {
          throw new GanConfigError(`${metaPath} line ${i + 1} is not JSON`)
        }
        if (typeof row.stem !== 'string') throw new GanConfigError(`${metaPath} line ${i + 1} has no "stem"`)
        let condition: Float32Array | null = null
        if (config.conditional) {
          if (!row.params || typeof row.params !== 'object') {
            throw new GanConfigError(`${metaPath} line ${i + 1} has no renderer "params": conditional training needs them`)
          }
          condition = Float32Array.from(paramsToVector(row.params as FaceParams))
        }
        entries.push({ stem: row.stem, condition })
      })
    } else {
      if (config.conditional) throw new GanConfigError(`conditional training needs ${metaPath} (renderer parameters per sample)`)
      const files = (await readdir(join(dir, config.modalities[0].id))).filter((f) => f.endsWith('.png')).sort()
      for (const f of files) entries.push({ stem: f.slice(0, -4), condition: null })
    }
    if (entries.length === 0) throw new GanConfigError(`data folder ${dir} holds no samples`)
    const first = decodePng(await readFile(join(dir, config.modalities[0].id, `${entries[0].stem}.png`)))
    if (first.width !== first.height) throw new GanConfigError(`training images must be square; ${entries[0].stem}.png is ${first.width}×${first.height}`)
    if (first.width % config.resolution !== 0) {
      throw new GanConfigError(`images of ${first.width} px cannot be trained at ${config.resolution} px (the size must be a multiple of the resolution)`)
    }
    return new FolderSource(config, dir, entries, first.width)
  }

  private async load(stem: string): Promise<Record<string, Uint8Array>> {
    const hit = this.cache.get(stem)
    if (hit) return hit
    const out: Record<string, Uint8Array> = {}
    for (const m of this.config.modalities) {
      const path = join(this.dir, m.id, `${stem}.png`)
      let png
      try {
        png = decodePng(await readFile(path))
      } catch (error) {
        throw new GanConfigError(`cannot read ${path}: ${(error as Error).message}`)
      }
      if (png.width !== this.size || png.height !== this.size) throw new GanConfigError(`${path} is ${png.width}×${png.height}, the other images are ${this.size}²`)
      out[m.id] = toChannels(png.data, png.channels, m.channels, this.size * this.size, path)
    }
    if (this.cache.size >= 2048) this.cache.delete(this.cache.keys().next().value as string)
    this.cache.set(stem, out)
    return out
  }

  batch(prng: Prng, n: number): Promise<TrainingBatch> {
    // Folder data has no masks (the config refuses reconClassWeights with it).
    return assembleBatch(this.config, n, null, async () => {
      const entry = this.entries[prng.int(this.entries.length)]
      return { images: await this.load(entry.stem), size: this.size, condition: entry.condition, mask: null }
    })
  }

  async conditionStats(): Promise<{ mean: Float32Array; std: Float32Array }> {
    const vectors = this.entries.map((e) => e.condition).filter((c): c is Float32Array => c !== null)
    return vectors.length > 0 ? vectorStats(vectors) : { mean: new Float32Array(0), std: new Float32Array(0) }
  }
}

/** One training pair as a source holds it: images of `size`², its condition and (renderer) its exact mask. */
interface DrawnPair {
  images: Record<string, Uint8Array>
  size: number
  condition: ArrayLike<number> | null
  mask: Uint8Array | null
}

/**
 * A batch of n pairs at the training resolution, drawn one after another by `draw` (each call
 * takes its draws from the trainer's prng, so the order of the calls is the batch's order).
 */
async function assembleBatch(config: GanConfig, n: number, classWeights: Float32Array | null, draw: () => Promise<DrawnPair>): Promise<TrainingBatch> {
  const R = config.resolution
  const images: Record<string, Float32Array> = {}
  for (const m of config.modalities) images[m.id] = new Float32Array(n * R * R * m.channels)
  const condition = config.conditional ? new Float32Array(n * PARAM_VECTOR_LENGTH) : null
  const pixelWeights = classWeights ? new Float32Array(n * R * R) : null
  for (let i = 0; i < n; i++) {
    const pair = await draw()
    for (const m of config.modalities) toTrainingImage(pair.images[m.id], pair.size, m.channels, R, images[m.id], i * R * R * m.channels)
    if (condition && pair.condition) condition.set(pair.condition, i * PARAM_VECTOR_LENGTH)
    if (pixelWeights && classWeights && pair.mask) pixelWeightMap(pair.mask, pair.size, classWeights, R, pixelWeights, i * R * R)
  }
  return { size: n, images, condition, pixelWeights }
}

/** Decoded PNG samples → the modality's channel count (grey ↔ RGB, alpha dropped). */
function toChannels(data: Uint8Array, have: number, want: number, pixels: number, path: string): Uint8Array {
  if (have === want) return data
  const out = new Uint8Array(pixels * want)
  for (let i = 0; i < pixels; i++) {
    if (want === 1) {
      out[i] = have >= 3 ? Math.round((data[i * have] + data[i * have + 1] + data[i * have + 2]) / 3) : data[i * have]
    } else if (have <= 2) {
      const v = data[i * have]
      out[i * 3] = v
      out[i * 3 + 1] = v
      out[i * 3 + 2] = v
    } else if (have === 4) {
      out[i * 3] = data[i * 4]
      out[i * 3 + 1] = data[i * 4 + 1]
      out[i * 3 + 2] = data[i * 4 + 2]
    } else {
      throw new GanConfigError(`${path}: cannot turn ${have} channels into ${want}`)
    }
  }
  return out
}

export async function openDataSource(config: GanConfig): Promise<DataSource> {
  if (config.data.source === 'renderer') return new RendererSource(config, config.data.seedStart, config.data.count, config.data.cacheSize)
  return FolderSource.open(config, config.data.path)
}
