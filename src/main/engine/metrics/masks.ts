// Segmentation-mask metrics from a K×K confusion matrix.
//
// Conventions:
//  - Label maps are one class id (0..K−1) per pixel. A ground-truth value equal to the
//    ignore index (255 by default) removes that pixel entirely: it counts for no class,
//    whatever the prediction there. Any other value ≥ K (in gt or pred) is an error.
//  - counts[gt·K + pred] (rows: ground truth, columns: prediction), as float64 so sums over
//    any realistic number of images stay exact. Matrices from many images add up (merge):
//    dataset-level IoU is computed from the summed matrix, not averaged per image.
//  - IoU_c = TP / (TP + FP + FN). A class absent from both gt and pred (over counted pixels)
//    has IoU NaN and is left out of the mean: mIoU = mean of the non-NaN IoUs (NaN when every
//    class is absent, i.e. there are no counted pixels).
//  - Pixel accuracy = Σ TP / counted pixels (NaN with no counted pixels).
import { MetricsError, check } from './errors'

export type LabelMap = Uint8Array | { width: number; height: number; data: Uint8Array }

function unwrap(m: LabelMap, name: string): { data: Uint8Array; size?: string } {
  if (m instanceof Uint8Array) return { data: m }
  check(m !== null && typeof m === 'object' && m.data instanceof Uint8Array, `${name} must be a Uint8Array label map`)
  check(m.data.length === m.width * m.height, `${name} is ${m.width}×${m.height} but has ${m.data.length} labels`)
  return { data: m.data, size: `${m.width}×${m.height}` }
}

export class ConfusionMatrix {
  readonly numClasses: number
  readonly ignoreIndex: number
  /** counts[gt * numClasses + pred]. */
  readonly counts: Float64Array

  constructor(numClasses: number, ignoreIndex = 255) {
    check(Number.isInteger(numClasses) && numClasses >= 1 && numClasses <= 256, `numClasses must be 1..256, got ${numClasses}`)
    this.numClasses = numClasses
    this.ignoreIndex = ignoreIndex
    this.counts = new Float64Array(numClasses * numClasses)
  }

  /** Adds one image's pixels. */
  add(pred: LabelMap, gt: LabelMap): this {
    const p = unwrap(pred, 'pred')
    const g = unwrap(gt, 'gt')
    if (p.data.length !== g.data.length || (p.size && g.size && p.size !== g.size)) {
      throw new MetricsError(`label map sizes differ: pred is ${p.size ?? `${p.data.length} pixels`}, gt is ${g.size ?? `${g.data.length} pixels`}`)
    }
    check(p.data.length > 0, 'label maps are empty')
    const K = this.numClasses
    const ign = this.ignoreIndex
    const local = new Float64Array(K * K)
    for (let i = 0; i < g.data.length; i++) {
      const gv = g.data[i]
      if (gv === ign) continue
      const pv = p.data[i]
      if (gv >= K) throw new MetricsError(`gt has class ${gv} at pixel ${i}, but there are only ${K} classes (0..${K - 1}; ${ign} = ignore)`)
      if (pv >= K) throw new MetricsError(`pred has class ${pv} at pixel ${i}, but there are only ${K} classes (0..${K - 1})`)
      local[gv * K + pv]++
    }
    for (let i = 0; i < local.length; i++) this.counts[i] += local[i]
    return this
  }

  /** Adds another matrix's counts (same number of classes). */
  merge(other: ConfusionMatrix): this {
    check(other.numClasses === this.numClasses, `cannot merge confusion matrices of ${this.numClasses} and ${other.numClasses} classes`)
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i]
    return this
  }

  get(gt: number, pred: number): number {
    return this.counts[gt * this.numClasses + pred]
  }

  /** Counted (non-ignored) pixels. */
  get total(): number {
    let s = 0
    for (const v of this.counts) s += v
    return s
  }

  scores(): SegmentationScores {
    return segmentationScores(this)
  }
}

export interface SegmentationScores {
  /** Per-class IoU; NaN for a class absent from both gt and pred. */
  iou: number[]
  /** Mean over the non-NaN IoUs. */
  miou: number
  pixelAccuracy: number
  /** Classes that took part in the mean. */
  presentClasses: number[]
  countedPixels: number
}

export function segmentationScores(cm: ConfusionMatrix): SegmentationScores {
  const K = cm.numClasses
  const iou: number[] = []
  const present: number[] = []
  let tpSum = 0
  let total = 0
  for (let c = 0; c < K; c++) {
    let row = 0
    let col = 0
    for (let j = 0; j < K; j++) {
      row += cm.counts[c * K + j]
      col += cm.counts[j * K + c]
    }
    const tp = cm.counts[c * K + c]
    tpSum += tp
    total += row
    const union = row + col - tp
    if (union === 0) iou.push(NaN)
    else {
      iou.push(tp / union)
      present.push(c)
    }
  }
  const miou = present.length ? present.reduce((s, c) => s + iou[c], 0) / present.length : NaN
  return { iou, miou, pixelAccuracy: total > 0 ? tpSum / total : NaN, presentClasses: present, countedPixels: total }
}

/** Scores of a single pair of label maps. */
export function maskMetrics(pred: LabelMap, gt: LabelMap, numClasses: number, ignoreIndex = 255): SegmentationScores {
  return new ConfusionMatrix(numClasses, ignoreIndex).add(pred, gt).scores()
}
