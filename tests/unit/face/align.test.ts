import { describe, expect, it } from 'vitest'
import {
  applySimilarity,
  ARCFACE_TEMPLATE_112,
  arcfaceTransform,
  DLIB_CHIP_POINTS,
  dlibChipTransform,
  dlibTemplatePoint,
  estimateSimilarity,
  invertSimilarity,
  landmarks5From68,
  similarityToAffine,
  type Point
} from '../../../src/main/engine/face/align'
import sharp from 'sharp'
import {
  assertFaceImage,
  cropResize,
  decodeImageBuffer,
  flipHorizontal,
  scaleBrightness,
  toRgb,
  warpAffine,
  type FaceImage
} from '../../../src/main/engine/face/image'

const rot = (p: Point, s: number, angle: number, tx: number, ty: number): Point => ({
  x: s * (Math.cos(angle) * p.x - Math.sin(angle) * p.y) + tx,
  y: s * (Math.sin(angle) * p.x + Math.cos(angle) * p.y) + ty
})

function gradient(w: number, h: number): FaceImage {
  const data = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data[(y * w + x) * 3] = x * 4
      data[(y * w + x) * 3 + 1] = y * 4
      data[(y * w + x) * 3 + 2] = 100
    }
  }
  return { width: w, height: h, channels: 3, data }
}

describe('similarity transforms', () => {
  it('recovers an exact similarity (scale, rotation, translation)', () => {
    const src = [
      { x: 0, y: 0 },
      { x: 10, y: 0 },
      { x: 3, y: 7 },
      { x: -4, y: 2 }
    ]
    const dst = src.map((p) => rot(p, 1.7, 0.4, 12, -5))
    const t = estimateSimilarity(src, dst)
    expect(Math.hypot(t.a, t.b)).toBeCloseTo(1.7, 10)
    expect(Math.atan2(t.b, t.a)).toBeCloseTo(0.4, 10)
    for (let i = 0; i < src.length; i++) {
      const q = applySimilarity(t, src[i]!)
      expect(q.x).toBeCloseTo(dst[i]!.x, 9)
      expect(q.y).toBeCloseTo(dst[i]!.y, 9)
    }
    const back = applySimilarity(invertSimilarity(t), dst[2]!)
    expect(back.x).toBeCloseTo(3, 9)
    expect(back.y).toBeCloseTo(7, 9)
  })

  it('never fits a reflection and refuses degenerate input', () => {
    const src = [
      { x: 0, y: 0 },
      { x: 1, y: 0 },
      { x: 0, y: 1 }
    ]
    const mirrored = src.map((p) => ({ x: -p.x, y: p.y }))
    const t = estimateSimilarity(src, mirrored)
    const m = similarityToAffine(t)
    expect(m[0] * m[4] - m[1] * m[3]).toBeGreaterThanOrEqual(0)
    expect(() => estimateSimilarity([{ x: 1, y: 1 }, { x: 1, y: 1 }], src.slice(0, 2))).toThrow(/coincide/)
    expect(() => estimateSimilarity(src, src.slice(0, 2))).toThrow(/3 source points but 2/)
  })

  it('maps landmarks placed on the dlib template onto it (150×150, padding 0.25)', () => {
    // 68 landmarks: the template points, scaled ×2, rotated 10° and moved, as a detector would give them.
    const landmarks = Array.from({ length: 68 }, (_, i) => (i >= 17 ? rot(dlibTemplatePoint(i), 2, 0.17, 40, 30) : { x: 0, y: 0 }))
    const t = dlibChipTransform(landmarks)
    expect(Math.hypot(t.a, t.b)).toBeCloseTo(2, 6)
    for (const i of DLIB_CHIP_POINTS) {
      const q = applySimilarity(t, dlibTemplatePoint(i))
      expect(q.x).toBeCloseTo(landmarks[i]!.x, 6)
      expect(q.y).toBeCloseTo(landmarks[i]!.y, 6)
    }
    expect(DLIB_CHIP_POINTS).toHaveLength(33)
    expect(DLIB_CHIP_POINTS).not.toContain(17)
    expect(DLIB_CHIP_POINTS).not.toContain(57)
    // the template's eye corners sit where dlib puts them: (0.25 + x) / 1.5 · 150
    expect(dlibTemplatePoint(36).x).toBeCloseTo(((0.25 + 0.121737) / 1.5) * 150, 9)
  })

  it('builds the ArcFace 5 points from 68 landmarks and fits the template', () => {
    const lm: Point[] = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 2 * i }))
    const five = landmarks5From68(lm)
    expect(five[0]).toEqual({ x: 38.5, y: 77 })
    expect(five[1]).toEqual({ x: 44.5, y: 89 })
    expect(five[2]).toEqual({ x: 30, y: 60 })
    expect(five[3]).toEqual({ x: 48, y: 96 })
    expect(five[4]).toEqual({ x: 54, y: 108 })
    const onTemplate = ARCFACE_TEMPLATE_112.map((p) => ({ x: p.x * 3 + 7, y: p.y * 3 + 9 }))
    const t = arcfaceTransform(onTemplate)
    expect(t.a).toBeCloseTo(3, 9)
    expect(t.b).toBeCloseTo(0, 9)
    expect(t.tx).toBeCloseTo(7, 9)
  })
})

