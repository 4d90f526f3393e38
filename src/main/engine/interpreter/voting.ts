// Ensemble read-out: per-pixel majority vote and the Jensen–Shannon uncertainty of DatasetGAN.
//
//   JS(p_1..p_M) = H(mean_m p_m) − mean_m H(p_m),   H(p) = −Σ_k p_k ln p_k   (nats)
//
// p ln p is computed as p · ln(max(p, 1e-30)), so a probability that underflowed to 0 adds 0
// (the ONNX graph uses the same clamp). The vote is torch.mode's: the most frequent member
// argmax, ties going to the smallest class id. An image's score is the mean of its top 10 %
// pixel uncertainties (at least one pixel).

import quickselect from 'quickselect'

export const P_LOG_FLOOR = 1e-30

export function plogp(p: number): number {
  return p * Math.log(Math.max(p, P_LOG_FLOOR))
}

export interface Readout {
  /** Voted class per pixel. */
  mask: Uint8Array
  /** JS divergence per pixel (nats, 0 … ln K). */
  uncertainty: Float32Array
  /** Mean over members of the class probabilities, [K, pixels]. */
  meanProbs: Float32Array
}

/**
 * `probs` holds M members' softmax outputs, member-major then pixel then class: probs[(m·P + p)·K + k].
 */
export function readout(probs: Float32Array, M: number, pixels: number, K: number): Readout {
  if (probs.length !== M * pixels * K) throw new Error(`readout: ${probs.length} probabilities, ${M}×${pixels}×${K} expected`)
  const mask = new Uint8Array(pixels)
  const uncertainty = new Float32Array(pixels)
  const meanProbs = new Float32Array(K * pixels)
  const votes = new Int32Array(K)
  const mean = new Float64Array(K)
  for (let p = 0; p < pixels; p++) {
    votes.fill(0)
    mean.fill(0)
    let meanEntropy = 0
    for (let m = 0; m < M; m++) {
      const base = (m * pixels + p) * K
      let best = 0
      let bestV = probs[base]
      let h = 0
      for (let k = 0; k < K; k++) {
        const v = probs[base + k]
        mean[k] += v
        h -= plogp(v)
        if (v > bestV) {
          bestV = v
          best = k
        }
      }
      votes[best]++
      meanEntropy += h
    }
    let hMean = 0
    let top = 0
    for (let k = 0; k < K; k++) {
      const v = mean[k] / M
      meanProbs[k * pixels + p] = v
      hMean -= plogp(v)
      if (votes[k] > votes[top]) top = k
    }
    mask[p] = top
    uncertainty[p] = hMean - meanEntropy / M
  }
  return { mask, uncertainty, meanProbs }
}

/**
 * Mean of the top 10 % values (at least one). The k largest are selected in linear time and only
 * they are sorted, so they are summed in the same ascending order as after a full sort (the same
 * double, bit for bit) at a sixth of the cost (65,536 pixels: ~1 instead of ~7 ms per image).
 */
export function imageScore(uncertainty: Float32Array): number {
  const n = uncertainty.length
  if (n === 0) return 0
  const k = Math.max(1, Math.floor(n / 10))
  const values = Float32Array.from(uncertainty)
  // A full sort puts NaN last, in the top k: the mean is NaN. Selection needs ordered values.
  if (values.some(Number.isNaN)) return NaN
  quickselect(values as unknown as number[], n - k) // typed arrays index like arrays
  const top = values.subarray(n - k).sort()
  let s = 0
  for (let i = 0; i < k; i++) s += top[i]
  return s / k
}
