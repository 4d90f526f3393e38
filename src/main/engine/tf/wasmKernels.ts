// Kernels and gradients that make the TensorFlow.js wasm backend usable for training.
//
// Registered once from initTf when wasm is chosen (registerWasmKernels is idempotent):
//
// * Conv2DBackpropFilter – missing on wasm, so every conv2d training step failed. Built as
//   im2col written straight into the wasm heap + one untransposed XNNPACK matmul.
// * Conv2DBackpropInput – replaces the stock wasm kernel (a scalar loop) with zero insertion
//   (stride) + border padding + a stride-1 XNNPACK convolution with the spatially flipped,
//   in/out-swapped filter.
// * BatchMatMul / _FusedMatMul – the stock wasm kernels only reach XNNPACK when
//   transposeA = transposeB = false; with either flag set they fall to a slow loop. The
//   replacements materialise the transposes (wasm Transpose kernel) and call the stock kernel
//   with both flags false. This also covers tf.fused.matMul, whose gradient (a customGrad in
//   tfjs-core) issues transposed matmuls that no gradient registration can reach.
// * Tile – the stock wasm kernel is ~40× slower than a broadcasting add; tf.broadcastTo runs on
//   Tile, so every broadcast (and tfjs's own reduction gradients) paid for it. Replaced by
//   add(reshape(x), zeros(target)) with the shape folded to rank ≤ 6 – trap: wasm binary ops
//   with broadcasting above rank 6 print an XNNPACK setup error and return garbage – else stock.
// * ResizeNearestNeighborGrad / ResizeBilinearGrad / AvgPoolGrad / MaxPoolGrad – the stock
//   wasm kernels compute wrong gradients (details at registerGradKernelFixes); replaced by JS
//   versions. The cpu backend's resize and avg-pool gradients are broken too and get the same
//   replacements, since cpu is the fallback backend (and the reference in tests).
// * BatchMatMul gradient – overridden with one that, on wasm, issues only untransposed matmuls
//   on physically transposed tensors (registerGradient simply replaces the registry entry; it
//   only warns when the DEBUG flag is on). On other backends it uses the transpose flags.
//
// The kernels fill buffers in the wasm heap with plain JS loops where wasm's own data-movement
// kernels (slice/concat/pad of rank > 4) are slow, and otherwise call tf ops. Ops called inside
// a kernel function run on the active backend and are not recorded on the gradient tape (the
// engine only tapes at kernel depth 0); intermediates are released with tidy.
import type { DataId, DataType, KernelConfig, NamedAttrMap, Tensor, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core'
import { batchMatMulGradConfig } from './gradients'
import type { Tf } from './types'

const WASM = 'wasm'

type Pad = 'valid' | 'same' | number | [[number, number], [number, number], [number, number], [number, number]]
type Rounding = 'floor' | 'round' | 'ceil' | undefined

export type ConvBackpropInputMode = 'stock' | 'rewritten'
export type MatMulKernelMode = 'stock' | 'transposing'
export type MatMulGradientMode = 'flags' | 'explicit'
export type TileMode = 'stock' | 'broadcast'

export interface WasmKernelModes {
  conv2dBackpropInput: ConvBackpropInputMode
  matMulKernel: MatMulKernelMode
  matMulGradient: MatMulGradientMode
  tile: TileMode
}

export const DEFAULT_WASM_KERNEL_MODES: WasmKernelModes = {
  conv2dBackpropInput: 'rewritten',
  matMulKernel: 'transposing',
  matMulGradient: 'explicit',
  tile: 'broadcast'
}

export interface WasmKernelReport {
  /** Kernels that wasm lacked and that were added. */
  added: string[]
  /** Stock wasm kernels replaced by faster compositions. */
  replaced: string[]
  /** Stock wasm kernels replaced because they compute wrong results. */
  fixed: string[]
  /** Gradients registered (overriding any existing entry). */
  gradients: string[]
  modes: WasmKernelModes
}

interface State {
  stock: Map<string, KernelConfig>
  ours: Map<string, KernelConfig>
  modes: WasmKernelModes
}

let state: State | null = null

/** Tunables. im2colMaxFloats: largest im2col buffer Conv2DBackpropFilter allocates at once
 * (floats; default 2^24 = 64 MB). Mutable so tests can force the chunked path. */
export const wasmKernelLimits = { im2colMaxFloats: 1 << 24 }

/** The parts of the wasm backend object the kernels below use. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: DataType): TensorInfo
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array
  incRef(dataId: DataId): void
}

function asTensor(tf: Tf, t: TensorInfo | undefined, backend?: WasmBackendLike): Tensor {
  if (t == null) throw new Error('wasm training kernel: missing input')
  if (t instanceof tf.Tensor) return t
  // A bare TensorInfo (a kernel calling us directly): wrap it with its own reference so that
  // disposing the wrapper leaves the caller's data alone.
  backend?.incRef(t.dataId)
  return tf.engine().makeTensorFromTensorInfo(t)
}

/** A float32 buffer in the wasm heap, wrapped as a Tensor once filled. */
function heapBuffer(tf: Tf, backend: WasmBackendLike, shape: number[]): { info: TensorInfo; wrap: () => Tensor } {
  const info = backend.makeOutput(shape, 'float32')
  return { info, wrap: () => tf.engine().makeTensorFromTensorInfo(info) }
}

function heapF32(backend: WasmBackendLike, info: TensorInfo): Float32Array {
  const a = backend.typedArrayFromHeap(info)
  if (!(a instanceof Float32Array)) throw new Error(`wasm training kernel: expected float32 data, got ${info.dtype}`)
  return a
}

function requireNHWC(kernel: string, dataFormat: unknown): void {
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports dataFormat 'NHWC' only (got '${String(dataFormat)}')`)
  }
}

/**
 * dW[kh, kw, ci, co] = Σ_{n,i,j} x[n, i·sh - top + kh, j·sw - left + kw, ci] · dy[n, i, j, co]
 * (out-of-range x reads are the zero padding).
 *
 * im2col is written straight into the wasm heap, already transposed, as cols[K = kh·kw·Cin,
 * M = N·Ho·Wo]; then dW = cols · dy[M, Cout] is one untransposed XNNPACK matmul whose packed
 * ("weights") operand is the small dy. Trap: XNNPACK packs the right-hand operand on every call
 * for a new tensor, so cols (large) must be the left operand – dyᵀ·colsᵀ was 5–10× slower.
 * Composing im2col from wasm slice/concat/stridedSlice kernels was ~20× slower than these loops.
 */
export function conv2dBackpropFilterWasm(
  tf: Tf,
  backend: WasmBackendLike,
  x: TensorInfo,
  dy: TensorInfo,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding
): Tensor4D {
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast'
  )
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info
  const [n, h, w, cin] = x.shape
  const cout = filterShape[3]
  if (dy.shape[1] !== oh || dy.shape[2] !== ow || dy.shape[3] !== cout) {
    throw new Error(`Conv2DBackpropFilter: dy shape [${dy.shape}] does not match the convolution output [${n},${oh},${ow},${cout}]`)
  }
  const { top, left } = info.padInfo
  const m = n * oh * ow
  const k = fh * fw * cin
  // Output rows (n, i) are processed in chunks so the im2col buffer stays bounded (a 256×256×64
  // batch of 8 would otherwise need 1.2 GB); partial filter gradients are summed.
  const totalRows = n * oh
  const rowsPerChunk = Math.max(1, Math.floor(wasmKernelLimits.im2colMaxFloats / (k * ow)))
  const step = sw * cin
  return tf.tidy(() => {
    const dy2 = tf.reshape(asTensor(tf, dy, backend), [m, cout])
    let dw: Tensor | null = null
    for (let row0 = 0; row0 < totalRows; row0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, totalRows - row0)
      const mc = rows * ow
      const buf = heapBuffer(tf, backend, [k, mc])
      // Views are taken after the allocation: growing the heap detaches older views.
      const xs = heapF32(backend, x)
      const cols = heapF32(backend, buf.info)
      // cols[(kh·fw + kw)·Cin + ci, p] for output pixel p = (n, i, j) of the chunk. Written one
      // output row at a time so every inner loop stores Wo consecutive floats from one input row.
      for (let row = row0; row < row0 + rows; row++) {
        const b = Math.floor(row / oh)
        const i = row - b * oh
        const pxBase = (row - row0) * ow
        for (let kh = 0; kh < fh; kh++) {
          const r = i * sh - top + kh
          const rowOk = r >= 0 && r < h
          for (let kw = 0; kw < fw; kw++) {
            // Output columns j whose input column j·sw - left + kw lies inside the image.
            const jLo = Math.min(ow, Math.max(0, Math.ceil((left - kw) / sw)))
            const jHi = Math.min(ow - 1, Math.floor((w - 1 + left - kw) / sw))
            for (let ci = 0; ci < cin; ci++) {
              const dst = ((kh * fw + kw) * cin + ci) * mc + pxBase
              if (!rowOk || jHi < jLo) {
                cols.fill(0, dst, dst + ow)
                continue
              }
              if (jLo > 0) cols.fill(0, dst, dst + jLo)
              let src = ((b * h + r) * w + (jLo * sw - left + kw)) * cin + ci
              for (let jj = jLo; jj <= jHi; jj++, src += step) cols[dst + jj] = xs[src]
              if (jHi < ow - 1) cols.fill(0, dst + jHi + 1, dst + ow)
            }
          }
        }
      }
      const colsTensor = buf.wrap()
      const dyPart = mc === m ? dy2 : tf.slice(dy2, [row0 * ow, 0], [mc, cout])
      const part = tf.matMul(colsTensor, dyPart) // [K, Cout]
      colsTensor.dispose()
      dw = dw == null ? part : tf.add(dw, part)
    }
    return tf.reshape(dw as Tensor, [fh, fw, cin, cout]) as Tensor4D
  })
}

/**
 * dx[n, y, x, ci] = Σ dy[n, i, j, co] · W[kh, kw, ci, co] over y = i·sh - top + kh, x = j·sw - left + kw.
 * That is a stride-1 'valid' convolution, with the spatially flipped and in/out-swapped filter,
 * of dy spread onto a zero canvas of size (H + kh - 1) × (W + kw - 1) at rows kh-1-top + i·sh and
 * columns kw-1-left + j·sw (zero insertion for the stride plus the border padding). With stride 1
 * and no cropping the canvas is skipped and XNNPACK pads implicitly.
 */
export function conv2dBackpropInputWasm(
  tf: Tf,
  backend: WasmBackendLike,
  dyInfo: TensorInfo,
  filterInfo: TensorInfo,
  inputShape: [number, number, number, number],
  strides: number | [number, number],
  pad: Pad,
  dimRoundingMode?: Rounding
): Tensor4D {
  const filterShape = filterInfo.shape as [number, number, number, number]
  const info = tf.backend_util.computeConv2DInfo(inputShape, filterShape, strides, 1, pad, dimRoundingMode, false, 'channelsLast')
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info
  const [n, h, w] = inputShape
  const [, oh, ow, cout] = dyInfo.shape
  const { top, left } = info.padInfo
  const padT = fh - 1 - top
  const padL = fw - 1 - left
  const canvasH = h + fh - 1
  const canvasW = w + fw - 1
  const padB = canvasH - padT - ((oh - 1) * sh + 1)
  const padR = canvasW - padL - ((ow - 1) * sw + 1)
  // [kh, kw, Cin, Cout] → flipped in space, [kh, kw, Cout, Cin]; call inside a tidy.
  const flip = (): Tensor4D =>
    tf.transpose(tf.reverse(asTensor(tf, filterInfo, backend), [0, 1]), [0, 1, 3, 2]) as Tensor4D

  if (sh === 1 && sw === 1 && padT >= 0 && padL >= 0 && padB >= 0 && padR >= 0) {
    return tf.tidy(() =>
      tf.conv2d(asTensor(tf, dyInfo, backend) as Tensor4D, flip(), 1, [
        [0, 0],
        [padT, padB],
        [padL, padR],
        [0, 0]
      ])
    )
  }
  const buf = heapBuffer(tf, backend, [n, canvasH, canvasW, cout])
  const dys = heapF32(backend, dyInfo)
  const canvas = heapF32(backend, buf.info)
  canvas.fill(0)
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      const r = padT + i * sh
      if (r < 0 || r >= canvasH) continue // rows that only feed padding
      for (let j = 0; j < ow; j++) {
        const c = padL + j * sw
        if (c < 0 || c >= canvasW) continue
        const src = ((b * oh + i) * ow + j) * cout
        canvas.set(dys.subarray(src, src + cout), ((b * canvasH + r) * canvasW + c) * cout)
      }
    }
  }
  const spread = buf.wrap() as Tensor4D
  try {
    return tf.tidy(() => tf.conv2d(spread, flip(), 1, 'valid'))
  } finally {
    spread.dispose()
  }
}

// ---------------------------------------------------------------------------------------------
// Resize gradients. Both stock implementations are wrong in ways that matter for training:
//   wasm ResizeNearestNeighborGrad / ResizeBilinearGrad ignore halfPixelCenters;
//   cpu ResizeNearestNeighborGrad mixes up batch strides (wrong sums, NaN for batch > 1) and
//   ignores halfPixelCenters; cpu ResizeBilinearGrad returns shape [N, W, H, C] (crashes the
//   backward pass for non-square images) and ignores halfPixelCenters.
// The replacements below are plain JS over the dy values (O(size of dy)).

interface ResizeAttrs {
  alignCorners: boolean
  halfPixelCenters: boolean
}

function resizeScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize
}

/** For each output row (or column) of a bilinear resize: the two source indices and weights. */
export function bilinearTaps(
  inSize: number,
  outSize: number,
  { alignCorners, halfPixelCenters }: ResizeAttrs
): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const scale = resizeScale(inSize, outSize, alignCorners)
  const lo = new Int32Array(outSize)
  const hi = new Int32Array(outSize)
  const frac = new Float64Array(outSize)
  for (let o = 0; o < outSize; o++) {
    const p = halfPixelCenters ? scale * (o + 0.5) - 0.5 : scale * o
    const f = Math.max(0, Math.floor(p))
    lo[o] = Math.min(f, inSize - 1)
    hi[o] = Math.min(inSize - 1, Math.ceil(p))
    frac[o] = p - f
  }
  return { lo, hi, frac }
}

const nearestMapCache = new Map<string, Int32Array>()

/**
 * Source index of every output row (or column) of a nearest-neighbour resize, read off the active
 * backend's own forward kernel applied to an index image, so that the gradient always matches
 * the forward pass exactly (floor/round at exact boundaries included).
 */
function nearestMap(tf: Tf, inSize: number, outSize: number, attrs: ResizeAttrs, axis: 'rows' | 'cols'): Int32Array {
  const key = `${tf.getBackend()}:${axis}:${inSize}:${outSize}:${attrs.alignCorners}:${attrs.halfPixelCenters}`
  let map = nearestMapCache.get(key)
  if (map == null) {
    const values = tf.tidy(() => {
      const idx = tf.range(0, inSize, 1, 'float32')
      const img = axis === 'rows' ? tf.reshape(idx, [1, inSize, 1, 1]) : tf.reshape(idx, [1, 1, inSize, 1])
      const size: [number, number] = axis === 'rows' ? [outSize, 1] : [1, outSize]
      return tf.image.resizeNearestNeighbor(img as Tensor4D, size, attrs.alignCorners, attrs.halfPixelCenters).dataSync()
    })
    map = Int32Array.from(values, (v) => Math.round(v))
    if (nearestMapCache.size > 256) nearestMapCache.clear()
    nearestMapCache.set(key, map)
  }
  return map
}

function readFloats(tf: Tf, backend: unknown, t: TensorInfo): ArrayLike<number> {
  const values = (backend as { readSync(dataId: DataId): unknown }).readSync(t.dataId)
  if (values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array) return values
  return asTensor(tf, t).dataSync()
}

function resizeGradKernel(tf: Tf, kernelName: string, backendName: string, mode: 'nearest' | 'bilinear'): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { images, dy } = inputs
      if (images == null || dy == null) throw new Error(`${kernelName}: missing input`)
      const a = attrs as unknown as ResizeAttrs
      const ra: ResizeAttrs = { alignCorners: a.alignCorners === true, halfPixelCenters: a.halfPixelCenters === true }
      const [n, inH, inW, c] = images.shape
      const [, outH, outW] = dy.shape
      const g = readFloats(tf, backend, dy)
      const dx = new Float32Array(n * inH * inW * c)
      if (mode === 'nearest') {
        const rows = nearestMap(tf, inH, outH, ra, 'rows')
        const cols = nearestMap(tf, inW, outW, ra, 'cols')
        let src = 0
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < outH; y++) {
            const rowBase = (b * inH + rows[y]) * inW
            for (let x = 0; x < outW; x++) {
              const dst = (rowBase + cols[x]) * c
              for (let q = 0; q < c; q++) dx[dst + q] += g[src++]
            }
          }
        }
      } else {
        const ry = bilinearTaps(inH, outH, ra)
        const rx = bilinearTaps(inW, outW, ra)
        let src = 0
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < outH; y++) {
            const fy = ry.frac[y]
            const top = (b * inH + ry.lo[y]) * inW
            const bot = (b * inH + ry.hi[y]) * inW
            for (let x = 0; x < outW; x++) {
              const fx = rx.frac[x]
              const tl = (top + rx.lo[x]) * c
              const tr = (top + rx.hi[x]) * c
              const bl = (bot + rx.lo[x]) * c
              const br = (bot + rx.hi[x]) * c
              const wtl = (1 - fy) * (1 - fx)
              const wtr = (1 - fy) * fx
              const wbl = fy * (1 - fx)
              const wbr = fy * fx
              for (let q = 0; q < c; q++) {
                const v = g[src++]
                dx[tl + q] += v * wtl
                dx[tr + q] += v * wtr
                dx[bl + q] += v * wbl
                dx[br + q] += v * wbr
              }
            }
          }
        }
      }
      return tf.tensor4d(dx, [n, inH, inW, c], 'float32')
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pooling gradients.
//   AvgPoolGrad (wasm and cpu) divides by the full window size, but the forward pass averages
//   only the in-image pixels, so with 'same' padding the border gradients are wrong.
//   MaxPoolGrad on wasm routes gradients to wrong positions (cpu is right).

interface PoolAttrs {
  filterSize: number | [number, number]
  strides: number | [number, number]
  pad: 'valid' | 'same' | number
  dimRoundingMode?: Rounding
}

function poolGradKernel(tf: Tf, kernelName: 'AvgPoolGrad' | 'MaxPoolGrad', backendName: string): KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { dy, input } = inputs
      if (dy == null || input == null) throw new Error(`${kernelName}: missing input`)
      const a = attrs as unknown as PoolAttrs
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        a.filterSize,
        a.strides,
        1,
        a.pad,
        a.dimRoundingMode
      )
      const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info
      const { top, left } = info.padInfo
      const [n, h, w, c] = input.shape
      const g = readFloats(tf, backend, dy)
      const x = kernelName === 'MaxPoolGrad' ? readFloats(tf, backend, input) : null
      const dx = new Float32Array(n * h * w * c)
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < oh; i++) {
          const r0 = Math.max(0, i * sh - top)
          const r1 = Math.min(h, i * sh - top + fh)
          for (let j = 0; j < ow; j++) {
            const c0 = Math.max(0, j * sw - left)
            const c1 = Math.min(w, j * sw - left + fw)
            const count = Math.max(0, r1 - r0) * Math.max(0, c1 - c0)
            if (count === 0) continue
            const o = ((b * oh + i) * ow + j) * c
            for (let q = 0; q < c; q++) {
              const v = g[o + q]
              if (x == null) {
                const share = v / count
                for (let r = r0; r < r1; r++) {
                  for (let cc = c0; cc < c1; cc++) dx[((b * h + r) * w + cc) * c + q] += share
                }
              } else {
                // First maximum in window scan order, as TensorFlow routes it.
                let best = -Infinity
                let at = -1
                for (let r = r0; r < r1; r++) {
                  for (let cc = c0; cc < c1; cc++) {
                    const idx = ((b * h + r) * w + cc) * c + q
                    if (x[idx] > best || at < 0) {
                      best = x[idx]
                      at = idx
                    }
                  }
                }
                dx[at] += v
              }
            }
          }
        }
      }
      return tf.tensor4d(dx, [n, h, w, c], 'float32')
    }
  }
}

/** Stock gradient kernels that compute wrong results, per backend (see the notes above). */
const BROKEN_GRAD_KERNELS: Record<string, string[]> = {
  wasm: ['ResizeNearestNeighborGrad', 'ResizeBilinearGrad', 'AvgPoolGrad', 'MaxPoolGrad'],
  cpu: ['ResizeNearestNeighborGrad', 'ResizeBilinearGrad', 'AvgPoolGrad']
}

/**
 * Replace the broken stock gradient kernels of a backend ('wasm' or 'cpu') with the JS versions
 * above. Idempotent; returns the kernel names replaced.
 */
export function registerGradKernelFixes(tf: Tf, backendName: string): string[] {
  const names = BROKEN_GRAD_KERNELS[backendName] ?? []
  for (const name of names) {
    const cfg =
      name === 'ResizeNearestNeighborGrad'
        ? resizeGradKernel(tf, name, backendName, 'nearest')
        : name === 'ResizeBilinearGrad'
          ? resizeGradKernel(tf, name, backendName, 'bilinear')
          : poolGradKernel(tf, name as 'AvgPoolGrad' | 'MaxPoolGrad', backendName)
    if (tf.getKernel(name, backendName) != null) tf.unregisterKernel(name, backendName)
    tf.registerKernel(cfg)
  }
  return [...names]
}

function swapLastTwo(tf: Tf, t: Tensor): Tensor {
  const perm = t.shape.map((_, i) => i)
  const r = perm.length
  perm[r - 2] = r - 1
  perm[r - 1] = r - 2
  return tf.transpose(t, perm)
}

function makeKernels(tf: Tf, stock: Map<string, KernelConfig>): Map<string, KernelConfig> {
  const ours = new Map<string, KernelConfig>()

  ours.set('Conv2DBackpropFilter', {
    kernelName: 'Conv2DBackpropFilter',
    backendName: WASM,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const a = attrs as unknown as NamedAttrMap
      requireNHWC('Conv2DBackpropFilter', a.dataFormat)
      const { x, dy } = inputs
      if (x == null || dy == null) throw new Error('Conv2DBackpropFilter: missing input')
      return conv2dBackpropFilterWasm(
        tf,
        backend as unknown as WasmBackendLike,
        x,
        dy,
        a.filterShape as [number, number, number, number],
        a.strides as number | [number, number],
        a.pad as Pad,
        a.dimRoundingMode as Rounding
      )
    }
  })

  const stockBpi = stock.get('Conv2DBackpropInput')
  ours.set('Conv2DBackpropInput', {
    kernelName: 'Conv2DBackpropInput',
    backendName: WASM,
    setupFunc: stockBpi?.setupFunc,
    disposeFunc: stockBpi?.disposeFunc,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const a = attrs as unknown as NamedAttrMap
      requireNHWC('Conv2DBackpropInput', a.dataFormat)
      const be = backend as unknown as WasmBackendLike
      const { dy, filter } = inputs
      if (dy == null || filter == null) throw new Error('Conv2DBackpropInput: missing input')
      return conv2dBackpropInputWasm(
        tf,
        be,
        dy,
        filter,
        a.inputShape as [number, number, number, number],
        a.strides as number | [number, number],
        a.pad as Pad,
        a.dimRoundingMode as Rounding
      )
    }
  })

  const stockTile = stock.get('Tile')
  if (stockTile != null) {
    ours.set('Tile', {
      kernelName: 'Tile',
      backendName: WASM,
      setupFunc: stockTile.setupFunc,
      disposeFunc: stockTile.disposeFunc,
      kernelFunc: (args) => {
        const x = args.inputs.x
        const plan = x != null && x.dtype === 'float32' ? tilePlan(x.shape, (args.attrs as unknown as { reps: number[] }).reps) : null
        if (x == null || plan == null) return stockTile.kernelFunc(args)
        return tf.tidy(() => {
          const xt = asTensor(tf, x, args.backend as unknown as WasmBackendLike)
          return tf.reshape(tf.add(tf.reshape(xt, plan.xShape), tf.zeros(plan.target)), plan.outShape)
        })
      }
    })
  }

  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const base = stock.get(name)
    if (base == null) continue
    ours.set(name, {
      kernelName: name,
      backendName: WASM,
      setupFunc: base.setupFunc,
      disposeFunc: base.disposeFunc,
      kernelFunc: (args) => {
        const attrs = args.attrs as unknown as NamedAttrMap
        const ta = attrs.transposeA === true
        const tb = attrs.transposeB === true
        if (!ta && !tb) return base.kernelFunc(args)
        const be = args.backend as unknown as WasmBackendLike
        const temps: Tensor[] = []
        const swapped = (t: TensorInfo | undefined): TensorInfo => {
          const wrapped = asTensor(tf, t, be)
          if (wrapped !== t) temps.push(wrapped)
          const r = swapLastTwo(tf, wrapped)
          temps.push(r)
          return r
        }
        try {
          const a = ta ? swapped(args.inputs.a) : args.inputs.a
          const b = tb ? swapped(args.inputs.b) : args.inputs.b
          return base.kernelFunc({
            ...args,
            inputs: { ...args.inputs, a, b },
            attrs: { ...args.attrs, transposeA: false, transposeB: false }
          })
        } finally {
          for (const t of temps) t.dispose()
        }
      }
    })
  }
  return ours
}

/** XNNPACK's broadcasting binary ops handle at most this many dimensions. */
const MAX_BROADCAST_RANK = 6

/**
 * Tile as a broadcast: axis i of size d with r repetitions becomes [r, d] in the target and
 * [1, d] in x (just [r] / [1] when d = 1, just [d] when r = 1); neighbouring axes that are both
 * plain or both broadcast are merged. Null when more than 6 axes remain.
 */
export function tilePlan(shape: number[], reps: number[]): { xShape: number[]; target: number[]; outShape: number[] } | null {
  const pairs: Array<[number, number]> = [] // [target size, x size]
  const push = (t: number, xs: number): void => {
    const last = pairs[pairs.length - 1]
    if (last != null && ((last[1] === last[0] && xs === t) || (last[1] === 1 && xs === 1))) {
      last[0] *= t
      last[1] *= xs
    } else {
      pairs.push([t, xs])
    }
  }
  shape.forEach((d, i) => {
    const r = reps[i] ?? 1
    if (r !== 1) push(r, 1)
    if (d !== 1 || r === 1) push(d, d)
  })
  if (pairs.length === 0) pairs.push([1, 1])
  if (pairs.length > MAX_BROADCAST_RANK) return null
  return { xShape: pairs.map((p) => p[1]), target: pairs.map((p) => p[0]), outShape: shape.map((d, i) => d * (reps[i] ?? 1)) }
}

function install(tf: Tf, name: string, cfg: KernelConfig | undefined): void {
  if (cfg == null) return
  if (tf.getKernel(name, WASM) != null) tf.unregisterKernel(name, WASM)
  tf.registerKernel(cfg)
}

/**
 * Register the wasm training kernels and the BatchMatMul gradient. Idempotent; call after the
 * wasm backend package has been imported (its stock kernels must be registered).
 */
export function registerWasmKernels(tf: Tf, modes: Partial<WasmKernelModes> = {}): WasmKernelReport {
  if (state == null) {
    const stock = new Map<string, KernelConfig>()
    for (const name of ['Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'Conv2DBackpropFilter', 'Tile']) {
      const k = tf.getKernel(name, WASM)
      if (k != null) stock.set(name, k)
    }
    if (!stock.has('BatchMatMul')) {
      throw new Error('registerWasmKernels: the wasm backend kernels are not registered (import @tensorflow/tfjs-backend-wasm first)')
    }
    const ours = makeKernels(tf, stock)
    state = { stock, ours, modes: { ...DEFAULT_WASM_KERNEL_MODES } }
    // Kernels wasm lacks are always ours.
    if (!stock.has('Conv2DBackpropFilter')) install(tf, 'Conv2DBackpropFilter', ours.get('Conv2DBackpropFilter'))
    registerGradKernelFixes(tf, WASM)
    applyModes(tf, state.modes)
  }
  if (Object.keys(modes).length > 0) setWasmKernelModes(tf, modes)
  return wasmKernelReport()
}

function applyModes(tf: Tf, modes: WasmKernelModes): void {
  const s = state
  if (s == null) return
  const pick = (name: string, useOurs: boolean): void => install(tf, name, useOurs ? s.ours.get(name) : s.stock.get(name))
  pick('Conv2DBackpropInput', modes.conv2dBackpropInput === 'rewritten')
  pick('BatchMatMul', modes.matMulKernel === 'transposing')
  pick('_FusedMatMul', modes.matMulKernel === 'transposing')
  pick('Tile', modes.tile === 'broadcast')
  const explicit = modes.matMulGradient === 'explicit'
  tf.registerGradient(batchMatMulGradConfig(tf, () => explicit && tf.getBackend() === WASM))
}

/** Switch between the stock and the rewritten variants (used by the benchmark and tests). */
export function setWasmKernelModes(tf: Tf, modes: Partial<WasmKernelModes>): WasmKernelModes {
  if (state == null) registerWasmKernels(tf)
  const s = state as State
  s.modes = { ...s.modes, ...modes }
  applyModes(tf, s.modes)
  return { ...s.modes }
}

export function wasmKernelReport(): WasmKernelReport {
  const s = state
  if (s == null) return { added: [], replaced: [], fixed: [], gradients: [], modes: { ...DEFAULT_WASM_KERNEL_MODES } }
  const added = s.stock.has('Conv2DBackpropFilter') ? [] : ['Conv2DBackpropFilter']
  const replaced: string[] = []
  if (s.modes.conv2dBackpropInput === 'rewritten') replaced.push('Conv2DBackpropInput')
  if (s.modes.matMulKernel === 'transposing') replaced.push('BatchMatMul', '_FusedMatMul')
  if (s.modes.tile === 'broadcast') replaced.push('Tile')
  const fixed = [...BROKEN_GRAD_KERNELS[WASM]]
  return { added, replaced, fixed, gradients: ['BatchMatMul'], modes: { ...s.modes } }
}
