// Training of the ensemble on labelled pixels, without per-pixel feature matrices.
//
// Procedure (the reference's, with the deviations listed in docs/interpreter.md):
//   - Only labelled pixels take part (255 = unlabelled never enters a batch, so it cannot reach
//     the loss). Each epoch visits them in a fresh seeded order ('uniform'), or draws as many
//     pixels with every present class equally likely ('class-balanced').
//   - All members take the same batch in the same step (one computation for the ensemble);
//     they differ by their initialisation. Each member has its own Adam state and stop rule;
//     a member that has stopped is frozen while the others go on.
//   - Cross-entropy (mean over the batch), Adam (PyTorch's formulation, β 0.9/0.999, ε 1e-8),
//     BatchNorm with batch statistics and running averages (momentum 0.1, unbiased variance).
//
// First layer, per step (B pixels, M·H1 columns):
//   - "pixel" maps: each pixel's interpolated channels are gathered from the native float16
//     maps (4 taps, precomputed per row and column), X [B, C] · W [C, M·H1].
//   - "native" maps (low resolutions, where the batch touches most positions anyway): partial
//     sums P = Fᵀ·W [N·h·w, M·H1] are computed at native resolution for every training image and
//     each pixel gathers 4 rows of P. The gradient is the adjoint: dH scattered onto the native
//     grid (G), dW = F·G. Exact; cheaper than gathering once the batch holds more pixels of an
//     image than the map has positions.
//   Which maps go which way is decided once from a cost model (chooseStrategy).
// Matrix products go through a GemmEngine (gemm.ts: TensorFlow.js or onnxruntime); the layers
// after the first are written out by hand (head.ts). Adam, BatchNorm running statistics and the
// gathers are plain Float32Array loops, so the state is exact and checkpointable.
import type { InterpreterSampling, InterpreterStop } from '../../../shared/interpreter'
import { Rng, deriveSeed } from '../render/prng'
import type { Tf } from '../tf/types'
import { float16Table, type FeatureBank } from './features'
import { headForwardBackward } from './head'
import { TfGemm, type GemmEngine, type Matrix } from './gemm'
import { resolutionGroups, type ResolutionGroup } from './inference'
import { axisTaps, channelOffsets, type AxisTaps } from './layout'
import { BN_MOMENTUM, TRAINABLE, dimsFor, initParams, paramShapes, type EnsembleDims, type EnsembleParams, type ParamName } from './model'

export interface TrainerConfig {
  ensembleSize: number
  learningRate: number
  batchSize: number | 'auto'
  stop: InterpreterStop
  sampling: InterpreterSampling
  seed: number
}

export interface MemberStatus {
  best: number
  sinceBest: number
  stopped: boolean
  /** Adam updates applied to this member. */
  updates: number
  loss: number
  acc: number
}

export interface TrainerState {
  epoch: number
  stepInEpoch: number
  step: number
  done: boolean
  members: MemberStatus[]
}

export interface TrainerSnapshot {
  state: TrainerState
  params: EnsembleParams
  adamM: Partial<Record<ParamName, Float32Array>>
  adamV: Partial<Record<ParamName, Float32Array>>
}

export interface StepReport {
  step: number
  epoch: number
  stepInEpoch: number
  stepsPerEpoch: number
  batch: number
  loss: number[]
  acc: number[]
  active: boolean[]
  done: boolean
  /** 0..1, an estimate for plateau stopping. */
  progress: number
}

export class TrainingDataError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'TrainingDataError'
  }
}

const BETA1 = 0.9
const BETA2 = 0.999
const ADAM_EPS = 1e-8

export type GroupStrategy = 'native' | 'pixel'

interface PixelMap {
  map: number
  channels: number
  /** Column of the first channel in X. */
  col: number
  ry: AxisTaps
  rx: AxisTaps
  identity: boolean
}

interface NativeGroup {
  group: ResolutionGroup
  ry: AxisTaps
  rx: AxisTaps
  /** [C_g, N·h·w], resident in the GEMM engine */
  features: Matrix
  /** w1 rows of the group's channels, in group order. */
  rows: number[]
}

