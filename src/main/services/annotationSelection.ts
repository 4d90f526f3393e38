// Import and export of the masks of a selection of samples (the Gallery's multi-selection).
//
// Export writes one file per annotated sample, plus classes.json (ids, names, colours: the
// colour → class table) and id2label.json as the dataset writer does, into a folder on the
// machine the backend runs on: by default a new <project>/exports/masks-<format>-<time>/,
// or an empty folder the user names. A folder (not a zip download) because the same
// backend serves the desktop app and the browser mode, the files are what DatasetGAN,
// mmsegmentation and GIMP workflows read, masks stream to disk one at a time (bounded
// memory for 10,000 samples), and no archive dependency is needed.
//
// Import takes files (uploaded bytes from the browser's file picker, or a folder on the
// backend machine), matches each to a sample by its file stem (`s00000012.png`,
// `s00000012.npy`, `s00000012_colour.png`), decodes and validates it like the one-sample
// import, and reports per file: imported, refused (with what was found: wrong size, values
// outside the class set, colours that match no class), unmatched (no such sample), or
// skipped (the sample already has a mask and `existing` is 'skip', so no painted work is
// overwritten unless the user asks). `dryRun` reports without writing anything.
import { existsSync } from 'node:fs'
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, isAbsolute, join } from 'node:path'
import { ApiError, type MaskFileFormat, type MaskImportFileResult, type MaskImportReport, type MaskExportReport } from '../../shared/api'
import type { ClassDef } from '../../shared/project'
import { type ColourTableEntry } from '../engine/io/masks'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'
import { exportMask, importMask, type AnnotationStore } from './annotationStore'
import type { SampleStore } from './sampleStore'
import { resolveInProject } from './paths'

