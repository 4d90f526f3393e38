// The classifier after its first layer – ReLU → BatchNorm(H1) → Linear(H1→H2) → ReLU →
// BatchNorm(H2) → Linear(H2→K) → softmax cross-entropy – forward and backward written out by
// hand. The products of layers 2 and 3 go through the GEMM engine batched over the members
// (e.g. [M, B, H1] × [M, H1, H2]), forward and both adjoints; everything else is Float32Array
// loops. Measured on the 2-core dev VM (bench/interpreter.ts), this replaced a
// TensorFlow.js autodiff version that spent ~0.4–0.8 s per 10-member step of 1024 pixels in
// small wasm kernels (transposes, axis-0 means, per-op overhead). The first hand-written
// version went member by member through [B, M·H1] with strided slices, branchy ReLUs and 30
// product calls per step; this one runs ReLU and the layer-1 statistics over whole rows in
// order, lays the activations out member-major once and batches the products (6 calls per
// step). Old against new in one process, 10 members, 1024 pixels, 12 classes, on the loaded
// 2-core dev VM: 142 → 93 CPU-ms per step (tmp A/B; the rest is memory traffic over the
// [B, M·H1] arrays).
// The tests check the gradients against TensorFlow.js autodiff.
//
// BatchNorm uses batch statistics (biased variance, ε = 1e-5), as in training mode.
import { BN_EPSILON, type EnsembleDims, type EnsembleParams } from './model'
import type { GemmEngine } from './gemm'

export interface HeadResult {
  /** d(Σ_m active_m · loss_m)/dh1, [B, M·H1] like h1. */
  dH1: Float32Array
  loss: Float32Array
  acc: Float32Array
  mean1: Float32Array
  var1: Float32Array
  mean2: Float32Array
  var2: Float32Array
  grads: { g1: Float32Array; be1: Float32Array; w2: Float32Array; b2: Float32Array; g2: Float32Array; be2: Float32Array; w3: Float32Array; b3: Float32Array }
}

/** Batch statistics over rows of x [B, n]; returns mean and biased variance per column. */
function moments(x: Float32Array, B: number, n: number, mean: Float32Array, variance: Float32Array): void {
  const m = new Float64Array(n)
  const v = new Float64Array(n)
  for (let i = 0; i < B; i++) {
    const o = i * n
    for (let j = 0; j < n; j++) m[j] += x[o + j]
  }
  for (let j = 0; j < n; j++) m[j] /= B
  for (let i = 0; i < B; i++) {
    const o = i * n
    for (let j = 0; j < n; j++) {
      const d = x[o + j] - m[j]
      v[j] += d * d
    }
  }
  for (let j = 0; j < n; j++) {
    mean[j] = m[j]
    variance[j] = v[j] / B
  }
}

/** In place: x ← (x − mean)·invstd (x̂); returns invstd. Then y = γ x̂ + β into `out`. */
function normalize(x: Float32Array, B: number, n: number, mean: Float32Array, variance: Float32Array, gamma: Float32Array, beta: Float32Array, out: Float32Array): Float32Array {
  const inv = new Float32Array(n)
  for (let j = 0; j < n; j++) inv[j] = 1 / Math.sqrt(variance[j] + BN_EPSILON)
  for (let i = 0; i < B; i++) {
    const o = i * n
    for (let j = 0; j < n; j++) {
      const xh = (x[o + j] - mean[j]) * inv[j]
      x[o + j] = xh
      out[o + j] = gamma[j] * xh + beta[j]
    }
  }
  return inv
}

/**
 * BatchNorm backward (batch statistics): given dy and x̂, writes dx into dy's place and
 * accumulates dγ, dβ.
 */
function bnBackward(dy: Float32Array, xhat: Float32Array, inv: Float32Array, gamma: Float32Array, B: number, n: number, dGamma: Float32Array, dBeta: Float32Array): void {
  const sumDy = new Float64Array(n)
  const sumDyX = new Float64Array(n)
  for (let i = 0; i < B; i++) {
    const o = i * n
    for (let j = 0; j < n; j++) {
      sumDy[j] += dy[o + j]
      sumDyX[j] += dy[o + j] * xhat[o + j]
    }
  }
  for (let j = 0; j < n; j++) {
    dGamma[j] = sumDyX[j]
    dBeta[j] = sumDy[j]
  }
  // dx = γ·inv/B · (B·dy − Σdy − x̂·Σ(dy·x̂))
  for (let j = 0; j < n; j++) {
    sumDy[j] /= B
    sumDyX[j] /= B
  }
  for (let i = 0; i < B; i++) {
    const o = i * n
    for (let j = 0; j < n; j++) dy[o + j] = gamma[j] * inv[j] * (dy[o + j] - sumDy[j] - xhat[o + j] * sumDyX[j])
  }
}

