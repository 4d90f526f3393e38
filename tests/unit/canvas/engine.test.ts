import { describe, it, expect } from 'vitest'
import { PaintEngine, type ChangeEvent, type HistoryEvent, type Rect } from '../../../src/renderer/src/canvas'
import { picture, pixelsOf, prng, recount, inside, sameBytes } from './helpers'

const brush = (classId: number, diameter = 1, shape: 'round' | 'square' = 'square') => ({ kind: 'brush' as const, classId, diameter, shape })

function fromPicture(rows: string[]): PaintEngine {
  const h = rows.length
  const w = rows[0].length
  const labels = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) labels[y * w + x] = rows[y][x] === '.' ? 255 : parseInt(rows[y][x], 36)
  const e = new PaintEngine(1, 1)
  e.load(labels, w, h)
  return e
}

describe('painting tools', () => {
  it('starts unlabeled, paints exact class ids and keeps counts', () => {
    const e = new PaintEngine(32, 16)
    expect(e.counts()[255]).toBe(32 * 16)
    e.beginStroke(brush(3, 5, 'round'), 4, 4)
    e.strokeTo(28, 12)
    e.endStroke()
    const values = new Set(e.labels)
    expect([...values].sort((a, b) => a - b)).toEqual([3, 255])
    expect(sameBytes(e.counts(), recount(e.labels))).toBe(true)
  })

  it('skips samples that do not move the stamp and ignores strokeTo without a stroke', () => {
    const e = new PaintEngine(16, 16)
    expect(e.strokeTo(3, 3)).toBeNull()
    expect(e.beginStroke(brush(1, 3), 5.1, 5.1)).toEqual({ x: 4, y: 4, width: 3, height: 3 })
    expect(e.strokeTo(5.9, 5.4)).toBeNull()
    expect(e.strokeTo(6.2, 5.4)).toEqual({ x: 7, y: 4, width: 1, height: 3 })
    expect(e.endStroke()).toEqual({ x: 4, y: 4, width: 4, height: 3 })
    expect(e.endStroke()).toBeNull()
  })

  it('erases to unlabeled or to background, whatever the preserve filter', () => {
    const e = new PaintEngine(10, 10)
    e.fill(0, 0, 2)
    e.preserve = { mode: 'unlabeled' }
    e.beginStroke({ kind: 'eraser', diameter: 2, shape: 'square', target: 'unlabeled' }, 2, 2)
    e.endStroke()
    expect(pixelsOf(e, 255)).toEqual(new Set(['1,1', '2,1', '1,2', '2,2']))
    e.beginStroke({ kind: 'eraser', diameter: 1, shape: 'square', target: 'background' }, 7.5, 7.5)
    e.endStroke()
    expect(e.labelAt(7, 7)).toBe(0)
    expect(e.counts()[0]).toBe(1)
    expect(e.counts()[2]).toBe(100 - 5)
  })

  it('eyedropper reads the class under the pointer, undefined outside', () => {
    const e = fromPicture(['01', '2.'])
    expect([e.labelAt(0.9, 0.1), e.labelAt(1, 0), e.labelAt(0, 1.99), e.labelAt(1.5, 1.5)]).toEqual([0, 1, 2, 255])
    expect(e.labelAt(-0.1, 0)).toBeUndefined()
    expect(e.labelAt(2, 0)).toBeUndefined()
  })

  it('refuses bad class ids and non-finite positions', () => {
    const e = new PaintEngine(4, 4)
    expect(() => e.beginStroke(brush(256), 1, 1)).toThrow(RangeError)
    expect(() => e.fill(1, 1, -1)).toThrow(RangeError)
    expect(() => e.beginStroke(brush(1), NaN, 1)).toThrow(/finite/)
    expect(e.strokeActive).toBe(false)
  })
})

