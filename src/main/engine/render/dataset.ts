// Write rendered samples as a dataset on disk.
//
// Layout:
//   <outDir>/<modality>/<stem>.png   rgb (RGB), nir, sketch, depth (8-bit grey); same stems
//   <outDir>/masks/<stem>.png        8-bit palette PNG: index = class id, palette = class
//                                    colours, 255 = unlabeled (never produced by the renderer)
//   <outDir>/id2label.json           {"0": "background", ...}
//   <outDir>/classes.json            [{ id, name, color: "#rrggbb" }]
//   <outDir>/metadata.jsonl          one line per sample: stem, seed, identity (when grouped), params
// Masks are always written (they are the point of a synthetic source); "mask" may also be
// listed among the modalities. Sample i uses seed + i. With identities M and perIdentity P,
// sample i belongs to identity floor(i / P); every sample of an identity shares the identity
// parameters of sampleParams(seed + identity·P) and draws its own expression, pose, light and
// accessories from its own seed.
import { open, rename, rm, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeIndexedPng, encodePng } from '../io/png'
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic'
import { sampleParams, type FaceParams, type IdentityParams } from './params'
import { classPalette, classesFor, UNLABELED, type RenderMode } from './classes'
import { render, validateModalities, validateSize, RenderArgumentError, type Modality, type RenderResult } from './render'

export interface RenderDatasetOptions {
  outDir: string
  /** Number of samples (a positive integer). */
  count: number
  /** Image side in pixels, 64..1024. */
  size: number
  /** Any of rgb, nir, sketch, depth, mask. */
  modalities: readonly string[]
  /** Base seed (non-negative integer); sample i uses seed + i. */
  seed: number
  /** Number of distinct people; with perIdentity, count must equal identities × perIdentity. */
  identities?: number
  /** Samples per person. */
  perIdentity?: number
  mode?: RenderMode
  /** Ocular mode: which eye (image left or right), default left. */
  eye?: 'left' | 'right'
}

export interface SampleMetadata {
  stem: string
  seed: number
  identity?: number
  params: FaceParams
}

export interface RenderDatasetSummary {
  outDir: string
  count: number
  size: number
  mode: RenderMode
  modalities: Modality[]
  identities?: number
  perIdentity?: number
}

export { RenderArgumentError }

/** Zero-padded sample stem: 000000, 000001, … */
export function sampleStem(index: number, count: number): string {
  return String(index).padStart(Math.max(6, String(count - 1).length), '0')
}

function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new RenderArgumentError(`${name} must be an integer, got ${String(value)}`)
  }
  if (value < min) throw new RenderArgumentError(`${name} must be at least ${min}, got ${value}`)
  return value
}

interface Plan {
  count: number
  size: number
  modalities: Modality[]
  seed: number
  mode: RenderMode
  identities?: number
  perIdentity?: number
}

function plan(options: RenderDatasetOptions): Plan {
  if (typeof options.outDir !== 'string' || options.outDir.length === 0) {
    throw new RenderArgumentError('outDir must be a non-empty path')
  }
  if (typeof options.count !== 'number' || !Number.isInteger(options.count) || options.count < 1) {
    throw new RenderArgumentError(`count must be a positive integer, got ${String(options.count)}`)
  }
  const count = options.count
  const size = validateSize(options.size)
  if (!Array.isArray(options.modalities)) throw new RenderArgumentError('modalities must be a list of modality names')
  const modalities = validateModalities(options.modalities)
  const seed = checkInteger('seed', options.seed, 0)
  if (seed + count > Number.MAX_SAFE_INTEGER) throw new RenderArgumentError(`seed ${seed} + count ${count} exceeds the largest safe integer`)
  const mode = options.mode ?? 'face'
  if (mode !== 'face' && mode !== 'ocular') throw new RenderArgumentError(`mode must be "face" or "ocular", got "${String(mode)}"`)
  if (options.eye !== undefined && options.eye !== 'left' && options.eye !== 'right') {
    throw new RenderArgumentError(`eye must be "left" or "right", got "${String(options.eye)}"`)
  }
  let identities = options.identities
  let perIdentity = options.perIdentity
  if (identities !== undefined) identities = checkInteger('identities', identities, 1)
  if (perIdentity !== undefined) perIdentity = checkInteger('perIdentity', perIdentity, 1)
  if (identities !== undefined && perIdentity !== undefined) {
    if (identities * perIdentity !== count) {
      throw new RenderArgumentError(`identities × perIdentity must equal count: ${identities} × ${perIdentity} = ${identities * perIdentity}, but count is ${count}`)
    }
  } else if (identities !== undefined) {
    if (count % identities !== 0) throw new RenderArgumentError(`count ${count} is not a multiple of identities ${identities}; give perIdentity or a count of identities × samples`)
    perIdentity = count / identities
  } else if (perIdentity !== undefined) {
    if (count % perIdentity !== 0) throw new RenderArgumentError(`count ${count} is not a multiple of perIdentity ${perIdentity}`)
    identities = count / perIdentity
  }
  return { count, size, modalities, seed, mode, identities, perIdentity }
}

