// The display pyramid: each level is the "first labelled pixel of the 2×2 block" reduction of
// the one below, and incremental updates from dirty rectangles equal a rebuild from scratch.
import { describe, it, expect } from 'vitest'
import { LabelPyramid, PaintEngine, type Rect } from '../../../src/renderer/src/canvas'
import { prng, sameBytes } from './helpers'

/** Straightforward reference: one level from the one below, pixel by pixel. */
function referenceLevel(src: Uint8Array, w: number, h: number): { labels: Uint8Array; width: number; height: number } {
  const width = Math.ceil(w / 2)
  const height = Math.ceil(h / 2)
  const labels = new Uint8Array(width * height)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 255
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const sx = 2 * x + dx
        const sy = 2 * y + dy
        if (sx < w && sy < h && src[sy * w + sx] !== 255) {
          v = src[sy * w + sx]
          break
        }
      }
      labels[y * width + x] = v
    }
  }
  return { labels, width, height }
}

function expectMatchesReference(p: LabelPyramid, labels: Uint8Array): void {
  let src = { labels, width: p.width, height: p.height }
  for (const level of p.levels) {
    const ref = referenceLevel(src.labels, src.width, src.height)
    expect([level.width, level.height]).toEqual([ref.width, ref.height])
    expect(sameBytes(level.labels, ref.labels)).toBe(true)
    src = level
  }
}

describe('LabelPyramid', () => {
  it('halves down to the minimum size, rounding odd sizes up', () => {
    const p = new LabelPyramid(8192, 8192)
    expect(p.levels.map((l) => l.width)).toEqual([4096, 2048, 1024, 512])
    const odd = new LabelPyramid(1037, 613, 100)
    expect(odd.levels.map((l) => [l.width, l.height])).toEqual([[519, 307], [260, 154], [130, 77], [65, 39]])
    expect(new LabelPyramid(300, 200, 512).levels).toEqual([])
  })

  it('rebuild equals the reference on odd-sized random maps, and keeps thin strokes visible', () => {
    const rnd = prng(11)
    const w = 203
    const h = 77
    const labels = Uint8Array.from({ length: w * h }, () => (rnd() < 0.6 ? 255 : (rnd() * 6) | 0))
    const p = new LabelPyramid(w, h, 8)
    p.rebuild(labels)
    expectMatchesReference(p, labels)

    // A one-pixel diagonal stroke on odd coordinates survives every level.
    const thin = new Uint8Array(256 * 256).fill(255)
    for (let i = 1; i < 256; i += 2) thin[i * 256 + i] = 4
    const q = new LabelPyramid(256, 256, 16)
    q.rebuild(thin)
    for (const level of q.levels) for (let i = 0; i < level.width; i++) expect(level.labels[i * level.width + i]).toBe(4)
  })

  it('incremental updates from the engine\'s dirty rectangles equal a rebuild, through strokes, fills, imports and undo', () => {
    const w = 331
    const h = 259
    const e = new PaintEngine(w, h)
    const p = new LabelPyramid(w, h, 20)
    p.rebuild(e.labels)
    const rnd = prng(5)
    const changed: Rect[] = []
    e.on('change', (ev) => changed.push(ev.rect))
    for (let step = 0; step < 60; step++) {
      const r = rnd()
      if (r < 0.5) {
        e.beginStroke({ kind: 'brush', classId: (rnd() * 8) | 0, diameter: 1 + ((rnd() * 15) | 0), shape: rnd() < 0.5 ? 'round' : 'square' }, rnd() * w, rnd() * h)
        for (let k = 0; k < 4; k++) e.strokeTo(rnd() * w, rnd() * h)
        e.endStroke()
      } else if (r < 0.65) {
        e.beginStroke({ kind: 'eraser', diameter: 9, shape: 'round', target: 'unlabeled' }, rnd() * w, rnd() * h)
        e.strokeTo(rnd() * w, rnd() * h)
        e.endStroke()
      } else if (r < 0.75) {
        e.fill(rnd() * w, rnd() * h, (rnd() * 8) | 0)
      } else if (r < 0.8) {
        const next = e.labels.slice()
        for (let i = 0; i < 500; i++) next[(rnd() * next.length) | 0] = rnd() < 0.5 ? 255 : 2
        e.importLabels(next)
      } else if (r < 0.93) {
        e.undo()
      } else {
        e.redo()
      }
      // As the view does once per frame: the union of the changes since the last frame.
      const dirty = e.takeDirty()
      if (dirty) {
        const rects = p.update(e.labels, dirty)
        expect(rects.length).toBe(p.levels.length)
        rects.forEach((rect, i) => {
          expect(rect.x + rect.width).toBeLessThanOrEqual(p.levels[i].width)
          expect(rect.y + rect.height).toBeLessThanOrEqual(p.levels[i].height)
        })
      }
      if (step % 10 === 9) expectMatchesReference(p, e.labels)
    }
    expect(changed.length).toBeGreaterThan(20)
    expectMatchesReference(p, e.labels)
  })

  it('an update outside the map changes nothing and a wrong buffer is refused', () => {
    const p = new LabelPyramid(100, 100, 10)
    const labels = new Uint8Array(100 * 100).fill(3)
    p.rebuild(labels)
    expect(p.update(labels, { x: 200, y: 0, width: 5, height: 5 })).toEqual([])
    expect(() => p.update(new Uint8Array(5), { x: 0, y: 0, width: 1, height: 1 })).toThrow(/100×100/)
  })
})
