// The one typed contract between the renderer and the backend.
//
// Every method is named `namespace.method`, takes one object argument validated by zod at
// the boundary (so errors name the field), and resolves to a typed result. The same table
// is served over Electron IPC (preload → window.studio) and over WebSocket in browser
// mode; the renderer cannot tell the two apart.
import { z } from 'zod'
import { ClassSchema, ProjectSettingsSchema, TEMPLATE_IDS, type GeneratorRef, type ProjectFile, type ProjectTemplate } from './project'
import type { JobInfo, JobLogLine, JobMetricPoint } from './jobs'
import type { InterpreterPrediction, InterpreterPredictionsInfo, InterpreterRunInfo } from './interpreter'
import type { DatasetContents, DatasetInfo } from './dataset'

/** Phantom marker for a method's result type; carries no runtime value. */
function returns<T>(): T {
  return undefined as T
}

/** Binary payloads (masks, imported files): a Uint8Array over any buffer. */
export const BytesSchema = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'expected bytes (a Uint8Array)')

// Identifiers that become file names. The project store confines paths again on top of this.
export const SampleIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'sample ids are letters, digits, ".", "-" or "_"')
/** Folder names under datasets/ (what make-dataset accepts). */
export const DatasetNameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/, 'dataset names are letters, digits, ".", "-" or "_"')

/** Mask interchange formats: index PNG (palette), uint8 H×W .npy, colour PNG (class colours). */
export const MASK_FILE_FORMATS = ['png', 'npy', 'colour'] as const
export type MaskFileFormat = (typeof MASK_FILE_FORMATS)[number]

/** Compare view metrics (compare.metrics); b of each pair is the reference. */
export const COMPARE_METRICS = ['psnr', 'ssim', 'mae', 'rmse', 'identity', 'miou'] as const
export type CompareMetricId = (typeof COMPARE_METRICS)[number] | 'pixelAccuracy'

export const CompareMetricsInputSchema = z.object({
  pairs: z
    .array(
      z.object({
        /** Project-relative paths; b is the reference (ground truth). */
        a: z.string().min(1),
        b: z.string().min(1),
        /** Row label (sample id, seed). */
        label: z.string().max(200).optional(),
        /** 'mask': both are label maps (mIoU, pixel accuracy); 'image': pixel and identity metrics. */
        kind: z.enum(['image', 'mask']).default('image')
      })
    )
    .min(1, 'no pairs to measure')
    .max(100_000),
  metrics: z.array(z.enum(COMPARE_METRICS)).min(1, 'choose at least one metric'),
  grey: z.boolean().optional(),
  crop: z.number().int().min(0).max(1024).optional(),
  /** 'auto' (default): at once for a few pairs without identity, else a job. */
  run: z.enum(['auto', 'inline', 'job']).default('auto')
})

