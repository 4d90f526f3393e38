// Face-model manifests (resources/face-models/*.json): what an embedding model expects and
// how similar two of its embeddings must be to count as one person.
//
//   kind 'face-api'  the built-in default (face-api's nets, weights in the npm package)
//   kind 'onnx'      any ONNX face-embedding model: the weights are the user's, the manifest
//                    says where they are (model.path, relative to the manifest's folder or
//                    absolute; null = the user must supply it) and how to feed the graph.
//
// Preprocessing of an ONNX model, in order: (alignment) → resize to input.width×height →
// channel order (RGB or BGR) → normalisation of the 0..255 samples → layout (NCHW or NHWC) →
// float32 tensor [1, ...]. Normalisations: 'minus-one-to-one' (x / 127.5 − 1, i.e. insightface's
// (x − 127.5) / 127.5), 'zero-to-one' (x / 255), 'mean-std' ((x − mean[c]) / std[c], mean and
// std in 0..255 units, c in the model's channel order), 'none' (raw 0..255).
// With needsAlignment the face is warped with a similarity transform fitted from the detector's
// 5 points (eye centres, nose tip, mouth corners) to insightface's ArcFace template
// (112×112, scaled to other input sizes); without it the whole image is taken as the face
// crop (e.g. generator output that is already aligned).
import { readFile } from 'node:fs/promises'
import { z } from 'zod'

export const FACE_MODEL_SCHEMA = 'twinlight.face-model/1'

const threshold = z.number().min(-1).max(1)

const common = {
  schema: z.literal(FACE_MODEL_SCHEMA),
  /** Stable id: embeddings and reference caches are bound to it. */
  id: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9._/+-]+$/, 'use letters, digits and . _ / + - only'),
  name: z.string().min(1),
  description: z.string().optional(),
  license: z.string().optional(),
  source: z.string().optional(),
  /** Cosine similarity above which two faces are the same person (the privacy filter rejects above it). */
  defaultThreshold: threshold,
  /** How defaultThreshold was obtained. */
  thresholdNote: z.string().min(1)
}

export const NormalizationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('minus-one-to-one') }),
  z.object({ kind: z.literal('zero-to-one') }),
  z.object({ kind: z.literal('none') }),
  z.object({
    kind: z.literal('mean-std'),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])
  })
])
export type Normalization = z.infer<typeof NormalizationSchema>

export const OnnxFaceModelManifestSchema = z.object({
  ...common,
  kind: z.literal('onnx'),
  model: z.object({
    /** Path of the .onnx file (relative to the manifest's folder, or absolute); null = supplied by the user. */
    path: z.string().min(1).nullable(),
    /** Where to get the weights, shown when the path is missing. */
    hint: z.string().optional(),
    /** Expected SHA-256 of the file (hex); checked when given. */
    sha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/)
      .optional()
  }),
  input: z.object({
    name: z.string().min(1),
    width: z.number().int().positive().max(4096),
    height: z.number().int().positive().max(4096),
    channelOrder: z.enum(['RGB', 'BGR']),
    layout: z.enum(['NCHW', 'NHWC']),
    normalization: NormalizationSchema
  }),
  /** Warp faces to the ArcFace 5-point template with the detector's landmarks first. */
  needsAlignment: z.boolean(),
  output: z.object({
    /** Output tensor; omitted = the model's only output. */
    name: z.string().min(1).optional(),
    dims: z.number().int().positive().max(65536)
  })
})
export type OnnxFaceModelManifest = z.infer<typeof OnnxFaceModelManifestSchema>

export const FaceApiModelManifestSchema = z.object({
  ...common,
  kind: z.literal('face-api'),
  detector: z.enum(['tiny', 'ssd']).default('tiny'),
  /** Folder of face-api's weights; null = the installed @vladmandic/face-api package's model/. */
  modelDir: z.string().nullable().default(null),
  dims: z.literal(128)
})
export type FaceApiModelManifest = z.infer<typeof FaceApiModelManifestSchema>

export const FaceModelManifestSchema = z.discriminatedUnion('kind', [OnnxFaceModelManifestSchema, FaceApiModelManifestSchema])
export type FaceModelManifest = z.infer<typeof FaceModelManifestSchema>

export class FaceModelManifestError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = []
  ) {
    super(message)
    this.name = 'FaceModelManifestError'
  }
}

/** Validates a parsed manifest; the error lists every problem with its JSON path. */
export function parseFaceModelManifest(value: unknown, source = 'face model manifest'): FaceModelManifest {
  const parsed = FaceModelManifestSchema.safeParse(value)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    throw new FaceModelManifestError(`${source} is not valid: ${issues.join('; ')}`, issues)
  }
  return parsed.data
}

export async function loadFaceModelManifest(path: string): Promise<FaceModelManifest> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new FaceModelManifestError(`cannot read face model manifest ${path}: ${error instanceof Error ? error.message : String(error)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new FaceModelManifestError(`face model manifest ${path} is not JSON: ${error instanceof Error ? error.message : String(error)}`)
  }
  return parseFaceModelManifest(json, `face model manifest ${path}`)
}
