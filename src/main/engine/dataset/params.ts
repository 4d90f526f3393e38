// Parameters of the make-dataset job kind (and the CLI). Light: zod only, so the main
// process can import it without onnxruntime.
import { z } from 'zod'
import { LAYOUTS } from './layout'

export const MakeDatasetParamsSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/),
  count: z.number().int().min(1).max(100_000_000),
  seedStart: z.number().int().min(0),
  layout: z.enum(LAYOUTS).default('twinlight'),
  /** Fraction of the most uncertain samples to drop (0 … < 1). */
  uncertaintyDrop: z.number().min(0).lt(1).default(0),
  /** Drop samples whose score is above this; null = off. */
  maxScore: z.number().min(0).nullable().default(null),
  /** interpreter.onnx: a path (absolute or project-relative) or a training run id; null = the renderer's exact mask. */
  interpreter: z.string().nullable().default(null),
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
