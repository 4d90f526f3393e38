import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdtemp, readFile, rm, writeFile, mkdir, symlink, readdir } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ProjectStore } from '../../../src/main/services/projectStore'
import { resolveInProject } from '../../../src/main/services/paths'
import { migrateProject, parseProjectFile, PROJECT_SCHEMA_VERSION, PROJECT_TEMPLATES, ProjectFormatError } from '../../../src/shared/project'

let root: string
const env = { ...process.env }

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-project-'))
  process.env.TWINLIGHT_HOME = join(root, 'home')
  process.env.TWINLIGHT_PROJECTS_HOME = join(root, 'projects')
})
afterEach(async () => {
  process.env = { ...env }
  await rm(root, { recursive: true, force: true })
})

describe('project store', () => {
  it('creates every template with its folders, and reopens it identically', async () => {
    for (const template of PROJECT_TEMPLATES) {
      const store = new ProjectStore()
      const info = await store.create({ name: `P ${template.id}`, template: template.id })
      expect(info.dir).toBe(join(root, 'projects', `p-${template.id}`))
      expect((await readdir(info.dir)).sort()).toEqual(['annotations', 'datasets', 'models', 'runs', 'samples', 'twinlight.json'])
      const reopened = await new ProjectStore().open(info.dir)
      expect(reopened.project).toEqual(info.project)
      expect(reopened.project.classes[0]).toMatchObject({ id: 0, name: 'background' })
    }
    const ocular = PROJECT_TEMPLATES.find((t) => t.id === 'rgb-nir-ocular')!
    expect(ocular.classes.map((c) => c.name)).toEqual(['background', 'sclera', 'iris', 'pupil'])
  })

  it('lists recent projects, newest first, and notices missing ones', async () => {
    const store = new ProjectStore()
    const a = await store.create({ name: 'Alpha', template: 'empty' })
    const b = await store.create({ name: 'Beta', template: 'rgb-depth' })
    await store.open(a.dir)
    expect((await store.recent()).map((r) => r.name)).toEqual(['Alpha', 'Beta'])
    await rm(b.dir, { recursive: true })
    expect((await store.recent()).find((r) => r.name === 'Beta')?.available).toBe(false)
  })

  it('refuses to create over an existing project or a non-empty folder', async () => {
    const store = new ProjectStore()
    const info = await store.create({ name: 'One', template: 'empty' })
    await expect(store.create({ name: 'Two', template: 'empty', dir: info.dir })).rejects.toThrow(/already holds a project/)
    await mkdir(join(root, 'full'))
    await writeFile(join(root, 'full', 'x.txt'), 'x')
    await expect(store.create({ name: 'Three', template: 'empty', dir: join(root, 'full') })).rejects.toThrow(/not empty/)
  })

  it('gives a clear error for a malformed or future-version file and never overwrites it', async () => {
    const dir = join(root, 'bad')
    await mkdir(dir)
    const cases = [
      ['{ not json', /not valid JSON/],
      [JSON.stringify({ schemaVersion: PROJECT_SCHEMA_VERSION + 1, name: 'x' }), /newer than this Twinlight understands/],
      [JSON.stringify({ schemaVersion: PROJECT_SCHEMA_VERSION, name: 'x', modalities: [], classes: [] }), /modalities/],
      [JSON.stringify([1, 2]), /not a JSON object/]
    ] as const
    for (const [text, message] of cases) {
      await writeFile(join(dir, 'twinlight.json'), text)
      await expect(new ProjectStore().open(dir)).rejects.toThrow(message)
      expect(await readFile(join(dir, 'twinlight.json'), 'utf8')).toBe(text)
    }
  })

  it('validates updates and writes them atomically', async () => {
    const store = new ProjectStore()
    const info = await store.create({ name: 'Edit', template: 'rgb-nir-face' })
    const classes = info.project.classes.map((c) => (c.id === 2 ? { ...c, name: 'hair & hat', color: '#112233' } : c))
    await store.update({ classes })
    const onDisk = JSON.parse(await readFile(join(info.dir, 'twinlight.json'), 'utf8'))
    expect(onDisk.classes[2]).toEqual({ id: 2, name: 'hair & hat', color: '#112233' })
    const broken = classes.map((c) => (c.id === 3 ? { ...c, color: 'red' } : c))
    await expect(store.update({ classes: broken })).rejects.toMatchObject({ field: 'classes.3.color' })
    const gap = classes.filter((c) => c.id !== 4)
    await expect(store.update({ classes: gap })).rejects.toThrow(/class ids must be 0..K-1/)
    expect(JSON.parse(await readFile(join(info.dir, 'twinlight.json'), 'utf8'))).toEqual(onDisk)
    expect((await readdir(info.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })
})

describe('migrations', () => {
  const v1 = {
    schemaVersion: 1,
    name: 'Old',
    modalities: [{ id: 'rgb', label: 'RGB', channels: 3 }],
    classes: [
      { id: 0, name: 'background', color: [0, 0, 0] },
      { id: 1, name: 'skin', color: [224, 169, 138] }
    ],
    generator: { kind: 'renderer', mode: 'face' },
    createdAt: '2026-01-01T00:00:00.000Z'
  }
  it('brings version 1 to the current schema', () => {
    const { project, migratedFrom } = parseProjectFile(v1)
    expect(migratedFrom).toBe(1)
    expect(project.schemaVersion).toBe(PROJECT_SCHEMA_VERSION)
    expect(project.classes[1].color).toBe('#e0a98a')
    expect(project.settings).toEqual({ sampleSize: 256, eraserValue: 255 })
  })
  it('leaves a current file alone and refuses unknown versions', () => {
    const { migratedFrom } = migrateProject({ ...v1, schemaVersion: PROJECT_SCHEMA_VERSION })
    expect(migratedFrom).toBeNull()
    expect(() => migrateProject({ ...v1, schemaVersion: 0 })).toThrow(ProjectFormatError)
    expect(() => migrateProject({ ...v1, schemaVersion: 99 })).toThrow(/version 99/)
  })
})

describe('path confinement', () => {
  it('allows paths inside the project and refuses escapes', async () => {
    const dir = join(root, 'p')
    await mkdir(join(dir, 'samples'), { recursive: true })
    await mkdir(join(root, 'outside'))
    await symlink(join(root, 'outside'), join(dir, 'samples', 'link'))
    expect(resolveInProject(dir, 'samples/a/rgb.png')).toBe(join(dir, 'samples/a/rgb.png'))
    for (const bad of ['../x', 'samples/../../x', '/etc/passwd', 'C:\\x', '', 'samples/link/evil.png', 'a\0b']) {
      expect(() => resolveInProject(dir, bad), bad).toThrow(/refused/)
    }
    expect(existsSync(join(root, 'outside', 'evil.png'))).toBe(false)
  })
})
