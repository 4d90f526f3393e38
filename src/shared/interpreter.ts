// The few-shot style interpreter (DatasetGAN / BiFaceGAN semantic mask generator): its training
// configuration and the results the backend reports. Pure (zod only), shared by the worker,
// the CLI and the Train view's form.
import { z } from 'zod'

/**
 * When training stops.
 * - steps: a fixed number of optimisation steps (Twinlight's default: what a run costs is
 *   steps × batch, whatever the number of labelled pixels).
 * - plateau: the reference rule. From epoch `minEpochs` on (0-based epochs, so 4 means "after
 *   four full epochs", DatasetGAN's `epoch > 3`), a member stops once `patience` batches in a row
 *   brought no new best batch loss (a loss counts as a new best when it is below
 *   best·(1 − minDelta)). `maxEpochs` bounds the run.
 * - epochs: a fixed number of epochs (fractions allowed: 0.5 = half the labelled pixels).
 */
export const InterpreterStopSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('plateau'),
    minEpochs: z.number().min(0).max(1000).default(4),
    patience: z.number().int().min(1).max(1_000_000).default(50),
    minDelta: z.number().min(0).max(0.5).default(0),
    maxEpochs: z.number().min(0.01).max(1000).default(100)
  }),
  z.object({ kind: z.literal('epochs'), epochs: z.number().min(0.01).max(1000) }),
  z.object({ kind: z.literal('steps'), steps: z.number().int().min(1).max(10_000_000) })
])
export type InterpreterStop = z.infer<typeof InterpreterStopSchema>

export const INTERPRETER_SAMPLING = ['uniform', 'class-balanced'] as const
export type InterpreterSampling = (typeof INTERPRETER_SAMPLING)[number]

/** Twinlight's defaults; see docs/interpreter.md for how they relate to the reference's. */
export const INTERPRETER_DEFAULTS = {
  ensembleSize: 10,
  learningRate: 3e-3,
  batchSize: 'auto' as number | 'auto',
  stop: { kind: 'steps', steps: 200 } as InterpreterStop,
  // Class-balanced: few-shot face masks are dominated by skin, hair and background, and with
  // uniform sampling the small parts (eyes, iris, pupil, teeth) get too few pixels to be
  // learned at all (IoU 0). See docs/interpreter.md for the measured effect on mIoU.
  sampling: 'class-balanced' as InterpreterSampling,
  folds: 5,
  seed: 0
}

/** The reference procedure (DatasetGAN train_interpreter.py), for comparison runs and the bench. */
export const REFERENCE_INTERPRETER_CONFIG = {
  ensembleSize: 10,
  learningRate: 1e-3,
  batchSize: 64 as number | 'auto',
  stop: { kind: 'plateau', minEpochs: 4, patience: 50, minDelta: 0, maxEpochs: 100 } as InterpreterStop,
  sampling: 'uniform' as InterpreterSampling
}

export const InterpreterConfigSchema = z.object({
  /** Number of classifiers that vote. */
  ensembleSize: z.number().int().min(1).max(32).default(INTERPRETER_DEFAULTS.ensembleSize),
  /** Adam learning rate. */
  learningRate: z.number().positive().max(1).default(INTERPRETER_DEFAULTS.learningRate),
  /**
   * Labelled pixels per optimisation step (shared by all ensemble members); the reference uses
   * 64. 'auto': labelled pixels / 50, clamped to 256…1024, so that 200 steps are about 4 epochs
   * on small annotation sets and 1024-pixel batches on large ones.
   */
  batchSize: z.union([z.literal('auto'), z.number().int().min(2).max(262_144)]).default(INTERPRETER_DEFAULTS.batchSize),
  stop: InterpreterStopSchema.default(INTERPRETER_DEFAULTS.stop),
  /** uniform: every labelled pixel once per epoch; class-balanced: each class equally often (with replacement). */
  sampling: z.enum(INTERPRETER_SAMPLING).default(INTERPRETER_DEFAULTS.sampling),
  /** k of the k-fold cross-validation run after training (leave-one-out below k samples); 0 = none. */
  folds: z.number().int().min(0).max(50).default(INTERPRETER_DEFAULTS.folds),
  /** Seeds the weight initialisation and the pixel order. */
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(INTERPRETER_DEFAULTS.seed),
  /**
   * Engine of the first layer's big matrix products: TensorFlow.js (the backend initTf picked)
   * or onnxruntime (multi-threaded MLAS); 'auto' = onnxruntime when it loads. Same results up to
   * float rounding.
   */
  gemm: z.enum(['auto', 'tfjs', 'onnxruntime']).default('auto')
})
export type InterpreterConfig = z.infer<typeof InterpreterConfigSchema>
export type InterpreterConfigInput = z.input<typeof InterpreterConfigSchema>

