import { describe, it, expect } from 'vitest'
import { ConfusionMatrix, MetricsError, formatMetric, formatSummary, maskMetrics, segmentationScores, summarize } from '../../../src/main/engine/metrics'

describe('summarize', () => {
  it('reports mean and population std (and the sample std)', () => {
    const s = summarize([1, 2, 3, 4])
    expect(s.mean).toBe(2.5)
    expect(s.std).toBeCloseTo(Math.sqrt(1.25), 15)
    expect(s.sampleStd).toBeCloseTo(Math.sqrt(5 / 3), 15)
    expect(s.min).toBe(1)
    expect(s.max).toBe(4)
    expect(s.n).toBe(4)
    expect(summarize([7]).std).toBe(0)
    expect(Number.isNaN(summarize([7]).sampleStd)).toBe(true)
    expect(formatSummary(s, 2)).toBe('2.50 ± 1.12')
  })

  it('makes the mean ∞ when any value is ∞, keeping finite statistics aside', () => {
    const s = summarize([30, Infinity, 40])
    expect(s.mean).toBe(Infinity)
    expect(Number.isNaN(s.std)).toBe(true)
    expect(s.posInfCount).toBe(1)
    expect(s.max).toBe(Infinity)
    expect(s.min).toBe(30)
    expect(s.finite).toMatchObject({ n: 2, mean: 35, std: 5 })
    expect(formatSummary(s)).toBe('∞')
    expect(summarize([Infinity, Infinity]).finite.n).toBe(0)
    expect(Number.isNaN(summarize([Infinity, -Infinity]).mean)).toBe(true)
  })

  it('rejects empty input and NaN unless told to ignore NaN', () => {
    expect(() => summarize([])).toThrow(/empty/)
    expect(() => summarize([1, NaN])).toThrow(/value 1 is NaN/)
    const s = summarize([1, NaN, 3], { ignoreNaN: true })
    expect(s.mean).toBe(2)
    expect(s.nanCount).toBe(1)
    expect(() => summarize([NaN], { ignoreNaN: true })).toThrow(MetricsError)
  })

  it('formats special values', () => {
    expect(formatMetric(Infinity)).toBe('∞')
    expect(formatMetric(-Infinity)).toBe('−∞')
    expect(formatMetric(NaN)).toBe('—')
    expect(formatMetric(0.123456, 3)).toBe('0.123')
  })
})

describe('mask metrics', () => {
  // 4×3 maps, 4 classes; class 3 appears nowhere. 255 in gt = ignore.
  const gt = Uint8Array.of(0, 0, 1, 1, 0, 255, 1, 2, 2, 2, 255, 1)
  const pred = Uint8Array.of(0, 1, 1, 1, 0, 0, 2, 2, 2, 0, 1, 1)

  it('computes per-class IoU, mIoU and pixel accuracy by hand', () => {
    const s = maskMetrics(pred, gt, 4)
    // class 0: TP 2, FN 1 (0→1), FP 1 (2→0): 2/4; class 1: TP 3, FN 1, FP 1: 3/5;
    // class 2: TP 2, FN 1, FP 1: 2/4; class 3 absent from both: NaN, left out of the mean.
    expect(s.iou.slice(0, 3)).toEqual([0.5, 0.6, 0.5])
    expect(Number.isNaN(s.iou[3])).toBe(true)
    expect(s.miou).toBeCloseTo(1.6 / 3, 15)
    expect(s.presentClasses).toEqual([0, 1, 2])
    expect(s.countedPixels).toBe(10) // the two 255 pixels are excluded, whatever pred says
    expect(s.pixelAccuracy).toBe(0.7)
  })

  it('accumulates confusion matrices over images', () => {
    const cm = new ConfusionMatrix(4)
    cm.add(pred, gt)
    const other = new ConfusionMatrix(4).add(Uint8Array.of(3, 3), Uint8Array.of(3, 0))
    cm.merge(other)
    expect(cm.get(0, 0)).toBe(2)
    expect(cm.get(0, 3)).toBe(1)
    expect(cm.get(3, 3)).toBe(1)
    expect(cm.total).toBe(12)
    const s = segmentationScores(cm)
    expect(s.iou[3]).toBe(0.5) // TP 1, FP 1
    expect(s.iou[0]).toBe(2 / 5)
    expect(s.pixelAccuracy).toBe(8 / 12)
    // Same as one image holding all pixels.
    const joined = maskMetrics(Uint8Array.of(...pred, 3, 3), Uint8Array.of(...gt, 3, 0), 4)
    expect(joined.iou).toEqual(s.iou)
  })

  it('gives IoU 0 to a class predicted but absent from the ground truth', () => {
    const s = maskMetrics(Uint8Array.of(0, 1), Uint8Array.of(0, 0), 2)
    expect(s.iou).toEqual([0.5, 0])
    expect(s.miou).toBe(0.25)
  })

  it('returns NaN scores when every pixel is ignored', () => {
    const s = maskMetrics(Uint8Array.of(0, 1), Uint8Array.of(255, 255), 2)
    expect(Number.isNaN(s.miou)).toBe(true)
    expect(Number.isNaN(s.pixelAccuracy)).toBe(true)
  })

  it('rejects bad input', () => {
    expect(() => maskMetrics(Uint8Array.of(0), Uint8Array.of(0, 1), 2)).toThrow(/sizes differ/)
    expect(() => maskMetrics({ width: 2, height: 2, data: new Uint8Array(4) }, { width: 4, height: 1, data: new Uint8Array(4) }, 2)).toThrow(
      'label map sizes differ: pred is 2×2, gt is 4×1'
    )
    expect(() => maskMetrics(Uint8Array.of(0), Uint8Array.of(5), 2)).toThrow(/gt has class 5/)
    expect(() => maskMetrics(Uint8Array.of(7), Uint8Array.of(1), 2)).toThrow(/pred has class 7/)
    expect(() => new ConfusionMatrix(3).merge(new ConfusionMatrix(4))).toThrow(/3 and 4 classes/)
    expect(() => maskMetrics(new Uint8Array(0), new Uint8Array(0), 2)).toThrow(/empty/)
  })
})