export const API = {
  'system.info': { input: z.object({}), output: returns<SystemInfo>() },

  'project.templates': { input: z.object({}), output: returns<ProjectTemplate[]>() },
  'project.create': {
    input: z.object({
      name: z.string().trim().min(1, 'a project needs a name').max(120),
      template: z.enum(TEMPLATE_IDS),
      /** Folder to create; defaults to <projects home>/<name>. Must be empty or absent. */
      dir: z.string().min(1).optional()
    }),
    output: returns<ProjectInfo>()
  },
  'project.open': { input: z.object({ dir: z.string().min(1, 'give the project folder') }), output: returns<ProjectInfo>() },
  'project.close': { input: z.object({}), output: returns<null>() },
  'project.current': { input: z.object({}), output: returns<ProjectInfo | null>() },
  'project.recent': { input: z.object({}), output: returns<RecentProject[]>() },
  'project.update': {
    input: z.object({
      name: z.string().trim().min(1).max(120).optional(),
      classes: z.array(ClassSchema).min(1).max(255).optional(),
      settings: ProjectSettingsSchema.partial().optional()
    }),
    output: returns<ProjectInfo>()
  },

  'samples.list': { input: z.object({}), output: returns<SampleInfo[]>() },
  'samples.get': { input: z.object({ id: SampleIdSchema }), output: returns<SampleInfo>() },
  'samples.generate': {
    input: z.object({
      count: z.number().int().min(1).max(100_000),
      seedStart: z.number().int().min(0).max(2 ** 31 - 1),
      /** ψ for ONNX generators with a truncation input (default: the manifest's); ignored otherwise. */
      truncation: z.number().min(0).max(2).optional(),
      /** Samples per onnxruntime call (ONNX generators). Default 8. */
      batchSize: z.number().int().min(1).max(64).optional()
    }),
    output: returns<JobInfo>()
  },
  /** Everything the detail view shows: the sample, its generator, ψ, noise and latent statistics. */
  'samples.detail': { input: z.object({ id: SampleIdSchema }), output: returns<SampleDetail>() },
  'samples.delete': { input: z.object({ ids: z.array(SampleIdSchema).min(1) }), output: returns<{ deleted: number }>() },

  'annotations.load': {
    input: z.object({ sampleId: SampleIdSchema }),
    output: returns<{ width: number; height: number; labels: Uint8Array } | null>()
  },
  'annotations.save': {
    input: z.object({
      sampleId: SampleIdSchema,
      width: z.number().int().min(1).max(16384),
      height: z.number().int().min(1).max(16384),
      labels: BytesSchema,
      status: z.enum(['in-progress', 'done']).optional()
    }),
    output: returns<{ savedAt: string }>()
  },
  /**
   * Decode a mask file another tool wrote (index PNG, uint8 .npy, or colour PNG with a
   * colour → class table, the project's class colours by default) and validate it against
   * the sample's size and the class set. Nothing is written: the editor loads the result.
   */
  'annotations.import': {
    input: z.object({
      sampleId: SampleIdSchema,
      format: z.enum(MASK_FILE_FORMATS),
      bytes: BytesSchema,
      /** Colour masks: largest Euclidean RGB distance to a table colour (default 0, exact). */
      tolerance: z.number().min(0).max(442).optional(),
      table: z
        .array(z.object({ color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colours are #rrggbb'), classId: z.number().int().min(0).max(255) }))
        .min(1)
        .optional()
    }),
    output: returns<{ width: number; height: number; labels: Uint8Array; unmapped: { color: string; count: number }[] }>()
  },
  /** The saved annotation of a sample as a file for other tools, with a file name for the download. */
  'annotations.export': {
    input: z.object({ sampleId: SampleIdSchema, format: z.enum(MASK_FILE_FORMATS) }),
    output: returns<{ bytes: Uint8Array; fileName: string; mime: string }>()
  },
  /**
   * Export the masks of a selection into a folder on the machine the backend runs on
   * (default: a new <project>/exports/masks-<format>-<time>/; or an empty folder given as
   * an absolute path), one file per annotated sample plus classes.json and id2label.json.
   */
  'annotations.exportSelection': {
    input: z.object({
      sampleIds: z.array(SampleIdSchema).min(1, 'select at least one sample').max(100_000),
      format: z.enum(MASK_FILE_FORMATS),
      dir: z.string().min(1).max(4096).optional()
    }),
    output: returns<MaskExportReport>()
  },
  /**
   * Import mask files matched to samples by file stem (`<sampleId>.png`, `.npy`,
   * `<sampleId>_colour.png`), from uploaded bytes or a folder on the backend machine, with
   * a per-file report. Samples that already have a mask are skipped unless `existing` is
   * 'replace'; `dryRun` reports without writing.
   */
  'annotations.importFiles': {
    input: z.object({
      source: z.discriminatedUnion('kind', [
        z.object({
          kind: z.literal('upload'),
          files: z
            .array(z.object({ name: z.string().min(1).max(255), bytes: BytesSchema }))
            .min(1, 'choose at least one file')
            .max(10_000)
        }),
        z.object({ kind: z.literal('folder'), dir: z.string().min(1, 'give the folder').max(4096) })
      ]),
      /** 'auto': .npy, palette/grey PNG = index PNG, RGB(A) PNG and other pictures = colour PNG. */
      format: z.enum(['auto', ...MASK_FILE_FORMATS]).default('auto'),
      /** Match only these samples (the selection); default: the whole project. */
      sampleIds: z.array(SampleIdSchema).max(100_000).optional(),
      tolerance: z.number().min(0).max(442).optional(),
      table: z
        .array(z.object({ color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'colours are #rrggbb'), classId: z.number().int().min(0).max(255) }))
        .min(1)
        .optional(),
      existing: z.enum(['skip', 'replace']).default('skip'),
      dryRun: z.boolean().default(false)
    }),
    output: returns<MaskImportReport>()
  },
  /**
   * Remove a class from the palette; the ids above it shift down by one and every saved
   * mask is rewritten to match, atomically with twinlight.json (annotationClasses.ts).
   * While masks hold the class it is refused, saying how many, unless `pixels` says where
   * its pixels go (unlabeled 255 or background 0).
   */
  'annotations.removeClass': {
    input: z.object({
      classId: z.number().int().min(0).max(254),
      pixels: z.enum(['refuse', 'unlabeled', 'background']).default('refuse')
    }),
    output: returns<{ project: ProjectInfo; rewritten: number; relabelled: { samples: number; pixels: number } }>()
  },

  /** The project's generator, the built-in and attached choices, and the execution providers. */
  'models.generators': { input: z.object({}), output: returns<GeneratorsInfo>() },
  /**
   * Attach an ONNX generator + generator.json: copied into models/generators/, hashed,
   * validated against the graph, then made the project's generator. Either the bytes (the
   * browser's file picker) or paths on the machine the backend runs on (remote box).
   * A damaged or mismatched file is refused and leaves the project as it was.
   */
  'models.attachGenerator': {
    input: z.discriminatedUnion('source', [
      z.object({
        source: z.literal('upload'),
        onnx: BytesSchema,
        manifest: z.string().min(1, 'the generator.json is empty').max(4 * 1024 * 1024),
        fileName: z.string().max(255).optional()
      }),
      z.object({ source: z.literal('path'), onnxPath: z.string().min(1, 'give the .onnx path'), manifestPath: z.string().min(1, 'give the generator.json path') })
    ]),
    output: returns<{ attached: AttachedGeneratorInfo; warnings: string[]; project: ProjectInfo }>()
  },
  /** Switch the project's generator to a built-in one or to a generator attached before. */
  'models.useGenerator': {
    input: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('builtin'), id: z.enum(['renderer-face', 'renderer-ocular', 'demo']) }),
      z.object({ kind: z.literal('attached'), path: z.string().min(1) })
    ]),
    output: returns<ProjectInfo>()
  },
  /** The onnxruntime execution provider, for this machine (not per project). */
  'models.setExecutionProvider': {
    input: z.object({ provider: z.enum(['cpu', 'auto', 'cuda', 'webgpu']) }),
    output: returns<{ executionProvider: ExecutionProviderSetting; providers: ProviderAvailability[] }>()
  },

  'jobs.list': { input: z.object({}), output: returns<JobInfo[]>() },
  'jobs.start': { input: z.object({ kind: z.string().min(1), params: z.unknown() }), output: returns<JobInfo>() },
  'jobs.cancel': { input: z.object({ id: z.string().min(1) }), output: returns<JobInfo>() },
  'jobs.resume': { input: z.object({ id: z.string().min(1) }), output: returns<JobInfo>() },
  'jobs.remove': { input: z.object({ id: z.string().min(1) }), output: returns<null>() },
  'jobs.log': { input: z.object({ id: z.string().min(1) }), output: returns<JobLogLine[]>() },
  'jobs.metrics': { input: z.object({ id: z.string().min(1) }), output: returns<JobMetricPoint[]>() },

  /**
   * Compare view: what each sample can show besides its modalities (ground-truth mask of
   * renderer samples, the painted annotation), with file versions for cache busting.
   */
  'compare.sources': { input: z.object({ sampleIds: z.array(SampleIdSchema).min(1).max(5000) }), output: returns<Record<string, CompareSourceInfo[]>>() },
  /** A label-map PNG of the project (ground truth, annotation) as class ids. */
  'compare.labels': { input: z.object({ path: z.string().min(1) }), output: returns<{ width: number; height: number; labels: Uint8Array }>() },
  /**
   * Metrics of pairs of project images (b is the reference). A few pairs are measured at
   * once; more pairs, or identity (face embeddings), run as a `compare-metrics` job whose
   * report `compare.report` reads when it has finished.
   */
  'compare.metrics': { input: CompareMetricsInputSchema, output: returns<CompareMetricsResult>() },
  'compare.report': { input: z.object({ jobId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'not a job id') }), output: returns<CompareReport>() },

  /**
   * Style interpreter runs (runs/<id>/ of `train-interpreter` jobs and CLI runs), newest first,
   * with their config, training summary and cross-validation results. Training itself is
   * `jobs.start({ kind: 'train-interpreter', params: { config } })`.
   */
  'interpreter.runs': { input: z.object({}), output: returns<InterpreterRunInfo[]>() },
  'interpreter.run': { input: z.object({ id: z.string().min(1) }), output: returns<InterpreterRunInfo>() },
  /** Voted mask and per-pixel uncertainty of one sample (default: the newest run with a model). Computed in a worker. */
  'interpreter.predict': { input: z.object({ sampleId: SampleIdSchema, runId: z.string().min(1).optional() }), output: returns<InterpreterPrediction>() },
  /**
   * The stored predictions (runs/<id>/predictions/ of the newest run that made any), null when
   * none; `stale` says why they no longer fit the project. Samples carry theirs in samples.list.
   */
  'interpreter.predictions': { input: z.object({}), output: returns<InterpreterPredictionsInfo | null>() },
  /** Predict every unannotated sample with a run (default: the newest with a model) as a `predict-interpreter` job. */
  'interpreter.predictAll': { input: z.object({ runId: z.string().min(1).optional() }), output: returns<JobInfo>() },

  /**
   * Datasets written by `make-dataset` (datasets/<name>/): how each was made and its counts.
   * Making one is `jobs.start({ kind: 'make-dataset', params })` (engine/dataset/params.ts).
   */
  'datasets.list': { input: z.object({}), output: returns<DatasetInfo[]>() },
  /** A dataset's plan, classes and every metadata.jsonl record (without latents); unreadable lines are listed in `problems`. */
  'datasets.read': { input: z.object({ name: DatasetNameSchema }), output: returns<DatasetContents>() },
  /** One sample's whole metadata.jsonl line (latent included) and its line number. */
  'datasets.record': {
    input: z.object({ name: DatasetNameSchema, stem: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'not a dataset stem') }),
    output: returns<{ line: number; record: Record<string, unknown> }>()
  }
} as const

