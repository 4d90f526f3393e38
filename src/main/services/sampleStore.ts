// Samples on disk: samples/<id>/sample.json plus one PNG per modality. A sample is
// reproducible from sample.json alone (seed and generator), so nothing else is stored.
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { ApiError, SampleIdSchema, type AnnotationStatus, type SampleInfo } from '../../shared/api'
import { GeneratorRefSchema } from '../../shared/project'
import { resolveInProject } from './paths'
import type { AnnotationStore } from './annotationStore'

export const SampleFileSchema = z.object({
  id: SampleIdSchema,
  seed: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  modalities: z.array(z.string()).min(1),
  generator: GeneratorRefSchema,
  createdAt: z.string()
})
export type SampleFile = z.infer<typeof SampleFileSchema>

/** Sample ids sort in seed order and are stable: the same seed always gets the same id. */
export function sampleIdForSeed(seed: number): string {
  return `s${String(seed).padStart(8, '0')}`
}

export class SampleStore {
  constructor(
    private readonly projectDir: string,
    private readonly annotations: AnnotationStore
  ) {}

  async list(): Promise<SampleInfo[]> {
    let entries: string[]
    try {
      entries = await readdir(join(this.projectDir, 'samples'))
    } catch {
      return []
    }
    const statuses = await this.annotations.statuses()
    const samples: SampleInfo[] = []
    for (const id of entries.sort()) {
      const file = await this.readSampleFile(id).catch(() => null)
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
      await this.annotations.remove(id)
      deleted++
    }
    return deleted
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
