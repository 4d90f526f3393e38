// Reference identities for the privacy filter: the real faces a generator was trained on,
// embedded once with one face model and cached.
//
// Folder rules
//  * Every file under the folder whose extension is an image type sharp decodes (.jpg .jpeg
//    .png .webp .tif .tiff .gif .avif) is a reference image; sub-folders are walked
//    recursively; names starting with '.' and the cache folder (if it lies inside) are skipped;
//    other files are ignored and counted.
//  * Identity (grouping 'auto', the default): a file inside a sub-folder belongs to the
//    identity named by its top-level sub-folder (`alice/001.jpg`, `alice/2019/x.png` → alice);
//    a file directly in the folder belongs to the part of its name before the first '_' or
//    '-' when there is one and it is not empty (`alice_001.jpg`, `n000002-0001.jpg` → alice,
//    n000002); otherwise the file is its own identity (`00042.png` → 00042). Caveat: a shared
//    prefix such as `img_0001.png` makes one identity of everything; pass grouping 'file'
//    (or 'folder' / 'prefix' to force one rule). Grouping only affects reporting (the closest
//    identity, counts); the filter compares against every embedding.
//  * Unreadable or corrupt files (decode errors, truncated JPEG/PNG) are reported and skipped
//    (onUnreadable 'skip', the default: one broken file in 70 000 should not block a run), or
//    fail the build at once (onUnreadable 'fail'). Images in which no face is detected are
//    reported and skipped. At least one embedded face is required; otherwise the build fails
//    with a message naming what went wrong.
//
// Cache (when cacheDir is given): one index + one binary per (model id, reference folder) in
// cacheDir: `face-refs-<model>-<hash>.json` lists each file's relative path, size, mtime and
// result (row in the binary, detector score, or why no face was found); the binary
// `face-refs-<model>-<hash>.<tag>.f32` holds the embeddings as little-endian float32 rows.
// An entry is reused when path, size and mtime match and the index's model id is the
// embedder's id; anything else is embedded again. The index is written atomically after the
// binary it names (a crash leaves the previous complete pair), every `checkpointEvery` new
// embeddings and at the end. A cache that cannot be read is ignored and rebuilt (reported).
import { createHash, randomBytes } from 'node:crypto'
import { readdir, readFile, rm, stat } from 'node:fs/promises'
import { basename, extname, join, relative, resolve, sep } from 'node:path'
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic'
import { decodeImageFile, FaceImageError, type FaceImage } from './image'
import { maxDot, type NearestReference, type ReferenceEmbeddings } from './privacy'
import type { FaceBox, FaceEmbedder } from './types'

export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']
/** Extensions that are images but that the decoder cannot read (named in error messages). */
const UNSUPPORTED_IMAGE_EXTENSIONS: readonly string[] = ['.bmp', '.ppm', '.pgm', '.heic', '.jp2']

export type ReferenceFolderErrorCode = 'not-found' | 'not-a-folder' | 'no-images' | 'no-usable-images' | 'unreadable-image'

export class ReferenceFolderError extends Error {
  constructor(
    readonly code: ReferenceFolderErrorCode,
    message: string,
    readonly files: string[] = []
  ) {
    super(message)
    this.name = 'ReferenceFolderError'
  }
}

export type IdentityGrouping = 'auto' | 'folder' | 'prefix' | 'file'

export interface ReferenceEntry {
  identity: string
  /** Path relative to the reference folder, '/'-separated. */
  file: string
  detectorScore: number
  box: FaceBox
}

export interface ReferenceProgress {
  done: number
  total: number
  file: string
  cached: boolean
}

export interface BuildReferenceOptions {
  folder: string
  embedder: FaceEmbedder
  /** Where the embedding cache lives; no caching when omitted. */
  cacheDir?: string
  grouping?: IdentityGrouping
  /** 'skip' (default): report unreadable files and go on; 'fail': throw at the first one. */
  onUnreadable?: 'skip' | 'fail'
  onProgress?: (progress: ReferenceProgress) => void
  signal?: AbortSignal
  /** Write the cache after this many new embeddings (default 256). */
  checkpointEvery?: number
  /** Image decoder (default decodeImageFile); tests replace it. */
  decode?: (path: string) => Promise<FaceImage>
}