export type ApiTable = typeof API
export type MethodName = keyof ApiTable
export type MethodInput<M extends MethodName> = z.input<ApiTable[M]['input']>
export type MethodOutput<M extends MethodName> = ApiTable[M]['output']
export const METHOD_NAMES = Object.keys(API) as MethodName[]

export interface SystemInfo {
  version: string
  mode: 'desktop' | 'browser'
  platform: string
  /** Where new projects go by default. */
  projectsHome: string
}

export interface ProjectInfo {
  dir: string
  project: ProjectFile
  /** Set when the file on disk was an older schema version (it is rewritten on the next save). */
  migratedFrom: number | null
}

export interface RecentProject {
  dir: string
  name: string
  openedAt: string
  /** False when the folder or its twinlight.json has gone. */
  available: boolean
}

/** What annotations.exportSelection wrote. */
export interface MaskExportReport {
  /** Absolute folder on the backend machine. */
  dir: string
  format: MaskFileFormat
  /** File names written (besides classes.json and id2label.json). */
  files: string[]
  /** Selected samples with no saved mask (nothing written for them). */
  missing: string[]
}

export interface MaskImportFileResult {
  file: string
  /** The sample the file's stem matched, or null. */
  sampleId: string | null
  status: 'imported' | 'refused' | 'unmatched' | 'skipped'
  /** What was found: the size and format imported, or why it was refused / skipped / unmatched. */
  message: string
  format?: MaskFileFormat
}