/**
 * Estimated multiply-adds of one step for a resolution group either way; JS loop work is weighted
 * as `jsWeight` GEMM multiply-adds. 32: on the 2-core dev VM the 4-tap gather/scatter loops ran
 * at ~2 ns per multiply-add, onnxruntime's GEMM at ~0.04–0.08 ns. (With the earlier weight of 4,
 * the demo generator's 4² and 8² maps went 'native' and a step took ~20 % more CPU than with
 * 'pixel'; at anchor scale both weights choose the same: 4² and 8² native, the rest pixel.)
 */
export function chooseStrategy(group: ResolutionGroup, maskSize: number, images: number, batch: number, columns: number, jsWeight = 32): { strategy: GroupStrategy; native: number; pixel: number } {
  const hw = group.height * group.width
  const taps = hw === maskSize ? 1 : 4
  const native = 2 * group.channels * images * hw * columns + jsWeight * 2 * batch * 4 * columns
  const pixel = 2 * group.channels * batch * columns + jsWeight * batch * group.channels * taps
  return { strategy: hw !== maskSize && native < pixel ? 'native' : 'pixel', native, pixel }
}

/** The batch size a config means for `labelled` pixels ('auto': labelled / 50 within 256…1024). */
export function resolveBatchSize(batchSize: number | 'auto', labelled: number): number {
  const b = batchSize === 'auto' ? Math.min(1024, Math.max(256, Math.round(labelled / 50))) : batchSize
  return Math.max(1, Math.min(b, labelled))
}

/** Steps per epoch for `labelled` pixels (a trailing batch of one pixel is dropped: BatchNorm needs two). */
export function stepsPerEpochFor(labelled: number, batchSize: number | 'auto'): number {
  const batch = resolveBatchSize(batchSize, labelled)
  return Math.max(1, Math.floor(labelled / batch) + (labelled % batch >= 2 ? 1 : 0))
}

/** Steps a run will take (fixed epochs), or the plateau rule's earliest stop (an estimate). */
export function estimateSteps(labelled: number, config: Pick<TrainerConfig, 'batchSize' | 'stop'>, stepsDone = 0): number {
  const spe = stepsPerEpochFor(labelled, config.batchSize)
  const stop = config.stop
  if (stop.kind === 'epochs') return Math.max(1, Math.round(stop.epochs * spe))
  if (stop.kind === 'steps') return stop.steps
  const floor = Math.ceil(stop.minEpochs * spe) + stop.patience + 1
  return Math.min(Math.ceil(stop.maxEpochs * spe), Math.max(floor, stepsDone + 1))
}

export interface TrainerOptions {
  /** Continue from a snapshot (checkpoint). */
  resume?: TrainerSnapshot
  /** Engine for the first-layer products (default: TensorFlow.js). */
  gemm?: GemmEngine
  /** Force every low-resolution group one way (tests, benchmarks); default 'auto' (cost model). */
  strategy?: 'auto' | GroupStrategy
}

export interface StepGradients {
  grads: Record<ParamName, Float32Array>
  loss: number[]
  acc: number[]
  mean1: Float32Array
  var1: Float32Array
  mean2: Float32Array
  var2: Float32Array
}

export class InterpreterTrainer {
  readonly dims: EnsembleDims
  readonly params: EnsembleParams
  readonly adamM: Record<string, Float32Array> = {}
  readonly adamV: Record<string, Float32Array> = {}
  readonly state: TrainerState
  readonly labelled: Int32Array
  readonly stepsPerEpoch: number
  /** Pixels per step (the config's batch size, resolved). */
  readonly batchSize: number
  readonly strategies: { group: ResolutionGroup; strategy: GroupStrategy }[]
  private readonly H: number
  private readonly W: number
  private readonly HW: number
  private readonly cols: number
  private readonly pixelMaps: PixelMap[] = []
  private readonly pixelRows: number[] = []
  private readonly cPix: number
  private readonly native: NativeGroup[] = []
  private readonly classLists: Int32Array[]
  private order: Int32Array | null = null
  private orderEpoch = -1
  private readonly half = float16Table()
  private readonly gemm: GemmEngine
  private readonly ownsGemm: boolean
  private wPixBuf: Float32Array | null = null
  private gw1Buf: Float32Array | null = null
  private disposed = false
  /** Milliseconds spent per part of the steps so far (profiling; bench/interpreter.ts reports them). */
  readonly timings = { gather: 0, firstLayer: 0, head: 0, backward: 0, adam: 0 }

