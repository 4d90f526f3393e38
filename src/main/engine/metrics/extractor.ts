// Feature extractors for FID / KID: an ONNX model plus a manifest
// (resources/feature-extractors/*.json, schema 'twinlight.feature-extractor/1').
//
// FID is only FID with Inception-v3's pool3 features (pytorch-fid's or the TF original's
// weights, which the user supplies: they are not shipped). The manifest says what the graph
// wants and what it gives; it is checked against the graph (inspectOnnx) before a session is
// opened, and a mismatch names the tensor and what the graph has.
//
// Preprocessing, in order (pytorch-fid's with normalize_input=True, resize_input=True):
//   8-bit image → RGB (grey replicated, alpha dropped) → float 0..255 → bilinear resize to
//   input.width×height (align_corners = false, no antialiasing, like torch's F.interpolate)
//   → channel order → normalisation → layout → float32 [1, …] (onnx/imageModel.ts). The output is flattened
//   (pool3 is [1, 2048, 1, 1]) and must hold output.dims values. Features are NOT normalised.
import { dirname, resolve } from 'node:path'
import { z } from 'zod'
import { checkImageModelGraph, checkModelSha256, ImageInputSchema, modelInputDims, ModelFileSchema, ModelIdSchema, readManifestJson, readModelFile, toModelInput, VectorOutputSchema } from '../onnx/imageModel'
import { inspectOnnx, type OnnxGraphInfo } from '../onnx/inspect'
import { issueLines } from '../../../shared/zodIssues'
import { MetricsError } from './errors'
import type { MetricImage } from './image'
import type { FeatureSpace } from './distribution'

export const FEATURE_EXTRACTOR_SCHEMA = 'twinlight.feature-extractor/1'

export const FeatureExtractorManifestSchema = z.object({
  schema: z.literal(FEATURE_EXTRACTOR_SCHEMA),
  id: ModelIdSchema,
  name: z.string().min(1),
  description: z.string().optional(),
  source: z.string().optional(),
  license: z.string().optional(),
  /** 'inception' only for Inception-v3 pool3: results are then labelled FID / KID. */
  featureSpace: z.enum(['inception', 'face-embedding', 'other']),
  model: ModelFileSchema,
  input: ImageInputSchema,
  output: VectorOutputSchema
})
export type FeatureExtractorManifest = z.infer<typeof FeatureExtractorManifestSchema>

/** The manifest is malformed, does not fit its model, or its model file is missing. */
export class FeatureExtractorError extends MetricsError {
  constructor(
    message: string,
    readonly problems: string[] = []
  ) {
    super(message)
    this.name = 'FeatureExtractorError'
  }
}

export function parseExtractorManifest(value: unknown, source = 'feature extractor manifest'): FeatureExtractorManifest {
  const parsed = FeatureExtractorManifestSchema.safeParse(value)
  if (!parsed.success) {
    const issues = issueLines(parsed.error)
    throw new FeatureExtractorError(`${source} is not valid: ${issues.join('; ')}`, issues)
  }
  return parsed.data
}

export async function loadExtractorManifest(path: string): Promise<FeatureExtractorManifest> {
  const json = await readManifestJson(path, 'feature extractor manifest', (message) => new FeatureExtractorError(message))
  return parseExtractorManifest(json, `feature extractor manifest ${path}`)
}

/** Every way the manifest does not fit the graph; empty when it fits. */
export function checkExtractorGraph(manifest: FeatureExtractorManifest, graph: OnnxGraphInfo): string[] {
  return checkImageModelGraph(manifest.input, manifest.output, graph, 'extractor')
}

/**
 * Bilinear resize of 8-bit interleaved samples to float RGB, like torch's
 * F.interpolate(mode='bilinear', align_corners=False) without antialiasing: source
 * coordinate (d + 0.5)·in/out − 0.5, clamped at 0, neighbours clamped at the last pixel.
 */