export interface MaskImportReport {
  /** Nothing was written: 'imported' means "would be imported". */
  dryRun: boolean
  files: MaskImportFileResult[]
  imported: number
  refused: number
  unmatched: number
  skipped: number
}

export type AnnotationStatus = 'unlabeled' | 'in-progress' | 'done'
/** What the Gallery shows per sample: its annotation status, or 'predicted' (a mask from the style interpreter, not painted). */
export type SampleStatus = AnnotationStatus | 'predicted'

export interface SampleInfo {
  id: string
  seed: number
  width: number
  height: number
  modalities: string[]
  status: SampleStatus
  createdAt: string
  /** Project-relative image paths, per modality. */
  images: Record<string, string>
  /**
   * The current interpreter prediction (newest run with predictions, same generator and
   * classes): run, project-relative mask PNG (palette, background transparent), per-pixel
   * uncertainty PNG (grey, 255 = ln K) and the image's uncertainty score (mean of the top 10 %
   * per-pixel JS divergences, nats).
   */
  prediction?: { runId: string; mask: string; uncertaintyMap: string; uncertainty: number }
}

// ---------------------------------------------------------------------------------------
// Generators (models.*) and sample details.

export const EXECUTION_PROVIDER_SETTINGS = ['cpu', 'auto', 'cuda', 'webgpu'] as const
/** 'cpu' (default), 'auto' (CUDA when installed, else CPU), or a named provider; a provider that fails to start falls back to CPU. */
export type ExecutionProviderSetting = (typeof EXECUTION_PROVIDER_SETTINGS)[number]
export type ExecutionProviderName = 'cpu' | 'cuda' | 'webgpu'

