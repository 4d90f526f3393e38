// Which classes the saved masks use, and removing a class from the project's palette
// without corrupting a single saved mask.
//
// Class ids are the pixel values of annotations/<sampleId>.png, and twinlight.json wants
// the ids 0..K-1 in order. Removing class k (any but the last) therefore shifts the ids
// above it down by one, and every saved mask must shift with them, or its pixels would
// silently change class. The behaviour:
// - Class 0 (background) cannot be removed.
// - Masks holding ids above k are rewritten with those ids shifted (k+1 → k, …), so every
//   pixel keeps its class (name and colour move with the id).
// - If a saved mask holds class k itself, the removal is refused, saying how many samples
//   and pixels use it, unless the caller says where those pixels go: unlabeled (255) or
//   background (0). Nothing is ever dropped silently.
// - The rewritten masks and twinlight.json change together. The new masks are written to
//   annotations/.class-removal/ first; then journal.json is written (the commit point);
//   then the masks are renamed into place and twinlight.json is written; then the folder
//   goes. A crash before the journal leaves the old project (the staging folder is
//   deleted on the next open); a crash after it is rolled forward on the next open
//   (finishClassRemoval), so the masks and the class list always agree.
// Interpreter runs and datasets made before keep the ids they were made with (their own
// classes.json says which); predictions are recomputed from the new class list.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../shared/api'
import { PROJECT_FILE, UNLABELED, type ClassDef, type ProjectFile } from '../../shared/project'
import { decodePng } from '../engine/io/png'
import { encodeMaskPng } from '../engine/io/masks'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'

const STAGING = join('annotations', '.class-removal')
const JOURNAL = 'journal.json'

export interface ClassUsage {
  classId: number
  /** Saved masks holding this class. */
  samples: number
  pixels: number
}

/** Where the pixels of a removed class go; 'refuse' refuses the removal while any mask uses the class. */
export type RemovedPixels = 'refuse' | 'unlabeled' | 'background'

interface SavedMask {
  sampleId: string
  width: number
  height: number
  labels: Uint8Array
}

interface Journal {
  /** twinlight.json after the removal. */
  project: ProjectFile
  /** Sample ids whose new mask waits in the staging folder. */
  samples: string[]
}

/** Every saved annotation of the project, decoded (annotations/<id>.png; our own 8-bit palette PNGs). */
async function* savedMasks(projectDir: string): AsyncGenerator<SavedMask> {
  let names: string[]
  try {
    names = await readdir(join(projectDir, 'annotations'))
  } catch {
    return
  }
  for (const name of names.sort()) {
    if (!name.endsWith('.png') || name.startsWith('.')) continue
    const sampleId = name.slice(0, -4)
    let png
    try {
      png = decodePng(await readFile(join(projectDir, 'annotations', name)))
    } catch (error) {
      throw new ApiError({ code: 'bad-input', message: `annotations/${name} cannot be read (${(error as Error).message}); nothing was changed` })
    }
    if (png.channels !== 1) throw new ApiError({ code: 'bad-input', message: `annotations/${name} is not an index PNG; nothing was changed` })
    yield { sampleId, width: png.width, height: png.height, labels: png.data }
  }
}