describe('flood fill', () => {
  it('fills the 4-connected region of the seed label, never across diagonals', () => {
    const e = fromPicture([
      '.....1..',
      '.....1..',
      '111111..',
      '......1.',
      '.......1'
    ])
    expect(e.fill(0, 0, 7)).toEqual({ x: 0, y: 0, width: 5, height: 2 })
    expect(picture(e)).toEqual([
      '777771..',
      '777771..',
      '111111..',
      '......1.',
      '.......1'
    ])
    // The right part touches the bottom-left part only diagonally, at (7,3)–(6,4).
    e.fill(7, 0, 8)
    expect(picture(e)).toEqual([
      '77777188',
      '77777188',
      '11111188',
      '......18',
      '.......1'
    ])
    expect(sameBytes(e.counts(), recount(e.labels))).toBe(true)
  })

  it('is a no-op on the same class, outside the map, or where the filter forbids', () => {
    const e = fromPicture(['22', '2.'])
    expect(e.fill(0, 0, 2)).toBeNull()
    expect(e.fill(5, 0, 3)).toBeNull()
    e.preserve = { mode: 'unlabeled' }
    expect(e.fill(0, 0, 3)).toBeNull()
    expect(e.fill(1, 1, 3)).toEqual({ x: 1, y: 1, width: 1, height: 1 })
    expect(e.undoSteps).toBe(1)
  })

  it('handles a large winding region without recursion', () => {
    // A serpentine corridor: every other row blocked except at alternating ends.
    const w = 301
    const h = 301
    const labels = new Uint8Array(w * h).fill(255)
    for (let y = 1; y < h; y += 2) {
      for (let x = 0; x < w; x++) labels[y * w + x] = 1
      labels[y * w + (((y - 1) / 2) % 2 === 0 ? w - 1 : 0)] = 255
    }
    const e = new PaintEngine(1, 1)
    e.load(labels, w, h)
    e.fill(0, 0, 4)
    expect(e.counts()[255]).toBe(0)
    expect(e.counts()[4]).toBe(recount(labels)[255])
  })

  it('matches a breadth-first reference fill on random maps, with and without an image limit', () => {
    const rnd = prng(31)
    const w = 53
    const h = 41
    for (let k = 0; k < 60; k++) {
      const labels = Uint8Array.from({ length: w * h }, () => (rnd() < 0.35 ? 1 : rnd() < 0.5 ? 2 : 255))
      const image = Uint8Array.from({ length: w * h }, () => Math.floor(rnd() * 256))
      const e = new PaintEngine(1, 1)
      e.load(labels, w, h)
      const sx = Math.floor(rnd() * w)
      const sy = Math.floor(rnd() * h)
      const limited = k % 2 === 1
      const tolerance = 120
      e.fill(sx + 0.5, sy + 0.5, 7, limited ? { image, channels: 1, tolerance } : undefined)
      // Reference: breadth-first search over 4-neighbours.
      const seed = labels[sy * w + sx]
      const ok = (i: number): boolean => labels[i] === seed && (!limited || Math.abs(image[i] - image[sy * w + sx]) <= tolerance)
      const expected = labels.slice()
      const queue = [sy * w + sx]
      expected[sy * w + sx] = 7
      while (queue.length) {
        const i = queue.shift()!
        const x = i % w
        const y = (i - x) / w
        for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]]) {
          const j = ny * w + nx
          if (nx >= 0 && ny >= 0 && nx < w && ny < h && expected[j] !== 7 && ok(j)) {
            expected[j] = 7
            queue.push(j)
          }
        }
      }
      expect(sameBytes(e.labels, expected)).toBe(true)
    }
  })

  it('with an image similarity limit, stops at an edge in the image (grey)', () => {
    const w = 40
    const h = 30
    const e = new PaintEngine(w, h)
    // A bright disc ("iris") on a dark face, with noise below the tolerance.
    const rnd = prng(5)
    const image = new Uint8Array(w * h)
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inDisc = (x - 20) ** 2 + (y - 15) ** 2 <= 64
        image[y * w + x] = (inDisc ? 200 : 60) + Math.floor(rnd() * 10)
      }
    }
    e.fill(20, 15, 5, { image, channels: 1, tolerance: 20 })
    let wrong = 0
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const inDisc = (x - 20) ** 2 + (y - 15) ** 2 <= 64
        if ((e.labels[y * w + x] === 5) !== inDisc) wrong++
      }
    }
    expect(wrong).toBe(0)
  })

  it('with an RGB limit, fills only connected similar colours', () => {
    const w = 12
    const h = 3
    const image = new Uint8Array(w * h * 3)
    for (let i = 0; i < w * h; i++) {
      const x = i % w
      const c = x < 4 ? [200, 30, 30] : x < 8 ? [30, 200, 30] : [202, 28, 33]
      image.set(c, i * 3)
    }
    const e = new PaintEngine(w, h)
    e.fill(1, 1, 9, { image, channels: 3, tolerance: 10 })
    // The red block on the right has a similar colour but is not connected.
    expect(picture(e)).toEqual(['9999........', '9999........', '9999........'])
    e.fill(11, 0, 9, { image, channels: 3, tolerance: 0 })
    expect(pixelsOf(e, 9).size).toBe(24)
    expect(() => e.fill(0, 0, 1, { image: image.subarray(1), channels: 3, tolerance: 1 })).toThrow(/expected 12×3×3/)
  })
})