export interface ProviderAvailability {
  name: ExecutionProviderName
  /** Offered by this installation (its library is there); not a promise that a device exists. */
  available: boolean
  note: string
}

/** A generator's manifest as the UI needs it (no weights). */
export interface GeneratorSummary {
  name: string
  description: string | null
  resolution: number
  latentSize: number
  latentPrior: 'normal' | 'renderer-params'
  /** Default ψ, or null when the graph takes no truncation input. */
  truncationDefault: number | null
  noise: 'seed' | 'explicit' | 'none'
  modalities: { id: string; channels: 1 | 3; range: [number, number]; resolution: number }[]
  features: { name: string; channels: number; resolution: number }[]
  featureChannels: number
}

export interface AttachedGeneratorInfo {
  ref: Extract<GeneratorRef, { kind: 'onnx' }>
  summary: GeneratorSummary
  attachedAt: string
  originalName: string | null
}

export interface BuiltinGeneratorInfo {
  id: 'renderer-face' | 'renderer-ocular' | 'demo'
  label: string
  description: string
}

export interface GeneratorsInfo {
  /** The project's generator; for ONNX, its summary (null with `error` when its files are unreadable). */
  current: { ref: GeneratorRef; summary: GeneratorSummary | null; error: string | null }
  builtins: BuiltinGeneratorInfo[]
  attached: AttachedGeneratorInfo[]
  providers: ProviderAvailability[]
  executionProvider: ExecutionProviderSetting
}

export interface VectorStatsInfo {
  size: number
  mean: number
  std: number
  min: number
  max: number
}