export interface ReferenceBuildReport {
  folder: string
  modelId: string
  /** Image files found. */
  images: number
  /** Faces embedded in this build. */
  embedded: number
  /** Results (faces and no-face outcomes) taken from the cache. */
  fromCache: number
  /** Reference embeddings in the set. */
  usable: number
  identities: number
  noFace: Array<{ file: string; reason: string }>
  unreadable: Array<{ file: string; error: string }>
  /** Non-image files that were ignored. */
  ignored: number
  cache: {
    path: string | null
    status: 'off' | 'created' | 'updated' | 'reused'
    /** Why an existing cache was not used, when it was not. */
    note?: string
  }
}

/** Embeddings of reference faces (one row per usable image), grouped by identity. */
export class ReferenceIdentitySet implements ReferenceEmbeddings {
  readonly size: number
  private readonly byIdentity: Map<string, number[]>

  private constructor(
    readonly modelId: string,
    readonly dims: number,
    readonly entries: readonly ReferenceEntry[],
    /** Row-major entries.length × dims, L2-normalised rows. */
    readonly matrix: Float32Array,
    readonly report: ReferenceBuildReport | null
  ) {
    this.size = entries.length
    this.byIdentity = new Map()
    entries.forEach((e, i) => {
      const list = this.byIdentity.get(e.identity)
      if (list) list.push(i)
      else this.byIdentity.set(e.identity, [i])
    })
  }

  /** An in-memory set (tests, or embeddings that come from elsewhere). Rows are L2-normalised here. */
  static fromEmbeddings(
    modelId: string,
    items: ReadonlyArray<{ identity: string; file: string; embedding: ArrayLike<number>; detectorScore?: number; box?: FaceBox }>,
    report: ReferenceBuildReport | null = null
  ): ReferenceIdentitySet {
    if (items.length === 0) throw new ReferenceFolderError('no-usable-images', 'a reference set needs at least one embedding')
    const dims = items[0]!.embedding.length
    if (dims === 0) throw new ReferenceFolderError('no-usable-images', 'reference embeddings are empty')
    const matrix = new Float32Array(items.length * dims)
    items.forEach((item, r) => {
      if (item.embedding.length !== dims) {
        throw new Error(`reference ${item.file} has ${item.embedding.length} dimensions, the first one ${dims}`)
      }
      let s = 0
      for (let k = 0; k < dims; k++) s += item.embedding[k]! * item.embedding[k]!
      const n = Math.sqrt(s)
      if (!(n > 0) || !Number.isFinite(n)) throw new Error(`reference ${item.file} has a zero or non-finite embedding`)
      for (let k = 0; k < dims; k++) matrix[r * dims + k] = item.embedding[k]! / n
    })
    const entries = items.map((item) => ({
      identity: item.identity,
      file: item.file,
      detectorScore: item.detectorScore ?? 1,
      box: item.box ?? { x: 0, y: 0, width: 0, height: 0 }
    }))
    return new ReferenceIdentitySet(modelId, dims, entries, matrix, report)
  }

  /** Identity → number of reference embeddings, in first-seen order. */
  identities(): Map<string, number> {
    return new Map([...this.byIdentity].map(([k, v]) => [k, v.length]))
  }

  embedding(index: number): Float32Array {
    if (!(index >= 0 && index < this.size)) throw new RangeError(`reference index ${index} out of range 0..${this.size - 1}`)
    return this.matrix.subarray(index * this.dims, (index + 1) * this.dims)
  }

  nearest(embedding: Float32Array): NearestReference | null {
    if (this.size === 0) return null
    const { index, value } = maxDot(this.matrix, this.dims, embedding)
    const e = this.entries[index]!
    return { similarity: value, index, identity: e.identity, file: e.file }
  }

  /** Builds (or loads from the cache) the reference set of a folder. See the file comment for the rules. */
  static async build(options: BuildReferenceOptions): Promise<ReferenceIdentitySet> {
    return buildReferenceIdentitySet(options)
  }
}

/** Identity of a reference file (relative '/'-separated path) under a grouping rule. */
export function identityOf(file: string, grouping: IdentityGrouping = 'auto'): string {
  const parts = file.split('/')
  const name = parts[parts.length - 1]!
  const stem = name.slice(0, name.length - extname(name).length) || name
  const prefix = (): string | null => {
    const m = /^([^_-]+)[_-]/.exec(stem)
    return m ? m[1]! : null
  }
  switch (grouping) {
    case 'file':
      return file.slice(0, file.length - extname(file).length)
    case 'folder':
      return parts.length > 1 ? parts[0]! : stem
    case 'prefix':
      return prefix() ?? stem
    case 'auto':
      if (parts.length > 1) return parts[0]!
      return prefix() ?? stem
  }
}

