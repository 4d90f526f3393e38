// ONNX export of a trained ensemble, for dataset generation in onnxruntime.
//
// Inputs: the generator's feature maps at their native resolutions, named as in the generator
// manifest, NCHW float32 with a symbolic batch N. Outputs:
//   mask        [N, H, W] uint8   per-pixel majority vote (ties → smallest class id)
//   uncertainty [N, H, W] float32 JS divergence H(mean p) − mean H(p), nats
//   probs       [N, M, K, H, W]   every member's softmax (optional)
//
// The first layer uses the partial-sum identity W·up(F) = up(W·F): the maps of one resolution
// are concatenated, multiplied by their rows of W at native resolution, and only the H1-wide
// partial sums are upsampled (Resize linear + half_pixel = align_corners=False) and summed.
//
// Layout, chosen by measurement (bench/dataset.ts, docs/interpreter.md "ONNX graph"):
// - Pixels × channels (NHWC). The features are transposed once; every layer is then a MatMul
//   over the channel axis, and onnxruntime's channels-last bilinear Resize is ~2.5× faster
//   than its NCHW one (it interpolates whole channel vectors).
// - One member at a time: a member's H1-wide activations at mask size are 32 MiB at 256², so
//   the Resize/Sum passes over them stay far smaller than an ensemble-wide 1280-channel tensor
//   (335 MiB, which made every pass memory-bound and the process 6 GiB).
// - BatchNorm (inference) follows ReLU, so it is folded into the next Linear at export
//   (computed in float64): W' = diag(γ/σ)·W, b' = b + (β − μγ/σ)·W.
// - The first-layer bias is added to the coarsest map's partial sums before upsampling
//   (bilinear weights sum to 1), so the full-size sum has no broadcast input.
// - The coarsest groups (≤ 1/8 of the mask size) are upsampled by dense interpolation
//   matrices in two MatMuls into one tensor instead of one Resize each (coarseGroups).
// - precision 'int8' (opt-in): the first layer's MatMuls run as MatMulIntegerToFloat with the
//   activations quantised per tensor by DynamicQuantizeLinear (uint8) and the weights per
//   output column to 7 bits (±63 — AVX2 without VNNI multiplies u8×s8 pairs into int16,
//   which 8-bit weights could saturate). Not exact: see docs/interpreter.md for the measured
//   share of voted pixels that change.
import { OnnxBuilder, type OnnxValue } from '../onnx/builder'
import { groupWeights, resolutionGroups, type ResolutionGroup } from './inference'
import { axisTaps, type FeatureLayout } from './layout'
import { BN_EPSILON, type EnsembleDims, type EnsembleParams } from './model'
import { P_LOG_FLOOR } from './voting'

export type InterpreterPrecision = 'fp32' | 'int8'

export interface InterpreterOnnxOptions {
  /** Stored as model metadata (JSON strings). */
  metadata?: Record<string, string>
  /** Also output per-member probabilities (default true). */
  probs?: boolean
  /** First-layer arithmetic: 'fp32' (default, exact) or 'int8' (dynamic quantisation, faster on CPU). */
  precision?: InterpreterPrecision
}

/** Largest magnitude of a 7-bit weight (see the header: u8×s8 pairs must not saturate int16). */
const INT8_WEIGHT_MAX = 63

