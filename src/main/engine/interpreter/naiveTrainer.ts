// The reference training procedure, done the reference's way – the baseline of
// bench/interpreter.ts and a cross-check in the tests:
//   - every training pixel's D-wide feature vector is materialised up front (float16, as
//     DatasetGAN stores them, plus – by default – the float32 copy its DataLoader trains on);
//   - the members are trained one after the other, each with its own shuffle of all labelled
//     pixels every epoch, batches of 64, Adam 1e-3, cross-entropy;
//   - the same stop rule (from epoch 4 on, stop after 50 batches without a new best loss).
// The model is the same as the Twinlight trainer's (same parameters layout and initialisation),
// written with TensorFlow.js layers ops and autodiff.
import type { Tensor, Variable } from '@tensorflow/tfjs-core'
import type { InterpreterStop } from '../../../shared/interpreter'
import { encodeFloat16 } from '../generator/float16'
import { Rng, deriveSeed } from '../render/prng'
import type { Tf } from '../tf/types'
import { float16Table, type FeatureBank } from './features'
import { featureDim, type FeatureLayout } from './layout'
import { BN_EPSILON, BN_MOMENTUM, dimsFor, initParams, selectMembers, type EnsembleDims, type EnsembleParams } from './model'
import { naiveFeatures } from './naive'
import { resolveBatchSize } from './trainer'

export interface MaterializedSet {
  D: number
  /** Per image [H·W, D] float16 bits. */
  half: Uint16Array[]
  /** Per image [H·W, D] float32 (when materialised). */
  full: Float32Array[] | null
  labels: Uint8Array[]
  bytes: number
}

/** Upsamples and concatenates every training image's features (the reference's memory cost). */
export function materialize(bank: FeatureBank, options: { float32?: boolean } = {}): MaterializedSet {
  const t = float16Table()
  const D = featureDim(bank.layout)
  const half: Uint16Array[] = []
  const full: Float32Array[] = []
  let bytes = 0
  for (const im of bank.images) {
    // Back to NCHW float32 for the naive upsampler.
    const maps = bank.layout.maps.map((m, i) => {
      const hw = m.height * m.width
      const out = new Float32Array(m.channels * hw)
      const src = im.maps[i]
      for (let p = 0; p < hw; p++) for (let c = 0; c < m.channels; c++) out[c * hw + p] = t[src[p * m.channels + c]]
      return out
    })
    const x = naiveFeatures(bank.layout, maps)
    half.push(encodeFloat16(x))
    bytes += x.length * 2
    if (options.float32 !== false) {
      full.push(x)
      bytes += x.length * 4
    }
  }
  return { D, half, full: options.float32 === false ? null : full, labels: bank.images.map((im) => im.labels), bytes }
}

export interface NaiveOptions {
  ensembleSize: number
  learningRate: number
  batchSize: number | 'auto'
  stop: InterpreterStop
  seed: number
  /** Stop (and report) once this much wall time has gone by. */
  maxSeconds?: number
  /** Per member, its own pixel order (the reference); false: every member uses member 0's order. */
  ownOrder?: boolean
  onStep?: (info: { member: number; step: number; epoch: number; loss: number; acc: number }) => void
}

export interface NaiveResult {
  params: EnsembleParams
  dims: EnsembleDims
  /** Optimisation steps per member. */
  steps: number[]
  epochs: number[]
  /** True when maxSeconds cut training short. */
  capped: boolean
  membersFinished: number
  seconds: number
  /** Mean wall time of one step (ms). */
  msPerStep: number
}

/** Labelled pixels' global indices (image·HW + pixel). */
function labelledPixels(set: MaterializedSet): Int32Array {
  const out: number[] = []
  set.labels.forEach((l, n) => {
    for (let p = 0; p < l.length; p++) if (l[p] !== 255) out.push(n * l.length + p)
  })
  return Int32Array.from(out)
}

export function naiveEpochOrder(labelled: Int32Array, seed: number, member: number, epoch: number): Int32Array {
  const rng = new Rng(deriveSeed(seed + member * 1_000_003, 5_000_011 + epoch))
  const order = labelled.slice()
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order
}

