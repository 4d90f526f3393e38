// Annotations: annotations/<sampleId>.png as 8-bit palette PNGs (value = class id,
// 255 = unlabeled) that PIL, OpenCV and torchvision read directly, plus a small
// annotations/status.json with each sample's status (in progress or done).
// Encoding and decoding go through engine/io/masks.ts, the one mask interchange module;
// import and export of index PNG, .npy and colour PNG for the editor live here too.
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError, type AnnotationStatus, type MaskFileFormat } from '../../shared/api'
import { UNLABELED, type ClassDef } from '../../shared/project'
import {
  classColourTable,
  decodeColourMask,
  decodeMaskPng,
  decodeNpy,
  encodeColourMask,
  encodeMaskPng,
  encodeNpy,
  maskPalette,
  MaskFormatError,
  type ColourTableEntry,
  type UnmappedColour
} from '../engine/io/masks'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'
import { resolveInProject } from './paths'

const STATUS_FILE = 'annotations/status.json'

export class AnnotationStore {
  /** Saves for one project are serialised so status.json never loses an update. */
  private chain: Promise<unknown> = Promise.resolve()

  constructor(private readonly projectDir: string) {}

  async statuses(): Promise<Record<string, AnnotationStatus>> {
    try {
      const parsed = JSON.parse(await readFile(join(this.projectDir, STATUS_FILE), 'utf8'))
      return parsed && typeof parsed === 'object' ? parsed : {}
    } catch {
      return {}
    }
  }

  async load(sampleId: string, classes: ClassDef[], expectedSize: { width: number; height: number }): Promise<{ width: number; height: number; labels: Uint8Array } | null> {
    const path = resolveInProject(this.projectDir, join('annotations', `${sampleId}.png`))
    let bytes: Uint8Array
    try {
      bytes = await readFile(path)
    } catch {
      return null
    }
    try {
      const labels = await decodeMaskPng(bytes, { width: expectedSize.width, height: expectedSize.height, classes })
      return { width: expectedSize.width, height: expectedSize.height, labels }
    } catch (error) {
      throw new ApiError({ code: 'bad-input', message: `annotations/${sampleId}.png cannot be read: ${(error as Error).message}` })
    }
  }

  /**
   * Save a mask. `classes` is read when the save runs, not when it is queued: a class
   * removal queued before it may have renumbered the classes (see annotationClasses.ts).
   */
  save(args: {
    sampleId: string
    width: number
    height: number
    labels: Uint8Array
    status?: 'in-progress' | 'done'
    classes: () => ClassDef[]
    expectedSize: { width: number; height: number }
  }): Promise<string> {
    return this.exclusive(async () => {
      const { sampleId, width, height, labels, expectedSize } = args
      const classes = args.classes()
      const path = resolveInProject(this.projectDir, join('annotations', `${sampleId}.png`))
      if (width !== expectedSize.width || height !== expectedSize.height) {
        throw new ApiError({ code: 'bad-input', field: 'width', message: `mask is ${width}×${height}, the sample is ${expectedSize.width}×${expectedSize.height}` })
      }
      if (labels.length !== width * height) {
        throw new ApiError({ code: 'bad-input', field: 'labels', message: `mask has ${labels.length} values, ${width}×${height} needs ${width * height}` })
      }
      checkLabels(labels, classes)
      await writeFileAtomic(path, encodeMaskPng(labels, width, height, classes))
      const statuses = await this.statuses()
      statuses[sampleId] = args.status ?? statuses[sampleId] ?? 'in-progress'
      if (statuses[sampleId] === 'unlabeled') statuses[sampleId] = 'in-progress'
      await writeJsonAtomic(join(this.projectDir, STATUS_FILE), statuses)
      return new Date().toISOString()
    })
  }

