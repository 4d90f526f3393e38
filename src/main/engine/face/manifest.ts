// Face-model manifests (resources/face-models/*.json): what an embedding model expects and
// how similar two of its embeddings must be to count as one person.
//
//   kind 'face-api'  the built-in default (face-api's nets, weights in the npm package)
//   kind 'onnx'      any ONNX face-embedding model: the weights are the user's, the manifest
//                    says where they are (model.path, relative to the manifest's folder or
//                    absolute; null = the user must supply it) and how to feed the graph.
//
// Preprocessing of an ONNX model: (alignment) → resize to input.width×height → the input
// conversion every image model shares (onnx/imageModel.ts: channel order, normalisation,
// layout).
// With needsAlignment the face is warped with a similarity transform fitted from the detector's
// 5 points (eye centres, nose tip, mouth corners) to insightface's ArcFace template
// (112×112, scaled to other input sizes); without it the whole image is taken as the face
// crop (e.g. generator output that is already aligned).
import { z } from 'zod'
import { ImageInputSchema, ModelFileSchema, ModelIdSchema, VectorOutputSchema, readManifestJson } from '../onnx/imageModel'
import { issueLines } from '../../../shared/zodIssues'

export { NormalizationSchema, type Normalization } from '../onnx/imageModel'

export const FACE_MODEL_SCHEMA = 'twinlight.face-model/1'

const threshold = z.number().min(-1).max(1)

const common = {
  schema: z.literal(FACE_MODEL_SCHEMA),
  /** Stable id: embeddings and reference caches are bound to it. */
  id: ModelIdSchema,
  name: z.string().min(1),
  description: z.string().optional(),
  license: z.string().optional(),
  source: z.string().optional(),
  /** Cosine similarity above which two faces are the same person (the privacy filter rejects above it). */
  defaultThreshold: threshold,
  /** How defaultThreshold was obtained. */
  thresholdNote: z.string().min(1)
}

export const OnnxFaceModelManifestSchema = z.object({
  ...common,
  kind: z.literal('onnx'),
  model: ModelFileSchema,
  input: ImageInputSchema,
  /** Warp faces to the ArcFace 5-point template with the detector's landmarks first. */
  needsAlignment: z.boolean(),
  output: VectorOutputSchema
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
    const issues = issueLines(parsed.error)
    throw new FaceModelManifestError(`${source} is not valid: ${issues.join('; ')}`, issues)
  }
  return parsed.data
}

export async function loadFaceModelManifest(path: string): Promise<FaceModelManifest> {
  const json = await readManifestJson(path, 'face model manifest', (message) => new FaceModelManifestError(message))
  return parseFaceModelManifest(json, `face model manifest ${path}`)
}
