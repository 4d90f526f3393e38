// Any ONNX face-embedding model, described by a manifest (manifest.ts), on onnxruntime-node.
//
//   const embedder = await OnnxFaceEmbedder.create({ manifest, modelPath: '/models/arcface_r100.onnx' })
//   const result = await embedder.embed(image)   // L2-normalised manifest.output.dims vector
//
// Opening checks the manifest against the graph before a session exists (inspectOnnx): the
// input and output names, the input's rank, element type, channel count and size, the output
// size. A mismatch is a FaceModelMismatchError that names the tensor and says what the graph
// has. Models that need alignment get a detector (face-api's by default) whose 5 landmarks
// drive the ArcFace template warp (align.ts).
import { dirname, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { checkImageModelGraph, checkModelSha256, modelInputDims, readModelFile, toModelInput } from '../onnx/imageModel'
import { inspectOnnx, type OnnxGraphInfo } from '../onnx/inspect'
import { arcfaceTransform, similarityToAffine } from './align'
import { assertFaceImage, cropResize, toRgb, warpAffine, type FaceImage } from './image'
import { parseFaceModelManifest, type OnnxFaceModelManifest } from './manifest'
import { Serial } from './serial'
import {
  faceNotFound,
  l2NormalizeInPlace,
  type FaceDetector,
  type FaceEmbedder,
  type FaceEmbedderDescription,
  type FaceEmbeddingResult
} from './types'

export class FaceModelMismatchError extends Error {
  constructor(
    readonly modelId: string,
    readonly problems: string[]
  ) {
    super(`face model '${modelId}': the manifest does not fit the ONNX graph: ${problems.join('; ')}`)
    this.name = 'FaceModelMismatchError'
  }
}

export class FaceModelFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FaceModelFileError'
  }
}

export interface OnnxFaceEmbedderOptions {
  /** The manifest (validated here); an object that is not yet parsed is accepted too. */
  manifest: OnnxFaceModelManifest | unknown
  /** The model bytes; otherwise read from modelPath or the manifest's model.path. */
  model?: Uint8Array
  /** Overrides manifest.model.path. */
  modelPath?: string
  /** Folder a relative manifest model.path is resolved against (the manifest's folder). */
  baseDir?: string
  /**
   * Face detector: required when the manifest needs alignment (default: face-api's detector,
   * created on first use). Without alignment it is optional; when given, images where it finds
   * no face are reported as no-face, otherwise the whole image is the face.
   */
  detector?: FaceDetector | null
  /** onnxruntime execution providers (default ['cpu']). */
  executionProviders?: ort.InferenceSession.SessionOptions['executionProviders']
}

/** Problems of a manifest against a graph; empty when it fits. Exported for tests and the UI. */
export function checkFaceModelGraph(manifest: OnnxFaceModelManifest, graph: OnnxGraphInfo): string[] {
  return checkImageModelGraph(manifest.input, manifest.output, graph, 'embedder')
}

/** The model's input tensor data (batch 1) for an RGB crop already at the input size. */
export function preprocessFace(crop: FaceImage, manifest: OnnxFaceModelManifest): Float32Array {
  const { width: w, height: h } = manifest.input
  if (crop.width !== w || crop.height !== h || crop.channels !== 3) {
    throw new Error(`preprocessFace: expected a ${w}×${h} RGB crop, got ${crop.width}×${crop.height}×${crop.channels}`)
  }
  return toModelInput(crop.data, manifest.input)
}

export class OnnxFaceEmbedder implements FaceEmbedder {
  readonly id: string
  private readonly serial = new Serial()
  private detectorPromise: Promise<FaceDetector | null>
  private released = false

  private constructor(
    readonly manifest: OnnxFaceModelManifest,
    private readonly session: ort.InferenceSession,
    private readonly outputName: string,
    detector: FaceDetector | null | undefined
  ) {
    this.id = manifest.id
    if (detector !== undefined) this.detectorPromise = Promise.resolve(detector)
    else if (manifest.needsAlignment) this.detectorPromise = import('./faceApi').then((m) => m.FaceApiDetector.create())
    else this.detectorPromise = Promise.resolve(null)
    this.detectorPromise.catch(() => undefined)
  }