  /** Run `task` with no save in between: saves queued meanwhile wait for it (class removal rewrites every mask). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task, task)
    this.chain = next.catch(() => undefined)
    return next
  }

  async remove(sampleId: string): Promise<void> {
    await rm(resolveInProject(this.projectDir, join('annotations', `${sampleId}.png`)), { force: true })
    const statuses = await this.statuses()
    if (sampleId in statuses) {
      delete statuses[sampleId]
      await writeJsonAtomic(join(this.projectDir, STATUS_FILE), statuses)
    }
  }
}

/** Refuse values that are neither a class id nor 255, saying which were found. */
export function checkLabels(labels: Uint8Array, classes: ClassDef[]): void {
  const valid = new Uint8Array(256)
  for (const c of classes) valid[c.id] = 1
  valid[UNLABELED] = 1
  const seen = new Uint8Array(256)
  for (let i = 0; i < labels.length; i++) seen[labels[i]] = 1
  const bad: number[] = []
  for (let v = 0; v < 256; v++) if (seen[v] && !valid[v]) bad.push(v)
  if (bad.length) {
    throw new ApiError({
      code: 'bad-input',
      field: 'labels',
      message: `values ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ', …' : ''} are not classes (0–${classes.length - 1}) or 255`
    })
  }
}

/** The project palette: class colours at their ids, a neutral grey at 255 (masks.ts's maskPalette). */
export function paletteFor(classes: ClassDef[]): Uint8Array {
  return maskPalette(classes)
}

const MASK_FILES: Record<MaskFileFormat, { suffix: string; mime: string }> = {
  png: { suffix: '.png', mime: 'image/png' },
  npy: { suffix: '.npy', mime: 'application/octet-stream' },
  colour: { suffix: '_colour.png', mime: 'image/png' }
}

/** Decode a mask file another tool wrote, refusing other sizes and values that are not classes or 255. */
export async function importMask(args: {
  format: MaskFileFormat
  bytes: Uint8Array
  tolerance?: number
  table?: ColourTableEntry[]
  classes: ClassDef[]
  expectedSize: { width: number; height: number }
}): Promise<{ width: number; height: number; labels: Uint8Array; unmapped: UnmappedColour[] }> {
  const { format, bytes, classes, expectedSize } = args
  const { width, height } = expectedSize
  try {
    if (format === 'png') return { width, height, labels: await decodeMaskPng(bytes, { width, height, classes }), unmapped: [] }
    if (format === 'npy') {
      const mask = decodeNpy(bytes, { width, height, classes })
      return { ...mask, unmapped: [] }
    }
    const table = args.table ?? classColourTable(classes)
    const known = new Set(classes.map((c) => c.id))
    const stray = table.filter((entry) => entry.classId !== UNLABELED && !known.has(entry.classId))
    if (stray.length) throw new MaskFormatError(`colour table maps ${stray[0].color} to ${stray[0].classId}, which is not a class (0–${classes.length - 1}) or 255`)
    const mask = await decodeColourMask(bytes, table, { tolerance: args.tolerance ?? 0, width, height })
    return mask
  } catch (error) {
    if (error instanceof MaskFormatError) throw new ApiError({ code: 'bad-input', field: 'bytes', message: error.message })
    throw error
  }
}

/** A mask in an interchange format, with the file name a download should get. */
export function exportMask(args: {
  sampleId: string
  format: MaskFileFormat
  mask: { width: number; height: number; labels: Uint8Array }
  classes: ClassDef[]
}): { bytes: Uint8Array; fileName: string; mime: string } {
  const { sampleId, format, mask, classes } = args
  const { width, height, labels } = mask
  let bytes: Uint8Array
  try {
    if (format === 'png') bytes = encodeMaskPng(labels, width, height, classes)
    else if (format === 'npy') bytes = encodeNpy(labels, height, width)
    else bytes = encodeColourMask(labels, width, height, classColourTable(classes))
  } catch (error) {
    if (error instanceof MaskFormatError) throw new ApiError({ code: 'bad-input', message: error.message })
    throw error
  }
  const file = MASK_FILES[format]
  return { bytes, fileName: `${sampleId}${file.suffix}`, mime: file.mime }
}