  constructor(
    tf: Tf,
    private readonly bank: FeatureBank,
    readonly numClasses: number,
    readonly config: TrainerConfig,
    options: TrainerOptions = {}
  ) {
    const resume = options.resume
    this.gemm = options.gemm ?? new TfGemm(tf)
    this.ownsGemm = !options.gemm
    const layout = bank.layout
    this.H = layout.height
    this.W = layout.width
    this.HW = this.H * this.W
    if (bank.images.length === 0) throw new TrainingDataError('there are no annotated samples to train on: paint at least one mask first')
    this.dims = dimsFor(layout, numClasses, config.ensembleSize)
    this.cols = this.dims.M * this.dims.H1

    // Labelled pixels (global index image·HW + pixel) and per-class lists.
    const perClass: number[][] = Array.from({ length: numClasses }, () => [])
    let count = 0
    for (const im of bank.images) for (const v of im.labels) if (v !== 255) count++
    if (count === 0) throw new TrainingDataError('the annotated samples have no labelled pixels: paint at least one class on one sample')
    this.labelled = new Int32Array(count)
    let k = 0
    bank.images.forEach((im, n) => {
      for (let p = 0; p < im.labels.length; p++) {
        const v = im.labels[p]
        if (v === 255) continue
        if (v >= numClasses) throw new TrainingDataError(`sample "${im.id}" has class ${v} at pixel ${p}, but there are only ${numClasses} classes (0..${numClasses - 1}; 255 = unlabelled)`)
        const g = n * this.HW + p
        this.labelled[k++] = g
        perClass[v].push(g)
      }
    })
    this.classLists = perClass.map((l) => Int32Array.from(l))
    const batch = resolveBatchSize(config.batchSize, count)
    this.batchSize = batch
    this.stepsPerEpoch = stepsPerEpochFor(count, config.batchSize)

    // Strategy per resolution group.
    const offsets = channelOffsets(layout)
    const groups = resolutionGroups(layout)
    const forced = options.strategy ?? 'auto'
    this.strategies = groups.map((group) => {
      const fullSize = group.height === this.H && group.width === this.W
      const strategy: GroupStrategy = fullSize ? 'pixel' : forced !== 'auto' ? forced : chooseStrategy(group, this.HW, bank.images.length, batch, this.cols).strategy
      return { group, strategy }
    })
    let cPix = 0
    for (const { group, strategy } of this.strategies) {
      const ry = axisTaps(group.height, this.H)
      const rx = axisTaps(group.width, this.W)
      const rows: number[] = []
      for (const i of group.maps) for (let c = 0; c < layout.maps[i].channels; c++) rows.push(offsets[i] + c)
      if (strategy === 'pixel') {
        for (const i of group.maps) {
          const m = layout.maps[i]
          this.pixelMaps.push({ map: i, channels: m.channels, col: cPix, ry, rx, identity: m.height === this.H && m.width === this.W })
          cPix += m.channels
        }
        this.pixelRows.push(...rows)
      } else {
        this.native.push({ group, ry, rx, features: this.nativeFeatures(group), rows })
      }
    }
    this.cPix = cPix

    if (resume) {
      this.params = resume.params
      for (const name of TRAINABLE) {
        this.adamM[name] = resume.adamM[name] ?? new Float32Array(this.params[name].length)
        this.adamV[name] = resume.adamV[name] ?? new Float32Array(this.params[name].length)
      }
      this.state = structuredClone(resume.state)
    } else {
      this.params = initParams(this.dims, config.seed)
      for (const name of TRAINABLE) {
        this.adamM[name] = new Float32Array(this.params[name].length)
        this.adamV[name] = new Float32Array(this.params[name].length)
      }
      this.state = {
        epoch: 0,
        stepInEpoch: 0,
        step: 0,
        done: false,
        members: Array.from({ length: this.dims.M }, () => ({ best: Infinity, sinceBest: 0, stopped: false, updates: 0, loss: NaN, acc: NaN }))
      }
    }
    const shapes = paramShapes(this.dims)
    for (const name of TRAINABLE) {
      const n = shapes[name].reduce((a, b) => a * b, 1)
      if (this.params[name].length !== n) throw new TrainingDataError(`checkpoint parameter ${name} has ${this.params[name].length} values, ${n} expected (different data or configuration)`)
    }
  }

