// Checks a generator manifest (src/shared/generator.ts) against the interface of its ONNX
// graph (inspectOnnx) before any session is created, so a mismatched generator.json is
// reported by tensor name instead of failing later inside onnxruntime.
//
// Layout conventions (N = batch dim: symbolic, unknown, or a fixed size):
//   latent.input          float32 [N, latent.size]
//   condition.input       float32 [N, condition.size]
//   truncation.input      float32 scalar, rank 0 ([]) - ψ for the whole batch
//   noise kind 'seed'     int64 [N] - one seed per sample; the graph derives its own noise
//                         from it with deterministic ops (int64 so every uint32/
//                         safe-integer seed is exact; float32 would collide above 2^24)
//   noise kind 'explicit' float32 [N, ...inputs[i].shape] - standard-normal noise the studio
//                         draws from the sample's seed
//   modality outputs      float32 [N, channels, resolution, resolution] (NCHW)
//   feature outputs       float32 [N, channels, resolution, resolution] (NCHW)
// Every graph input must be one of the above: an input the manifest does not declare could not
// be fed. Graph outputs the manifest does not mention are allowed (and ignored).
// A dim the graph leaves symbolic or unknown where the manifest expects a fixed size is
// accepted (it can only be checked at run time); a declared tensor whose rank the graph does
// not state gives a warning, not an error. Random ops in the graph are an error.
import type { GeneratorManifest } from '../../../shared/generator'
import type { OnnxGraphInfo, OnnxTensorInfo } from './inspect'
import { formatShape, type Dim, type ElemType } from './types'
import { NONDETERMINISTIC_OPS } from './builder'

export type ManifestProblemKind =
  | 'missing-input'
  | 'missing-output'
  | 'wrong-rank'
  | 'wrong-size'
  | 'wrong-type'
  | 'undeclared-input'
  | 'unknown-shape'
  | 'nondeterministic-op'

export interface ManifestProblem {
  kind: ManifestProblemKind
  /** 'warning' problems do not stop the generator from loading. */
  severity: 'error' | 'warning'
  /** The tensor (or, for 'nondeterministic-op', the op type) the problem is about. */
  tensor: string
  message: string
}

export class ManifestMismatchError extends Error {
  readonly problems: ManifestProblem[]
  constructor(manifestName: string, problems: ManifestProblem[]) {
    super(`generator "${manifestName}" does not match its ONNX graph: ${problems.map((p) => p.message).join('; ')}`)
    this.name = 'ManifestMismatchError'
    this.problems = problems
  }
}

/** One expected dimension: the batch dim (anything goes) or a fixed size with how to word it. */
type ExpectedDim = { batch: true } | { batch?: false; size: number; graph: (n: number) => string; manifest: string }

interface Expectation {
  /** How messages refer to the tensor, e.g. `latent input "z"`. */
  label: string
  name: string
  elemType: ElemType
  dims: ExpectedDim[]
  /** How messages describe the expected layout, e.g. '[N, C, H, W]'. */
  layout: string
}

const BATCH: ExpectedDim = { batch: true }

function channelsDim(channels: number): ExpectedDim {
  return { size: channels, graph: (n) => `${n} channels`, manifest: String(channels) }
}

function spatialDims(resolution: number): ExpectedDim[] {
  return [
    { size: resolution, graph: (n) => `height ${n}`, manifest: `resolution ${resolution}` },
    { size: resolution, graph: (n) => `width ${n}`, manifest: `resolution ${resolution}` }
  ]
}

function vectorDim(size: number): ExpectedDim {
  return { size, graph: (n) => `size ${n}`, manifest: `size ${size}` }
}

function inputExpectations(manifest: GeneratorManifest): Expectation[] {
  const out: Expectation[] = [
    {
      label: `latent input "${manifest.latent.input}"`,
      name: manifest.latent.input,
      elemType: 'float32',
      dims: [BATCH, vectorDim(manifest.latent.size)],
      layout: '[N, size]'
    }
  ]
  if (manifest.truncation) {
    out.push({
      label: `truncation input "${manifest.truncation.input}"`,
      name: manifest.truncation.input,
      elemType: 'float32',
      dims: [],
      layout: 'a scalar []'
    })
  }
  if (manifest.condition) {
    out.push({
      label: `condition input "${manifest.condition.input}"`,
      name: manifest.condition.input,
      elemType: 'float32',
      dims: [BATCH, vectorDim(manifest.condition.size)],
      layout: '[N, size]'
    })
  }
  const noise = manifest.noise
  if (noise.kind === 'seed') {
    out.push({ label: `seed input "${noise.input}"`, name: noise.input, elemType: 'int64', dims: [BATCH], layout: '[N]' })
  } else if (noise.kind === 'explicit') {
    for (const n of noise.inputs) {
      out.push({
        label: `noise input "${n.name}"`,
        name: n.name,
        elemType: 'float32',
        dims: [BATCH, ...n.shape.map((size, i): ExpectedDim => ({ size, graph: (v) => `dimension ${i + 1} = ${v}`, manifest: String(size) }))],
        layout: `[N, ${n.shape.join(', ')}]`
      })
    }
  }
  return out
}

