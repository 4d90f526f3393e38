// What every "image in, vector out" ONNX model has in common, whatever it is used for: the
// face embedders of the privacy filter (face/manifest.ts) and the feature extractors of FID/KID
// (metrics/extractor.ts). Their manifests share these schema parts, the check of a manifest
// against the graph (so a mismatch names the tensor and what the graph has, before any session
// exists), the reading of the weights file with its optional SHA-256, and the conversion of RGB
// samples into the model's input tensor.
//
// Input preprocessing, in order: channel order (RGB or BGR) → normalisation of the 0..255
// samples → layout (NCHW or NHWC) → float32 [1, …]. Normalisations: 'minus-one-to-one'
// (x / 127.5 − 1, i.e. insightface's (x − 127.5) / 127.5 and pytorch-fid's 2·(x/255) − 1),
// 'zero-to-one' (x / 255), 'mean-std' ((x − mean[c]) / std[c], mean and std in 0..255 units,
// c in the model's channel order), 'none' (raw 0..255).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { z } from 'zod'
import type { OnnxGraphInfo, OnnxTensorInfo } from './inspect'
import { formatShape, type Dim } from './types'

/** Stable model id: caches (embeddings, reference statistics) are bound to it. */
export const ModelIdSchema = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[A-Za-z0-9._/+-]+$/, 'use letters, digits and . _ / + - only')

export const ModelFileSchema = z.object({
  /** The .onnx file, relative to the manifest's folder or absolute; null = the user must supply it. */
  path: z.string().min(1).nullable(),
  /** Where to get the weights, shown when the file is missing. */
  hint: z.string().optional(),
  /** Expected SHA-256 of the file (hex); checked when given. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .optional()
})
export type ModelFile = z.infer<typeof ModelFileSchema>

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

export const ImageInputSchema = z.object({
  name: z.string().min(1),
  width: z.number().int().positive().max(4096),
  height: z.number().int().positive().max(4096),
  channelOrder: z.enum(['RGB', 'BGR']),
  layout: z.enum(['NCHW', 'NHWC']),
  normalization: NormalizationSchema
})
export type ImageInput = z.infer<typeof ImageInputSchema>

export const VectorOutputSchema = z.object({
  /** Output tensor; omitted = the model's only output. */
  name: z.string().min(1).optional(),
  dims: z.number().int().positive().max(65536)
})
export type VectorOutput = z.infer<typeof VectorOutputSchema>

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
const describeTensors = (list: readonly OnnxTensorInfo[]): string => list.map((t) => `'${t.name}' ${t.elemType} ${formatShape(t.shape)}`).join(', ')

/**
 * Every way the manifest's input and output do not fit the graph; empty when they fit.
 * `role` names the caller in messages ("the embedder cannot feed …").
 */