describe('image helpers', () => {
  it('validates images', () => {
    expect(() => assertFaceImage({ width: 2, height: 2, channels: 3, data: new Uint8Array(11) })).toThrow(/needs 12 bytes/)
    expect(() => assertFaceImage({ width: 0, height: 2, channels: 3, data: new Uint8Array(0) })).toThrow(/bad size/)
    expect(() => assertFaceImage({ width: 1, height: 1, channels: 2 as 3, data: new Uint8Array(2) })).toThrow(/channels/)
  })

  it('converts grey and RGBA to RGB', () => {
    expect(Array.from(toRgb({ width: 2, height: 1, channels: 1, data: Uint8Array.of(5, 9) }).data)).toEqual([5, 5, 5, 9, 9, 9])
    expect(Array.from(toRgb({ width: 1, height: 1, channels: 4, data: Uint8Array.of(1, 2, 3, 4) }).data)).toEqual([1, 2, 3])
  })

  it('warps with the identity map exactly, and crops, flips and scales brightness', () => {
    const img = gradient(20, 10)
    expect(warpAffine(img, [1, 0, 0, 0, 1, 0], 20, 10).data).toEqual(img.data)
    expect(cropResize(img, { x: 0, y: 0, width: 20, height: 10 }, 20, 10).data).toEqual(img.data)
    const crop = cropResize(img, { x: 5, y: 2, width: 4, height: 4 }, 4, 4)
    expect(crop.data[0]).toBe(20)
    expect(crop.data[1]).toBe(8)
    // outside the image is black
    const out = cropResize(img, { x: -4, y: 0, width: 4, height: 4 }, 4, 4)
    expect(out.data[0]).toBe(0)
    const flipped = flipHorizontal(img)
    expect(flipped.data[0]).toBe(19 * 4)
    expect(flipHorizontal(flipped).data).toEqual(img.data)
    const bright = scaleBrightness(img, 1.15)
    expect(bright.data[2]).toBe(115)
    expect(scaleBrightness({ width: 1, height: 1, channels: 3, data: Uint8Array.of(250, 0, 100) }, 1.15).data[0]).toBe(255)
  })

  it('decodes grey+alpha, 16-bit and RGBA files to 8-bit samples and names undecodable ones', async () => {
    const ga = await sharp(Buffer.from([10, 255, 20, 128, 30, 0, 40, 255]), { raw: { width: 2, height: 2, channels: 2 } }).png().toBuffer()
    const g = await decodeImageBuffer(ga, 'ga.png')
    expect(g.channels === 1 || g.channels === 4).toBe(true)
    if (g.channels === 1) expect(Array.from(g.data)).toEqual([10, 20, 30, 40])
    const deep = await sharp(Buffer.from([0, 255, 128, 10, 20, 30]), { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toBuffer()
    expect((await sharp(deep).metadata()).depth).toBe('ushort')
    const d = await decodeImageBuffer(deep, 'deep.png')
    expect(d.channels).toBe(3)
    expect(Array.from(d.data)).toEqual([0, 255, 128, 10, 20, 30])
    await expect(decodeImageBuffer(Buffer.from('not an image'), 'x.png')).rejects.toThrow(/x\.png: cannot decode the image/)
  })

  it('averages when shrinking instead of aliasing', () => {
    // 1-pixel black/white stripes shrunk 4×: supersampling gives mid-grey, point sampling would give one colour
    const w = 64
    const data = new Uint8Array(w * w * 3)
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.fill(x % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3)
    const small = cropResize({ width: w, height: w, channels: 3, data }, { x: 0, y: 0, width: w, height: w }, 16, 16)
    for (let i = 0; i < small.data.length; i++) expect(Math.abs(small.data[i]! - 128)).toBeLessThan(20)
  })
})