/** Parameters of sample `index` under a plan (identity groups share identity parameters). */
function paramsFor(p: Plan, index: number, cache: Map<number, IdentityParams>): { params: FaceParams; identity?: number } {
  const seed = p.seed + index
  if (p.perIdentity === undefined) return { params: sampleParams(seed) }
  const identity = Math.floor(index / p.perIdentity)
  let id = cache.get(identity)
  if (!id) {
    cache.clear()
    id = sampleParams(p.seed + identity * p.perIdentity).identity
    cache.set(identity, id)
  }
  return { params: sampleParams(seed, { identity: id }), identity }
}

/** PNG bytes of each requested modality of a rendered sample (mask as a palette PNG). */
export function encodeSamplePngs(result: RenderResult): Partial<Record<Modality, Uint8Array>> {
  const { size } = result
  const out: Partial<Record<Modality, Uint8Array>> = {}
  if (result.rgb) out.rgb = encodePng({ width: size, height: size, channels: 3, data: result.rgb })
  if (result.nir) out.nir = encodePng({ width: size, height: size, channels: 1, data: result.nir })
  if (result.sketch) out.sketch = encodePng({ width: size, height: size, channels: 1, data: result.sketch })
  if (result.depth) out.depth = encodePng({ width: size, height: size, channels: 1, data: result.depth })
  if (result.mask) out.mask = encodeIndexedPng({ width: size, height: size, indices: result.mask, palette: classPalette(result.classes) })
  return out
}

/**
 * Render `count` samples into outDir (layout above). Calls onProgress(done, total) after each
 * sample is on disk. Throws RenderArgumentError for bad options before writing anything.
 */
export async function renderDataset(
  options: RenderDatasetOptions,
  onProgress?: (done: number, total: number) => void
): Promise<RenderDatasetSummary> {
  const p = plan(options)
  const outDir = options.outDir
  const classes = classesFor(p.mode)
  const imageModalities = p.modalities.filter((m) => m !== 'mask')
  const renderModalities: Modality[] = [...imageModalities, 'mask']
  await mkdir(outDir, { recursive: true })
  for (const m of imageModalities) await mkdir(join(outDir, m), { recursive: true })
  await mkdir(join(outDir, 'masks'), { recursive: true })
  await writeJsonAtomic(join(outDir, 'classes.json'), classes.map((c) => ({ id: c.id, name: c.name, color: c.color })))
  await writeJsonAtomic(join(outDir, 'id2label.json'), Object.fromEntries(classes.map((c) => [String(c.id), c.name])))
  void UNLABELED

  const metaPath = join(outDir, 'metadata.jsonl')
  const metaTemp = join(outDir, `.metadata.jsonl.${process.pid}.partial`)
  const meta = await open(metaTemp, 'w')
  const cache = new Map<number, IdentityParams>()
  const inFlight: Promise<void>[] = []
  let done = 0
  try {
    for (let i = 0; i < p.count; i++) {
      const { params, identity } = paramsFor(p, i, cache)
      const result = render(params, { size: p.size, modalities: renderModalities, mode: p.mode, eye: options.eye })
      const pngs = encodeSamplePngs(result)
      const stem = sampleStem(i, p.count)
      const writes: Promise<void>[] = []
      for (const m of imageModalities) writes.push(writeFileAtomic(join(outDir, m, `${stem}.png`), pngs[m] as Uint8Array))
      writes.push(writeFileAtomic(join(outDir, 'masks', `${stem}.png`), pngs.mask as Uint8Array))
      const line: SampleMetadata = identity === undefined ? { stem, seed: p.seed + i, params } : { stem, seed: p.seed + i, identity, params }
      await meta.write(JSON.stringify(line) + '\n')
      inFlight.push(
        Promise.all(writes).then(() => {
          done++
          onProgress?.(done, p.count)
        })
      )
      // Overlap file writes with rendering, a few samples deep.
      if (inFlight.length >= 4) await inFlight.shift()
    }
    await Promise.all(inFlight)
    await meta.sync()
  } catch (error) {
    await Promise.allSettled(inFlight)
    await meta.close()
    await rm(metaTemp, { force: true })
    throw error
  }
  await meta.close()
  await rename(metaTemp, metaPath)
  return {
    outDir,
    count: p.count,
    size: p.size,
    mode: p.mode,
    modalities: p.modalities,
    ...(p.identities !== undefined ? { identities: p.identities, perIdentity: p.perIdentity } : {})
  }
}

/**
 * Render one sample for a preview: sampleParams(seed) at the given size. Modalities default
 * to all five; mode to 'face'.
 */
export function renderSample(
  seed: number,
  size: number,
  modalities: readonly string[] = ['rgb', 'nir', 'sketch', 'depth', 'mask'],
  mode: RenderMode = 'face'
): RenderResult & { params: FaceParams; seed: number } {
  const s = checkInteger('seed', seed, 0)
  const ms = validateModalities(modalities)
  const params = sampleParams(s)
  return { ...render(params, { size, modalities: ms, mode }), params, seed: s }
}