export interface SampleDetail {
  sample: SampleInfo
  generator: GeneratorRef
  /** Manifest name of an ONNX generator ('Face renderer' / 'Ocular renderer' for the built-in one). */
  generatorName: string
  /** ONNX: whether the generator file is still there with the same hash (the sample can be rebuilt exactly). */
  reproducible: boolean
  truncation: number | null
  /** ONNX samples: the latent; renderer samples: the renderer's parameter vector. */
  latent: { prior: 'normal' | 'renderer-params'; sampler: string; stored: boolean; stats: VectorStatsInfo } | null
  noise: { kind: 'seed' | 'explicit' | 'none' | 'renderer'; inputs: number }
}

// ---------------------------------------------------------------------------------------
// Compare view (compare.*).

/** A mask a sample can show: the renderer's exact ground truth or the painted annotation. */
export type CompareMaskKind = 'groundtruth' | 'annotation'

/**
 * One thing a Compare pane can show for a sample. Translator outputs will be another kind
 * here (kind 'translator', with the translator and its input modality) when translators exist.
 */
export interface CompareSourceInfo {
  /** Stable within a sample and across samples: 'rgb', 'mask:groundtruth'. */
  key: string
  kind: 'modality' | 'mask'
  label: string
  /** Project-relative file. */
  path: string
  /** Changes when the file changes (for asset URLs). */
  version: string
  mask?: CompareMaskKind
}

/** A metric value on the wire: +∞ (PSNR of identical images) travels as 'Infinity' (JSON has no such number); null = not applicable. */
export type CompareValue = number | 'Infinity' | null

export interface CompareRow {
  label: string
  a: string
  b: string
  kind: 'image' | 'mask'
  values: Partial<Record<CompareMetricId, CompareValue>>
  notes?: string[]
  /** Set when the pair could not be measured (sizes differ, unreadable file). */
  error?: string
}

export interface CompareSummaryRow {
  metric: CompareMetricId
  title: string
  n: number
  missing: number
  mean: CompareValue
  std: CompareValue
  min: CompareValue
  max: CompareValue
  /** "31.20 ± 2.10", "∞", "∞ (3 of 12 identical; 31.20 ± 2.10 over the rest)". */
  display: string
}

export interface CompareReport {
  metrics: CompareMetricId[]
  rows: CompareRow[]
  summary: CompareSummaryRow[]
  warnings: string[]
  /** The same tables as files (see engine/metrics/report.ts for the formats). */
  csv: string
  markdown: string
  createdAt: string
}

export type CompareMetricsResult = { kind: 'report'; report: CompareReport } | { kind: 'job'; job: JobInfo }

// ---------------------------------------------------------------------------------------
// Events pushed from the backend.

export type StudioEvent =
  | { type: 'job.updated'; job: JobInfo }
  | { type: 'job.removed'; id: string }
  | { type: 'job.log'; jobId: string; line: JobLogLine }
  | { type: 'job.metrics'; jobId: string; point: JobMetricPoint }
  | { type: 'project.changed'; project: ProjectInfo | null }
  | { type: 'samples.changed' }

// ---------------------------------------------------------------------------------------
// The client shape: `studio.project.create({...})`, built from the table so that a method
// added above is available everywhere at once.

type Namespaces = MethodName extends `${infer N}.${string}` ? N : never
type MethodsOf<N extends string> = {
  [M in MethodName as M extends `${N}.${infer F}` ? F : never]: (args: MethodInput<M>) => Promise<MethodOutput<M>>
}

export type StudioApi = { [N in Namespaces]: MethodsOf<N> } & {
  events: { subscribe(listener: (event: StudioEvent) => void): () => void }
  /** URL the renderer can put in <img src> for a project-relative file. */
  assetUrl(path: string, version?: string | number): string
  /** How this renderer talks to the backend. */
  transport: 'ipc' | 'websocket'
}

/**
 * What a transport provides: the preload's `window.studio` (IPC) and the WebSocket client
 * both implement it, and `createStudioApi` turns either into the typed API. Responses
 * travel as plain data (errors included), because Error subclasses do not survive
 * contextBridge or JSON.
 */
