// Pairing two image folders for evaluation (`twinlight eval`, the Compare view's sets).
//
//  - 'stem':  pred/a.png ↔ gt/a.jpg (the file name without its extension). Every stem must be
//             in both folders; a stem twice in one folder (a.png and a.jpg) is an error.
//  - 'order': the i-th file of each folder in sorted order, as CMOS-GAN's and IDE's scripts do
//             (Python's sorted(os.listdir(...)): code-point order, so '10.png' sorts before
//             '2.png'). The pairing is reported as ambiguous when the stems of a pair differ or
//             when numbered names sort differently as text and as numbers.
//
// Paired metrics need the same number of images on both sides ("sets of different sizes" is
// an error, whatever the pairing); distribution metrics (FID/KID) compare the sets as wholes.
import { readdir, stat } from 'node:fs/promises'
import { extname, join } from 'node:path'
import { MetricsError } from './errors'

export type PairBy = 'stem' | 'order'

/** Extensions read as images (sharp reads all of them; 8-bit PNGs are decoded without it). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff', '.gif']

export interface ImagePair {
  index: number
  /** File names inside the pred / gt folders. */
  pred: string
  gt: string
}

export interface PairingResult {
  pairs: ImagePair[]
  /** Reasons the pairing may not be what the user meant (order pairing only). */
  warnings: string[]
}

/** Python's sorted() on str: plain code-point order. */
export function codePointCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export function stemOf(file: string): string {
  const ext = extname(file)
  return ext ? file.slice(0, -ext.length) : file
}

export function isImageFile(file: string): boolean {
  return !file.startsWith('.') && IMAGE_EXTENSIONS.includes(extname(file).toLowerCase())
}

/** Image files directly inside `dir`, in sorted order. Refuses a missing folder or one without images. */
export async function listImages(dir: string, role: string): Promise<string[]> {
  let entries: string[]
  try {
    const info = await stat(dir)
    if (!info.isDirectory()) throw new MetricsError(`${role} ${dir} is not a folder`)
    entries = await readdir(dir)
  } catch (error) {
    if (error instanceof MetricsError) throw error
    throw new MetricsError(`${role} folder ${dir} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`)
  }
  const files: string[] = []
  for (const name of entries.sort(codePointCompare)) {
    if (!isImageFile(name)) continue
    const info = await stat(join(dir, name)).catch(() => null)
    if (info?.isFile()) files.push(name)
  }
  if (files.length === 0) throw new MetricsError(`${role} folder ${dir} holds no images (${IMAGE_EXTENSIONS.join(', ')})`)
  return files
}

const examples = (list: string[], n = 3): string => list.slice(0, n).join(', ') + (list.length > n ? `, … (${list.length - n} more)` : '')

/** Natural order key: runs of digits compare as numbers. */
function naturalCompare(a: string, b: string): number {
  const ra = a.split(/(\d+)/)
  const rb = b.split(/(\d+)/)
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    if (ra[i] === rb[i]) continue
    if (i % 2 === 1) {
      const d = Number(ra[i]) - Number(rb[i])
      if (d !== 0) return d
    }
    return codePointCompare(ra[i], rb[i])
  }
  return ra.length - rb.length
}

/** True when sorting the names as text gives another order than sorting them with numbers as numbers. */
export function textOrderDiffersFromNumeric(files: readonly string[]): boolean {
  const text = [...files].sort(codePointCompare)
  const natural = [...files].sort(naturalCompare)
  return text.some((f, i) => f !== natural[i])
}

/** Throws "sets of different sizes" unless both sets have as many images. */
export function checkSameSize(predCount: number, gtCount: number, why = 'paired metrics'): void {
  if (predCount !== gtCount) {
    throw new MetricsError(`sets of different sizes: pred has ${predCount} image${predCount === 1 ? '' : 's'}, gt has ${gtCount}; ${why} need one gt image per pred image`)
  }
}

export function pairImages(predFiles: readonly string[], gtFiles: readonly string[], by: PairBy): PairingResult {
  const pred = [...predFiles].sort(codePointCompare)
  const gt = [...gtFiles].sort(codePointCompare)
  checkSameSize(pred.length, gt.length)
  if (by === 'stem') return pairByStem(pred, gt)
  const warnings: string[] = []
  const differing = pred.map((p, i) => [p, gt[i]] as const).filter(([p, g]) => stemOf(p) !== stemOf(g))
  if (differing.length > 0) {
    const [p, g] = differing[0]
    warnings.push(
      `pairing by sorted order is ambiguous: ${differing.length} of ${pred.length} pairs have different names (first: pred ${p} ↔ gt ${g}); make sure both folders list the same items in the same order`
    )
  }
  for (const [role, files] of [['pred', pred], ['gt', gt]] as const) {
    if (textOrderDiffersFromNumeric(files)) {
      warnings.push(
        `pairing by sorted order: the ${role} names hold numbers of different lengths, which sort as text (e.g. 10.png before 2.png, like Python's sorted()); if the other folder was numbered differently, pair by stem`
      )
    }
  }
  return { pairs: pred.map((p, i) => ({ index: i, pred: p, gt: gt[i] })), warnings }
}

function stemIndex(files: string[], role: string): Map<string, string> {
  const index = new Map<string, string>()
  for (const f of files) {
    const stem = stemOf(f)
    const other = index.get(stem)
    if (other !== undefined) throw new MetricsError(`${role} has two images with the stem "${stem}" (${other} and ${f}); pairing by stem needs one image per stem`)
    index.set(stem, f)
  }
  return index
}

function pairByStem(pred: string[], gt: string[]): PairingResult {
  const p = stemIndex(pred, 'pred')
  const g = stemIndex(gt, 'gt')
  const noGt = [...p.keys()].filter((s) => !g.has(s))
  const noPred = [...g.keys()].filter((s) => !p.has(s))
  if (noGt.length > 0 || noPred.length > 0) {
    const parts: string[] = []
    if (noGt.length) parts.push(`${noGt.length} pred image${noGt.length === 1 ? ' has' : 's have'} no gt with the same stem (${examples(noGt.map((s) => p.get(s)!))})`)
    if (noPred.length) parts.push(`${noPred.length} gt image${noPred.length === 1 ? ' has' : 's have'} no pred (${examples(noPred.map((s) => g.get(s)!))})`)
    throw new MetricsError(`the folders do not have the same stems: ${parts.join('; ')}. Use --pair-by order when the names differ by design`)
  }
  const stems = [...p.keys()].sort(codePointCompare)
  return { pairs: stems.map((s, i) => ({ index: i, pred: p.get(s)!, gt: g.get(s)! })), warnings: [] }
}
