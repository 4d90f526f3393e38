import { describe, it, expect } from 'vitest'
import { MAX_ZOOM, MIN_ZOOM, centred, constrain, fitTransform, nextZoomStep, toImage, toScreen, visibleImageRect, zoomAt, zoomTo } from '../../../src/renderer/src/canvas/view/transform'
import { IDENTITY_LEVELS, applyLevels, autoLevels, isIdentityLevels, levelsLut, normaliseLevels } from '../../../src/renderer/src/canvas/view/levels'
import { growRect, outlineRect } from '../../../src/renderer/src/canvas/view/outline'
import { forEachTile, tileGrid, tileRect } from '../../../src/renderer/src/canvas/view/tiles'
import { makeColorLut } from '../../../src/renderer/src/canvas'

describe('view transform', () => {
  it('fits the image centred with whole-pixel offsets and maps screen ↔ image both ways', () => {
    const t = fitTransform({ width: 800, height: 600 }, { width: 256, height: 256 }, 12)
    expect(t.zoom).toBeCloseTo((600 - 24) / 256, 10)
    expect(Number.isInteger(t.x) && Number.isInteger(t.y)).toBe(true)
    const s = toScreen(t, 10.5, 20.25)
    const back = toImage(t, s.x, s.y)
    expect(back.x).toBeCloseTo(10.5, 10)
    expect(back.y).toBeCloseTo(20.25, 10)
    expect(centred({ width: 100, height: 100 }, { width: 10, height: 10 }, 4)).toEqual({ zoom: 4, x: 30, y: 30 })
  })

  it('zooms about the cursor, within 1/64× and 32×', () => {
    const t = { zoom: 2, x: 100, y: 50 }
    const under = toImage(t, 300, 200)
    const z = zoomAt(t, 3, 300, 200)
    expect(z.zoom).toBe(6)
    const after = toImage(z, 300, 200)
    // Offsets are rounded to whole pixels: the point stays within one screen pixel.
    expect(Math.abs(after.x - under.x) * z.zoom).toBeLessThan(1)
    expect(Math.abs(after.y - under.y) * z.zoom).toBeLessThan(1)
    expect(zoomAt(t, 1000, 0, 0).zoom).toBe(MAX_ZOOM)
    expect(zoomTo(t, 0, 0, 0).zoom).toBe(MIN_ZOOM)
    expect(zoomTo(t, 2, 5, 5)).toBe(t)
    expect(nextZoomStep(1, 1)).toBe(1.5)
    expect(nextZoomStep(1, -1)).toBe(0.75)
    expect(nextZoomStep(32, 1)).toBe(32)
  })

  it('keeps part of the image in view and reports the visible pixels', () => {
    const view = { width: 400, height: 300 }
    const image = { width: 100, height: 100 }
    const far = constrain({ zoom: 1, x: 5000, y: -5000 }, view, image, 48)
    expect(far).toEqual({ zoom: 1, x: 352, y: -52 })
    expect(visibleImageRect({ zoom: 2, x: -20, y: 10 }, view, image)).toEqual({ x: 10, y: 0, width: 90, height: 100 })
    expect(visibleImageRect({ zoom: 1, x: 500, y: 0 }, view, image)).toBeNull()
  })
})

describe('levels', () => {
  it('builds the identity, black/white points and gamma', () => {
    const id = levelsLut(IDENTITY_LEVELS)
    expect([...id]).toEqual([...Array(256).keys()])
    expect(isIdentityLevels({ low: 0, high: 255, gamma: 1 })).toBe(true)
    const lut = levelsLut({ low: 10, high: 110, gamma: 1 })
    expect([lut[0], lut[10], lut[60], lut[110], lut[200]]).toEqual([0, 0, 128, 255, 255])
    const bright = levelsLut({ low: 0, high: 255, gamma: 2 })
    expect(bright[64]).toBe(Math.round(255 * Math.sqrt(64 / 255)))
    expect(normaliseLevels({ low: 300, high: 2, gamma: -1 })).toEqual({ low: 254, high: 255, gamma: 0.2 })
  })

  it('applies a table to RGBA keeping alpha, and stretches a dark image automatically', () => {
    const src = Uint8Array.from([10, 20, 30, 7, 40, 50, 60, 255])
    const dst = new Uint8Array(8)
    applyLevels(src, dst, levelsLut({ low: 10, high: 60, gamma: 1 }))
    expect([...dst]).toEqual([0, 51, 102, 7, 153, 204, 255, 255])
    // A dark NIR-like image: values 5..45.
    const n = 10_000
    const dark = new Uint8Array(n * 4)
    for (let i = 0; i < n; i++) dark.set([5 + (i % 41), 5 + (i % 41), 5 + (i % 41), 255], i * 4)
    const auto = autoLevels(dark)
    expect(auto.low).toBeLessThanOrEqual(6)
    expect(auto.high).toBeGreaterThanOrEqual(44)
    expect(auto.high).toBeLessThanOrEqual(45)
    expect(autoLevels(new Uint8Array(16))).toEqual({ ...IDENTITY_LEVELS })
  })
})

describe('outline display', () => {
  it('draws only region boundaries, never unlabeled pixels', () => {
    const w = 5
    const h = 5
    const labels = new Uint8Array(w * h).fill(255)
    for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) labels[y * w + x] = 1
    const lut = makeColorLut([{ id: 1, color: '#ff0000' }])
    const out = new Uint8Array(w * h * 4)
    outlineRect(labels, w, h, { x: 0, y: 0, width: w, height: h }, lut, out)
    const opaque = (x: number, y: number) => out[(y * w + x) * 4 + 3] === 255
    expect(opaque(1, 1) && opaque(2, 1) && opaque(1, 2) && opaque(3, 3)).toBe(true)
    expect(opaque(2, 2)).toBe(false) // the interior
    expect(opaque(0, 0)).toBe(false) // unlabeled
    expect([...out.subarray((1 * w + 1) * 4, (1 * w + 1) * 4 + 4)]).toEqual([255, 0, 0, 255])
    expect(growRect({ x: 0, y: 3, width: 2, height: 2 }, 1, w, h)).toEqual({ x: 0, y: 2, width: 3, height: 3 })
  })
})

describe('mask tiles', () => {
  it('splits a dirty rectangle over the tiles it touches', () => {
    const grid = tileGrid(2500, 1100, 1024)
    expect(grid).toEqual({ tile: 1024, columns: 3, rows: 2 })
    expect(tileRect(grid, 2500, 1100, 5)).toEqual({ x: 2048, y: 1024, width: 452, height: 76 })
    const parts: [number, { x: number; y: number; width: number; height: number }][] = []
    forEachTile(grid, 2500, 1100, { x: 1000, y: 1000, width: 100, height: 200 }, (i, r) => parts.push([i, r]))
    expect(parts).toEqual([
      [0, { x: 1000, y: 1000, width: 24, height: 24 }],
      [1, { x: 1024, y: 1000, width: 76, height: 24 }],
      [3, { x: 1000, y: 1024, width: 24, height: 76 }],
      [4, { x: 1024, y: 1024, width: 76, height: 76 }]
    ])
    const none: number[] = []
    forEachTile(grid, 2500, 1100, { x: 3000, y: 0, width: 10, height: 10 }, (i) => none.push(i))
    expect(none).toEqual([])
  })
})