export interface StudioBridge {
  transport: 'ipc' | 'websocket'
  invoke(method: MethodName, args: unknown): Promise<ApiResponse>
  subscribe(listener: (event: StudioEvent) => void): () => void
  assetUrl(path: string, version?: string | number): string
}

export type ApiResponse = { ok: true; result: unknown } | { ok: false; error: ApiErrorData }

export function createStudioApi(bridge: StudioBridge): StudioApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const method of METHOD_NAMES) {
    const [namespace, name] = method.split('.')
    api[namespace] ??= {}
    api[namespace][name] = async (args: unknown) => {
      const response = await bridge.invoke(method, args ?? {})
      if (!response.ok) throw new ApiError(response.error)
      return response.result
    }
  }
  return {
    ...(api as unknown as Omit<StudioApi, 'events' | 'assetUrl' | 'transport'>),
    events: { subscribe: (listener) => bridge.subscribe(listener) },
    assetUrl: (path, version) => bridge.assetUrl(path, version),
    transport: bridge.transport
  }
}

// ---------------------------------------------------------------------------------------
// Errors cross the boundary as plain data.

export interface ApiErrorData {
  code: 'validation' | 'not-found' | 'conflict' | 'forbidden' | 'bad-input' | 'internal' | 'no-project'
  message: string
  /** For validation errors, the offending field, e.g. "classes.2.color". */
  field?: string
}

export class ApiError extends Error {
  readonly code: ApiErrorData['code']
  readonly field?: string
  constructor(data: ApiErrorData) {
    super(data.message)
    this.name = 'ApiError'
    this.code = data.code
    this.field = data.field
  }
  toData(): ApiErrorData {
    return { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) }
  }
}

// ---------------------------------------------------------------------------------------
// WebSocket wire format. JSON, with binary values carried as {"$bytes": base64}.

export type WireRequest = { id: number; method: string; args: unknown }
export type WireMessage = ({ id: number } & ApiResponse) | { event: StudioEvent }

export function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: bytesToBase64(value) }
  if (Array.isArray(value)) return value.map(toWire)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = toWire(v)
    return out
  }
  return value
}

export function fromWire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromWire)
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>
    if (typeof record.$bytes === 'string' && Object.keys(record).length === 1) return base64ToBytes(record.$bytes)
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(record)) out[k] = fromWire(v)
    return out
  }
  return value
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const B64_INDEX = new Uint8Array(128)
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i

// Hand-rolled because neither Buffer (Node) nor btoa on large strings (browser) works on both sides.
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = []
  const chunk = 3 * 4096
  for (let start = 0; start < bytes.length; start += chunk) {
    let s = ''
    const end = Math.min(bytes.length, start + chunk)
    for (let i = start; i < end; i += 3) {
      const n = (bytes[i] << 16) | ((i + 1 < end ? bytes[i + 1] : 0) << 8) | (i + 2 < end ? bytes[i + 2] : 0)
      s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < end ? B64[(n >> 6) & 63] : '=') + (i + 2 < end ? B64[n & 63] : '=')
    }
    parts.push(s)
  }
  return parts.join('')
}

export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/=+$/, '')
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4))
  let o = 0
  for (let i = 0; i < clean.length; i += 4) {
    const n =
      (B64_INDEX[clean.charCodeAt(i)] << 18) |
      (B64_INDEX[clean.charCodeAt(i + 1)] << 12) |
      ((i + 2 < clean.length ? B64_INDEX[clean.charCodeAt(i + 2)] : 0) << 6) |
      (i + 3 < clean.length ? B64_INDEX[clean.charCodeAt(i + 3)] : 0)
    out[o++] = (n >> 16) & 0xff
    if (i + 2 < clean.length) out[o++] = (n >> 8) & 0xff
    if (i + 3 < clean.length) out[o++] = n & 0xff
  }
  return out
}
