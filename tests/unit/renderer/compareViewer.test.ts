// The Compare view's pure helpers: view transforms, sample families and seeds, levels,
// histograms, the difference map and its colormaps, mask colouring.
import { describe, it, expect } from 'vitest'
import { fitTransform, zoomAt, panBy, screenToWorld, worldToScreen, worldToPixel, transformAttr, wheelFactor, MAX_SCALE } from '../../../src/renderer/src/components/compare/viewMath'
import { parseSampleId, sampleIdFor, familyLabel, indexSamples, stepSeed, seedsFrom } from '../../../src/renderer/src/components/compare/items'
import {
  levelsLut,
  applyLut,
  histogram,
  isGreyRgba,
  differenceMap,
  diffStats,
  colormapLut,
  colorizeDiff,
  colorizeLabels,
  colorBarTicks
} from '../../../src/renderer/src/components/compare/imageMath'

describe('view transforms', () => {
  it('fits the world centred with a margin', () => {
    expect(fitTransform({ width: 416, height: 216 }, { width: 100, height: 50 }, 8)).toEqual({ scale: 4, x: 8, y: 8 })
    expect(fitTransform({ width: 200, height: 400 }, { width: 64, height: 64 }, 4)).toEqual({ scale: 3, x: 4, y: 104 })
  })

  it('zooms at the cursor: the world point under it stays put', () => {
    const t = { scale: 2, x: 10, y: 20 }
    const before = screenToWorld(t, 110, 70)
    const z = zoomAt(t, 3, 110, 70)
    expect(z.scale).toBe(6)
    const after = worldToScreen(z, before.x, before.y)
    expect(after.x).toBeCloseTo(110, 9)
    expect(after.y).toBeCloseTo(70, 9)
    expect(zoomAt(t, 1e6, 0, 0).scale).toBe(MAX_SCALE)
    expect(wheelFactor(-100)).toBeGreaterThan(1)
    expect(wheelFactor(100) * wheelFactor(-100)).toBeCloseTo(1, 12)
  })

  it('pans, maps world points to the pixels of images of other sizes, and serialises for tests', () => {
    expect(panBy({ scale: 2, x: 1, y: 1 }, 5, -3)).toEqual({ scale: 2, x: 6, y: -2 })
    expect(worldToPixel({ width: 64, height: 64 }, { width: 32, height: 32 }, 63.9, 10.2)).toEqual({ x: 31, y: 5 })
    expect(worldToPixel({ width: 64, height: 64 }, { width: 64, height: 64 }, 64, 1)).toBeNull()
    expect(transformAttr({ scale: 1 / 3, x: 10.00049, y: -2 })).toBe('{"scale":0.333,"x":10,"y":-2}')
  })
})

describe('sample families', () => {
  it('parses renderer and ONNX sample ids and builds them back', () => {
    expect(parseSampleId('s00000042')).toEqual({ family: 's', seed: 42 })
    expect(parseSampleId('g1a2b3c4d-00000007')).toEqual({ family: 'g1a2b3c4d', seed: 7 })
    expect(parseSampleId('imported_3')).toEqual({ family: 'imported_3', seed: null })
    expect(sampleIdFor('s', 42)).toBe('s00000042')
    expect(sampleIdFor('g1a2b3c4d', 7)).toBe('g1a2b3c4d-00000007')
    expect(sampleIdFor('imported_3', 1)).toBeNull()
    expect(familyLabel('s')).toBe('Renderer')
    expect(familyLabel('g1a2b3c4d', [{ sha256: '1a2b3c4d' + '0'.repeat(56), name: 'BiFaceGAN 256' }])).toBe('BiFaceGAN 256')
    expect(familyLabel('gffffffff')).toBe('Generator ffffffff')
  })

  it('steps through the seeds of a family and lists a grid of seeds', () => {
    const index = indexSamples(['s00000003', 's00000001', 'g1a2b3c4d-00000001', 's00000010', 'other'])
    expect(index.seeds.get('s')).toEqual([1, 3, 10])
    expect(index.ids.get('g1a2b3c4d')?.get(1)).toBe('g1a2b3c4d-00000001')
    expect(stepSeed(index, 's', 3, 1)).toBe(10)
    expect(stepSeed(index, 's', 10, 1)).toBe(10)
    expect(stepSeed(index, 's', 1, -1)).toBe(1)
    expect(stepSeed(index, 's', 5, 1)).toBe(10)
    expect(stepSeed(index, 's', 5, -1)).toBe(3)
    expect(seedsFrom(index, 's', 3, 5)).toEqual([3, 10])
    expect(seedsFrom(index, 's', 2, 2)).toEqual([3, 10])
  })
})