// ReLU and its gradient on the float bits, without branches. With signs that are as good as
// random, `x > 0 ? x : 0` mispredicts half the time: ~12 ms per [1024, 1280] pass on the dev VM,
// against ~1 ms for the integer form. Both are exact: a float is ≤ 0 exactly when its bits,
// read as int32, are ≤ 0 or have the sign bit set (−0 included), and ReLU then gives +0.

/** out ← max(x, 0), element-wise over int32 views of the float arrays (out may be x). */
function reluBits(x: Int32Array, out: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i]
    out[i] = v & ~(v >> 31)
  }
}

/** Member m's block of n values in a member-major array. */
const member = (a: Float32Array, m: number, n: number): Float32Array => a.subarray(m * n, (m + 1) * n)

/** Int32 view of a float array (same memory). */
const bits = (a: Float32Array): Int32Array => new Int32Array(a.buffer, a.byteOffset, a.length)

/** Each of `batch` row-major [rows, cols] matrices transposed, one after another. */
function transposeEach(a: Float32Array, batch: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(batch * rows * cols)
  for (let b = 0; b < batch; b++) {
    const o = b * rows * cols
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[o + c * rows + r] = a[o + r * cols + c]
  }
  return out
}

export async function headForwardBackward(gemm: GemmEngine, p: EnsembleParams, dims: EnsembleDims, h1: Float32Array, labels: Int32Array, active: readonly boolean[]): Promise<HeadResult> {
  const { M, H1, H2, K } = dims
  const B = labels.length
  const cols = M * H1
  const r: HeadResult = {
    dH1: new Float32Array(B * cols),
    loss: new Float32Array(M),
    acc: new Float32Array(M),
    mean1: new Float32Array(M * H1),
    var1: new Float32Array(M * H1),
    mean2: new Float32Array(M * H2),
    var2: new Float32Array(M * H2),
    grads: {
      g1: new Float32Array(M * H1),
      be1: new Float32Array(M * H1),
      w2: new Float32Array(M * H1 * H2),
      b2: new Float32Array(M * H2),
      g2: new Float32Array(M * H2),
      be2: new Float32Array(M * H2),
      w3: new Float32Array(M * H2 * K),
      b3: new Float32Array(M * K)
    }
  }

  // ---- layer 1 output: ReLU and BatchNorm statistics of every member's columns at once
  // ([B, M·H1] as the first layer produced it, read in order).
  const z1 = new Float32Array(B * cols)
  const z1Bits = bits(z1)
  reluBits(bits(h1), z1Bits, B * cols)
  moments(z1, B, cols, r.mean1, r.var1)
  // Normalised activations, member-major [M, B, H1] for the batched products: x̂1 and BN(x̂1).
  const inv1 = new Float32Array(cols)
  for (let c = 0; c < cols; c++) inv1[c] = 1 / Math.sqrt(r.var1[c] + BN_EPSILON)
  const xhat1 = new Float32Array(B * cols)
  const n1 = new Float32Array(B * cols)
  for (let i = 0; i < B; i++) {
    for (let m = 0; m < M; m++) {
      const src = i * cols + m * H1
      const dst = (m * B + i) * H1
      for (let j = 0; j < H1; j++) {
        const c = m * H1 + j
        const xh = (z1[src + j] - r.mean1[c]) * inv1[c]
        xhat1[dst + j] = xh
        n1[dst + j] = p.g1[c] * xh + p.be1[c]
      }
    }
  }

  // ---- layer 2 for every member in one batched product: [M, B, H1] × [M, H1, H2]
  const z2 = await gemm.batchMatMul(n1, p.w2, { batch: M, m: B, k: H1, n: H2 })
  for (let m = 0; m < M; m++) for (let i = 0; i < B; i++) for (let j = 0; j < H2; j++) z2[(m * B + i) * H2 + j] += p.b2[m * H2 + j]
  reluBits(bits(z2), bits(z2), M * B * H2)
  // ReLU 2's output, kept for its gradient mask (z2 becomes x̂2 below).
  const a2Bits = bits(z2.slice())
  const n2 = new Float32Array(M * B * H2)
  const inv2 = new Float32Array(M * H2)
  for (let m = 0; m < M; m++) {
    moments(member(z2, m, B * H2), B, H2, member(r.mean2, m, H2), member(r.var2, m, H2))
    inv2.set(normalize(member(z2, m, B * H2), B, H2, member(r.mean2, m, H2), member(r.var2, m, H2), member(p.g2, m, H2), member(p.be2, m, H2), member(n2, m, B * H2)), m * H2)
  }

  // ---- layer 3, batched: [M, B, H2] × [M, H2, K]; then softmax cross-entropy per member.
  // z3 becomes d(loss)/d(logits) = (softmax − onehot) / B in place.
  const z3 = await gemm.batchMatMul(n2, p.w3, { batch: M, m: B, k: H2, n: K })
  for (let m = 0; m < M; m++) {
    let lossSum = 0
    let correct = 0
    for (let i = 0; i < B; i++) {
      const o = (m * B + i) * K
      let max = -Infinity
      let arg = 0
      for (let k = 0; k < K; k++) {
        const s = z3[o + k] + p.b3[m * K + k]
        z3[o + k] = s
        if (s > max) {
          max = s
          arg = k
        }
      }
      let sum = 0
      for (let k = 0; k < K; k++) sum += Math.exp(z3[o + k] - max)
      const lse = max + Math.log(sum)
      lossSum += lse - z3[o + labels[i]]
      if (arg === labels[i]) correct++
      // A stopped member keeps zero gradients (and sends none back into the first layer).
      if (active[m]) for (let k = 0; k < K; k++) z3[o + k] = (Math.exp(z3[o + k] - lse) - (k === labels[i] ? 1 : 0)) / B
      else z3.fill(0, o, o + K)
    }
    r.loss[m] = lossSum / B
    r.acc[m] = correct / B
    for (let i = 0; i < B; i++) for (let k = 0; k < K; k++) r.grads.b3[m * K + k] += z3[(m * B + i) * K + k]
  }

  // ---- backward through layer 3 (batched), BatchNorm 2 and ReLU 2
  r.grads.w3.set(await gemm.batchMatMul(n2, z3, { batch: M, m: H2, k: B, n: K }, true))
  const dz2 = await gemm.batchMatMul(z3, transposeEach(p.w3, M, H2, K), { batch: M, m: B, k: K, n: H2 })
  for (let m = 0; m < M; m++) {
    if (!active[m]) continue
    bnBackward(member(dz2, m, B * H2), member(z2, m, B * H2), member(inv2, m, H2), member(p.g2, m, H2), B, H2, member(r.grads.g2, m, H2), member(r.grads.be2, m, H2))
  }
  // Through ReLU 2: keep the gradient where the activation is > 0 (its bits, negated, have the
  // sign bit); stopped members' rows are 0 already.
  const dz2Bits = bits(dz2)
  for (let i = 0; i < M * B * H2; i++) dz2Bits[i] &= -a2Bits[i] >> 31
  for (let m = 0; m < M; m++) for (let i = 0; i < B; i++) for (let j = 0; j < H2; j++) r.grads.b2[m * H2 + j] += dz2[(m * B + i) * H2 + j]

  // ---- layer 2 backward, batched: dW2 = n1ᵀ·dz2 [M, H1, H2], dn1 = dz2·W2ᵀ [M, B, H1]
  r.grads.w2.set(await gemm.batchMatMul(n1, dz2, { batch: M, m: H1, k: B, n: H2 }, true))
  const dn1 = await gemm.batchMatMul(dz2, transposeEach(p.w2, M, H1, H2), { batch: M, m: B, k: H2, n: H1 })
  for (let m = 0; m < M; m++) {
    if (!active[m]) continue
    bnBackward(member(dn1, m, B * H1), member(xhat1, m, B * H1), member(inv1, m, H1), member(p.g1, m, H1), B, H1, member(r.grads.g1, m, H1), member(r.grads.be1, m, H1))
  }
  // Through ReLU 1 (where relu(h1) > 0), back to the first layer's [B, M·H1] layout; stopped
  // members' columns stay 0.
  const dH1Bits = bits(r.dH1)
  const dn1Bits = bits(dn1)
  for (let i = 0; i < B; i++) {
    for (let m = 0; m < M; m++) {
      if (!active[m]) continue
      const dst = i * cols + m * H1
      const src = (m * B + i) * H1
      for (let j = 0; j < H1; j++) dH1Bits[dst + j] = dn1Bits[src + j] & (-z1Bits[dst + j] >> 31)
    }
  }
  return r
}
