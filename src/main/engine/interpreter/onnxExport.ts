// ONNX export of a trained ensemble, for dataset generation in onnxruntime.
//
// Inputs: the generator's feature maps at their native resolutions, named as in the generator
// manifest, NCHW float32 with a symbolic batch N. Outputs:
//   mask        [N, H, W] uint8   per-pixel majority vote (ties → smallest class id)
//   uncertainty [N, H, W] float32 JS divergence H(mean p) − mean H(p), nats
//   probs       [N, M, K, H, W]   every member's softmax (optional)
//
// The first layer uses the partial-sum identity W·up(F) = up(W·F): the maps of one resolution
// are concatenated and multiplied by their rows of W at native resolution; only the H1-wide
// partial sums are upsampled (bilinear, half_pixel = align_corners=False) and added.
//
// Layout, chosen by measurement (bench/dataset.ts, docs/interpreter.md "ONNX export"):
// - Pixels × channels (NHWC). The features are transposed once; every layer is then a product
//   over the channel axis.
// - One member at a time, and within a member one block of 16 output rows at a time (rowBlocks):
//   every pass of a block (the mask-size product, the upsampled partial sums, ReLU, layers 2
//   and 3) works on a few MiB that stay in cache, where a whole member's activations at mask
//   size are 32 MiB that each pass read back from memory (an ensemble-wide 1280-channel tensor,
//   335 MiB, made every pass memory-bound and the process 6 GiB). Measured at anchor scale, one
//   thread: ~8 % (fp32) to ~17 % (int8) less time per sample than whole-member passes, same
//   bytes out.
// - The upsampled partial sums are added without a Sum node: the block's mask-size product is
//   the running sum, and ONE onnxruntime FusedConv (com.microsoft) adds every coarser group into
//   it in place (MLAS accumulates with beta = 1) and applies the ReLU. Rows act as channels
//   ([N, rows, 1, W·H1]), so a 1×1 convolution is a product along y; x is upsampled before it
//   (Resize, or a dense matrix for the coarse maps). The y weights are banded: a block reads
//   only the source rows its output rows need (sliced at native resolution, before the x step):
//   Σ_groups (16/scale + 2) = 27 multiply-adds per value at 256² instead of Σh = 252.
// - BatchNorm (inference) follows ReLU, so it is folded into the next Linear at export
//   (computed in float64): W' = diag(γ/σ)·W, b' = b + (β − μγ/σ)·W. Layers 2–3 are 2-D Gemms
//   (bias and ReLU fused by onnxruntime).
// - The first-layer bias is added to the coarsest map's partial sums before upsampling
//   (bilinear weights sum to 1), so the full-size sum has no broadcast input (when every map is
//   at mask size, to the product itself).
// - precision 'int8' (opt-in): the first layer's MatMuls run as MatMulIntegerToFloat with the
//   activations quantised per tensor by DynamicQuantizeLinear (uint8) and the weights per
//   output column to 7 bits (±63 — AVX2 without VNNI multiplies u8×s8 pairs into int16,
//   which 8-bit weights could saturate). Not exact: see docs/interpreter.md for the measured
//   share of voted pixels that change.
// FusedConv and MatMulIntegerToFloat are onnxruntime contrib ops: the graph is for onnxruntime.
import { OnnxBuilder, type OnnxValue } from '../onnx/builder'
import { groupWeights, resolutionGroups } from './inference'
import { axisTaps, type AxisTaps, type FeatureLayout } from './layout'
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
  // Each resolution group's features, concatenated: [N, C_g, h, w].
  const grouped = groups.map((group) => (group.maps.length === 1 ? inputs[group.maps[0]] : g.concat(group.maps.map((i) => inputs[i]), 1)))
  const channelsLast = (x: OnnxValue): OnnxValue => g.transpose(x, [0, 2, 3, 1]) // [N, h, w, C_g]
  // int8 quantises before the transpose (one scale per tensor, so the order does not matter):
  // the transpose then moves bytes instead of floats, a quarter of the memory traffic.
  const features = precision === 'int8' ? [] : grouped.map(channelsLast)
  const quantised =
    precision === 'int8'
      ? grouped.map((x) => {
          const [q, scale, zeroPoint] = g.node('DynamicQuantizeLinear', [x], [], { outputs: 3, elemType: ['uint8', 'float32', 'uint8'] })
          return [channelsLast(q), scale, zeroPoint]
        })
      : []
  const native = groups.findIndex((group) => group.height === H && group.width === W)
  const blocks = rowBlocks(H)
  const per = H / blocks // output rows per block
  // Small int64 inputs (slice bounds, shapes), one initializer per distinct list: the same
  // lists recur in every member and block.
  const intConstants = new Map<string, OnnxValue>()
  const ints = (values: readonly number[]): OnnxValue => {
    const key = values.join(',')
    let value = intConstants.get(key)
    if (!value) intConstants.set(key, (value = g.constantInt64(values)))
    return value
  }
  // The coarser groups: the source rows each block reads, and how x is upsampled.
  const coarser = groups.flatMap((group, gi) => {
    if (gi === native) return []
    const xStep: XStep = usesXMatrix(group.width, W)
      ? { kind: 'matrix', matrix: g.constant(interpolationMatrix(group.width, W), [W, group.width]) }
      : group.width === W
        ? { kind: 'none' }
        : { kind: 'resize', scales: g.constant([1, W / group.width, 1, 1]), shape: ints([-1, group.width, 1, H1]) }
    const band = rowBands(group.height, H, blocks)
    return [{ gi, band, xStep }]
  })
  // The first-layer bias rides on the coarsest group's partial sums (see the header); -1: none.
  const area = (gi: number): number => groups[gi].height * groups[gi].width
  const coarsest = coarser.reduce((best, c) => (best < 0 || area(c.gi) < area(best) ? c.gi : best), -1)
  const bandWidth = coarser.reduce((s, c) => s + c.band.rows, 0) // Σk: source rows per block
  const yWeights = coarser.length > 0 ? bandedYWeights(coarser.map((c) => c.band), H, blocks) : null // [H, Σk]
  const yBlocks = Array.from({ length: blocks }, (_, b) => (yWeights ? g.constant(yWeights.subarray(b * per * bandWidth, (b + 1) * per * bandWidth), [per, bandWidth, 1, 1]) : null))
  // The mask-size features, block by block of rows ([N, per, W, C]; onnxruntime makes one Split of it).
  // What a group's first-layer product reads: its features, or their DynamicQuantizeLinear'd values at int8.
  const sourceOf = (gi: number): OnnxValue => (precision === 'int8' ? quantised[gi][0] : features[gi])
  const nativeSource = native < 0 ? null : sourceOf(native)
  const nativeRows = nativeSource ? Array.from({ length: blocks }, (_, b) => g.slice(nativeSource, ints([b * per]), ints([(b + 1) * per]), ints([1]))) : []

  const logits: OnnxValue[] = []
  for (let m = 0; m < M; m++) {
    const productWith = (gi: number) => firstLayerProduct(g, groupWeights(params, dims, layout, groups[gi], m, 1), groups[gi].channels, H1, precision === 'int8' ? quantised[gi] : null)
    const b1 = g.constant(params.b1.subarray(m * H1, (m + 1) * H1), [H1], `m${m}.l1.bias`)
    // The coarser groups' partial sums at native resolution ([N, h, w, H1]).
    const partials = coarser.map(({ gi }) => {
      const part = productWith(gi)(sourceOf(gi))
      return gi === coarsest ? g.add(part, b1) : part
    })
    const nativeProduct = native < 0 ? null : productWith(native) // applied block by block
    const l2 = foldBatchNorm(params.w2.subarray(m * H1 * H2, (m + 1) * H1 * H2), params.b2.subarray(m * H2, (m + 1) * H2), bnSlice(params, 1, m, H1), H1, H2)
    const l2w = g.constant(l2.w, [H1, H2], `m${m}.l2.weight`)
    const l2b = g.constant(l2.b, [H2], `m${m}.l2.bias`)
    const l3 = foldBatchNorm(params.w3.subarray(m * H2 * K, (m + 1) * H2 * K), params.b3.subarray(m * K, (m + 1) * K), bnSlice(params, 2, m, H2), H2, K)
    const l3w = g.constant(l3.w, [H2, K], `m${m}.l3.weight`)
    const l3b = g.constant(l3.b, [K], `m${m}.l3.bias`)

    const blockLogits: OnnxValue[] = []
    for (let b = 0; b < blocks; b++) {
      const sum = nativeProduct ? nativeProduct(nativeRows[b]) : null // [N, per, W, H1]
      let hidden1: OnnxValue // [N·per·W, H1]
      if (yBlocks[b]) {
        // Per coarser group: the source rows this block reads ([N, k, w, H1]), upsampled along x, as [N, k, 1, W·H1].
        const pieces = coarser.map(({ band, xStep }, i) => {
          const start = band.start[b]
          const picked = g.slice(partials[i], ints([start]), ints([start + band.rows]), ints([1]))
          const alongX =
            xStep.kind === 'matrix' ? g.matMul(xStep.matrix, picked) : xStep.kind === 'resize' ? g.resize(g.reshape(picked, xStep.shape), { mode: 'linear', scales: xStep.scales }) : picked
          // The batch dim stays the symbolic N (the Resize path flattens it), so that onnxruntime
          // can prove the convolution's output the size of `sum` and accumulate in place.
          return g.declareShape(g.reshape(alongX, ints([-1, band.rows, 1, W * H1])), ['N', band.rows, 1, W * H1])
        })
        const x = pieces.length === 1 ? pieces[0] : g.concat(pieces, 1) // [N, Σk, 1, W·H1]
        hidden1 = g.reshape(g.fusedConv(x, yBlocks[b]!, null, { sum: sum ? g.reshape(sum, ints([0, per, 1, W * H1])) : null, activation: 'Relu' }), ints([-1, H1]))
      } else hidden1 = g.relu(g.add(g.reshape(sum!, ints([-1, H1])), b1)) // every map at mask size: the bias goes here
      const hidden2 = g.relu(g.gemm(hidden1, l2w, l2b))
      blockLogits.push(g.reshape(g.gemm(hidden2, l3w, l3b), ints([-1, per, W, K])))
    }
    logits.push(g.reshape(blockLogits.length === 1 ? blockLogits[0] : g.concat(blockLogits, 1), [-1, 1, H, W, K]))
  }
  const probs = g.softmax(logits.length === 1 ? logits[0] : g.concat(logits, 1), 4) // [N, M, H, W, K]
  if (options.probs !== false) g.output(g.transpose(probs, [0, 1, 4, 2, 3]), 'probs', ['N', M, K, H, W])

  // JS uncertainty.
  const plogp = (p: OnnxValue): OnnxValue => g.mul(p, g.log(g.clip(p, P_LOG_FLOOR)))
  const mean = g.reduceMean(probs, [1], false) // [N, H, W, K]
  const entropyOfMean = g.neg(g.reduceSum(plogp(mean), [3], false)) // [N, H, W]
  const meanEntropy = g.neg(g.reduceMean(g.reduceSum(plogp(probs), [4], false), [1], false)) // [N, H, W]
  g.output(g.sub(entropyOfMean, meanEntropy), 'uncertainty', ['N', H, W])

  // Majority vote: one-hot of each member's argmax (rows of the identity, gathered: a third of
  // the time of comparing with every class id), summed over members, argmax (first max wins).
  const argmax = g.argMax(probs, 4, false) // [N, M, H, W] int64
  const identity = g.constant(Float32Array.from({ length: K * K }, (_, i) => (i % (K + 1) === 0 ? 1 : 0)), [K, K])
  const votes = g.reduceSum(g.gather(identity, argmax, 0), [1], false) // [N, H, W, K]
  g.output(g.cast(g.argMax(votes, 3, false), 'uint8'), 'mask', ['N', H, W])
  return g.build()
}

