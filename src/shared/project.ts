// The project file `twinlight.json`: its schema, its templates and its migrations.
// Pure (zod only): the renderer validates forms with the same schemas the backend enforces.
import { z } from 'zod'
import { formatIssues } from './zodIssues'
import { FACE_CLASSES as FACE_RENDER_CLASSES, OCULAR_CLASSES as OCULAR_RENDER_CLASSES } from './faceClasses'

export const PROJECT_SCHEMA_VERSION = 2
export const PROJECT_FILE = 'twinlight.json'
export const PROJECT_FOLDERS = ['models', 'samples', 'annotations', 'runs', 'datasets'] as const
/** Label value for pixels nobody labelled; training ignores them (as mmsegmentation and detectron2 do). */
export const UNLABELED = 255

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/

export const ModalitySchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'modality ids are lower-case letters, digits, - or _'),
  label: z.string().min(1).max(64),
  channels: z.union([z.literal(1), z.literal(3)])
})
export type Modality = z.infer<typeof ModalitySchema>

export const ClassSchema = z.object({
  id: z.number().int().min(0).max(254),
  name: z.string().min(1).max(64),
  color: z.string().regex(HEX_COLOR, 'colours are #rrggbb')
})
export type ClassDef = z.infer<typeof ClassSchema>

export const GeneratorRefSchema = z.discriminatedUnion('kind', [
  /** The built-in parametric renderer (src/main/engine/render). */
  z.object({ kind: z.literal('renderer'), mode: z.enum(['face', 'ocular']).default('face') }),
  /**
   * An ONNX generator copied into models/ with its manifest. `path` is project-relative,
   * `sha256` the ONNX file's hash (a changed file is refused), `manifestPath` the
   * generator.json (default: generator.json in the ONNX file's folder).
   */
  z.object({
    kind: z.literal('onnx'),
    path: z.string().min(1),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    manifestPath: z.string().min(1).optional()
  })
])
export type GeneratorRef = z.infer<typeof GeneratorRefSchema>

export const ProjectSettingsSchema = z.object({
  /** Side of the square samples, in pixels. */
  sampleSize: z.number().int().min(64).max(1024).default(256),
  /** Eraser writes this value: unlabeled (255) or background (0). */
  eraserValue: z.union([z.literal(UNLABELED), z.literal(0)]).default(UNLABELED)
})

export const ProjectFileSchema = z
  .object({
    schemaVersion: z.literal(PROJECT_SCHEMA_VERSION),
    name: z.string().min(1).max(120),
    modalities: z.array(ModalitySchema).min(1).max(8),
    classes: z.array(ClassSchema).min(1).max(255),
    generator: GeneratorRefSchema,
    settings: ProjectSettingsSchema.default({ sampleSize: 256, eraserValue: UNLABELED }),
    createdAt: z.string()
  })
  .superRefine((project, ctx) => {
    const ids = project.classes.map((c) => c.id)
    ids.forEach((id, index) => {
      if (id !== index) {
        ctx.addIssue({ code: 'custom', path: ['classes', index, 'id'], message: `class ids must be 0..K-1 in order; found ${id} at position ${index}` })
      }
    })
    if (project.classes[0] && project.classes[0].name.toLowerCase() !== 'background') {
      ctx.addIssue({ code: 'custom', path: ['classes', 0, 'name'], message: 'class 0 is the background' })
    }
    const seen = new Set<string>()
    project.modalities.forEach((m, index) => {
      if (seen.has(m.id)) ctx.addIssue({ code: 'custom', path: ['modalities', index, 'id'], message: `duplicate modality "${m.id}"` })
      seen.add(m.id)
    })
  })
export type ProjectFile = z.infer<typeof ProjectFileSchema>

export const TEMPLATE_IDS = ['rgb-nir-face', 'rgb-nir-ocular', 'sketch-photo', 'rgb-depth', 'empty'] as const
export type TemplateId = (typeof TEMPLATE_IDS)[number]

export interface ProjectTemplate {
  id: TemplateId
  label: string
  description: string
  modalities: Modality[]
  classes: ClassDef[]
  generator: GeneratorRef
}

// The face templates use the renderer's class ids: 0–9 are the 10-class face parsing set
// (the renderer's ears and glasses, 10 and 11, become skin in those projects).
const FACE_CLASSES: ClassDef[] = FACE_RENDER_CLASSES.slice(0, 10).map((c) => ({ ...c }))
const OCULAR_CLASSES: ClassDef[] = OCULAR_RENDER_CLASSES.map((c) => ({ ...c }))

const RGB: Modality = { id: 'rgb', label: 'RGB', channels: 3 }
const NIR: Modality = { id: 'nir', label: 'Near infrared', channels: 1 }
const RENDERER: GeneratorRef = { kind: 'renderer', mode: 'face' }