describe('polygon and lasso', () => {
  it('fills a polygon with exact ids only', () => {
    const e = new PaintEngine(64, 64)
    e.fill(0, 0, 0)
    const r = e.fillPolygon([5.5, 3.2, 60, 30.7, 12.1, 58], 6)
    expect([...new Set(e.labels)].sort()).toEqual([0, 6])
    expect(r).not.toBeNull()
    const area = Math.abs((60 - 5.5) * (58 - 3.2) - (12.1 - 5.5) * (30.7 - 3.2)) / 2
    expect(Math.abs(e.counts()[6] - area) / area).toBeLessThan(0.03)
  })

  it('lasso collects pointer samples and fills the freehand polygon on endStroke as one step', () => {
    const e = new PaintEngine(50, 50)
    e.beginStroke({ kind: 'lasso', classId: 2 }, 10, 10)
    for (let i = 1; i <= 40; i++) {
      const t = (i / 40) * 2 * Math.PI
      expect(e.strokeTo(25 + 15 * Math.cos(t + Math.PI), 25 + 15 * Math.sin(t + Math.PI))).toBeNull()
    }
    expect(e.lassoPoints.length).toBe(82)
    expect(e.counts()[2]).toBe(0)
    e.endStroke()
    expect(e.lassoPoints).toEqual([])
    expect(e.labelAt(25, 25)).toBe(2)
    expect(e.counts()[2]).toBeGreaterThan(600)
    expect(e.undoSteps).toBe(1)
    e.undo()
    expect(e.counts()[255]).toBe(2500)
  })
})

describe('preserve labels', () => {
  const base = ['1111....', '1111....', '22..22..', '22..22..']

  it('only over unlabeled: brush, fill and polygon leave labels alone', () => {
    const e = fromPicture(base)
    e.preserve = { mode: 'unlabeled' }
    e.beginStroke(brush(7, 1), 0.5, 0.5)
    e.strokeTo(7.5, 0.5)
    e.endStroke()
    expect(picture(e)[0]).toBe('11117777')
    e.fillPolygon([0, 1, 8, 1, 8, 2, 0, 2], 8)
    expect(picture(e)[1]).toBe('11118888')
    e.fill(2, 3, 9)
    expect(picture(e).slice(2)).toEqual(['229922..', '229922..'])
  })

  it('only over class c: paints only pixels of class c', () => {
    const e = fromPicture(base)
    e.preserve = { mode: 'class', classId: 2 }
    expect(e.preserve).toEqual({ mode: 'class', classId: 2 })
    e.beginStroke(brush(5, 1), 0.5, 2.5)
    e.strokeTo(7.5, 2.5)
    e.endStroke()
    expect(picture(e)[2]).toBe('55..55..')
    e.fillPolygon([0, 0, 8, 0, 8, 4, 0, 4], 6)
    expect(picture(e)).toEqual(['1111....', '1111....', '55..55..', '66..66..'])
    expect(e.fill(3, 3, 4)).toBeNull()
    e.preserve = { mode: 'none' }
    e.fill(3, 3, 4)
    expect(picture(e)[3]).toBe('664466..')
    expect(sameBytes(e.counts(), recount(e.labels))).toBe(true)
  })
})

describe('dirty rectangles and events', () => {
  it('every change event and takeDirty() cover every changed pixel', () => {
    const rnd = prng(99)
    const w = 96
    const h = 80
    const e = new PaintEngine(w, h)
    const events: ChangeEvent[] = []
    e.on('change', (ev) => events.push(ev))
    for (let step = 0; step < 60; step++) {
      const before = e.labels.slice()
      events.length = 0
      const op = Math.floor(rnd() * 6)
      if (op <= 1) {
        const tool = op === 0 ? brush(Math.floor(rnd() * 5), 1 + Math.floor(rnd() * 20), rnd() < 0.5 ? 'round' : 'square') : ({ kind: 'eraser', diameter: 1 + Math.floor(rnd() * 9), shape: 'round', target: 'unlabeled' } as const)
        e.beginStroke(tool, rnd() * w, rnd() * h)
        for (let k = 0; k < 5; k++) e.strokeTo(rnd() * w, rnd() * h)
        e.endStroke()
      } else if (op === 2) e.fill(rnd() * w, rnd() * h, Math.floor(rnd() * 5))
      else if (op === 3) e.fillPolygon([rnd() * w, rnd() * h, rnd() * w, rnd() * h, rnd() * w, rnd() * h], Math.floor(rnd() * 5))
      else if (op === 4) e.undo()
      else e.redo()
      const dirty = e.takeDirty()
      let uncovered = 0
      let changed = 0
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          if (before[y * w + x] === e.labels[y * w + x]) continue
          changed++
          if (!inside(dirty, x, y) || !events.some((ev) => inside(ev.rect, x, y))) uncovered++
        }
      }
      expect(uncovered).toBe(0)
      if (changed === 0) expect(dirty).toBeNull()
      expect(e.takeDirty()).toBeNull()
    }
  })

  it('reports tight rects for single operations', () => {
    const e = new PaintEngine(20, 20)
    const rects: Rect[] = []
    e.on('change', ({ rect }) => rects.push(rect))
    e.fillPolygon([2, 3, 9, 3, 9, 7, 2, 7], 1)
    expect(rects).toEqual([{ x: 2, y: 3, width: 7, height: 4 }])
    e.undo()
    expect(rects[1]).toEqual({ x: 2, y: 3, width: 7, height: 4 })
  })

  it('emits history events and stops after unsubscribing', () => {
    const e = new PaintEngine(8, 8)
    const hist: HistoryEvent[] = []
    const off = e.on('history', (ev) => hist.push(ev))
    e.fill(0, 0, 1)
    expect(hist.at(-1)).toMatchObject({ canUndo: true, canRedo: false, undoSteps: 1, redoSteps: 0 })
    e.undo()
    expect(hist.at(-1)).toMatchObject({ canUndo: false, canRedo: true, undoSteps: 0, redoSteps: 1 })
    off()
    e.redo()
    expect(hist.length).toBe(2)
  })
})