interface ListedFiles {
  images: string[]
  ignored: string[]
}

async function listFolder(root: string, skipDir: string | null): Promise<ListedFiles> {
  const images: string[] = []
  const ignored: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const items = await readdir(dir, { withFileTypes: true })
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const item of items) {
      if (item.name.startsWith('.')) continue
      const full = join(dir, item.name)
      let isDir = item.isDirectory()
      let isFile = item.isFile()
      if (item.isSymbolicLink()) {
        const s = await stat(full).catch(() => null)
        isDir = s?.isDirectory() ?? false
        isFile = s?.isFile() ?? false
      }
      if (isDir) {
        if (skipDir != null && resolve(full) === skipDir) continue
        await walk(full)
      } else if (isFile) {
        const rel = relative(root, full).split(sep).join('/')
        if (IMAGE_EXTENSIONS.includes(extname(item.name).toLowerCase())) images.push(rel)
        else ignored.push(rel)
      }
    }
  }
  await walk(root)
  return { images, ignored }
}

// ---------------------------------------------------------------- cache

const CACHE_SCHEMA = 'twinlight.face-reference-cache/1'

interface CacheEntry {
  file: string
  size: number
  mtimeMs: number
  /** Row in the binary when a face was embedded. */
  row?: number
  detectorScore?: number
  box?: FaceBox
  /** Why no face was found. */
  noFace?: string
}

interface CacheIndex {
  schema: typeof CACHE_SCHEMA
  modelId: string
  dims: number
  folder: string
  binary: string
  rows: number
  entries: CacheEntry[]
}

interface LoadedCache {
  byFile: Map<string, { entry: CacheEntry; embedding: Float32Array | null }>
  note?: string
}

function cacheBase(cacheDir: string, modelId: string, folder: string): string {
  const hash = createHash('sha256').update(`${modelId}\u0000${folder}`).digest('hex').slice(0, 16)
  const model = modelId.replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 40)
  return join(cacheDir, `face-refs-${model}-${hash}`)
}

async function loadCache(indexPath: string, cacheDir: string, modelId: string): Promise<LoadedCache> {
  let text: string
  try {
    text = await readFile(indexPath, 'utf8')
  } catch {
    return { byFile: new Map() }
  }
  try {
    const index = JSON.parse(text) as CacheIndex
    if (index.schema !== CACHE_SCHEMA) return { byFile: new Map(), note: `unknown cache schema ${String(index.schema)}` }
    if (index.modelId !== modelId) return { byFile: new Map(), note: `the cache was made with '${index.modelId}'` }
    if (!Number.isInteger(index.dims) || index.dims <= 0 || !Array.isArray(index.entries) || basename(index.binary) !== index.binary) {
      return { byFile: new Map(), note: 'the cache index is malformed' }
    }
    const bytes = await readFile(join(cacheDir, index.binary))
    if (bytes.byteLength !== index.rows * index.dims * 4) {
      return { byFile: new Map(), note: `the cache binary has ${bytes.byteLength} bytes, the index expects ${index.rows * index.dims * 4}` }
    }
    const floats = new Float32Array(index.rows * index.dims)
    new Uint8Array(floats.buffer).set(bytes)
    if (!LITTLE_ENDIAN) byteSwap32(new Uint8Array(floats.buffer))
    const byFile = new Map<string, { entry: CacheEntry; embedding: Float32Array | null }>()
    for (const entry of index.entries) {
      if (entry.row !== undefined) {
        if (!Number.isInteger(entry.row) || entry.row < 0 || entry.row >= index.rows) return { byFile: new Map(), note: 'the cache index is malformed' }
        byFile.set(entry.file, { entry, embedding: floats.slice(entry.row * index.dims, (entry.row + 1) * index.dims) })
      } else {
        byFile.set(entry.file, { entry, embedding: null })
      }
    }
    return { byFile }
  } catch (error) {
    return { byFile: new Map(), note: `the cache could not be read (${error instanceof Error ? error.message : String(error)})` }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function byteSwap32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    let t = bytes[i]!
    bytes[i] = bytes[i + 3]!
    bytes[i + 3] = t
    t = bytes[i + 1]!
    bytes[i + 1] = bytes[i + 2]!
    bytes[i + 2] = t
  }
}