export function buildInterpreterOnnx(params: EnsembleParams, dims: EnsembleDims, layout: FeatureLayout, options: InterpreterOnnxOptions = {}): Uint8Array {
  const { M, H1, H2, K } = dims
  const H = layout.height
  const W = layout.width
  const precision = options.precision ?? 'fp32'
  const g = new OnnxBuilder({ graphName: 'twinlight-interpreter', metadata: options.metadata, docString: 'Twinlight style interpreter (DatasetGAN-style pixel classifier ensemble)' })
  const inputs = layout.maps.map((m) => g.input(m.name, 'float32', ['N', m.channels, m.height, m.width]))
  const groups = resolutionGroups(layout)
  // Each resolution group's features, concatenated and channels-last: [N, h, w, C_g].
  const features = groups.map((group) => g.transpose(group.maps.length === 1 ? inputs[group.maps[0]] : g.concat(group.maps.map((i) => inputs[i]), 1), [0, 2, 3, 1]))
  const quantised = precision === 'int8' ? features.map((x) => g.node('DynamicQuantizeLinear', [x], [], { outputs: 3, elemType: ['uint8', 'float32', 'uint8'] })) : []
  const coarsest = groups.reduce((best, group, i) => (group.height * group.width < groups[best].height * groups[best].width ? i : best), 0)
  const coarse = coarseGroups(groups, H, W)
  // Interpolation matrices of the coarse groups: per group [W, w] (x) and, side by side, [H, Σh] (y).
  const coarseX = coarse.map((gi) => g.constant(interpolationMatrix(groups[gi].width, W), [W, groups[gi].width]))
  const coarseY = coarse.length > 0 ? g.constant(concatColumns(coarse.map((gi) => interpolationMatrix(groups[gi].height, H)), H), [H, coarse.reduce((s, gi) => s + groups[gi].height, 0)]) : null

  const logits: OnnxValue[] = []
  for (let m = 0; m < M; m++) {
    const parts: OnnxValue[] = []
    const coarseRows: OnnxValue[] = []
    groups.forEach((group, gi) => {
      const w = groupWeights(params, dims, layout, group, m, 1) // [C_g, H1]
      let part = precision === 'int8' ? quantisedMatMul(g, quantised[gi], w, group.channels, H1) : g.matMul(features[gi], g.constant(w, [group.channels, H1]))
      if (gi === coarsest) part = g.add(part, g.constant(params.b1.subarray(m * H1, (m + 1) * H1), [H1], `m${m}.l1.bias`))
      const c = coarse.indexOf(gi)
      if (c >= 0) coarseRows.push(g.matMul(coarseX[c], part)) // [N, h, W, H1]: upsampled along x
      else if (group.height !== H || group.width !== W) parts.push(g.resize(part, { mode: 'linear', scales: [1, H / group.height, W / group.width, 1] }))
      else parts.push(part)
    })
    if (coarseY) {
      // Along y, every coarse group at once: [H, Σh] × [N, Σh, W·H1].
      const rows = coarseRows.length === 1 ? coarseRows[0] : g.concat(coarseRows, 1)
      parts.push(g.reshape(g.matMul(coarseY, g.reshape(rows, [0, -1, W * H1])), [0, H, W, H1]))
    }
    const hidden1 = g.relu(parts.length === 1 ? parts[0] : g.node('Sum', parts)[0]) // [N, H, W, H1]
    const l2 = foldBatchNorm(params.w2.subarray(m * H1 * H2, (m + 1) * H1 * H2), params.b2.subarray(m * H2, (m + 1) * H2), bnSlice(params, 1, m, H1), H1, H2)
    const hidden2 = g.relu(g.add(g.matMul(hidden1, g.constant(l2.w, [H1, H2], `m${m}.l2.weight`)), g.constant(l2.b, [H2], `m${m}.l2.bias`)))
    const l3 = foldBatchNorm(params.w3.subarray(m * H2 * K, (m + 1) * H2 * K), params.b3.subarray(m * K, (m + 1) * K), bnSlice(params, 2, m, H2), H2, K)
    logits.push(g.unsqueeze(g.add(g.matMul(hidden2, g.constant(l3.w, [H2, K], `m${m}.l3.weight`)), g.constant(l3.b, [K], `m${m}.l3.bias`)), [1]))
  }
  const probs = g.softmax(logits.length === 1 ? logits[0] : g.concat(logits, 1), 4) // [N, M, H, W, K]
  if (options.probs !== false) g.output(g.transpose(probs, [0, 1, 4, 2, 3]), 'probs', ['N', M, K, H, W])

  // JS uncertainty.
  const plogp = (p: OnnxValue): OnnxValue => g.mul(p, g.log(g.clip(p, P_LOG_FLOOR)))
  const mean = g.reduceMean(probs, [1], false) // [N, H, W, K]
  const entropyOfMean = g.neg(g.reduceSum(plogp(mean), [3], false)) // [N, H, W]
  const meanEntropy = g.neg(g.reduceMean(g.reduceSum(plogp(probs), [4], false), [1], false)) // [N, H, W]
  g.output(g.sub(entropyOfMean, meanEntropy), 'uncertainty', ['N', H, W])

  // Majority vote: one-hot of each member's argmax, summed over members, argmax (first max wins).
  const argmax = g.argMax(probs, 4, true) // [N, M, H, W, 1] int64
  const classes = g.constantInt64(Array.from({ length: K }, (_, k) => k), [K])
  const [hit] = g.node('Equal', [argmax, classes], [], { elemType: 'bool' })
  const votes = g.reduceSum(g.cast(hit, 'float32'), [1], false) // [N, H, W, K]
  g.output(g.cast(g.argMax(votes, 3, false), 'uint8'), 'mask', ['N', H, W])
  return g.build()
}