  /** Float32 [C_g, N·h·w] features of a native group (channels of its maps in order). */
  private nativeFeatures(group: ResolutionGroup): Matrix {
    const N = this.bank.images.length
    const hw = group.height * group.width
    const data = new Float32Array(group.channels * N * hw)
    const t = this.half
    let row = 0
    for (const i of group.maps) {
      const C = this.bank.layout.maps[i].channels
      for (let n = 0; n < N; n++) {
        const src = this.bank.images[n].maps[i]
        for (let c = 0; c < C; c++) {
          const dst = (row + c) * N * hw + n * hw
          for (let p = 0; p < hw; p++) data[dst + p] = t[src[p * C + c]]
        }
      }
      row += C
    }
    return { data, rows: group.channels, cols: N * hw, constant: true }
  }

  get done(): boolean {
    return this.state.done
  }

  get labelledPixels(): number {
    return this.labelled.length
  }

  /** Total steps when known (fixed epochs), else an estimate. */
  expectedSteps(): number {
    return estimateSteps(this.labelled.length, this.config, this.state.step)
  }

  /** The pixel order of an epoch (deterministic in seed and epoch). */
  epochOrder(epoch: number): Int32Array {
    const rng = new Rng(deriveSeed(this.config.seed, 2_000_003 + epoch))
    let order: Int32Array
    if (this.config.sampling === 'class-balanced') {
      const present = this.classLists.filter((l) => l.length > 0)
      order = new Int32Array(this.labelled.length)
      for (let i = 0; i < order.length; i++) {
        const list = present[i % present.length]
        order[i] = list[Math.floor(rng.next() * list.length)]
      }
    } else {
      order = this.labelled.slice()
    }
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1))
      const t = order[i]
      order[i] = order[j]
      order[j] = t
    }
    return order
  }

  private currentBatch(): Int32Array {
    if (this.orderEpoch !== this.state.epoch || !this.order) {
      this.order = this.epochOrder(this.state.epoch)
      this.orderEpoch = this.state.epoch
    }
    const B = this.batchSize
    const start = this.state.stepInEpoch * B
    return this.order.subarray(start, Math.min(this.order.length, start + B))
  }

  /** One optimisation step on the next batch. */
  async step(): Promise<StepReport> {
    if (this.disposed) throw new Error('the trainer was disposed')
    if (this.state.done) throw new Error('training is finished')
    const batch = this.currentBatch()
    const active = this.state.members.map((m) => !m.stopped)
    const g = await this.gradients(batch, active)
    const t0 = performance.now()
    this.apply(g, active, batch.length)
    this.timings.adam += performance.now() - t0
    const { loss, acc } = g
    const st = this.state
    st.step++
    st.members.forEach((m, i) => {
      m.loss = loss[i]
      m.acc = acc[i]
      if (!active[i]) return
      m.updates++
      const stop = this.config.stop
      if (stop.kind === 'plateau' && st.epoch >= stop.minEpochs) {
        if (loss[i] < m.best * (1 - stop.minDelta)) {
          m.best = loss[i]
          m.sinceBest = 0
        } else {
          m.sinceBest++
        }
        if (m.sinceBest > stop.patience) m.stopped = true
      }
    })
    st.stepInEpoch++
    if (st.stepInEpoch >= this.stepsPerEpoch) {
      st.epoch++
      st.stepInEpoch = 0
    }
    const stop = this.config.stop
    if (stop.kind === 'epochs' || stop.kind === 'steps') {
      if (st.step >= this.expectedSteps()) st.done = true
    } else if (st.members.every((m) => m.stopped) || st.epoch + st.stepInEpoch / this.stepsPerEpoch >= stop.maxEpochs) {
      st.done = true
    }
    const expected = this.expectedSteps()
    return {
      step: st.step,
      epoch: st.epoch,
      stepInEpoch: st.stepInEpoch,
      stepsPerEpoch: this.stepsPerEpoch,
      batch: batch.length,
      loss,
      acc,
      active,
      done: st.done,
      progress: st.done ? 1 : Math.min(0.99, st.step / expected)
    }
  }

  // ------------------------------------------------------------------------------ one step

  /**
   * Loss, accuracy, batch statistics and the gradient of Σ_m active_m·loss_m for a batch of
   * labelled pixels (global indices image·H·W + pixel). Does not change any parameter.
   */
  async gradients(batch: Int32Array, active: readonly boolean[] = this.state.members.map(() => true)): Promise<StepGradients> {
    const { D } = this.dims
    const cols = this.cols
    const Bs = batch.length
    const HW = this.HW
    const W = this.W
    const p = this.params

    // Decode the batch.
    const img = new Int32Array(Bs)
    const ys = new Int32Array(Bs)
    const xs = new Int32Array(Bs)
    const labels = new Int32Array(Bs)
    for (let i = 0; i < Bs; i++) {
      const g = batch[i]
      const n = Math.floor(g / HW)
      const q = g - n * HW
      img[i] = n
      ys[i] = Math.floor(q / W)
      xs[i] = q - ys[i] * W
      labels[i] = this.bank.images[n].labels[q]
      if (labels[i] === 255) throw new Error(`pixel ${q} of sample "${this.bank.images[n].id}" is unlabelled and cannot be trained on`)
    }

    // ---- first layer forward
    let t = performance.now()
    const lap = (key: keyof InterpreterTrainer['timings']) => {
      const now = performance.now()
      this.timings[key] += now - t
      t = now
    }
    const h1 = new Float32Array(Bs * cols)
    let X: Matrix | null = null
    if (this.cPix > 0) {
      X = { data: this.gatherPixels(img, ys, xs), rows: Bs, cols: this.cPix }
      lap('gather')
      // Reused across steps (the trainer's largest per-step buffers).
      const wPix = (this.wPixBuf ??= new Float32Array(this.cPix * cols))
      this.pixelRows.forEach((r, i) => wPix.set(p.w1.subarray(r * cols, (r + 1) * cols), i * cols))
      h1.set(await this.gemm.matMul(X, { data: wPix, rows: this.cPix, cols }))
    }
    for (const ng of this.native) {
      const wg = new Float32Array(ng.rows.length * cols)
      ng.rows.forEach((r, i) => wg.set(p.w1.subarray(r * cols, (r + 1) * cols), i * cols))
      const P = await this.gemm.matMul(ng.features, { data: wg, rows: ng.rows.length, cols }, true)
      this.gatherNative(ng, P, img, ys, xs, h1)
    }
    for (let i = 0; i < Bs; i++) {
      const o = i * cols
      for (let j = 0; j < cols; j++) h1[o + j] += p.b1[j]
    }
    lap('firstLayer')

    // ---- the layers after the first: forward and backward by hand (head.ts)
    const headOut = await headForwardBackward(this.gemm, p, this.dims, h1, labels, active)
    const { dH1, loss: lossV, acc: accV, mean1, var1, mean2, var2 } = headOut
    const small = headOut.grads
    lap('head')

    // ---- first layer backward: dW = Xᵀ·dH (pixel maps), F·G with G = dH scattered to the native grid
    // Every row is written below (pixel rows and native rows cover all D channels).
    const gw1 = (this.gw1Buf ??= new Float32Array(D * cols))
    const dH: Matrix = { data: dH1, rows: Bs, cols }
    if (X) {
      const g = await this.gemm.matMul(X, dH, true)
      this.pixelRows.forEach((r, i) => gw1.set(g.subarray(i * cols, (i + 1) * cols), r * cols))
    }
    for (const ng of this.native) {
      const G = this.scatterNative(ng, dH1, img, ys, xs)
      const g = await this.gemm.matMul(ng.features, { data: G, rows: G.length / cols, cols })
      ng.rows.forEach((r, i) => gw1.set(g.subarray(i * cols, (i + 1) * cols), r * cols))
    }
    const gb1 = new Float32Array(cols)
    for (let i = 0; i < Bs; i++) {
      const o = i * cols
      for (let j = 0; j < cols; j++) gb1[j] += dH1[o + j]
    }
    const grads: Record<ParamName, Float32Array> = { ...small, w1: gw1, b1: gb1, rm1: new Float32Array(0), rv1: new Float32Array(0), rm2: new Float32Array(0), rv2: new Float32Array(0) }
    lap('backward')
    return { grads, loss: Array.from(lossV), acc: Array.from(accV), mean1, var1, mean2, var2 }
  }

  /** Adam on the active members, and their BatchNorm running statistics. */
  private apply(g: StepGradients, active: readonly boolean[], batchSize: number): void {
    const { M, H1, H2 } = this.dims
    const p = this.params
    this.adam(g.grads, active)
    const unbiased = batchSize > 1 ? batchSize / (batchSize - 1) : 1
    for (let m = 0; m < M; m++) {
      if (!active[m]) continue
      for (let j = m * H1; j < (m + 1) * H1; j++) {
        p.rm1[j] = (1 - BN_MOMENTUM) * p.rm1[j] + BN_MOMENTUM * g.mean1[j]
        p.rv1[j] = (1 - BN_MOMENTUM) * p.rv1[j] + BN_MOMENTUM * g.var1[j] * unbiased
      }
      for (let j = m * H2; j < (m + 1) * H2; j++) {
        p.rm2[j] = (1 - BN_MOMENTUM) * p.rm2[j] + BN_MOMENTUM * g.mean2[j]
        p.rv2[j] = (1 - BN_MOMENTUM) * p.rv2[j] + BN_MOMENTUM * g.var2[j] * unbiased
      }
    }
  }

  /** X [B, C_pix]: each pixel's interpolated channels of the pixel-strategy maps. */
  private gatherPixels(img: Int32Array, ys: Int32Array, xs: Int32Array): Float32Array {
    const Bs = img.length
    const C = this.cPix
    const X = new Float32Array(Bs * C)
    const t = this.half
    for (const pm of this.pixelMaps) {
      const mw = this.bank.layout.maps[pm.map].width
      const Cm = pm.channels
      for (let i = 0; i < Bs; i++) {
        const src = this.bank.images[img[i]].maps[pm.map]
        const o = i * C + pm.col
        const y = ys[i]
        const x = xs[i]
        if (pm.identity) {
          const b = (y * mw + x) * Cm
          for (let c = 0; c < Cm; c++) X[o + c] = t[src[b + c]]
          continue
        }
        const wy = pm.ry.w[y]
        const wx = pm.rx.w[x]
        const b00 = (pm.ry.lo[y] * mw + pm.rx.lo[x]) * Cm
        const b01 = (pm.ry.lo[y] * mw + pm.rx.hi[x]) * Cm
        const b10 = (pm.ry.hi[y] * mw + pm.rx.lo[x]) * Cm
        const b11 = (pm.ry.hi[y] * mw + pm.rx.hi[x]) * Cm
        const w00 = (1 - wy) * (1 - wx)
        const w01 = (1 - wy) * wx
        const w10 = wy * (1 - wx)
        const w11 = wy * wx
        for (let c = 0; c < Cm; c++) X[o + c] = w00 * t[src[b00 + c]] + w01 * t[src[b01 + c]] + w10 * t[src[b10 + c]] + w11 * t[src[b11 + c]]
      }
    }
    return X
  }

  /**
   * The bilinear taps of pixel (y, x) of image n in a native group: where each of its four
   * source rows starts in a (pixels × cols) matrix, then the four weights. Shared by the
   * gather and its adjoint, the scatter.
   */
  private taps(ng: NativeGroup, n: number, y: number, x: number): [number, number, number, number, number, number, number, number] {
    const cols = this.cols
    const gw = ng.group.width
    const base = n * ng.group.height * gw
    const wy = ng.ry.w[y]
    const wx = ng.rx.w[x]
    return [
      (base + ng.ry.lo[y] * gw + ng.rx.lo[x]) * cols,
      (base + ng.ry.lo[y] * gw + ng.rx.hi[x]) * cols,
      (base + ng.ry.hi[y] * gw + ng.rx.lo[x]) * cols,
      (base + ng.ry.hi[y] * gw + ng.rx.hi[x]) * cols,
      (1 - wy) * (1 - wx),
      (1 - wy) * wx,
      wy * (1 - wx),
      wy * wx
    ]
  }

  private gatherNative(ng: NativeGroup, P: Float32Array, img: Int32Array, ys: Int32Array, xs: Int32Array, h1: Float32Array): void {
    const cols = this.cols
    for (let i = 0; i < img.length; i++) {
      const [a, b, c, d, w0, w1, w2, w3] = this.taps(ng, img[i], ys[i], xs[i])
      const o = i * cols
      for (let j = 0; j < cols; j++) h1[o + j] += w0 * P[a + j] + w1 * P[b + j] + w2 * P[c + j] + w3 * P[d + j]
    }
  }

  private scatterNative(ng: NativeGroup, dH: Float32Array, img: Int32Array, ys: Int32Array, xs: Int32Array): Float32Array {
    const cols = this.cols
    const N = this.bank.images.length
    const G = new Float32Array(N * ng.group.height * ng.group.width * cols)
    for (let i = 0; i < img.length; i++) {
      const [a, b, c, d, w0, w1, w2, w3] = this.taps(ng, img[i], ys[i], xs[i])
      const o = i * cols
      for (let j = 0; j < cols; j++) {
        const g = dH[o + j]
        G[a + j] += w0 * g
        G[b + j] += w1 * g
        G[c + j] += w2 * g
        G[d + j] += w3 * g
      }
    }
    return G
  }

  /** Member blocks of each parameter: rows × (M blocks of `block` values). */
  private blocks(name: ParamName): { rows: number; block: number } {
    const { M, D, H1, H2, K } = this.dims
    switch (name) {
      case 'w1':
        return { rows: D, block: H1 }
      case 'w2':
        return { rows: 1, block: H1 * H2 }
      case 'w3':
        return { rows: 1, block: H2 * K }
      case 'b3':
        return { rows: 1, block: K }
      case 'b1':
      case 'g1':
      case 'be1':
        return { rows: 1, block: H1 }
      default:
        return { rows: 1, block: this.params[name].length / M }
    }
  }

  private adam(grads: Record<ParamName, Float32Array>, active: readonly boolean[]): void {
    const lr = this.config.learningRate
    const M = this.dims.M
    for (const name of TRAINABLE) {
      const g = grads[name]
      const p = this.params[name]
      const mom = this.adamM[name]
      const vel = this.adamV[name]
      const { rows, block } = this.blocks(name)
      const rowLen = M * block
      for (let m = 0; m < M; m++) {
        if (!active[m]) continue
        const t = this.state.members[m].updates + 1
        const bc1 = 1 - BETA1 ** t
        const bc2 = Math.sqrt(1 - BETA2 ** t)
        const stepSize = lr / bc1
        for (let r = 0; r < rows; r++) {
          const start = r * rowLen + m * block
          const end = start + block
          for (let i = start; i < end; i++) {
            const gi = g[i]
            const mi = BETA1 * mom[i] + (1 - BETA1) * gi
            const vi = BETA2 * vel[i] + (1 - BETA2) * gi * gi
            mom[i] = mi
            vel[i] = vi
            p[i] -= (stepSize * mi) / (Math.sqrt(vi) / bc2 + ADAM_EPS)
          }
        }
      }
    }
  }

  snapshot(): TrainerSnapshot {
    return { state: structuredClone(this.state), params: this.params, adamM: this.adamM, adamV: this.adamV }
  }

  /** The labelled pixels of an epoch's first batch (tests: a whole-dataset batch when batchSize ≥ labelled pixels). */
  firstBatch(): Int32Array {
    return this.currentBatch().slice()
  }

  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    if (this.ownsGemm) await this.gemm.dispose()
  }
}
