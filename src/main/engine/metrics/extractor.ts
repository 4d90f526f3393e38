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
//   → channel order → normalisation → layout → float32 [1, …]. The output is flattened
//   (pool3 is [1, 2048, 1, 1]) and must hold output.dims values. Features are NOT normalised.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import { inspectOnnx, type OnnxGraphInfo, type OnnxTensorInfo } from '../onnx/inspect'
import { formatShape, type Dim } from '../onnx/types'
import { MetricsError } from './errors'
import type { MetricImage } from './image'
import type { FeatureSpace } from './distribution'

export const FEATURE_EXTRACTOR_SCHEMA = 'twinlight.feature-extractor/1'

const Normalization = z.discriminatedUnion('kind', [
  /** x / 127.5 − 1 (pytorch-fid: 2·(x/255) − 1). */
  z.object({ kind: z.literal('minus-one-to-one') }),
  /** x / 255. */
  z.object({ kind: z.literal('zero-to-one') }),
  /** raw 0..255 (the TF Inception graph takes these). */
  z.object({ kind: z.literal('none') }),
  /** (x − mean[c]) / std[c], in 0..255 units, c in the model's channel order. */
  z.object({
    kind: z.literal('mean-std'),
    mean: z.tuple([z.number(), z.number(), z.number()]),
    std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()])
  })
])

export const FeatureExtractorManifestSchema = z.object({
  schema: z.literal(FEATURE_EXTRACTOR_SCHEMA),
  id: z
    .string()
    .min(1)
    .max(120)
    .regex(/^[A-Za-z0-9._/+-]+$/, 'use letters, digits and . _ / + - only'),
  name: z.string().min(1),
  description: z.string().optional(),
  source: z.string().optional(),
  license: z.string().optional(),
  /** 'inception' only for Inception-v3 pool3: results are then labelled FID / KID. */
  featureSpace: z.enum(['inception', 'face-embedding', 'other']),
  model: z.object({
    /** The .onnx file, relative to the manifest's folder or absolute; null = the user must supply it. */
    path: z.string().min(1).nullable(),
    hint: z.string().optional(),
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
    normalization: Normalization
  }),
  output: z.object({
    /** Output tensor; omitted = the model's only output. */
    name: z.string().min(1).optional(),
    dims: z.number().int().positive().max(65536)
  })
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
    const issues = parsed.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    throw new FeatureExtractorError(`${source} is not valid: ${issues.join('; ')}`, issues)
  }
  return parsed.data
}