function outputExpectations(manifest: GeneratorManifest): Expectation[] {
  return [
    ...manifest.modalities.map(
      (m): Expectation => ({
        label: `modality "${m.id}" output "${m.output}"`,
        name: m.output,
        elemType: 'float32',
        dims: [BATCH, channelsDim(m.channels), ...spatialDims(m.resolution)],
        layout: `[N, C, H, W] = [N, ${m.channels}, ${m.resolution}, ${m.resolution}]`
      })
    ),
    ...manifest.features.map(
      (f): Expectation => ({
        label: `feature output "${f.name}"`,
        name: f.name,
        elemType: 'float32',
        dims: [BATCH, channelsDim(f.channels), ...spatialDims(f.resolution)],
        layout: `[N, C, H, W] = [N, ${f.channels}, ${f.resolution}, ${f.resolution}]`
      })
    )
  ]
}

function checkTensor(expected: Expectation, actual: OnnxTensorInfo, problems: ManifestProblem[]): void {
  const problem = (kind: ManifestProblemKind, message: string, severity: 'error' | 'warning' = 'error'): void => {
    problems.push({ kind, severity, tensor: expected.name, message })
  }
  if (actual.elemType !== expected.elemType) {
    problem(
      'wrong-type',
      actual.elemType === 'unknown'
        ? `${expected.label} is not a tensor of a known element type in the graph, the manifest needs ${expected.elemType}`
        : `${expected.label} has element type ${actual.elemType} in the graph, the manifest needs ${expected.elemType}`
    )
  }
  const shape = actual.shape
  if (shape === null) {
    problem('unknown-shape', `${expected.label} has no declared shape in the graph; expected ${expected.layout}`, 'warning')
    return
  }
  if (shape.length !== expected.dims.length) {
    problem(
      'wrong-rank',
      `${expected.label} has rank ${shape.length} in the graph ${formatShape(shape)}, the manifest needs rank ${expected.dims.length} ${expected.layout}`
    )
    return
  }
  expected.dims.forEach((dim, i) => {
    const got: Dim = shape[i] ?? null
    if (dim.batch || typeof got !== 'number') return
    if (got !== dim.size) problem('wrong-size', `${expected.label} has ${dim.graph(got)} in the graph, the manifest says ${dim.manifest}`)
  })
}

/**
 * Every way the manifest and the graph disagree, errors and warnings; empty when they match.
 * Pure: looks only at the two arguments.
 */
export function validateManifestAgainstGraph(manifest: GeneratorManifest, graph: OnnxGraphInfo): ManifestProblem[] {
  const problems: ManifestProblem[] = []
  const inputs = inputExpectations(manifest)
  const sides = [
    { side: 'input', expectations: inputs, tensors: graph.inputs },
    { side: 'output', expectations: outputExpectations(manifest), tensors: graph.outputs }
  ] as const
  for (const { side, expectations, tensors } of sides) {
    const byName = new Map(tensors.map((t) => [t.name, t]))
    const names = tensors.length ? tensors.map((t) => `"${t.name}"`).join(', ') : 'none'
    for (const expected of expectations) {
      const actual = byName.get(expected.name)
      if (!actual) {
        problems.push({
          kind: `missing-${side}`,
          severity: 'error',
          tensor: expected.name,
          message: `${expected.label} is not an ${side} of the graph (graph ${side}s: ${names})`
        })
      } else checkTensor(expected, actual, problems)
    }
  }

  const declared = new Set(inputs.map((e) => e.name))
  for (const input of graph.inputs) {
    if (!declared.has(input.name)) {
      problems.push({
        kind: 'undeclared-input',
        severity: 'error',
        tensor: input.name,
        message: `graph input "${input.name}" ${formatShape(input.shape)} is not declared in the manifest, so the studio cannot feed it`
      })
    }
  }

  for (const op of graph.opTypes) {
    if (NONDETERMINISTIC_OPS.has(op)) {
      problems.push({
        kind: 'nondeterministic-op',
        severity: 'error',
        tensor: op,
        message: `the graph uses ${op}, so samples would not be reproducible from their seed; feed noise as a graph input instead`
      })
    }
  }
  return problems
}

/** Throws ManifestMismatchError listing every error (warnings are returned). */
export function assertManifestMatchesGraph(manifest: GeneratorManifest, graph: OnnxGraphInfo): ManifestProblem[] {
  const problems = validateManifestAgainstGraph(manifest, graph)
  const errors = problems.filter((p) => p.severity === 'error')
  if (errors.length > 0) throw new ManifestMismatchError(manifest.name, errors)
  return problems
}