/** Parameters of a `train-interpreter` job. */
export const TrainInterpreterParamsSchema = z.object({
  config: InterpreterConfigSchema.default(InterpreterConfigSchema.parse({})),
  /** Samples to train on (default: every annotated sample with at least one labelled pixel). */
  samples: z.array(z.string().min(1)).min(1).optional(),
  /** Feature maps to read (default: every feature the generator's manifest lists). */
  features: z.array(z.string().min(1)).min(1).optional()
})
export type TrainInterpreterParams = z.infer<typeof TrainInterpreterParamsSchema>

// ------------------------------------------------------------------------------- results

export interface ClassScore {
  id: number
  name: string
  /** NaN (serialised as null) when the class is absent from both annotation and prediction. */
  iou: number | null
  /** Annotated pixels of this class over the held-out samples. */
  pixels: number
}

export interface EvalSampleResult {
  sampleId: string
  fold: number
  miou: number | null
  pixelAccuracy: number | null
  /** Mean of the top 10 % per-pixel uncertainties (JS divergence, nats). */
  uncertainty: number
  /** Project-relative side-by-side PNG: annotation | prediction | uncertainty. */
  image: string
}

export interface InterpreterEvalSummary {
  folds: number
  leaveOneOut: boolean
  samples: number
  classes: ClassScore[]
  miou: number | null
  pixelAccuracy: number | null
  /** counts[gt][pred] over every held-out labelled pixel. */
  confusion: number[][]
  perSample: EvalSampleResult[]
  seconds: number
  finishedAt: string
}

export interface InterpreterTrainSummary {
  samples: number
  labelledPixels: number
  ensembleSize: number
  epochs: number
  steps: number
  seconds: number
  /** Final batch loss / accuracy per member. */
  loss: number[]
  accuracy: number[]
  /** Training-set pixel accuracy of the voted ensemble (labelled pixels). */
  trainAccuracy: number | null
}

export interface InterpreterRunInfo {
  id: string
  /** Project-relative run folder. */
  dir: string
  createdAt: string
  state: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted' | 'queued' | 'unknown'
  config: InterpreterConfig | null
  samples: string[]
  classes: { id: number; name: string }[]
  generatorSha256: string | null
  /** Whether runs/<id>/interpreter/model.json exists (usable for predictions). */
  modelReady: boolean
  /** Project-relative path of the exported ONNX interpreter, when there is one. */
  onnx: string | null
  /** Unannotated samples this run predicted (runs/<id>/predictions/), 0 when none. */
  predictions: number
  train: InterpreterTrainSummary | null
  eval: InterpreterEvalSummary | null
}

export interface InterpreterPrediction {
  runId: string
  sampleId: string
  width: number
  height: number
  /** Voted class per pixel. */
  labels: Uint8Array
  /** Per-pixel JS divergence quantised to 0..255 over [0, ln K]. */
  uncertainty: Uint8Array
  /** ln K: the uncertainty value that 255 stands for. */
  uncertaintyMax: number
  /** Mean of the top 10 % pixel uncertainties (nats). */
  score: number
}

// ------------------------------------------------------------------------- model in the loop

/** The project's stored predictions (interpreter.predictions): the newest run that made any. */
export interface InterpreterPredictionsInfo {
  runId: string
  /** Samples predicted by that run. */
  count: number
  updatedAt: string
  /** Why they no longer fit the project (generator or classes changed), or null when current. */
  stale: string | null
}

/** What "suggest next" needs of a sample (a subset of SampleInfo). */
export interface SuggestionCandidate {
  id: string
  status: 'unlabeled' | 'in-progress' | 'done' | 'predicted'
  prediction?: { uncertainty: number }
}

/**
 * "Suggest next": unannotated samples with a prediction, the most uncertain first (the masks
 * that teach the interpreter most), ties by id. Annotated or in-progress samples, and samples
 * without a current prediction, are not suggested.
 */
export function suggestionOrder<T extends SuggestionCandidate>(samples: readonly T[]): T[] {
  return samples
    .filter((s) => (s.status === 'predicted' || s.status === 'unlabeled') && s.prediction !== undefined)
    .sort((a, b) => b.prediction!.uncertainty - a.prediction!.uncertainty || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** The suggested sample to annotate after `currentId` (never `currentId` itself), or null. */
export function nextSuggested<T extends SuggestionCandidate>(samples: readonly T[], currentId: string | null): T | null {
  return suggestionOrder(samples).find((s) => s.id !== currentId) ?? null
}

/** Parameters of a `predict-interpreter` job (interpreter.predictAll fills in the newest run). */
export const PredictInterpreterParamsSchema = z.object({ runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'not a run id') })
export type PredictInterpreterParams = z.infer<typeof PredictInterpreterParamsSchema>

/** The Gallery's "most uncertain first" order: the suggestions, then every other sample in its order. */
export function withSuggestionsFirst<T extends SuggestionCandidate>(samples: readonly T[]): T[] {
  const first = suggestionOrder(samples)
  const taken = new Set(first.map((s) => s.id))
  return [...first, ...samples.filter((s) => !taken.has(s.id))]
}
