// The reference formulation, written the straightforward way: every map bilinearly upsampled
// to the mask size, concatenated into one D-wide vector per pixel, then the MLP per pixel.
// Plain JS in float64; slow and memory-hungry by design. Used by the tests (the partial-sum
// engine must agree with it) and by the benchmark's naive baseline.
import { axisTaps, channelOffsets, featureDim, type FeatureLayout } from './layout'
import { BN_EPSILON, type EnsembleDims, type EnsembleParams } from './model'

/** Upsampled, concatenated features of one sample: [H·W, D] (pixel-major). */
export function naiveFeatures(layout: FeatureLayout, maps: readonly Float32Array[]): Float32Array {
  const H = layout.height
  const W = layout.width
  const D = featureDim(layout)
  const out = new Float32Array(H * W * D)
  const offsets = channelOffsets(layout)
  layout.maps.forEach((m, i) => {
    const ry = axisTaps(m.height, H)
    const rx = axisTaps(m.width, W)
    const hw = m.height * m.width
    for (let c = 0; c < m.channels; c++) {
      const f = maps[i].subarray(c * hw, (c + 1) * hw)
      const col = offsets[i] + c
      for (let y = 0; y < H; y++) {
        const y0 = ry.lo[y] * m.width
        const y1 = ry.hi[y] * m.width
        const wy = ry.w[y]
        for (let x = 0; x < W; x++) {
          const x0 = rx.lo[x]
          const x1 = rx.hi[x]
          const wx = rx.w[x]
          const top = (1 - wx) * f[y0 + x0] + wx * f[y0 + x1]
          const bottom = (1 - wx) * f[y1 + x0] + wx * f[y1 + x1]
          out[(y * W + x) * D + col] = (1 - wy) * top + wy * bottom
        }
      }
    }
  })
  return out
}

/** Softmax outputs [M, P, K] of every member for pixel vectors X [P, D] (float64 arithmetic). */
export function naiveProbs(params: EnsembleParams, dims: EnsembleDims, X: Float32Array, pixels: number): Float32Array {
  const { M, D, H1, H2, K } = dims
  const out = new Float32Array(M * pixels * K)
  const h1 = new Float64Array(H1)
  const h2 = new Float64Array(H2)
  const z = new Float64Array(K)
  const cols = M * H1
  for (let m = 0; m < M; m++) {
    for (let p = 0; p < pixels; p++) {
      const x = X.subarray(p * D, (p + 1) * D)
      for (let j = 0; j < H1; j++) h1[j] = params.b1[m * H1 + j]
      for (let d = 0; d < D; d++) {
        const v = x[d]
        if (v === 0) continue
        const row = d * cols + m * H1
        for (let j = 0; j < H1; j++) h1[j] += v * params.w1[row + j]
      }
      for (let j = 0; j < H1; j++) {
        const a = Math.max(0, h1[j])
        const k = m * H1 + j
        h1[j] = ((a - params.rm1[k]) / Math.sqrt(params.rv1[k] + BN_EPSILON)) * params.g1[k] + params.be1[k]
      }
      for (let j = 0; j < H2; j++) {
        let s = params.b2[m * H2 + j]
        for (let i = 0; i < H1; i++) s += h1[i] * params.w2[(m * H1 + i) * H2 + j]
        const a = Math.max(0, s)
        const k = m * H2 + j
        h2[j] = ((a - params.rm2[k]) / Math.sqrt(params.rv2[k] + BN_EPSILON)) * params.g2[k] + params.be2[k]
      }
      let max = -Infinity
      for (let c = 0; c < K; c++) {
        let s = params.b3[m * K + c]
        for (let i = 0; i < H2; i++) s += h2[i] * params.w3[(m * H2 + i) * K + c]
        z[c] = s
        if (s > max) max = s
      }
      let sum = 0
      for (let c = 0; c < K; c++) {
        z[c] = Math.exp(z[c] - max)
        sum += z[c]
      }
      for (let c = 0; c < K; c++) out[(m * pixels + p) * K + c] = z[c] / sum
    }
  }
  return out
}