export function trainNaive(tf: Tf, set: MaterializedSet, layout: FeatureLayout, numClasses: number, options: NaiveOptions): NaiveResult {
  const started = performance.now()
  const dims = dimsFor(layout, numClasses, options.ensembleSize)
  const all = initParams(dims, options.seed)
  const { D, H1, H2, K } = dims
  const HW = set.labels[0].length
  const labelled = labelledPixels(set)
  const B = resolveBatchSize(options.batchSize, labelled.length)
  const stepsPerEpoch = Math.floor(labelled.length / B) + (labelled.length % B >= 2 ? 1 : 0)
  const t16 = float16Table()
  const memberParams: EnsembleParams[] = []
  const steps: number[] = []
  const epochs: number[] = []
  let capped = false
  let membersFinished = 0
  let stepTime = 0
  let stepCount = 0

  for (let m = 0; m < options.ensembleSize; m++) {
    const p = selectMembers(all, dims, [m]).params
    if (capped) {
      memberParams.push(p)
      steps.push(0)
      epochs.push(0)
      continue
    }
    const v = (a: Float32Array, shape: number[]): Variable => tf.variable(tf.tensor(a, shape))
    const w1 = v(p.w1, [D, H1])
    const b1 = v(p.b1, [H1])
    const g1 = v(p.g1, [H1])
    const be1 = v(p.be1, [H1])
    const w2 = v(p.w2, [H1, H2])
    const b2 = v(p.b2, [H2])
    const g2 = v(p.g2, [H2])
    const be2 = v(p.be2, [H2])
    const w3 = v(p.w3, [H2, K])
    const b3 = v(p.b3, [K])
    const optimizer = tf.train.adam(options.learningRate, 0.9, 0.999, 1e-8)
    let best = Infinity
    let sinceBest = 0
    let step = 0
    let epoch = 0
    let stop = false
    const xBuf = new Float32Array(B * D)
    const yBuf = new Int32Array(B)
    for (; !stop; epoch++) {
      if (options.stop.kind === 'plateau' && epoch >= options.stop.maxEpochs) break
      const order = naiveEpochOrder(labelled, options.seed, options.ownOrder === false ? 0 : m, epoch)
      for (let s = 0; s < stepsPerEpoch; s++) {
        const t0 = performance.now()
        const idx = order.subarray(s * B, Math.min(order.length, (s + 1) * B))
        const n = idx.length
        for (let i = 0; i < n; i++) {
          const g = idx[i]
          const im = Math.floor(g / HW)
          const q = g - im * HW
          yBuf[i] = set.labels[im][q]
          if (set.full) xBuf.set(set.full[im].subarray(q * D, (q + 1) * D), i * D)
          else {
            const src = set.half[im]
            for (let d = 0; d < D; d++) xBuf[i * D + d] = t16[src[q * D + d]]
          }
        }
        let mean1: Float32Array = new Float32Array(0)
        let var1: Float32Array = new Float32Array(0)
        let mean2: Float32Array = new Float32Array(0)
        let var2: Float32Array = new Float32Array(0)
        let loss = 0
        let acc = 0
        tf.tidy(() => {
          const x = tf.tensor2d(xBuf.subarray(0, n * D), [n, D])
          const y = tf.tensor1d(yBuf.subarray(0, n), 'int32')
          const onehot = tf.oneHot(y, K)
          const captured: Tensor[] = []
          const lossT = optimizer.minimize(() => {
            const a1 = tf.relu(tf.add(tf.matMul(x, w1), b1))
            const mu1 = tf.mean(a1, 0)
            const va1 = tf.mean(tf.square(tf.sub(a1, mu1)), 0)
            const n1 = tf.add(tf.mul(tf.mul(tf.sub(a1, mu1), tf.rsqrt(tf.add(va1, tf.scalar(BN_EPSILON)))), g1), be1)
            const a2 = tf.relu(tf.add(tf.matMul(n1, w2), b2))
            const mu2 = tf.mean(a2, 0)
            const va2 = tf.mean(tf.square(tf.sub(a2, mu2)), 0)
            const n2 = tf.add(tf.mul(tf.mul(tf.sub(a2, mu2), tf.rsqrt(tf.add(va2, tf.scalar(BN_EPSILON)))), g2), be2)
            const logits = tf.add(tf.matMul(n2, w3), b3)
            captured.push(tf.keep(mu1), tf.keep(va1), tf.keep(mu2), tf.keep(va2), tf.keep(tf.argMax(logits, -1)))
            return tf.mean(tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), onehot), -1))) as never
          }, true)
          loss = (lossT as Tensor).dataSync()[0]
          mean1 = captured[0].dataSync() as Float32Array
          var1 = captured[1].dataSync() as Float32Array
          mean2 = captured[2].dataSync() as Float32Array
          var2 = captured[3].dataSync() as Float32Array
          const pred = captured[4].dataSync()
          let c = 0
          for (let i = 0; i < n; i++) if (pred[i] === yBuf[i]) c++
          acc = c / n
          tf.dispose(captured)
        })
        const unbiased = n > 1 ? n / (n - 1) : 1
        for (let j = 0; j < H1; j++) {
          p.rm1[j] = (1 - BN_MOMENTUM) * p.rm1[j] + BN_MOMENTUM * mean1[j]
          p.rv1[j] = (1 - BN_MOMENTUM) * p.rv1[j] + BN_MOMENTUM * var1[j] * unbiased
        }
        for (let j = 0; j < H2; j++) {
          p.rm2[j] = (1 - BN_MOMENTUM) * p.rm2[j] + BN_MOMENTUM * mean2[j]
          p.rv2[j] = (1 - BN_MOMENTUM) * p.rv2[j] + BN_MOMENTUM * var2[j] * unbiased
        }
        step++
        stepTime += performance.now() - t0
        stepCount++
        options.onStep?.({ member: m, step, epoch, loss, acc })
        if (options.stop.kind === 'plateau' && epoch >= options.stop.minEpochs) {
          if (loss < best * (1 - options.stop.minDelta)) {
            best = loss
            sinceBest = 0
          } else sinceBest++
          if (sinceBest > options.stop.patience) {
            stop = true
            break
          }
        }
        const fixed = options.stop.kind === 'epochs' ? Math.max(1, Math.round(options.stop.epochs * stepsPerEpoch)) : options.stop.kind === 'steps' ? options.stop.steps : Infinity
        if (step >= fixed) {
          stop = true
          break
        }
        if (options.maxSeconds !== undefined && (performance.now() - started) / 1000 > options.maxSeconds) {
          capped = true
          stop = true
          break
        }
      }
    }
    const read = (t: Variable) => t.dataSync() as Float32Array
    p.w1 = read(w1)
    p.b1 = read(b1)
    p.g1 = read(g1)
    p.be1 = read(be1)
    p.w2 = read(w2)
    p.b2 = read(b2)
    p.g2 = read(g2)
    p.be2 = read(be2)
    p.w3 = read(w3)
    p.b3 = read(b3)
    tf.dispose([w1, b1, g1, be1, w2, b2, g2, be2, w3, b3])
    optimizer.dispose()
    memberParams.push(p)
    steps.push(step)
    epochs.push(epoch)
    if (!capped) membersFinished++
  }
  // Reassemble one ensemble.
  const params = initParams(dims, options.seed)
  memberParams.forEach((p, m) => {
    for (let r = 0; r < D; r++) params.w1.set(p.w1.subarray(r * H1, (r + 1) * H1), r * dims.M * H1 + m * H1)
    for (const n of ['b1', 'g1', 'be1', 'rm1', 'rv1'] as const) params[n].set(p[n], m * H1)
    for (const n of ['b2', 'g2', 'be2', 'rm2', 'rv2'] as const) params[n].set(p[n], m * H2)
    params.w2.set(p.w2, m * H1 * H2)
    params.w3.set(p.w3, m * H2 * K)
    params.b3.set(p.b3, m * K)
  })
  return {
    params,
    dims,
    steps,
    epochs,
    capped,
    membersFinished,
    seconds: (performance.now() - started) / 1000,
    msPerStep: stepCount ? stepTime / stepCount : NaN
  }
}