/** Stem suffixes other tools (and our colour export) add after the sample id. */
const STEM_SUFFIXES = ['_colour', '_color', '_mask', '_label', '_labels']
const MASK_EXTENSIONS = new Set(['.png', '.npy', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp'])

export interface SelectionContext {
  projectDir: string
  samples: SampleStore
  annotations: AnnotationStore
  classes: () => ClassDef[]
}

function stamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`
}

/** An empty or new folder to export into: `dir` (absolute) or a new one under the project's exports/. */
async function exportFolder(projectDir: string, format: MaskFileFormat, dir?: string): Promise<string> {
  if (dir === undefined) return resolveInProject(projectDir, join('exports', `masks-${format}-${stamp()}`))
  if (!isAbsolute(dir)) throw new ApiError({ code: 'bad-input', field: 'dir', message: `the export folder must be an absolute path, got "${dir}"` })
  try {
    const info = await stat(dir)
    if (!info.isDirectory()) throw new ApiError({ code: 'conflict', field: 'dir', message: `${dir} is a file, not a folder` })
    if ((await readdir(dir)).length > 0) throw new ApiError({ code: 'conflict', field: 'dir', message: `${dir} is not empty; choose an empty or new folder so no file is overwritten` })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  return dir
}

export async function exportSelection(ctx: SelectionContext, args: { sampleIds: string[]; format: MaskFileFormat; dir?: string }): Promise<MaskExportReport> {
  const classes = ctx.classes()
  const folder = await exportFolder(ctx.projectDir, args.format, args.dir)
  const files: string[] = []
  const missing: string[] = []
  for (const sampleId of [...new Set(args.sampleIds)]) {
    const sample = await ctx.samples.readSampleFile(sampleId)
    const mask = await ctx.annotations.load(sampleId, classes, { width: sample.width, height: sample.height })
    if (!mask) {
      missing.push(sampleId)
      continue
    }
    const file = exportMask({ sampleId, format: args.format, mask, classes })
    await writeFileAtomic(join(folder, file.fileName), file.bytes)
    files.push(file.fileName)
  }
  // The colour → class table (and the id → name map) that travels with the masks.
  await writeJsonAtomic(join(folder, 'classes.json'), classes.map((c) => ({ id: c.id, name: c.name, color: c.color })))
  await writeJsonAtomic(join(folder, 'id2label.json'), Object.fromEntries(classes.map((c) => [String(c.id), c.name])))
  return { dir: folder, format: args.format, files, missing }
}

/** The format a file is in: by extension, and for PNGs by colour type (palette/grey: ids; RGB(A): colours). */
function detectFormat(name: string, bytes: Uint8Array): MaskFileFormat {
  const ext = extname(name).toLowerCase()
  if (ext === '.npy') return 'npy'
  if (ext !== '.png') return 'colour'
  // IHDR's colour type byte sits at offset 25 of every PNG.
  const colourType = bytes.length > 25 ? bytes[25] : 0
  return colourType === 2 || colourType === 6 ? 'colour' : 'png'
}

/** Sample ids a file name may stand for, most specific first. */
function stemCandidates(name: string): string[] {
  const stem = basename(name, extname(name))
  const out = [stem]
  for (const suffix of STEM_SUFFIXES) if (stem.toLowerCase().endsWith(suffix)) out.push(stem.slice(0, -suffix.length))
  return out
}

export interface ImportFilesArgs {
  files: { name: string; bytes: Uint8Array }[]
  format: MaskFileFormat | 'auto'
  /** Match only these samples (the selection); default: every sample of the project. */
  sampleIds?: string[]
  tolerance?: number
  table?: ColourTableEntry[]
  existing: 'skip' | 'replace'
  dryRun: boolean
}

/** Files of a folder on the backend machine that can hold masks (others, like classes.json, are left out). */
export async function readMaskFolder(dir: string): Promise<{ name: string; bytes: Uint8Array }[]> {
  if (!isAbsolute(dir)) throw new ApiError({ code: 'bad-input', field: 'dir', message: `the import folder must be an absolute path, got "${dir}"` })
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    throw new ApiError({ code: 'not-found', field: 'dir', message: `${dir} is not a folder that can be read` })
  }
  const files: { name: string; bytes: Uint8Array }[] = []
  for (const name of names.sort()) {
    if (name.startsWith('.') || !MASK_EXTENSIONS.has(extname(name).toLowerCase())) continue
    const path = join(dir, name)
    if (!(await stat(path)).isFile()) continue
    files.push({ name, bytes: await readFile(path) })
  }
  return files
}

export async function importFiles(ctx: SelectionContext, args: ImportFilesArgs): Promise<MaskImportReport> {
  const all = await ctx.samples.list()
  const allowed = args.sampleIds ? new Set(args.sampleIds) : null
  const samples = new Map(all.filter((s) => !allowed || allowed.has(s.id)).map((s) => [s.id, s]))
  const claimed = new Map<string, string>()
  const results: MaskImportFileResult[] = []
  for (const file of args.files) {
    const name = basename(file.name)
    const sampleId = stemCandidates(name).find((id) => samples.has(id)) ?? null
    const result = (status: MaskImportFileResult['status'], message: string, format?: MaskFileFormat): void => {
      results.push({ file: name, sampleId, status, message, ...(format ? { format } : {}) })
    }
    if (!sampleId) {
      const why = allowed && stemCandidates(name).some((id) => all.some((s) => s.id === id)) ? 'its sample is not in the selection' : 'no sample has this name'
      result('unmatched', why)
      continue
    }
    const other = claimed.get(sampleId)
    if (other) {
      result('refused', `${other} was already matched to ${sampleId}`)
      continue
    }
    claimed.set(sampleId, name)
    const sample = samples.get(sampleId)!
    const format = args.format === 'auto' ? detectFormat(name, file.bytes) : args.format
    const classes = ctx.classes()
    let mask: { width: number; height: number; labels: Uint8Array; unmapped: { color: string; count: number }[] }
    try {
      mask = await importMask({ format, bytes: file.bytes, tolerance: args.tolerance, table: args.table, classes, expectedSize: { width: sample.width, height: sample.height } })
    } catch (error) {
      if (error instanceof ApiError) {
        result('refused', error.message, format)
        continue
      }
      throw error
    }
    if (mask.unmapped.length) {
      const shown = mask.unmapped.slice(0, 5).map((u) => `${u.color} (${u.count} px)`).join(', ')
      const more = mask.unmapped.length > 5 ? `, and ${mask.unmapped.length - 5} more` : ''
      const n = mask.unmapped.length
      result('refused', `${n} colour${n === 1 ? ' matches' : 's match'} no class: ${shown}${more}; raise the tolerance or map them in the colour table`, format)
      continue
    }
    if (args.existing === 'skip' && existsSync(resolveInProject(ctx.projectDir, join('annotations', `${sampleId}.png`)))) {
      result('skipped', `${sampleId} already has a mask; choose "replace" to overwrite it`, format)
      continue
    }
    if (!args.dryRun) {
      await ctx.annotations.save({ sampleId, width: mask.width, height: mask.height, labels: mask.labels, classes: ctx.classes, expectedSize: { width: sample.width, height: sample.height } })
    }
    result('imported', `${mask.width}×${mask.height} ${FORMAT_NAMES[format]}`, format)
  }
  const count = (status: MaskImportFileResult['status']) => results.filter((r) => r.status === status).length
  return { dryRun: args.dryRun, files: results, imported: count('imported'), refused: count('refused'), unmatched: count('unmatched'), skipped: count('skipped') }
}

const FORMAT_NAMES: Record<MaskFileFormat, string> = { png: 'index PNG', npy: '.npy', colour: 'colour PNG' }