/** Output rows per block of the banded y upsampling (measured at 256²: 16 beats 8 and 32). */
const ROWS_PER_BLOCK = 16

/** Number of row blocks: the largest divisor of H that leaves at least ROWS_PER_BLOCK rows per block. */
export function rowBlocks(H: number): number {
  for (let b = Math.floor(H / ROWS_PER_BLOCK); b > 1; b--) if (H % b === 0) return b
  return 1
}

/** The source rows of one map group that each block of output rows reads. */
export interface RowBands {
  /** Source rows per block (k). */
  rows: number
  /** First source row of each block; its k rows are start … start + k − 1 (all within the map). */
  start: number[]
  taps: AxisTaps
}

/** Bands for upsampling `inSize` rows to `outSize` in `blocks` equal blocks of output rows. */
export function rowBands(inSize: number, outSize: number, blocks: number): RowBands {
  const taps = axisTaps(inSize, outSize)
  const per = outSize / blocks
  const first: number[] = []
  let rows = 0
  for (let b = 0; b < blocks; b++) {
    let lo = inSize
    let hi = 0
    for (let o = b * per; o < (b + 1) * per; o++) {
      lo = Math.min(lo, taps.lo[o])
      hi = Math.max(hi, taps.hi[o])
    }
    first.push(lo)
    rows = Math.max(rows, hi - lo + 1)
  }
  return { rows, start: first.map((lo) => Math.min(lo, inSize - rows)), taps }
}