export const PROJECT_TEMPLATES: readonly ProjectTemplate[] = [
  {
    id: 'rgb-nir-face',
    label: 'RGB + NIR face (10 classes)',
    description: 'Pixel-aligned visible and near-infrared faces with the 10-class face parsing set.',
    modalities: [RGB, NIR],
    classes: FACE_CLASSES,
    generator: RENDERER
  },
  {
    id: 'rgb-nir-ocular',
    label: 'RGB + NIR ocular (background, sclera, iris, pupil)',
    description: 'Eye-region crops in visible and near-infrared light, BiOcularGAN classes.',
    modalities: [RGB, NIR],
    classes: OCULAR_CLASSES,
    generator: { kind: 'renderer', mode: 'ocular' }
  },
  {
    id: 'sketch-photo',
    label: 'Sketch + photo',
    description: 'Face photos with aligned line sketches, for sketch↔photo translation.',
    modalities: [{ id: 'sketch', label: 'Sketch', channels: 1 }, RGB],
    classes: FACE_CLASSES,
    generator: RENDERER
  },
  {
    id: 'rgb-depth',
    label: 'RGB + depth',
    description: 'Faces with aligned depth maps (nearer is brighter).',
    modalities: [RGB, { id: 'depth', label: 'Depth', channels: 1 }],
    classes: FACE_CLASSES,
    generator: RENDERER
  },
  {
    id: 'empty',
    label: 'Empty',
    description: 'One RGB modality and only the background class: define your own.',
    modalities: [RGB],
    classes: [{ id: 0, name: 'background', color: '#000000' }],
    generator: RENDERER
  }
]

export function templateById(id: TemplateId): ProjectTemplate {
  const template = PROJECT_TEMPLATES.find((t) => t.id === id)
  if (!template) throw new Error(`unknown template "${id}"`)
  return template
}

export function projectFromTemplate(template: ProjectTemplate, name: string, createdAt: string): ProjectFile {
  return {
    schemaVersion: PROJECT_SCHEMA_VERSION,
    name,
    modalities: template.modalities.map((m) => ({ ...m })),
    classes: template.classes.map((c) => ({ ...c })),
    generator: { ...template.generator },
    settings: { sampleSize: template.generator.kind === 'renderer' && template.generator.mode === 'ocular' ? 128 : 256, eraserValue: UNLABELED },
    createdAt
  }
}

// ---------------------------------------------------------------------------------------
// Migrations. Each step takes the raw JSON of version v and returns version v + 1. They
// run on plain objects before validation, so a file is only ever checked against the
// current schema.

export class ProjectFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProjectFormatError'
  }
}

type RawProject = Record<string, unknown>

const MIGRATIONS: Record<number, (raw: RawProject) => RawProject> = {
  // Version 1 stored class colours as [r, g, b] arrays and had no settings block.
  1: (raw) => {
    const classes = Array.isArray(raw.classes) ? raw.classes : []
    return {
      ...raw,
      schemaVersion: 2,
      classes: classes.map((c: unknown) => {
        const cls = c as Record<string, unknown>
        const color = cls.color
        if (Array.isArray(color) && color.length === 3) {
          const hex = '#' + color.map((v) => Math.max(0, Math.min(255, Number(v) | 0)).toString(16).padStart(2, '0')).join('')
          return { ...cls, color: hex }
        }
        return cls
      }),
      settings: raw.settings ?? { sampleSize: 256, eraserValue: UNLABELED }
    }
  }
}

/** Bring a parsed `twinlight.json` of any known version to the current one. Throws for future or unknown versions. */
export function migrateProject(raw: unknown): { project: RawProject; migratedFrom: number | null } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProjectFormatError('twinlight.json is not a JSON object')
  }
  let current = raw as RawProject
  const version = current.schemaVersion
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ProjectFormatError('twinlight.json has no valid "schemaVersion"')
  }
  if (version > PROJECT_SCHEMA_VERSION) {
    throw new ProjectFormatError(
      `twinlight.json is schema version ${version}, newer than this Twinlight understands (${PROJECT_SCHEMA_VERSION}); update Twinlight to open it`
    )
  }
  for (let v = version; v < PROJECT_SCHEMA_VERSION; v++) current = MIGRATIONS[v](current)
  return { project: current, migratedFrom: version === PROJECT_SCHEMA_VERSION ? null : version }
}


export function parseProjectFile(raw: unknown): { project: ProjectFile; migratedFrom: number | null } {
  const { project, migratedFrom } = migrateProject(raw)
  const result = ProjectFileSchema.safeParse(project)
  if (!result.success) throw new ProjectFormatError(`twinlight.json is invalid: ${formatIssues(result.error)}`)
  return { project: result.data, migratedFrom }
}