/** Per class id, how many saved masks and pixels hold it (ids no mask uses are left out; 255 is not a class). */
export async function classUsage(projectDir: string): Promise<ClassUsage[]> {
  const samples = new Uint32Array(256)
  const pixels = new Float64Array(256)
  const counts = new Uint32Array(256)
  for await (const mask of savedMasks(projectDir)) {
    counts.fill(0)
    for (const v of mask.labels) counts[v]++
    for (let id = 0; id < UNLABELED; id++) {
      if (counts[id] === 0) continue
      samples[id]++
      pixels[id] += counts[id]
    }
  }
  const out: ClassUsage[] = []
  for (let id = 0; id < UNLABELED; id++) if (samples[id] > 0) out.push({ classId: id, samples: samples[id], pixels: pixels[id] })
  return out
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** "class 3 (nose) is painted in 2 samples (140 pixels)". */
export function describeUsage(c: ClassDef | undefined, classId: number, usage: ClassUsage): string {
  return `class ${classId}${c ? ` (${c.name})` : ''} is painted in ${plural(usage.samples, 'sample')} (${plural(usage.pixels, 'pixel')})`
}

/**
 * Refuse a class list that drops ids saved masks still use (project.update with fewer
 * classes): those masks would no longer load. Say which and how many.
 */
export async function checkClassesKept(projectDir: string, current: ClassDef[], next: ClassDef[]): Promise<void> {
  if (next.length >= current.length) return
  const used = (await classUsage(projectDir)).filter((u) => u.classId >= next.length)
  if (!used.length) return
  const first = used[0]
  throw new ApiError({
    code: 'conflict',
    field: 'classes',
    message: `${describeUsage(current[first.classId], first.classId, first)}; remove it with "Remove", which relabels those pixels, instead of dropping it from the list`
  })
}

/** The class list without `classId`, the ids above it shifted down by one. */
function classesWithout(classes: ClassDef[], classId: number): ClassDef[] {
  return classes.filter((c) => c.id !== classId).map((c, index) => ({ ...c, id: index }))
}

/**
 * Remove class `classId` from the project and rewrite the saved masks to match (see the
 * top of this file). Returns the new project file and what was rewritten.
 */
export async function removeClass(args: {
  projectDir: string
  project: ProjectFile
  classId: number
  pixels: RemovedPixels
}): Promise<{ project: ProjectFile; rewritten: number; relabelled: { samples: number; pixels: number } }> {
  const { projectDir, project, classId, pixels } = args
  const classes = project.classes
  if (classId === 0) throw new ApiError({ code: 'bad-input', field: 'classId', message: 'class 0 is the background and cannot be removed' })
  if (classId >= classes.length) throw new ApiError({ code: 'not-found', field: 'classId', message: `there is no class ${classId} (the classes are 0–${classes.length - 1})` })
  const usage = (await classUsage(projectDir)).find((u) => u.classId === classId)
  if (usage && pixels === 'refuse') {
    throw new ApiError({
      code: 'conflict',
      field: 'classId',
      message: `${describeUsage(classes[classId], classId, usage)}: relabel those pixels to unlabeled or background to remove it`
    })
  }
  const target = pixels === 'background' ? 0 : UNLABELED
  // The id map: the removed class → target, ids above it down by one, the rest unchanged.
  const remap = new Uint8Array(256)
  for (let v = 0; v < 256; v++) remap[v] = v === classId ? target : v > classId && v < UNLABELED ? v - 1 : v
  const nextClasses = classesWithout(classes, classId)
  const nextProject: ProjectFile = { ...project, classes: nextClasses }
  const staging = join(projectDir, STAGING)
  await rm(staging, { recursive: true, force: true })
  await mkdir(staging, { recursive: true })
  const staged: string[] = []
  try {
    for await (const mask of savedMasks(projectDir)) {
      let changed = false
      for (const v of mask.labels) {
        if (v >= classId && v !== UNLABELED) {
          changed = true
          break
        }
      }
      if (!changed) continue
      const next = new Uint8Array(mask.labels.length)
      for (let i = 0; i < next.length; i++) next[i] = remap[mask.labels[i]]
      await writeFileAtomic(join(staging, `${mask.sampleId}.png`), encodeMaskPng(next, mask.width, mask.height, nextClasses))
      staged.push(mask.sampleId)
    }
  } catch (error) {
    await rm(staging, { recursive: true, force: true })
    throw error
  }
  const journal: Journal = { project: nextProject, samples: staged }
  await writeJsonAtomic(join(staging, JOURNAL), journal)
  await applyJournal(projectDir, journal)
  return { project: nextProject, rewritten: staged.length, relabelled: { samples: usage?.samples ?? 0, pixels: usage?.pixels ?? 0 } }
}

/** Rename the staged masks into place, write twinlight.json, drop the staging folder. Idempotent. */
async function applyJournal(projectDir: string, journal: Journal): Promise<void> {
  const staging = join(projectDir, STAGING)
  for (const sampleId of journal.samples) {
    try {
      await rename(join(staging, `${sampleId}.png`), join(projectDir, 'annotations', `${sampleId}.png`))
    } catch (error) {
      // Already moved by an earlier, interrupted run.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  await writeJsonAtomic(join(projectDir, PROJECT_FILE), journal.project)
  await rm(staging, { recursive: true, force: true })
}

/**
 * Finish or undo a class removal a crash interrupted (call before reading twinlight.json):
 * with a journal, roll forward; without one, the old masks and classes are intact and the
 * staging folder is deleted.
 */
export async function finishClassRemoval(projectDir: string): Promise<'none' | 'rolled-forward' | 'discarded'> {
  const staging = join(projectDir, STAGING)
  let text: string
  try {
    text = await readFile(join(staging, JOURNAL), 'utf8')
  } catch {
    try {
      await readdir(staging)
    } catch {
      return 'none'
    }
    await rm(staging, { recursive: true, force: true })
    return 'discarded'
  }
  await applyJournal(projectDir, JSON.parse(text) as Journal)
  return 'rolled-forward'
}