interface Outcome {
  file: string
  size: number
  mtimeMs: number
  embedding: Float32Array | null
  detectorScore?: number
  box?: FaceBox
  noFace?: string
}

async function writeCache(base: string, cacheDir: string, modelId: string, folder: string, dims: number, outcomes: Iterable<Outcome>): Promise<void> {
  const entries: CacheEntry[] = []
  const rows: Float32Array[] = []
  for (const o of outcomes) {
    if (o.embedding != null) {
      entries.push({ file: o.file, size: o.size, mtimeMs: o.mtimeMs, row: rows.length, detectorScore: o.detectorScore, box: o.box })
      rows.push(o.embedding)
    } else if (o.noFace !== undefined) {
      entries.push({ file: o.file, size: o.size, mtimeMs: o.mtimeMs, noFace: o.noFace })
    }
  }
  const bytes = new Uint8Array(rows.length * dims * 4)
  const floats = new Float32Array(bytes.buffer)
  rows.forEach((r, i) => floats.set(r, i * dims))
  if (!LITTLE_ENDIAN) byteSwap32(bytes)
  const binary = `${basename(base)}.${randomBytes(4).toString('hex')}.f32`
  await writeFileAtomic(join(cacheDir, binary), bytes)
  const index: CacheIndex = { schema: CACHE_SCHEMA, modelId, dims, folder, binary, rows: rows.length, entries }
  await writeJsonAtomic(`${base}.json`, index)
  // Remove binaries of earlier writes (the index no longer names them).
  const prefix = `${basename(base)}.`
  for (const name of await readdir(cacheDir)) {
    if (name.startsWith(prefix) && name.endsWith('.f32') && name !== binary) await rm(join(cacheDir, name), { force: true })
  }
}

// ---------------------------------------------------------------- build

function describeList(items: readonly string[], max = 5): string {
  const shown = items.slice(0, max).join(', ')
  return items.length > max ? `${shown} and ${items.length - max} more` : shown
}

