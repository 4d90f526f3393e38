import { describe, it, expect } from 'vitest'
import {
  MetricsError,
  SSIM_RADIUS,
  SSIM_WIN_SIZE,
  cropBorder,
  evaluateImageSet,
  formatMetric,
  imageQuality,
  luma601,
  mae,
  mse,
  pixelErrors,
  psnr,
  reflectIndex,
  rmse,
  ssim,
  toGrey
} from '../../../src/main/engine/metrics'
import { degrade, image, patternImage } from './helpers'

describe('pixel errors', () => {
  it('computes MAE, MSE, RMSE and PSNR by hand', () => {
    const pred = image(2, 2, 1, [10, 20, 30, 40])
    const gt = image(2, 2, 1, [12, 20, 25, 40])
    // differences −2, 0, 5, 0
    expect(mae(pred, gt)).toBe(7 / 4)
    expect(mse(pred, gt)).toBe(29 / 4)
    expect(rmse(pred, gt)).toBeCloseTo(Math.sqrt(29 / 4), 15)
    expect(psnr(pred, gt)).toBeCloseTo(10 * Math.log10((255 * 255) / (29 / 4)), 12)
  })

  it('averages over every channel sample', () => {
    const pred = image(1, 2, 3, [0, 0, 0, 255, 255, 255])
    const gt = image(1, 2, 3, [0, 0, 3, 255, 255, 255])
    expect(pixelErrors(pred, gt)).toMatchObject({ mae: 0.5, mse: 1.5 })
  })

  it('gives PSNR ∞ and SSIM 1 for identical images', () => {
    const a = patternImage(24, 20, 3, 1)
    const b = { ...a, data: a.data.slice() }
    const q = imageQuality(a, b)
    expect(q.psnr).toBe(Infinity)
    expect(q.mse).toBe(0)
    expect(q.mae).toBe(0)
    expect(q.ssim).toBe(1)
    expect(formatMetric(q.psnr)).toBe('∞')
  })

  it('ignores the alpha channel', () => {
    const rgba = image(1, 1, 4, [10, 20, 30, 0])
    const rgb = image(1, 1, 3, [10, 20, 30])
    expect(psnr(rgba, rgb)).toBe(Infinity)
  })
})

describe('grey conversion and crop', () => {
  it('uses ITU-R 601 luma rounded like Pillow', () => {
    expect(luma601(255, 255, 255)).toBe(255)
    expect(luma601(0, 0, 0)).toBe(0)
    expect(luma601(255, 0, 0)).toBe(76) // 76.245
    expect(luma601(0, 255, 0)).toBe(150) // 149.685
    expect(luma601(0, 0, 255)).toBe(29) // 29.07
    // 100·0.299 + 150·0.587 + 200·0.114 = 140.75 → 141 (truncating 299/587/114 gives 140)
    expect(luma601(100, 150, 200)).toBe(141)
    const g = toGrey(image(2, 1, 3, [255, 0, 0, 0, 0, 255]))
    expect(g.channels).toBe(1)
    expect([...g.data]).toEqual([76, 29])
  })

  it('compares a colour prediction with a grey ground truth only when grey is set', () => {
    const rgb = image(1, 1, 3, [100, 150, 200])
    const grey = image(1, 1, 1, [141])
    expect(() => mse(rgb, grey)).toThrow(/pred is 1×1×3, gt is 1×1×1/)
    expect(mse(rgb, grey, { grey: true })).toBe(0)
  })

  it('crops the border', () => {
    const img = image(6, 5, 1, Array.from({ length: 30 }, (_, i) => i))
    const c = cropBorder(img, 2)
    expect(c.width).toBe(2)
    expect(c.height).toBe(1)
    expect([...c.data]).toEqual([14, 15])
    // The crop decides the result: only the centre differs here.
    const a = image(5, 5, 1, new Array(25).fill(0))
    const b = image(5, 5, 1, new Array(25).fill(0).map((_, i) => (i === 12 ? 0 : 9)))
    expect(mse(a, b, { crop: 2 })).toBe(0)
    expect(mse(a, b, { crop: 1 })).toBe((8 * 81) / 9)
  })

  it('rejects crops that leave nothing', () => {
    const a = image(4, 4, 1, new Array(16).fill(0))
    expect(() => mse(a, a, { crop: 2 })).toThrow(MetricsError)
    expect(() => mse(a, a, { crop: -1 })).toThrow(/crop/)
  })
})