describe('pixels', () => {
  it('levels: black/white points and gamma', () => {
    const lut = levelsLut({ black: 0, white: 255, gamma: 1 })
    expect(Array.from(lut.slice(0, 3))).toEqual([0, 1, 2])
    const dark = levelsLut({ black: 10, white: 60, gamma: 2 })
    expect(dark[10]).toBe(0)
    expect(dark[60]).toBe(255)
    expect(dark[35]).toBe(Math.round(255 * Math.sqrt(0.5)))
    const out = applyLut(Uint8ClampedArray.of(35, 0, 255, 7), dark)
    expect(Array.from(out)).toEqual([dark[35], 0, 255, 7])
  })

  it('histograms: one channel for grey images, three for colour', () => {
    const grey = Uint8ClampedArray.of(5, 5, 5, 255, 9, 9, 9, 255)
    expect(isGreyRgba(grey)).toBe(true)
    const h = histogram(grey, true)
    expect(h).toHaveLength(1)
    expect(h[0][5]).toBe(1)
    const colour = Uint8ClampedArray.of(1, 2, 3, 255)
    expect(isGreyRgba(colour)).toBe(false)
    expect(histogram(colour, false).map((b) => b.indexOf(1))).toEqual([1, 2, 3])
  })

  it('difference map: mean |a − b| over R, G, B, b resampled to a', () => {
    const a = Uint8ClampedArray.of(10, 20, 30, 255, 0, 0, 0, 255)
    const b = Uint8ClampedArray.of(13, 20, 24, 255, 0, 0, 0, 255)
    expect(Array.from(differenceMap(a, 2, 1, b, 2, 1))).toEqual([3, 0])
    // b is 1×1: both pixels of a compare with it.
    expect(Array.from(differenceMap(a, 2, 1, Uint8ClampedArray.of(10, 20, 30, 255), 1, 1))).toEqual([0, 20])
    const stats = diffStats(Float32Array.from({ length: 100 }, (_, i) => i))
    expect(stats.max).toBe(99)
    expect(stats.p99).toBeCloseTo(98, 0)
    expect(stats.mean).toBeCloseTo(49.5, 6)
  })

  it('perceptual colormaps: dark to light, matching matplotlib at the ends', () => {
    const magma = colormapLut('magma')
    expect(Array.from(magma.slice(0, 3))).toEqual([0, 0, 0])
    const end = Array.from(magma.slice(765, 768))
    expect(end[0]).toBeGreaterThan(245)
    expect(end[2]).toBeGreaterThan(180)
    const viridis = colormapLut('viridis')
    // matplotlib viridis(0) = (68, 1, 84), viridis(1) = (253, 231, 37), within the fit's error.
    expect(Math.abs(viridis[0] - 68)).toBeLessThan(6)
    expect(Math.abs(viridis[2] - 84)).toBeLessThan(6)
    expect(Math.abs(viridis[765] - 253)).toBeLessThan(6)
    expect(Math.abs(viridis[766] - 231)).toBeLessThan(6)
    // Lightness grows along the map.
    const luma = (l: Uint8Array, i: number) => 0.299 * l[i * 3] + 0.587 * l[i * 3 + 1] + 0.114 * l[i * 3 + 2]
    for (const lut of [magma, viridis, colormapLut('inferno')]) for (let i = 16; i < 256; i += 16) expect(luma(lut, i)).toBeGreaterThan(luma(lut, i - 16))
    const rgba = colorizeDiff(Float32Array.of(0, 50, 100), 50, 'magma')
    expect(Array.from(rgba.slice(4, 8))).toEqual(Array.from(rgba.slice(8, 12)))
    expect(colorBarTicks(119)).toEqual([0, 60, 119])
    expect(colorBarTicks(5)).toEqual([0, 2.5, 5])
  })

  it('masks in class colours, unlabeled transparent', () => {
    const out = colorizeLabels(Uint8Array.of(0, 1, 255, 9), [
      { id: 0, color: '#000000' },
      { id: 1, color: '#ff8000' }
    ])
    expect(Array.from(out)).toEqual([0, 0, 0, 255, 255, 128, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0])
  })
})