export async function buildReferenceIdentitySet(options: BuildReferenceOptions): Promise<ReferenceIdentitySet> {
  const { embedder } = options
  const folder = resolve(options.folder)
  const grouping = options.grouping ?? 'auto'
  const decode = options.decode ?? decodeImageFile
  const onUnreadable = options.onUnreadable ?? 'skip'
  const checkpointEvery = options.checkpointEvery ?? 256

  const folderStat = await stat(folder).catch(() => null)
  if (folderStat == null) throw new ReferenceFolderError('not-found', `reference folder ${folder} does not exist`)
  if (!folderStat.isDirectory()) throw new ReferenceFolderError('not-a-folder', `reference path ${folder} is not a folder`)

  const cacheDir = options.cacheDir != null ? resolve(options.cacheDir) : null
  const { images, ignored } = await listFolder(folder, cacheDir)
  if (images.length === 0) {
    if (ignored.length === 0) throw new ReferenceFolderError('no-images', `reference folder ${folder} is empty (no image files in it or its sub-folders)`)
    const unsupported = ignored.filter((f) => UNSUPPORTED_IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    const hint = unsupported.length > 0 ? `; ${unsupported.length} are ${[...new Set(unsupported.map((f) => extname(f).toLowerCase()))].join('/')} images, which cannot be read: convert them to PNG` : ''
    throw new ReferenceFolderError(
      'no-images',
      `reference folder ${folder} has no images: ${ignored.length} file(s) (${describeList(ignored)}), none with an image extension (${IMAGE_EXTENSIONS.join(' ')})${hint}`,
      ignored
    )
  }

  const modelId = embedder.id
  const base = cacheDir != null ? cacheBase(cacheDir, modelId, folder) : null
  const cache: LoadedCache = base != null && cacheDir != null ? await loadCache(`${base}.json`, cacheDir, modelId) : { byFile: new Map() }
  const hadCache = cache.byFile.size > 0

  const outcomes = new Map<string, Outcome>()
  const unreadable: ReferenceBuildReport['unreadable'] = []
  let embedded = 0
  let fromCache = 0
  let sinceCheckpoint = 0
  let dims = embedder.describe().dims

  const checkpoint = async (): Promise<void> => {
    if (base == null || cacheDir == null) return
    await writeCache(base, cacheDir, modelId, folder, dims, outcomes.values())
    sinceCheckpoint = 0
  }

  for (let i = 0; i < images.length; i++) {
    if (options.signal?.aborted) {
      if (sinceCheckpoint > 0) await checkpoint()
      throw options.signal.reason instanceof Error ? options.signal.reason : new Error('reference build aborted')
    }
    const file = images[i]!
    const path = join(folder, ...file.split('/'))
    const s = await stat(path).catch(() => null)
    if (s == null) {
      unreadable.push({ file, error: 'the file disappeared while the folder was read' })
      continue
    }
    const cached = cache.byFile.get(file)
    if (cached != null && cached.entry.size === s.size && cached.entry.mtimeMs === s.mtimeMs && (cached.embedding == null || cached.embedding.length === dims)) {
      outcomes.set(file, {
        file,
        size: s.size,
        mtimeMs: s.mtimeMs,
        embedding: cached.embedding,
        detectorScore: cached.entry.detectorScore,
        box: cached.entry.box,
        noFace: cached.entry.noFace
      })
      fromCache++
      options.onProgress?.({ done: i + 1, total: images.length, file, cached: true })
      continue
    }
    let image: FaceImage
    try {
      image = await decode(path)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      if (onUnreadable === 'fail') {
        throw new ReferenceFolderError('unreadable-image', `reference image ${file} cannot be read: ${message}`, [file])
      }
      unreadable.push({ file, error: error instanceof FaceImageError ? message.replace(`${path}: `, '') : message })
      options.onProgress?.({ done: i + 1, total: images.length, file, cached: false })
      continue
    }
    let result
    try {
      result = await embedder.embed(image)
    } catch (error) {
      throw new Error(`embedding reference image ${file} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    if (result.detected) {
      dims = result.embedding.length
      outcomes.set(file, { file, size: s.size, mtimeMs: s.mtimeMs, embedding: result.embedding, detectorScore: result.detectorScore, box: result.box })
    } else {
      outcomes.set(file, { file, size: s.size, mtimeMs: s.mtimeMs, embedding: null, noFace: result.reason })
    }
    embedded++
    sinceCheckpoint++
    options.onProgress?.({ done: i + 1, total: images.length, file, cached: false })
    if (sinceCheckpoint >= checkpointEvery) await checkpoint()
  }

  const changed = embedded > 0 || (hadCache && outcomes.size !== cache.byFile.size)
  let cacheStatus: ReferenceBuildReport['cache']['status'] = 'off'
  if (base != null) {
    if (changed || !hadCache) {
      await checkpoint()
      cacheStatus = hadCache ? 'updated' : 'created'
    } else {
      cacheStatus = 'reused'
    }
  }

  const faces = [...outcomes.values()].filter((o) => o.embedding != null)
  const noFace = [...outcomes.values()].filter((o) => o.embedding == null).map((o) => ({ file: o.file, reason: o.noFace ?? 'no face found' }))
  if (faces.length === 0) {
    const parts: string[] = []
    if (unreadable.length > 0) parts.push(`${unreadable.length} could not be read (${describeList(unreadable.map((u) => `${u.file}: ${u.error}`), 3)})`)
    if (noFace.length > 0) parts.push(`${noFace.length} had no detectable face (${describeList(noFace.map((n) => n.file))})`)
    throw new ReferenceFolderError(
      'no-usable-images',
      `reference folder ${folder} has no usable face: of ${images.length} image(s), ${parts.join(' and ')}; at least one image with a detectable face is required`,
      [...unreadable.map((u) => u.file), ...noFace.map((n) => n.file)]
    )
  }

  const report: ReferenceBuildReport = {
    folder,
    modelId,
    images: images.length,
    embedded,
    fromCache,
    usable: faces.length,
    identities: 0,
    noFace,
    unreadable,
    ignored: ignored.length,
    cache: { path: base != null ? `${base}.json` : null, status: cacheStatus, ...(cache.note ? { note: cache.note } : {}) }
  }
  const set = ReferenceIdentitySet.fromEmbeddings(
    modelId,
    faces.map((o) => ({ identity: identityOf(o.file, grouping), file: o.file, embedding: o.embedding!, detectorScore: o.detectorScore, box: o.box })),
    report
  )
  report.identities = set.identities().size
  return set
}