/**
 * The resolution groups upsampled by dense interpolation matrices instead of Resize: the ones at
 * 1/8 of the mask size or less. Their upsampled partial sums are formed by two MatMuls (x per
 * group, then y for all of them together) into ONE mask-size tensor, which saves a Resize and a
 * full-size Sum input per group; the dense y matrix costs Σh multiply-adds per output value
 * (4 + 8 + 16 + 32 = 60 at 256²). Measured at anchor scale: 1/8 beats 1/16 (~5 %) and 1/4 (the
 * 64² maps too, Σh = 124) is slower again.
 */
function coarseGroups(groups: readonly ResolutionGroup[], H: number, W: number): number[] {
  const out: number[] = []
  groups.forEach((group, gi) => {
    if (group.height * 8 <= H && group.width * 8 <= W) out.push(gi)
  })
  return out
}

/** Bilinear (align_corners = false) upsampling from `inSize` to `outSize` samples as a dense [outSize, inSize] matrix. */
export function interpolationMatrix(inSize: number, outSize: number): Float32Array {
  const taps = axisTaps(inSize, outSize)
  const m = new Float32Array(outSize * inSize)
  for (let o = 0; o < outSize; o++) {
    m[o * inSize + taps.lo[o]] += 1 - taps.w[o]
    m[o * inSize + taps.hi[o]] += taps.w[o]
  }
  return m
}

/** Places [rows, n_i] matrices side by side: [rows, Σ n_i]. */
function concatColumns(matrices: readonly Float32Array[], rows: number): Float32Array {
  const widths = matrices.map((a) => a.length / rows)
  const total = widths.reduce((a, b) => a + b, 0)
  const out = new Float32Array(rows * total)
  let offset = 0
  matrices.forEach((a, i) => {
    for (let r = 0; r < rows; r++) out.set(a.subarray(r * widths[i], (r + 1) * widths[i]), r * total + offset)
    offset += widths[i]
  })
  return out
}

interface BatchNormParams {
  gamma: Float32Array
  beta: Float32Array
  mean: Float32Array
  variance: Float32Array
}

function bnSlice(params: EnsembleParams, layer: 1 | 2, m: number, n: number): BatchNormParams {
  const s = (a: Float32Array) => a.subarray(m * n, (m + 1) * n)
  return layer === 1
    ? { gamma: s(params.g1), beta: s(params.be1), mean: s(params.rm1), variance: s(params.rv1) }
    : { gamma: s(params.g2), beta: s(params.be2), mean: s(params.rm2), variance: s(params.rv2) }
}

/**
 * Folds an inference BatchNorm on a Linear's input into the Linear: for y = BN(x)·w + b with
 * BN(x) = s⊙x + t (s = γ/√(σ² + ε), t = β − μ·s), returns w' = diag(s)·w and b' = b + t·w.
 * `w` is [n_in, n_out] row-major, as are the results.
 */
export function foldBatchNorm(w: Float32Array, b: Float32Array, bn: BatchNormParams, nIn: number, nOut: number): { w: Float32Array; b: Float32Array } {
  const wOut = new Float32Array(nIn * nOut)
  const bias = Float64Array.from(b)
  for (let i = 0; i < nIn; i++) {
    const scale = bn.gamma[i] / Math.sqrt(bn.variance[i] + BN_EPSILON)
    const shift = bn.beta[i] - bn.mean[i] * scale
    for (let j = 0; j < nOut; j++) {
      const v = w[i * nOut + j]
      wOut[i * nOut + j] = v * scale
      bias[j] += shift * v
    }
  }
  return { w: wOut, b: Float32Array.from(bias) }
}

/** [.., C] (already DynamicQuantizeLinear'd: value, scale, zero point) × w [C, n] → float [.., n]. */
function quantisedMatMul(g: OnnxBuilder, [x, xScale, xZeroPoint]: OnnxValue[], w: Float32Array, C: number, n: number): OnnxValue {
  const q = new Int8Array(C * n)
  const scale = new Float32Array(n)
  for (let j = 0; j < n; j++) {
    let max = 0
    for (let c = 0; c < C; c++) max = Math.max(max, Math.abs(w[c * n + j]))
    scale[j] = max > 0 ? max / INT8_WEIGHT_MAX : 1
    for (let c = 0; c < C; c++) q[c * n + j] = Math.round(w[c * n + j] / scale[j])
  }
  return g.node('MatMulIntegerToFloat', [x, g.initializer(q, [C, n]), xScale, g.constant(scale), xZeroPoint], [], { elemType: 'float32', domain: 'com.microsoft' })[0]
}