describe('document state', () => {
  it('tracks dirtiness by state, including undo back to the saved state', () => {
    const e = new PaintEngine(8, 8)
    expect(e.isDirty).toBe(false)
    const c0 = e.changeCount
    e.fill(0, 0, 1)
    expect(e.isDirty).toBe(true)
    expect(e.changeCount).toBe(c0 + 1)
    const snap = e.snapshot()
    e.markSaved(snap.state)
    expect(e.isDirty).toBe(false)
    e.beginStroke(brush(2), 1, 1)
    expect(e.isDirty).toBe(true) // a stroke in progress counts
    e.endStroke()
    expect(e.isDirty).toBe(true)
    e.undo()
    expect(e.isDirty).toBe(false)
    e.undo()
    expect(e.isDirty).toBe(true)
    e.redo()
    expect(e.isDirty).toBe(false)
  })

  it('load replaces the map, resets history and counts; snapshot copies', () => {
    const e = new PaintEngine(4, 4)
    e.fill(0, 0, 3)
    const labels = Uint8Array.from({ length: 6 }, (_, i) => i)
    e.load(labels, 3, 2)
    labels[0] = 9
    expect([e.width, e.height, e.labelAt(0, 0), e.canUndo, e.isDirty]).toEqual([3, 2, 0, false, false])
    expect(sameBytes(e.counts(), recount(Uint8Array.of(0, 1, 2, 3, 4, 5)))).toBe(true)
    const snap = e.snapshot()
    snap.labels[1] = 200
    expect(e.labelAt(1, 0)).toBe(1)
    expect(e.takeDirty()).toEqual({ x: 0, y: 0, width: 4, height: 4 })
    expect(() => e.load(new Uint8Array(5), 3, 2)).toThrow(/expected 3×2/)
  })

  it('cancelStroke restores every pixel and records nothing', () => {
    const e = fromPicture(['1111', '....', '2222', '....'])
    const before = e.labels.slice()
    e.beginStroke(brush(5, 2, 'round'), 0, 0)
    e.strokeTo(4, 4)
    expect(e.cancelStroke()).not.toBeNull()
    expect(sameBytes(e.labels, before)).toBe(true)
    expect(sameBytes(e.counts(), recount(before))).toBe(true)
    expect([e.canUndo, e.isDirty, e.strokeActive]).toEqual([false, false, false])
  })

  it('an open stroke is committed before fill, polygon, undo and a new stroke', () => {
    const e = new PaintEngine(10, 10)
    e.beginStroke(brush(1), 1, 1)
    e.fill(9, 9, 2)
    expect(e.undoSteps).toBe(2)
    e.beginStroke(brush(3), 1, 1)
    e.beginStroke(brush(4), 2, 2)
    e.undo()
    expect(e.undoSteps).toBe(3)
    expect(e.labelAt(1, 1)).toBe(3)
  })
})

describe('colorize', () => {
  it('turns a dirty rect of labels into RGBA bytes through a lookup table', async () => {
    const { makeColorLut, colorizeRect } = await import('../../../src/renderer/src/canvas')
    const e = fromPicture(['0.1', '21.'])
    const lut = makeColorLut([
      { id: 0, color: '#000000' },
      { id: 1, color: '#ff8000' },
      { id: 2, color: '#0000ff' }
    ])
    const out = new Uint8ClampedArray(2 * 2 * 4)
    colorizeRect(e.labels, e.width, { x: 1, y: 0, width: 2, height: 2 }, lut, out)
    expect([...out]).toEqual([0, 0, 0, 0, 255, 128, 0, 255, 255, 128, 0, 255, 0, 0, 0, 0])
    expect(() => makeColorLut([{ id: 3, color: 'blue' }])).toThrow(/bad class colour/)
  })
})