export async function loadExtractorManifest(path: string): Promise<FeatureExtractorManifest> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new FeatureExtractorError(`cannot read the feature extractor manifest ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new FeatureExtractorError(`the feature extractor manifest ${path} is not JSON: ${(error as Error).message}`)
  }
  return parseExtractorManifest(json, `feature extractor manifest ${path}`)
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
const describeTensors = (list: readonly OnnxTensorInfo[]): string => list.map((t) => `'${t.name}' ${t.elemType} ${formatShape(t.shape)}`).join(', ')

/** Every way the manifest does not fit the graph; empty when it fits. */
export function checkExtractorGraph(manifest: FeatureExtractorManifest, graph: OnnxGraphInfo): string[] {
  const problems: string[] = []
  const { input, output } = manifest
  const gi = graph.inputs.find((t) => t.name === input.name)
  if (!gi) {
    problems.push(`input '${input.name}' is not an input of the model (it has ${plural(graph.inputs.length, 'input')}: ${describeTensors(graph.inputs)})`)
  } else {
    if (gi.elemType !== 'float32') problems.push(`input '${input.name}' is ${gi.elemType}, expected float32`)
    const shape = gi.shape
    if (shape) {
      const want = input.layout === 'NCHW' ? `[N, 3, ${input.height}, ${input.width}]` : `[N, ${input.height}, ${input.width}, 3]`
      if (shape.length !== 4) problems.push(`input '${input.name}' has shape ${formatShape(shape)}, expected rank 4: ${want}`)
      else {
        const fixed = (d: Dim | undefined): d is number => typeof d === 'number'
        const [c, h, w] = input.layout === 'NCHW' ? [shape[1], shape[2], shape[3]] : [shape[3], shape[1], shape[2]]
        if (fixed(c) && c !== 3) problems.push(`input '${input.name}' has ${c} channels (shape ${formatShape(shape)}, ${input.layout}), expected 3: ${want}`)
        if ((fixed(h) && h !== input.height) || (fixed(w) && w !== input.width)) {
          problems.push(`input '${input.name}' is ${formatShape(shape)} but the manifest says ${input.width}×${input.height} ${input.layout}: ${want}`)
        }
        if (fixed(shape[0]) && shape[0] !== 1) problems.push(`input '${input.name}' has a fixed batch of ${shape[0]}; batch 1 (or a dynamic batch) is needed`)
      }
    }
    const others = graph.inputs.filter((t) => t.name !== input.name)
    if (others.length) problems.push(`the model has other inputs the extractor cannot feed: ${describeTensors(others)}`)
  }
  let go: OnnxTensorInfo | undefined
  if (output.name) {
    go = graph.outputs.find((t) => t.name === output.name)
    if (!go) problems.push(`output '${output.name}' is not an output of the model (its outputs: ${describeTensors(graph.outputs)})`)
  } else if (graph.outputs.length !== 1) {
    problems.push(`the manifest names no output and the model has ${plural(graph.outputs.length, 'output')} (${describeTensors(graph.outputs)}); set output.name`)
  } else go = graph.outputs[0]
  if (go?.shape) {
    const rest = go.shape.slice(1)
    if (rest.length === 0) problems.push(`output '${go.name}' has shape ${formatShape(go.shape)}, expected [N, ${output.dims}]`)
    else if (rest.every((d) => typeof d === 'number')) {
      const size = (rest as number[]).reduce((a, b) => a * b, 1)
      if (size !== output.dims) problems.push(`output '${go.name}' has shape ${formatShape(go.shape)} (${size} values per image), the manifest says ${output.dims} dims`)
    }
  }
  return problems
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
  const { width: w, height: h, channelOrder, layout, normalization: n } = manifest.input
  const rgb = resizeBilinearRgb(img, w, h)
  const norm =
    n.kind === 'minus-one-to-one'
      ? (v: number) => v / 127.5 - 1
      : n.kind === 'zero-to-one'
        ? (v: number) => v / 255
        : n.kind === 'mean-std'
          ? (v: number, ch: number) => (v - n.mean[ch]) / n.std[ch]
          : (v: number) => v
  const bgr = channelOrder === 'BGR'
  const out = new Float32Array(3 * w * h)
  for (let p = 0; p < w * h; p++) {
    for (let ch = 0; ch < 3; ch++) {
      const v = norm(rgb[p * 3 + (bgr ? 2 - ch : ch)], ch)
      out[layout === 'NCHW' ? ch * w * h + p : p * 3 + ch] = v
    }
  }
  return out
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
  let bytes = options.model
  if (!bytes) {
    const path = options.modelPath ?? manifest.model.path
    if (path == null) {
      throw new FeatureExtractorError(
        `feature extractor '${manifest.id}' has no model file: the weights are not shipped; set model.path in the manifest${manifest.model.hint ? ` (${manifest.model.hint})` : ''}`
      )
    }
    const full = isAbsolute(path) ? path : resolve(baseDir, path)
    try {
      bytes = new Uint8Array(await readFile(full))
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
      throw new FeatureExtractorError(`feature extractor '${manifest.id}': model file ${full} ${missing ? 'does not exist' : `cannot be read: ${(error as Error).message}`}${manifest.model.hint ? ` (${manifest.model.hint})` : ''}`)
    }
  }
  if (manifest.model.sha256) {
    const sha = createHash('sha256').update(bytes).digest('hex')
    if (sha !== manifest.model.sha256.toLowerCase()) throw new FeatureExtractorError(`feature extractor '${manifest.id}': the model file's SHA-256 is ${sha}, the manifest expects ${manifest.model.sha256}`)
  }
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
  const { width: w, height: h, layout, name } = manifest.input
  const dims = layout === 'NCHW' ? [1, 3, h, w] : [1, h, w, 3]
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
