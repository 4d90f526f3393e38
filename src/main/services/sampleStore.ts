// Samples on disk: samples/<id>/sample.json plus one PNG per modality. A sample is
// reproducible from sample.json alone (seed and generator, plus for ONNX generators the
// recipe: ψ, latent and noise), so nothing else is stored.
//
// list() keeps an index of parsed sample.json files: a finished sample never changes
// (sample.json is written last and never rewritten), so a refresh reads one directory listing
// plus the sample.json of new folders only, not 10,000 files. The index is also saved in
// .cache/samples-index.json (a cache: deleting it only costs one slow listing) so that opening
// a large project does not read every sample.json either; folders that are gone are dropped and
// new ones read, whatever the cache says.
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ApiError, SampleIdSchema, type AnnotationStatus, type SampleInfo } from '../../shared/api'
import { GeneratorRefSchema } from '../../shared/project'
import { SampleRecipeSchema } from '../engine/generator/recipe'
import { resolveInProject } from './paths'
import { writeJsonAtomic } from '../engine/io/atomic'
import type { AnnotationStore } from './annotationStore'

export const SampleFileSchema = z.object({
  id: SampleIdSchema,
  seed: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  modalities: z.array(z.string()).min(1),
  generator: GeneratorRefSchema,
  createdAt: z.string(),
  /** ONNX generators: ψ, latent and noise (see engine/generator/recipe.ts). Absent for renderer samples. */
  recipe: SampleRecipeSchema.optional()
})
export type SampleFile = z.infer<typeof SampleFileSchema>

/** Sample ids sort in seed order and are stable: the same seed always gets the same id. */
export function sampleIdForSeed(seed: number): string {
  return `s${String(seed).padStart(8, '0')}`
}

/**
 * Ids of samples drawn by an ONNX generator: tagged with the generator's hash, so the same seed
 * drawn by another generator (or the renderer) is another sample, and sorted in seed order.
 */
export function sampleIdForGenerator(sha256: string, seed: number): string {
  return `g${sha256.slice(0, 8)}-${String(seed).padStart(8, '0')}`
}

export class SampleStore {
  /** Parsed sample.json of finished samples, by id (see the note at the top). */
  private readonly index = new Map<string, SampleFile>()
  private cacheLoaded = false
  private cacheTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly projectDir: string,
    private readonly annotations: AnnotationStore
  ) {}

  async list(): Promise<SampleInfo[]> {
    let entries: string[]
    try {
      entries = await readdir(join(this.projectDir, 'samples'))
    } catch {
      this.index.clear()
      return []
    }
    if (!this.cacheLoaded) await this.loadCache()
    const present = new Set(entries)
    let changed = false
    for (const id of this.index.keys()) {
      if (!present.has(id)) {
        this.index.delete(id)
        changed = true
      }
    }
    const missing = entries.filter((id) => !this.index.has(id) && SampleIdSchema.safeParse(id).success)
    const before = this.index.size
    // New folders: read their sample.json a few at a time (unfinished ones are retried next time).
    for (let i = 0; i < missing.length; i += 64) {
      await Promise.all(
        missing.slice(i, i + 64).map(async (id) => {
          const file = await this.readSampleFile(id).catch(() => null)
          if (file) this.index.set(id, file)
        })
      )
    }
    if (changed || this.index.size !== before) this.saveCacheSoon()
    const statuses = await this.annotations.statuses()
    const samples: SampleInfo[] = []
    for (const id of entries.sort()) {
      const file = this.index.get(id)
      if (file) samples.push(toInfo(file, statuses[file.id] ?? 'unlabeled'))
    }
    return samples
  }

  async get(id: string): Promise<SampleInfo> {
    const file = await this.readSampleFile(id)
    const statuses = await this.annotations.statuses()
    return toInfo(file, statuses[id] ?? 'unlabeled')
  }

  async delete(ids: string[]): Promise<number> {
    let deleted = 0
    for (const id of ids) {
      const dir = resolveInProject(this.projectDir, join('samples', id))
      await rm(dir, { recursive: true, force: true })
      if (this.index.delete(id)) this.saveCacheSoon()
      await this.annotations.remove(id)
      deleted++
    }
    return deleted
  }

  private cachePath(): string {
    return join(this.projectDir, '.cache', 'samples-index.json')
  }

  private async loadCache(): Promise<void> {
    this.cacheLoaded = true
    try {
      const raw = JSON.parse(await readFile(this.cachePath(), 'utf8')) as { version?: number; samples?: unknown[] }
      if (raw.version !== 1 || !Array.isArray(raw.samples)) return
      for (const entry of raw.samples) {
        const parsed = SampleFileSchema.safeParse(entry)
        if (parsed.success && !this.index.has(parsed.data.id)) this.index.set(parsed.data.id, parsed.data)
      }
    } catch {
      /* no cache yet, or a damaged one: the listing reads the folders */
    }
  }

  /** Writes the index cache a moment after the last change (one write per burst of new samples). */
  private saveCacheSoon(): void {
    if (this.cacheTimer) clearTimeout(this.cacheTimer)
    this.cacheTimer = setTimeout(() => {
      this.cacheTimer = null
      void writeJsonAtomic(this.cachePath(), { version: 1, samples: [...this.index.values()] }).catch(() => undefined)
    }, 2000)
    this.cacheTimer.unref?.()
  }

  async readSampleFile(id: string): Promise<SampleFile> {
    const path = resolveInProject(this.projectDir, join('samples', id, 'sample.json'))
    let raw: unknown
    try {
      raw = JSON.parse(await readFile(path, 'utf8'))
    } catch {
      throw new ApiError({ code: 'not-found', field: 'id', message: `no sample "${id}"` })
    }
    const parsed = SampleFileSchema.safeParse(raw)
    if (!parsed.success) throw new ApiError({ code: 'bad-input', message: `samples/${id}/sample.json is invalid: ${parsed.error.issues[0].message}` })
    return parsed.data
  }
}

function toInfo(file: SampleFile, status: AnnotationStatus): SampleInfo {
  return {
    id: file.id,
    seed: file.seed,
    width: file.width,
    height: file.height,
    modalities: file.modalities,
    status,
    createdAt: file.createdAt,
    images: Object.fromEntries(file.modalities.map((m) => [m, `samples/${file.id}/${m}.png`]))
  }
}