export function resizeBilinearRgb(img: MetricImage, outW: number, outH: number): Float32Array {
  const { width: w, height: h, channels: c, data } = img
  const out = new Float32Array(outW * outH * 3)
  const sx = w / outW
  const sy = h / outH
  const rgb = (p: number, k: number): number => (c >= 3 ? data[p * c + k] : data[p * c])
  for (let y = 0; y < outH; y++) {
    const fy = Math.max(0, (y + 0.5) * sy - 0.5)
    const y0 = Math.min(Math.floor(fy), h - 1)
    const y1 = Math.min(y0 + 1, h - 1)
    const ly = fy - y0
    for (let x = 0; x < outW; x++) {
      const fx = Math.max(0, (x + 0.5) * sx - 0.5)
      const x0 = Math.min(Math.floor(fx), w - 1)
      const x1 = Math.min(x0 + 1, w - 1)
      const lx = fx - x0
      for (let k = 0; k < 3; k++) {
        const top = rgb(y0 * w + x0, k) * (1 - lx) + rgb(y0 * w + x1, k) * lx
        const bottom = rgb(y1 * w + x0, k) * (1 - lx) + rgb(y1 * w + x1, k) * lx
        out[(y * outW + x) * 3 + k] = top * (1 - ly) + bottom * ly
      }
    }
  }
  return out
}

/** The model's input tensor data (batch 1) for an image of any size. */
export function preprocessForExtractor(img: MetricImage, manifest: FeatureExtractorManifest): Float32Array {
  const rgb = resizeBilinearRgb(img, manifest.input.width, manifest.input.height)
  return toModelInput(rgb, manifest.input)
}

export interface FeatureExtractor {
  readonly manifest: FeatureExtractorManifest
  readonly featureSpace: FeatureSpace
  extract(image: MetricImage): Promise<Float32Array>
  dispose(): Promise<void>
}

export function featureSpaceOf(manifest: FeatureExtractorManifest): FeatureSpace {
  if (manifest.featureSpace === 'inception') return { kind: 'inception' }
  if (manifest.featureSpace === 'face-embedding') return { kind: 'face-embedding', model: manifest.name }
  return { kind: 'other', name: manifest.name }
}

export interface OpenExtractorOptions {
  /** Overrides the manifest's model.path. */
  modelPath?: string
  /** The model's bytes (tests). */
  model?: Uint8Array
}

/** Opens an extractor from a manifest file (relative model paths are resolved against its folder). */
export async function openFeatureExtractor(manifestPath: string, options: OpenExtractorOptions = {}): Promise<FeatureExtractor> {
  const manifest = await loadExtractorManifest(manifestPath)
  return openFeatureExtractorFrom(manifest, dirname(resolve(manifestPath)), options)
}

export async function openFeatureExtractorFrom(manifest: FeatureExtractorManifest, baseDir: string, options: OpenExtractorOptions = {}): Promise<FeatureExtractor> {
  const file = { label: `feature extractor '${manifest.id}'`, fail: (message: string) => new FeatureExtractorError(message) }
  const bytes = options.model ? checkModelSha256(options.model, manifest.model, file) : await readModelFile(manifest.model, { ...file, baseDir, modelPath: options.modelPath })
  let graph: OnnxGraphInfo
  try {
    graph = inspectOnnx(bytes)
  } catch (error) {
    throw new FeatureExtractorError(`feature extractor '${manifest.id}': the model file is not an ONNX model (${(error as Error).message})`)
  }
  const problems = checkExtractorGraph(manifest, graph)
  if (problems.length) throw new FeatureExtractorError(`the feature extractor manifest '${manifest.id}' does not fit its model: ${problems.join('; ')}`, problems)
  const outputName = manifest.output.name ?? graph.outputs[0].name
  const ort = await import('onnxruntime-node')
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' })
  const { name } = manifest.input
  const dims = modelInputDims(manifest.input)
  return {
    manifest,
    featureSpace: featureSpaceOf(manifest),
    async extract(image) {
      const tensor = new ort.Tensor('float32', preprocessForExtractor(image, manifest), dims)
      let out
      try {
        out = (await session.run({ [name]: tensor }, [outputName]))[outputName]
      } catch (error) {
        throw new FeatureExtractorError(`feature extractor '${manifest.id}' failed to run: ${(error as Error).message}`)
      }
      if (!(out?.data instanceof Float32Array)) throw new FeatureExtractorError(`feature extractor '${manifest.id}': output '${outputName}' is not float32`)
      if (out.data.length !== manifest.output.dims) {
        throw new FeatureExtractorError(`the feature extractor manifest '${manifest.id}' does not fit its model: output '${outputName}' gave ${out.data.length} values (shape [${out.dims.join(', ')}]), the manifest says ${manifest.output.dims}`)
      }
      return Float32Array.from(out.data)
    },
    dispose: () => session.release()
  }
}
