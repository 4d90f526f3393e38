// Face engine: embeddings (face-api by default, any ONNX model with a manifest) and the
// identity privacy filter core (reference identity sets, privacy decisions).
//
//   const embedder = await createFaceEmbedder()                         // default face-api model
//   const refs = await ReferenceIdentitySet.build({ folder, embedder, cacheDir })
//   const result = await embedder.embed(image)
//   const d = privacyDecision(result, refs, { threshold: embedder.describe().defaultThreshold, noFace: 'reject' })
//
// Run it in a worker process (the design's job workers): embedding is heavy, synchronous
// TensorFlow.js / onnxruntime work.
import { FaceApiEmbedder, type FaceApiEmbedderOptions } from './faceApi'
import { loadFaceModelManifest, parseFaceModelManifest, type FaceModelManifest } from './manifest'
import { manifestBaseDir, OnnxFaceEmbedder, type OnnxFaceEmbedderOptions } from './onnxEmbedder'
import type { FaceEmbedder } from './types'

export * from './types'
export * from './align'
export * from './image'
export * from './manifest'
export * from './privacy'
export * from './reference'
export * from './thresholds'
export * from './calibration'
export {
  FaceApiEmbedder,
  FaceApiDetector,
  FaceApiLoadError,
  loadFaceApi,
  defaultFaceApiModelDir,
  padImage,
  DEFAULT_TINY_PASSES,
  DEFAULT_SSD_PASSES,
  type FaceApiDetectorKind,
  type FaceApiDetectorOptions,
  type FaceApiEmbedderOptions,
  type FaceApiRuntime,
  type DetectorPass,
  type LoadFaceApiOptions
} from './faceApi'
export {
  OnnxFaceEmbedder,
  FaceModelMismatchError,
  FaceModelFileError,
  checkFaceModelGraph,
  preprocessFace,
  manifestBaseDir,
  type OnnxFaceEmbedderOptions
} from './onnxEmbedder'

export interface CreateFaceEmbedderOptions {
  /** Folder a relative ONNX model path is resolved against (the manifest's folder). */
  baseDir?: string
  /** ONNX models: overrides the manifest's model.path. */
  modelPath?: string
  /** ONNX models: detector for alignment (default face-api's). */
  detector?: OnnxFaceEmbedderOptions['detector']
  /** face-api: extra options (backend, detector passes). */
  faceApi?: FaceApiEmbedderOptions
}

/**
 * An embedder for a manifest (object, or path of a manifest JSON file); no manifest = the
 * default face-api model with its calibrated threshold.
 */
export async function createFaceEmbedder(manifest?: FaceModelManifest | string | null, options: CreateFaceEmbedderOptions = {}): Promise<FaceEmbedder> {
  let m: FaceModelManifest | null = null
  let baseDir = options.baseDir
  if (typeof manifest === 'string') {
    m = await loadFaceModelManifest(manifest)
    baseDir ??= manifestBaseDir(manifest)
  } else if (manifest != null) {
    m = parseFaceModelManifest(manifest)
  }
  if (m == null) return FaceApiEmbedder.create(options.faceApi)
  if (m.kind === 'face-api') {
    return FaceApiEmbedder.create({
      kind: m.detector,
      threshold: m.defaultThreshold,
      ...(m.modelDir != null ? { modelDir: m.modelDir } : {}),
      ...options.faceApi
    })
  }
  return OnnxFaceEmbedder.create({ manifest: m, baseDir, modelPath: options.modelPath, detector: options.detector })
}
