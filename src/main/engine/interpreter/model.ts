// The ensemble's parameters, kept as plain Float32Arrays so that training, checkpoints, the
// model file, the TS inference and the ONNX export all read the very same numbers.
//
// Per member m (M members, D features, hidden H1/H2, K classes), as in the reference:
//   Linear(D→H1) → ReLU → BatchNorm(H1) → Linear(H1→H2) → ReLU → BatchNorm(H2) → Linear(H2→K)
// Layout (members side by side in the first layer, so one GEMM serves the whole ensemble):
//   w1 [D, M·H1]   column m·H1 + j is unit j of member m; rows follow the layout's channel order
//   b1, g1 (γ), be1 (β), rm1 (running mean), rv1 (running var)   [M·H1]
//   w2 [M, H1, H2], b2, g2, be2, rm2, rv2 [M·H2]
//   w3 [M, H2, K],  b3 [M·K]
// Initialisation (DatasetGAN's init_weights 'normal', gain 0.02): every Linear weight
// N(0, 0.02), biases 0; BatchNorm γ = 1, β = 0, running mean 0, running var 1. Member m draws
// from its own seeded stream, so member 0 is the same whatever the ensemble size.
import { Rng, deriveSeed } from '../render/prng'
import { featureDim, hiddenSizes, type FeatureLayout } from './layout'

export const BN_EPSILON = 1e-5
export const BN_MOMENTUM = 0.1
export const INIT_STD = 0.02

export const PARAM_NAMES = ['w1', 'b1', 'g1', 'be1', 'rm1', 'rv1', 'w2', 'b2', 'g2', 'be2', 'rm2', 'rv2', 'w3', 'b3'] as const
export type ParamName = (typeof PARAM_NAMES)[number]
/** Parameters Adam updates (running statistics are not trained). */
export const TRAINABLE: readonly ParamName[] = ['w1', 'b1', 'g1', 'be1', 'w2', 'b2', 'g2', 'be2', 'w3', 'b3']

export interface EnsembleDims {
  M: number
  D: number
  H1: number
  H2: number
  K: number
}

export type EnsembleParams = Record<ParamName, Float32Array>

export function paramShapes(d: EnsembleDims): Record<ParamName, number[]> {
  const { M, D, H1, H2, K } = d
  const v1 = [M * H1]
  const v2 = [M * H2]
  return { w1: [D, M * H1], b1: v1, g1: v1, be1: v1, rm1: v1, rv1: v1, w2: [M, H1, H2], b2: v2, g2: v2, be2: v2, rm2: v2, rv2: v2, w3: [M, H2, K], b3: [M * K] }
}

/** Which member owns element i of a parameter (for freezing members and slicing). */
export function memberOf(name: ParamName, d: EnsembleDims, i: number): number {
  const { M, H1, H2, K } = d
  switch (name) {
    case 'w1':
      return Math.floor((i % (M * H1)) / H1)
    case 'w2':
      return Math.floor(i / (H1 * H2))
    case 'w3':
      return Math.floor(i / (H2 * K))
    case 'b3':
      return Math.floor(i / K)
    case 'b1':
    case 'g1':
    case 'be1':
    case 'rm1':
    case 'rv1':
      return Math.floor(i / H1)
    default:
      return Math.floor(i / H2)
  }
}

export function dimsFor(layout: FeatureLayout, numClasses: number, ensembleSize: number): EnsembleDims {
  const [H1, H2] = hiddenSizes(numClasses)
  return { M: ensembleSize, D: featureDim(layout), H1, H2, K: numClasses }
}

export function initParams(d: EnsembleDims, seed: number): EnsembleParams {
  const shapes = paramShapes(d)
  const p = {} as EnsembleParams
  for (const name of PARAM_NAMES) p[name] = new Float32Array(shapes[name].reduce((a, b) => a * b, 1))
  p.g1.fill(1)
  p.g2.fill(1)
  p.rv1.fill(1)
  p.rv2.fill(1)
  const { M, D, H1, H2, K } = d
  for (let m = 0; m < M; m++) {
    const rng = new Rng(deriveSeed(seed, 1000 + m))
    const cols = M * H1
    for (let r = 0; r < D; r++) {
      const base = r * cols + m * H1
      for (let j = 0; j < H1; j++) p.w1[base + j] = INIT_STD * rng.normal()
    }
    const w2 = p.w2.subarray(m * H1 * H2, (m + 1) * H1 * H2)
    for (let i = 0; i < w2.length; i++) w2[i] = INIT_STD * rng.normal()
    const w3 = p.w3.subarray(m * H2 * K, (m + 1) * H2 * K)
    for (let i = 0; i < w3.length; i++) w3[i] = INIT_STD * rng.normal()
  }
  return p
}

export function cloneParams(p: EnsembleParams): EnsembleParams {
  const out = {} as EnsembleParams
  for (const name of PARAM_NAMES) out[name] = p[name].slice()
  return out
}

/** The parameters of a subset of members, as an ensemble of their own. */
export function selectMembers(p: EnsembleParams, d: EnsembleDims, members: readonly number[]): { params: EnsembleParams; dims: EnsembleDims } {
  const nd: EnsembleDims = { ...d, M: members.length }
  const shapes = paramShapes(nd)
  const out = {} as EnsembleParams
  for (const name of PARAM_NAMES) out[name] = new Float32Array(shapes[name].reduce((a, b) => a * b, 1))
  const { M, D, H1, H2, K } = d
  members.forEach((m, k) => {
    for (let r = 0; r < D; r++) out.w1.set(p.w1.subarray(r * M * H1 + m * H1, r * M * H1 + (m + 1) * H1), r * nd.M * H1 + k * H1)
    for (const n of ['b1', 'g1', 'be1', 'rm1', 'rv1'] as const) out[n].set(p[n].subarray(m * H1, (m + 1) * H1), k * H1)
    for (const n of ['b2', 'g2', 'be2', 'rm2', 'rv2'] as const) out[n].set(p[n].subarray(m * H2, (m + 1) * H2), k * H2)
    out.w2.set(p.w2.subarray(m * H1 * H2, (m + 1) * H1 * H2), k * H1 * H2)
    out.w3.set(p.w3.subarray(m * H2 * K, (m + 1) * H2 * K), k * H2 * K)
    out.b3.set(p.b3.subarray(m * K, (m + 1) * K), k * K)
  })
  return { params: out, dims: nd }
}

// ------------------------------------------------------------------------------ binary packing

export interface PackedEntry {
  name: string
  shape: number[]
  /** Offset in float32 values. */
  offset: number
}

/** Concatenates named float32 arrays; returns the bytes and the table of contents. */
export function packArrays(arrays: ReadonlyArray<[string, Float32Array, number[]]>): { entries: PackedEntry[]; data: Float32Array } {
  let total = 0
  for (const [, a] of arrays) total += a.length
  const data = new Float32Array(total)
  const entries: PackedEntry[] = []
  let offset = 0
  for (const [name, a, shape] of arrays) {
    data.set(a, offset)
    entries.push({ name, shape, offset })
    offset += a.length
  }
  return { entries, data }
}

export function unpackArrays(entries: readonly PackedEntry[], data: Float32Array): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>()
  for (const e of entries) {
    const n = e.shape.reduce((a, b) => a * b, 1)
    if (e.offset + n > data.length) throw new Error(`packed array "${e.name}" runs past the end of the data`)
    out.set(e.name, data.slice(e.offset, e.offset + n))
  }
  return out
}