export function checkImageModelGraph(input: ImageInput, output: VectorOutput, graph: OnnxGraphInfo, role: string): string[] {
  const problems: string[] = []
  const graphInput = graph.inputs.find((t) => t.name === input.name)
  if (graphInput == null) {
    problems.push(`input '${input.name}' is not an input of the model (it has ${plural(graph.inputs.length, 'input')}: ${describeTensors(graph.inputs)})`)
  } else {
    if (graphInput.elemType !== 'float32') problems.push(`input '${input.name}' is ${graphInput.elemType}, expected float32`)
    const shape = graphInput.shape
    if (shape != null) {
      const want = input.layout === 'NCHW' ? `[N, 3, ${input.height}, ${input.width}]` : `[N, ${input.height}, ${input.width}, 3]`
      if (shape.length !== 4) {
        problems.push(`input '${input.name}' has shape ${formatShape(shape)}, expected rank 4: ${want}`)
      } else {
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
    if (others.length > 0) problems.push(`the model has other inputs the ${role} cannot feed: ${describeTensors(others)}`)
  }

  let graphOutput: OnnxTensorInfo | undefined
  if (output.name != null) {
    graphOutput = graph.outputs.find((t) => t.name === output.name)
    if (graphOutput == null) problems.push(`output '${output.name}' is not an output of the model (its outputs: ${describeTensors(graph.outputs)})`)
  } else if (graph.outputs.length !== 1) {
    problems.push(`the manifest names no output and the model has ${plural(graph.outputs.length, 'output')} (${describeTensors(graph.outputs)}); set output.name`)
  } else {
    graphOutput = graph.outputs[0]
  }
  if (graphOutput?.shape != null) {
    const rest = graphOutput.shape.slice(1)
    if (rest.length === 0) {
      problems.push(`output '${graphOutput.name}' has shape ${formatShape(graphOutput.shape)}, expected [N, ${output.dims}]`)
    } else if (rest.every((d) => typeof d === 'number')) {
      const size = (rest as number[]).reduce((a, b) => a * b, 1)
      if (size !== output.dims) problems.push(`output '${graphOutput.name}' has shape ${formatShape(graphOutput.shape)} (${size} values per image), the manifest says ${output.dims} dims`)
    }
  }
  return problems
}

/** 0..255 sample of channel c (in the model's channel order) → model value. */
export function normalizer(n: Normalization): (v: number, c: number) => number {
  switch (n.kind) {
    case 'minus-one-to-one':
      return (v) => v / 127.5 - 1
    case 'zero-to-one':
      return (v) => v / 255
    case 'none':
      return (v) => v
    case 'mean-std':
      return (v, c) => (v - n.mean[c]!) / n.std[c]!
  }
}

/** The model's input tensor data (batch 1) from interleaved RGB samples already at the input size. */
export function toModelInput(rgb: ArrayLike<number>, input: ImageInput): Float32Array {
  const { width: w, height: h } = input
  if (rgb.length !== w * h * 3) throw new Error(`expected ${w}×${h} RGB samples (${w * h * 3} values), got ${rgb.length}`)
  const norm = normalizer(input.normalization)
  const bgr = input.channelOrder === 'BGR'
  const nchw = input.layout === 'NCHW'
  const out = new Float32Array(3 * w * h)
  for (let p = 0; p < w * h; p++) {
    for (let c = 0; c < 3; c++) {
      out[nchw ? c * w * h + p : p * 3 + c] = norm(rgb[p * 3 + (bgr ? 2 - c : c)]!, c)
    }
  }
  return out
}

/** The input tensor's dims for batch 1. */
export function modelInputDims(input: ImageInput): number[] {
  return input.layout === 'NCHW' ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3]
}

/**
 * The weights named by a manifest: `modelPath` overrides `file.path`; relative paths are
 * resolved against `baseDir` (the manifest's folder). Checks the SHA-256 when the manifest
 * gives one. Errors start with `label` (e.g. "face model 'arcface'") and are made by `fail`.
 */
export async function readModelFile(file: ModelFile, options: { label: string; baseDir: string; modelPath?: string; fail: (message: string) => Error }): Promise<Uint8Array> {
  const { label, fail } = options
  const hint = file.hint ? ` (${file.hint})` : ''
  const path = options.modelPath ?? file.path
  if (path == null) throw fail(`${label} has no model file: the weights are not shipped; set model.path in its manifest or choose the .onnx file${hint}`)
  const full = isAbsolute(path) ? path : resolve(options.baseDir, path)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(full))
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT'
    throw fail(`${label}: model file ${full} ${missing ? 'does not exist' : `cannot be read: ${(error as Error).message}`}${hint}`)
  }
  return checkModelSha256(bytes, file, options)
}

/** The bytes, when they have the SHA-256 the manifest expects (or it expects none). */
export function checkModelSha256(bytes: Uint8Array, file: ModelFile, options: { label: string; fail: (message: string) => Error }): Uint8Array {
  if (file.sha256 == null) return bytes
  const sha = createHash('sha256').update(bytes).digest('hex')
  if (sha !== file.sha256.toLowerCase()) throw options.fail(`${options.label}: the model file's SHA-256 is ${sha}, the manifest expects ${file.sha256}`)
  return bytes
}

/** A manifest file's JSON; unreadable files and bad JSON are errors that name the file. */
export async function readManifestJson(path: string, what: string, fail: (message: string) => Error): Promise<unknown> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw fail(`cannot read the ${what} ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw fail(`the ${what} ${path} is not JSON: ${(error as Error).message}`)
  }
}
