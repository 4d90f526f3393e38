// Annotations: annotations/<sampleId>.png as 8-bit palette PNGs (value = class id,
// 255 = unlabeled) that PIL, OpenCV and torchvision read directly, plus a small
// annotations/status.json with each sample's status (in progress or done).
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError, type AnnotationStatus } from '../../shared/api'
import { UNLABELED, type ClassDef } from '../../shared/project'
import { decodePng, encodeIndexedPng, PngError } from '../engine/io/png'
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

  async load(sampleId: string, classes: ClassDef[]): Promise<{ width: number; height: number; labels: Uint8Array } | null> {
    const path = resolveInProject(this.projectDir, join('annotations', `${sampleId}.png`))
    let bytes: Uint8Array
    try {
      bytes = await readFile(path)
    } catch {
      return null
    }
    try {
      const png = decodePng(bytes)
      if (png.channels !== 1) throw new PngError(`it has ${png.channels} channels, an index mask has 1`)
      checkLabels(png.data, classes)
      return { width: png.width, height: png.height, labels: png.data }
    } catch (error) {
      throw new ApiError({ code: 'bad-input', message: `annotations/${sampleId}.png cannot be read: ${(error as Error).message}` })
    }
  }

  save(args: { sampleId: string; width: number; height: number; labels: Uint8Array; status?: 'in-progress' | 'done'; classes: ClassDef[]; expectedSize: { width: number; height: number } }): Promise<string> {
    const run = async () => {
      const { sampleId, width, height, labels, classes, expectedSize } = args
      const path = resolveInProject(this.projectDir, join('annotations', `${sampleId}.png`))
      if (width !== expectedSize.width || height !== expectedSize.height) {
        throw new ApiError({ code: 'bad-input', field: 'width', message: `mask is ${width}×${height}, the sample is ${expectedSize.width}×${expectedSize.height}` })
      }
      if (labels.length !== width * height) {
        throw new ApiError({ code: 'bad-input', field: 'labels', message: `mask has ${labels.length} values, ${width}×${height} needs ${width * height}` })
      }
      checkLabels(labels, classes)
      await writeFileAtomic(path, encodeIndexedPng({ width, height, indices: labels, palette: paletteFor(classes) }))
      const statuses = await this.statuses()
      statuses[sampleId] = args.status ?? statuses[sampleId] ?? 'in-progress'
      if (statuses[sampleId] === 'unlabeled') statuses[sampleId] = 'in-progress'
      await writeJsonAtomic(join(this.projectDir, STATUS_FILE), statuses)
      return new Date().toISOString()
    }
    const next = this.chain.then(run, run)
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

/** The project palette: class colours at their ids, a neutral grey at 255. */
export function paletteFor(classes: ClassDef[]): Uint8Array {
  const palette = new Uint8Array(256 * 3)
  for (const c of classes) {
    palette[c.id * 3] = parseInt(c.color.slice(1, 3), 16)
    palette[c.id * 3 + 1] = parseInt(c.color.slice(3, 5), 16)
    palette[c.id * 3 + 2] = parseInt(c.color.slice(5, 7), 16)
  }
  palette.set([128, 128, 128], UNLABELED * 3)
  return palette
}