  static async create(options: OnnxFaceEmbedderOptions): Promise<OnnxFaceEmbedder> {
    const parsed = parseFaceModelManifest(options.manifest)
    if (parsed.kind !== 'onnx') throw new FaceModelFileError(`face model '${parsed.id}' is a ${parsed.kind} model, not an ONNX one`)
    const manifest = parsed
    if (manifest.needsAlignment && options.detector === null) {
      throw new FaceModelFileError(`face model '${manifest.id}' needs aligned faces, so it needs a face detector with 5-point landmarks`)
    }
    const file = { label: `face model '${manifest.id}'`, fail: (message: string) => new FaceModelFileError(message) }
    const bytes = options.model
      ? checkModelSha256(options.model, manifest.model, file)
      : await readModelFile(manifest.model, { ...file, baseDir: options.baseDir ?? process.cwd(), modelPath: options.modelPath })
    const graph = inspectOnnx(bytes)
    const problems = checkFaceModelGraph(manifest, graph)
    if (problems.length > 0) throw new FaceModelMismatchError(manifest.id, problems)
    const outputName = manifest.output.name ?? graph.outputs[0]!.name
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: options.executionProviders ?? ['cpu'],
      graphOptimizationLevel: 'all'
    })
    return new OnnxFaceEmbedder(manifest, session, outputName, options.detector)
  }

  describe(): FaceEmbedderDescription {
    const m = this.manifest
    const n = m.input.normalization
    const norm = n.kind === 'mean-std' ? `(x − [${n.mean.join(', ')}]) / [${n.std.join(', ')}]` : n.kind
    return {
      name: m.name,
      dims: m.output.dims,
      needsAlignment: m.needsAlignment,
      defaultThreshold: m.defaultThreshold,
      thresholdNote: m.thresholdNote,
      preprocessing: `${m.needsAlignment ? 'ArcFace 5-point alignment' : 'whole image'} → ${m.input.width}×${m.input.height} ${m.input.channelOrder} ${m.input.layout}, ${norm}`
    }
  }

  embed(image: FaceImage): Promise<FaceEmbeddingResult> {
    if (this.released) return Promise.reject(new Error(`face model '${this.id}' has been released`))
    assertFaceImage(image)
    return this.serial.run(() => this.embedNow(image))
  }

  private async embedNow(image: FaceImage): Promise<FaceEmbeddingResult> {
    const { width: w, height: h } = this.manifest.input
    const rgb = toRgb(image)
    const detector = await this.detectorPromise
    let crop: FaceImage
    let detectorScore = 1
    let box = { x: 0, y: 0, width: image.width, height: image.height }
    let landmarks = null
    let faceCount = 1
    if (detector != null) {
      const detections = await detector.detect(rgb)
      const best = detections[0]
      if (best == null) {
        return faceNotFound(this.id, `no face found by ${detector.id} in the ${image.width}×${image.height} image`)
      }
      detectorScore = best.score
      box = best.box
      landmarks = best.landmarks68 ?? best.landmarks5
      faceCount = detections.length
      if (this.manifest.needsAlignment) {
        if (best.landmarks5 == null) throw new Error(`detector ${detector.id} gives no 5-point landmarks; '${this.id}' needs them for alignment`)
        crop = warpAffine(rgb, similarityToAffine(arcfaceTransform(best.landmarks5, w, h)), w, h)
      } else {
        crop = cropResize(rgb, { x: 0, y: 0, width: rgb.width, height: rgb.height }, w, h)
      }
    } else {
      crop = cropResize(rgb, { x: 0, y: 0, width: rgb.width, height: rgb.height }, w, h)
    }
    const embedding = await this.run(crop)
    return { model: this.id, detected: true, detectorScore, box, landmarks, embedding, faceCount }
  }

  /** Embedding of an already aligned / cropped RGB image of the input size. */
  async run(crop: FaceImage): Promise<Float32Array> {
    const data = preprocessFace(crop, this.manifest)
    const feeds = { [this.manifest.input.name]: new ort.Tensor('float32', data, modelInputDims(this.manifest.input)) }
    let results: ort.InferenceSession.OnnxValueMapType
    try {
      results = await this.session.run(feeds, [this.outputName])
    } catch (error) {
      throw new Error(`face model '${this.id}' failed to run: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
    }
    const out = results[this.outputName]
    if (out == null || !(out.data instanceof Float32Array)) throw new Error(`face model '${this.id}': output '${this.outputName}' is not float32`)
    if (out.data.length !== this.manifest.output.dims) {
      throw new FaceModelMismatchError(this.id, [`output '${this.outputName}' produced ${out.data.length} values (shape [${out.dims.join(', ')}]), the manifest says ${this.manifest.output.dims}`])
    }
    return l2NormalizeInPlace(Float32Array.from(out.data), `face model '${this.id}' output`)
  }

  async dispose(): Promise<void> {
    if (this.released) return
    this.released = true
    await this.session.release()
  }
}

/** Folder a manifest file's relative model path refers to. */
export function manifestBaseDir(manifestPath: string): string {
  return dirname(resolve(manifestPath))
}
