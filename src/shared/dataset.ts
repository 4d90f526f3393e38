// Datasets (engine/dataset): the make-dataset job's parameters (the job kind, the CLI and the
// Dataset view's form share them), and what the Dataset view reads of a dataset folder
// (datasets/<name>/): its plan, counts and metadata.jsonl records. Pure (zod only), shared by
// the backend (services/datasetService.ts), the worker and the renderer.
import { z } from 'zod'

/** Layout presets (engine/dataset/layout.ts says where each file goes). */
export const DATASET_LAYOUTS = ['twinlight', 'hf', 'mmseg', 'cvat'] as const
export type DatasetLayoutId = (typeof DATASET_LAYOUTS)[number]

export const MakeDatasetParamsSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a dataset name is letters, digits, ".", "-" or "_", starting with a letter or digit'),
  count: z.number().int().min(1).max(100_000_000),
  seedStart: z.number().int().min(0),
  layout: z.enum(DATASET_LAYOUTS).default('twinlight'),
  /** Fraction of the most uncertain samples to drop (0 … < 1). */
  uncertaintyDrop: z.number().min(0).lt(1).default(0),
  /** Drop samples whose score is above this; null = off. */
  maxScore: z.number().min(0).nullable().default(null),
  /** interpreter.onnx: a path (absolute or project-relative) or a training run id; null = the renderer's exact mask. */
  interpreter: z.string().nullable().default(null),
  /**
   * The interpreter's first-layer arithmetic. 'fp32' runs the run's export as trained: the exact
   * ensemble vote. 'int8' (a training run id only) quantises the first layer (onnxExport.ts
   * precision 'int8'): faster on CPU (anchor scale: 2.0–2.3 instead of ~1.7 samples/s), and on a
   * trained anchor-scale ensemble 0.04 % of voted pixels differ from fp32, at the same pixel error
   * (docs/interpreter.md).
   */
  interpreterPrecision: z.enum(['fp32', 'int8']).default('fp32'),
  privacy: z
    .object({
      /** Folder of real reference faces. */
      reference: z.string().min(1),
      /** Face model manifest (JSON path); null = face-api's default model. */
      model: z.string().nullable().default(null),
      /** Cosine threshold; null = the model's calibrated default. */
      threshold: z.number().min(-1).max(1).nullable().default(null),
      noFace: z.enum(['reject', 'keep']).default('reject'),
      modality: z.string().default('rgb')
    })
    .nullable()
    .default(null),
  shard: z.object({ index: z.number().int().min(0), count: z.number().int().min(1) }).nullable().default(null),
  /** Output folder; default datasets/<name> (a shard: datasets/<name>.shard-<i>-of-<n>). */
  outDir: z.string().nullable().default(null),
  valPercent: z.number().int().min(0).max(100).default(10),
  keepRejected: z.boolean().default(false),
  truncation: z.number().min(0).max(2).nullable().default(null),
  provider: z.enum(['cpu', 'auto', 'cuda', 'webgpu']).default('cpu')
})
export type MakeDatasetParams = z.infer<typeof MakeDatasetParamsSchema>
export type MakeDatasetParamsInput = z.input<typeof MakeDatasetParamsSchema>

export type DatasetState =
  /** metadata.jsonl and README.md are written: the dataset is finished. */
  | 'finished'
  /** Samples are staged in .twinlight/ but not finalised yet (a running, stopped or shard run). */
  | 'incomplete'

export interface DatasetThresholds {
  /** Fraction of the most uncertain samples dropped (0 = off). */
  dropFraction: number
  /** Absolute uncertainty threshold: scores above it are dropped; null = off. */
  maxScore: number | null
  /**
   * The lowest score the top-fraction drop removed (every score above it was dropped too);
   * null when nothing was dropped that way or the dataset is not finished.
   */
  topCutoff: number | null
  /** Privacy filter: a sample is rejected when its max cosine similarity is over this; null = no privacy filter. */
  identity: number | null
}

export interface DatasetInfo {
  name: string
  /** Project-relative folder. */
  dir: string
  state: DatasetState
  layout: string
  modalities: string[]
  size: number
  seedStart: number
  count: number
  keepRejected: boolean
  /** Seeds with a finished sample (incomplete datasets; equal to count when finished). */
  done: number
  /** Final counts by decision ("kept", then reasons), finished datasets only. */
  counts: Record<string, number> | null
  thresholds: DatasetThresholds
  /** Set when a file of the dataset could not be read (the dataset is still listed). */
  problem: string | null
}

/** One metadata.jsonl line as the browser needs it (the latent is left out: see datasets.record). */
export interface DatasetRecord {
  stem: string
  seed: number
  uncertainty: number
  /** Max cosine similarity to a reference identity; null without the privacy filter or a face. */
  identityScore: number | null
  closestIdentity: string | null
  /** The privacy stage's own verdict ('ok', 'too-similar', 'no-face', …) or null. */
  privacy: string | null
  kept: boolean
  /** 'ok' or the first rejecting filter ('privacy:too-similar', 'uncertainty-threshold', 'uncertainty-top'). */
  reason: string
  reasons: string[]
  /** Project-relative files by key (modality ids and "mask"); empty for rejected samples whose files were deleted. */
  files: Record<string, string>
}

export interface DatasetClassInfo {
  id: number
  name: string
  color: string
}

export interface DatasetContents {
  info: DatasetInfo
  classes: DatasetClassInfo[]
  records: DatasetRecord[]
  /** Lines of metadata.jsonl that could not be read, each naming its line. */
  problems: string[]
}

/** The folder (under datasets/) a make-dataset run writes when no outDir is given; engine/dataset/project.ts follows it. */
export function datasetFolderName(params: { name: string; shard?: { index: number; count: number } | null }): string {
  return params.shard ? `${params.name}.shard-${params.shard.index}-of-${params.shard.count}` : params.name
}

/**
 * The uncertainty filter's k = floor(x · N), with x · N first rounded to 6 decimals (so 0.29 · 100
 * gives 29, not 28 from 28.999999999999996); engine/dataset/filters.ts states the whole rule.
 */
export function dropCount(fraction: number, n: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`the drop fraction must be in 0..1, got ${fraction}`)
  return Math.floor(Math.round(fraction * n * 1e6) / 1e6)
}

/** Keys of a make-dataset job's metric points that are not decision counts (workers/makeDataset.ts). */
export const DATASET_RATE_KEYS = ['samplesPerSecond', 'done', 'total'] as const

/** The decision counts of a make-dataset metric point: "kept" and one key per rejection reason. */
export function liveCounts(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => !(DATASET_RATE_KEYS as readonly string[]).includes(k)))
}