describe('SSIM', () => {
  it('uses an 11-tap window', () => {
    expect(SSIM_RADIUS).toBe(5)
    expect(SSIM_WIN_SIZE).toBe(11)
  })

  it('reflects borders half-sample symmetrically', () => {
    expect([-3, -2, -1, 0, 3, 4, 5, 6].map((i) => reflectIndex(i, 4))).toEqual([2, 1, 0, 0, 3, 3, 2, 1])
    // Periodic beyond one reflection: … d c b a | a b c d | d c b a | a b c d | d c b a …
    expect([-9, -8, -7, -5, 8, 11, 12].map((i) => reflectIndex(i, 4))).toEqual([0, 0, 1, 3, 0, 3, 3])
    expect(reflectIndex(7, 1)).toBe(0)
  })

  it('matches the closed form for flat images', () => {
    // Flat images have zero (co)variance: SSIM = (2ab + C1)/(a² + b² + C1).
    const a = image(13, 12, 1, new Array(156).fill(100))
    const b = image(13, 12, 1, new Array(156).fill(110))
    const C1 = (0.01 * 255) ** 2
    const C2 = (0.03 * 255) ** 2
    const expected = ((2 * 100 * 110 + C1) * C2) / ((100 * 100 + 110 * 110 + C1) * C2)
    expect(ssim(a, b)).toBeCloseTo(expected, 10)
  })

  it('is symmetric and drops with noise', () => {
    const gt = patternImage(32, 32, 3, 3)
    const mild = degrade(gt, 1, 10)
    const heavy = degrade(gt, 1, 120)
    expect(ssim(mild, gt)).toBeCloseTo(ssim(gt, mild), 12)
    expect(ssim(mild, gt)).toBeGreaterThan(ssim(heavy, gt))
    expect(ssim(heavy, gt)).toBeLessThan(1)
  })

  it('needs at least 11×11 pixels after the crop', () => {
    const a = patternImage(14, 14, 1, 1)
    expect(() => ssim(a, a)).not.toThrow()
    expect(() => ssim(a, a, { crop: 2 })).toThrow(/at least 11×11.*10×10×1/)
  })
})

describe('bad input', () => {
  it('names both sizes when they differ', () => {
    const a = { width: 128, height: 128, channels: 3 as const, data: new Uint8Array(128 * 128 * 3) }
    const b = { width: 256, height: 256, channels: 3 as const, data: new Uint8Array(256 * 256 * 3) }
    expect(() => ssim(a, b)).toThrow('pred is 128×128×3, gt is 256×256×3')
    expect(() => psnr(a, b)).toThrow(MetricsError)
  })

  it('checks the data length and channel count', () => {
    expect(() => mae(image(2, 2, 1, [1, 2, 3]), image(2, 2, 1, [1, 2, 3, 4]))).toThrow(/pred is 2×2×1 and needs 4 samples/)
    const two = { width: 1, height: 1, channels: 2, data: new Uint8Array(2) } as unknown as Parameters<typeof mae>[0]
    expect(() => mae(two, two)).toThrow(/2 channels/)
  })

  it('rejects sets of different sizes and empty sets', () => {
    const a = patternImage(12, 12, 1, 1)
    expect(() => evaluateImageSet([a, a], [a])).toThrow(/pred has 2 entries but gt has 1/)
    expect(() => evaluateImageSet([], [])).toThrow(/empty/)
    const small = patternImage(10, 12, 1, 1)
    expect(() => evaluateImageSet([a, small], [a, a])).toThrow(/pair 1: image sizes differ: pred is 10×12×1, gt is 12×12×1/)
  })
})

describe('image sets', () => {
  it('summarises per-image metrics, with ∞ for identical pairs', () => {
    const gt = [patternImage(16, 16, 3, 1), patternImage(16, 16, 3, 2)]
    const pred = [degrade(gt[0], 7), { ...gt[1], data: gt[1].data.slice() }]
    const r = evaluateImageSet(pred, gt, { crop: 2 })
    expect(r.perImage).toHaveLength(2)
    expect(r.perImage[0]).toEqual(imageQuality(pred[0], gt[0], { crop: 2 }))
    expect(r.summary.psnr.mean).toBe(Infinity)
    expect(r.summary.psnr.posInfCount).toBe(1)
    expect(r.summary.psnr.finite.mean).toBe(r.perImage[0].psnr)
    expect(r.summary.ssim?.mean).toBeCloseTo((r.perImage[0].ssim + 1) / 2, 12)
    expect(r.summary.mae.std).toBeCloseTo(r.perImage[0].mae / 2, 12) // population std of {x, 0}
  })

  it('can skip SSIM for tiny images', () => {
    const a = patternImage(6, 6, 1, 1)
    const r = evaluateImageSet([degrade(a, 1)], [a], { skipSsim: true })
    expect(r.summary.ssim).toBeUndefined()
    expect(Number.isNaN(r.perImage[0].ssim)).toBe(true)
  })
})
