// The project store: creates, opens and updates project folders (`twinlight.json` plus
// models/ samples/ annotations/ runs/ datasets/), and remembers recent projects.
import { readFile, mkdir, readdir, stat } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  PROJECT_FILE,
  PROJECT_FOLDERS,
  ProjectFileSchema,
  ProjectFormatError,
  parseProjectFile,
  projectFromTemplate,
  templateById,
  type ProjectFile,
  type TemplateId
} from '../../shared/project'
import { formatIssues } from '../../shared/zodIssues'
import { ApiError, type ProjectInfo, type RecentProject } from '../../shared/api'
import { Emitter } from '../../shared/emitter'
import { writeJsonAtomic } from '../engine/io/atomic'
import { projectsHome, twinlightHome } from './paths'

const RECENT_LIMIT = 12

export interface ProjectStoreEvents {
  changed: ProjectInfo | null
}

export class ProjectStore {
  readonly events = new Emitter<ProjectStoreEvents>()
  private currentInfo: ProjectInfo | null = null

  get current(): ProjectInfo | null {
    return this.currentInfo
  }

  /** The open project, or a clear error when none is. */
  requireCurrent(): ProjectInfo {
    if (!this.currentInfo) throw new ApiError({ code: 'no-project', message: 'no project is open: create or open one first' })
    return this.currentInfo
  }

  async create(args: { name: string; template: TemplateId; dir?: string }): Promise<ProjectInfo> {
    const dir = resolve(args.dir ?? join(projectsHome(), slugify(args.name)))
    if (existsSync(dir)) {
      if (existsSync(join(dir, PROJECT_FILE))) {
        throw new ApiError({ code: 'conflict', field: 'dir', message: `${dir} already holds a project; open it instead` })
      }
      const entries = await readdir(dir)
      if (entries.length > 0) throw new ApiError({ code: 'conflict', field: 'dir', message: `${dir} is not empty; choose an empty or new folder` })
    }
    const project = projectFromTemplate(templateById(args.template), args.name, new Date().toISOString())
    await mkdir(dir, { recursive: true })
    for (const folder of PROJECT_FOLDERS) await mkdir(join(dir, folder), { recursive: true })
    await writeJsonAtomic(join(dir, PROJECT_FILE), project)
    return this.setCurrent({ dir, project, migratedFrom: null })
  }

  async open(dirArg: string): Promise<ProjectInfo> {
    const dir = resolve(dirArg)
    const info = await readProject(dir)
    for (const folder of PROJECT_FOLDERS) await mkdir(join(dir, folder), { recursive: true })
    return this.setCurrent(info)
  }

  close(): void {
    this.currentInfo = null
    this.events.emit('changed', null)
  }

  /** Apply a change to the open project and write it atomically. */
  async update(
    patch: Partial<Pick<ProjectFile, 'name' | 'classes' | 'generator' | 'modalities'>> & { settings?: Partial<ProjectFile['settings']> }
  ): Promise<ProjectInfo> {
    const info = this.requireCurrent()
    const next = {
      ...info.project,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.classes !== undefined ? { classes: patch.classes } : {}),
      // The generator and the modalities it draws (set together by the Models view).
      ...(patch.generator !== undefined ? { generator: patch.generator } : {}),
      ...(patch.modalities !== undefined ? { modalities: patch.modalities } : {}),
      settings: { ...info.project.settings, ...patch.settings }
    }
    const result = ProjectFileSchema.safeParse(next)
    if (!result.success) {
      const issue = result.error.issues[0]
      throw new ApiError({ code: 'validation', field: issue?.path.join('.'), message: formatIssues(result.error) })
    }
    await writeJsonAtomic(join(info.dir, PROJECT_FILE), result.data)
    this.currentInfo = { dir: info.dir, project: result.data, migratedFrom: null }
    this.events.emit('changed', this.currentInfo)
    return this.currentInfo
  }

  /** Re-read the open project's twinlight.json after a service rewrote it (a class removal, annotationClasses.ts). */
  async reload(): Promise<ProjectInfo> {
    const info = this.requireCurrent()
    this.currentInfo = await readProject(info.dir)
    this.events.emit('changed', this.currentInfo)
    return this.currentInfo
  }

  async recent(): Promise<RecentProject[]> {
    const list = await readRecent()
    return Promise.all(
      list.map(async (entry) => ({ ...entry, available: await stat(join(entry.dir, PROJECT_FILE)).then(() => true, () => false) }))
    )
  }

  private async setCurrent(info: ProjectInfo): Promise<ProjectInfo> {
    this.currentInfo = info
    await rememberRecent(info)
    this.events.emit('changed', info)
    return info
  }
}

/** Read and validate a project folder. Never writes: a bad file stays exactly as it was. */
export async function readProject(dir: string): Promise<ProjectInfo> {
  const file = join(dir, PROJECT_FILE)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw new ApiError({ code: 'not-found', field: 'dir', message: `${dir} is not a Twinlight project (no ${PROJECT_FILE})` })
  }
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new ApiError({ code: 'bad-input', message: `${file} is not valid JSON: ${(error as Error).message}` })
  }
  try {
    const { project, migratedFrom } = parseProjectFile(raw)
    return { dir, project, migratedFrom }
  } catch (error) {
    if (error instanceof ProjectFormatError) throw new ApiError({ code: 'bad-input', message: `${file}: ${error.message}` })
    throw error
  }
}

type RecentEntry = Omit<RecentProject, 'available'>

function recentFile(): string {
  return join(twinlightHome(), 'recent.json')
}

async function readRecent(): Promise<RecentEntry[]> {
  try {
    const parsed = JSON.parse(await readFile(recentFile(), 'utf8'))
    return Array.isArray(parsed) ? parsed.filter((e) => e && typeof e.dir === 'string' && typeof e.name === 'string') : []
  } catch {
    return [] // a missing or damaged list of recent projects is not worth an error
  }
}

async function rememberRecent(info: ProjectInfo): Promise<void> {
  const list = (await readRecent()).filter((entry) => entry.dir !== info.dir)
  list.unshift({ dir: info.dir, name: info.project.name, openedAt: new Date().toISOString() })
  await writeJsonAtomic(recentFile(), list.slice(0, RECENT_LIMIT))
}

function slugify(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .replace(/[\s_]+/g, '-')
    .toLowerCase()
  return slug || 'project'
}