/**
 * Weights of the 1×1 convolutions that upsample along y: [outSize, Σk] — output row o (in
 * block b) reads its two taps among block b's source rows of every group, side by side. Block
 * b's convolution takes rows b·per … (b + 1)·per − 1.
 */
export function bandedYWeights(bands: readonly RowBands[], outSize: number, blocks: number): Float32Array {
  const width = bands.reduce((s, band) => s + band.rows, 0)
  const per = outSize / blocks
  const w = new Float32Array(outSize * width)
  let offset = 0
  for (const band of bands) {
    for (let o = 0; o < outSize; o++) {
      const base = o * width + offset - band.start[Math.floor(o / per)]
      w[base + band.taps.lo[o]] += 1 - band.taps.w[o]
      w[base + band.taps.hi[o]] += band.taps.w[o]
    }
    offset += band.rows
  }
  return w
}

/**
 * Along x, the coarse maps (≤ 1/8 of the mask width) and non-integer ratios are upsampled by a
 * dense [W, w] matrix (w multiply-adds per value, exact output size); the others by Resize.
 */
function usesXMatrix(w: number, W: number): boolean {
  return w * 8 <= W || W % w !== 0
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

/**
 * How a coarser group's partial sums [N, rows, w, H1] are upsampled along x (see usesXMatrix):
 * not at all (w = W), by a dense [W, w] matrix, or by a bilinear Resize of them reshaped to
 * [N·rows, w, 1, H1] with scales [1, W/w, 1, 1], the shape for which onnxruntime takes its
 * channels-last path (with scales [1, 1, s, 1] it takes the NCHW one, ~4× slower per value).
 */
type XStep = { kind: 'none' } | { kind: 'matrix'; matrix: OnnxValue } | { kind: 'resize'; scales: OnnxValue; shape: OnnxValue }

/**
 * x ↦ x·w for first-layer weights w [C, n] (one initializer, however often it is applied): a
 * MatMul, or with `quantised` (the input's DynamicQuantizeLinear outputs: value, scale, zero
 * point) a MatMulIntegerToFloat with w as 7-bit integers, one scale per output column (see
 * INT8_WEIGHT_MAX).
 */
function firstLayerProduct(g: OnnxBuilder, w: Float32Array, C: number, n: number, quantised: OnnxValue[] | null): (x: OnnxValue) => OnnxValue {
  if (!quantised) {
    const weight = g.constant(w, [C, n])
    return (x) => g.matMul(x, weight)
  }
  const q = new Int8Array(C * n)
  const scale = new Float32Array(n)
  for (let j = 0; j < n; j++) {
    let max = 0
    for (let c = 0; c < C; c++) max = Math.max(max, Math.abs(w[c * n + j]))
    scale[j] = max > 0 ? max / INT8_WEIGHT_MAX : 1
    for (let c = 0; c < C; c++) q[c * n + j] = Math.round(w[c * n + j] / scale[j])
  }
  const weight = g.initializer(q, [C, n])
  const weightScale = g.constant(scale)
  const [, xScale, xZeroPoint] = quantised
  return (x) => g.node('MatMulIntegerToFloat', [x, weight, xScale, weightScale, xZeroPoint], [], { elemType: 'float32', domain: 'com.microsoft' })[0]
}
