// The classifier after its first layer – ReLU → BatchNorm(H1) → Linear(H1→H2) → ReLU →
// BatchNorm(H2) → Linear(H2→K) → softmax cross-entropy – forward and backward written out by
// hand. The two H1×H2 products per member go through the GEMM engine; everything else is
// Float32Array loops. Measured on the 2-core dev VM (bench/interpreter.ts), this replaced a
// TensorFlow.js autodiff version that spent ~0.4–0.8 s per 10-member step of 1024 pixels in
// small wasm kernels (transposes, axis-0 means, per-op overhead); the hand-written one takes a
// few tens of ms. The tests check its gradients against TensorFlow.js autodiff.
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

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols)
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]
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
  const z1 = new Float32Array(B * H1) // relu(h1) → x̂1
  const n1 = new Float32Array(B * H1)
  const z3 = new Float32Array(B * K)
  for (let m = 0; m < M; m++) {
    const sl = (a: Float32Array, n: number) => a.subarray(m * n, (m + 1) * n)
    // ---- forward
    for (let i = 0; i < B; i++) {
      const src = i * cols + m * H1
      const o = i * H1
      for (let j = 0; j < H1; j++) {
        const v = h1[src + j]
        z1[o + j] = v > 0 ? v : 0
      }
    }
    const mean1 = sl(r.mean1, H1)
    const var1 = sl(r.var1, H1)
    moments(z1, B, H1, mean1, var1)
    const inv1 = normalize(z1, B, H1, mean1, var1, sl(p.g1, H1), sl(p.be1, H1), n1)
    const w2 = sl(p.w2, H1 * H2)
    const z2 = await gemm.matMul({ data: n1, rows: B, cols: H1 }, { data: w2, rows: H1, cols: H2 }) // [B, H2]
    const b2 = sl(p.b2, H2)
    const relu2 = new Uint8Array(B * H2)
    for (let i = 0; i < B; i++) {
      const o = i * H2
      for (let j = 0; j < H2; j++) {
        const v = z2[o + j] + b2[j]
        relu2[o + j] = v > 0 ? 1 : 0
        z2[o + j] = v > 0 ? v : 0
      }
    }
    const mean2 = sl(r.mean2, H2)
    const var2 = sl(r.var2, H2)
    moments(z2, B, H2, mean2, var2)
    const n2 = new Float32Array(B * H2)
    const inv2 = normalize(z2, B, H2, mean2, var2, sl(p.g2, H2), sl(p.be2, H2), n2)
    const w3 = sl(p.w3, H2 * K)
    const b3 = sl(p.b3, K)
    let lossSum = 0
    let correct = 0
    for (let i = 0; i < B; i++) {
      const o = i * K
      const x = i * H2
      let max = -Infinity
      let arg = 0
      for (let k = 0; k < K; k++) {
        let s = b3[k]
        for (let j = 0; j < H2; j++) s += n2[x + j] * w3[j * K + k]
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
      // dlogits = softmax − onehot, over B (mean loss)
      for (let k = 0; k < K; k++) z3[o + k] = (Math.exp(z3[o + k] - lse) - (k === labels[i] ? 1 : 0)) / B
    }
    r.loss[m] = lossSum / B
    r.acc[m] = correct / B
    if (!active[m]) continue

    // ---- backward
    const dW3 = sl(r.grads.w3, H2 * K)
    const dB3 = sl(r.grads.b3, K)
    const dn2 = new Float32Array(B * H2)
    for (let i = 0; i < B; i++) {
      const o = i * K
      const x = i * H2
      for (let k = 0; k < K; k++) {
        const g = z3[o + k]
        if (g === 0) continue
        dB3[k] += g
        for (let j = 0; j < H2; j++) {
          dW3[j * K + k] += n2[x + j] * g
          dn2[x + j] += g * w3[j * K + k]
        }
      }
    }
    bnBackward(dn2, z2, inv2, sl(p.g2, H2), B, H2, sl(r.grads.g2, H2), sl(r.grads.be2, H2))
    const dB2 = sl(r.grads.b2, H2)
    for (let i = 0; i < B; i++) {
      const o = i * H2
      for (let j = 0; j < H2; j++) {
        const g = relu2[o + j] ? dn2[o + j] : 0
        dn2[o + j] = g
        dB2[j] += g
      }
    }
    const dz2: Float32Array = dn2
    r.grads.w2.set(await gemm.matMul({ data: n1, rows: B, cols: H1 }, { data: dz2, rows: B, cols: H2 }, true), m * H1 * H2)
    const dn1 = await gemm.matMul({ data: dz2, rows: B, cols: H2 }, { data: transpose(w2, H1, H2), rows: H2, cols: H1 }) // [B, H1]
    bnBackward(dn1, z1, inv1, sl(p.g1, H1), B, H1, sl(r.grads.g1, H1), sl(r.grads.be1, H1))
    for (let i = 0; i < B; i++) {
      const src = i * cols + m * H1
      const o = i * H1
      for (let j = 0; j < H1; j++) r.dH1[src + j] = h1[src + j] > 0 ? dn1[o + j] : 0
    }
  }
  return r
}
