import { describe, it, expect } from 'vitest'
import { PaintEngine, DEFAULT_HISTORY_MAX_BYTES, type HistoryEvent } from '../../../src/renderer/src/canvas'
import { packPixels, unpackPixels } from '../../../src/renderer/src/canvas/history'
import { prng, recount, sameBytes } from './helpers'

/** One random user action on the engine (stroke, eraser, lasso, fill, polygon), with a random preserve filter. */
function randomAction(e: PaintEngine, rnd: () => number, image: Uint8Array): void {
  const w = e.width
  const h = e.height
  const cls = () => Math.floor(rnd() * 6)
  const r = rnd()
  e.preserve = r < 0.1 ? { mode: 'unlabeled' } : r < 0.2 ? { mode: 'class', classId: cls() } : { mode: 'none' }
  const op = Math.floor(rnd() * 6)
  if (op <= 1) {
    const shape = rnd() < 0.5 ? 'round' : 'square'
    const diameter = 1 + Math.floor(rnd() * (rnd() < 0.2 ? 80 : 12))
    const tool = op === 0 ? ({ kind: 'brush', classId: cls(), diameter, shape } as const) : ({ kind: 'eraser', diameter, shape, target: rnd() < 0.5 ? 'unlabeled' : 'background' } as const)
    e.beginStroke(tool, rnd() * w, rnd() * h)
    const n = Math.floor(rnd() * 12)
    for (let k = 0; k < n; k++) e.strokeTo(rnd() * w, rnd() * h)
    e.endStroke()
  } else if (op === 2) {
    e.beginStroke({ kind: 'lasso', classId: cls(), rule: rnd() < 0.5 ? 'evenodd' : 'nonzero' }, rnd() * w, rnd() * h)
    for (let k = 0; k < 8; k++) e.strokeTo(rnd() * w, rnd() * h)
    e.endStroke()
  } else if (op === 3) {
    e.fill(rnd() * w, rnd() * h, cls(), rnd() < 0.5 ? { image, channels: 1, tolerance: 30 } : undefined)
  } else {
    const pts: number[] = []
    for (let k = 0; k < 3 + Math.floor(rnd() * 5); k++) pts.push(rnd() * w * 1.2 - 0.1 * w, rnd() * h * 1.2 - 0.1 * h)
    e.fillPolygon(pts, cls(), rnd() < 0.5 ? 'evenodd' : 'nonzero')
  }
}

function gradientImage(w: number, h: number): Uint8Array {
  const img = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img[y * w + x] = (x * 3 + y * 5) & 0xff
  return img
}

describe('undo / redo', () => {
  it('round-trips exact bytes and counts through many random mixed actions', () => {
    const rnd = prng(2024)
    const w = 150
    const h = 110
    const image = gradientImage(w, h)
    const e = new PaintEngine(w, h)
    const states: Uint8Array[] = [e.labels.slice()]
    for (let i = 0; i < 120; i++) {
      randomAction(e, rnd, image)
      // Actions that change nothing record no step.
      if (e.undoSteps === states.length) states.push(e.labels.slice())
      else expect(sameBytes(e.labels, states[states.length - 1])).toBe(true)
      expect(e.undoSteps).toBe(states.length - 1)
    }
    expect(states.length).toBeGreaterThan(80)
    // Walk the history randomly, checking bytes and counts at every position.
    let pos = states.length - 1
    for (let k = 0; k < 400; k++) {
      if (rnd() < 0.55 && e.canUndo) {
        e.undo()
        pos--
      } else if (e.canRedo) {
        e.redo()
        pos++
      }
      expect(sameBytes(e.labels, states[pos])).toBe(true)
      expect(sameBytes(e.counts(), recount(states[pos]))).toBe(true)
    }
    while (e.canUndo) e.undo()
    expect(sameBytes(e.labels, states[0])).toBe(true)
    expect(e.counts()[255]).toBe(w * h)
    while (e.canRedo) e.redo()
    expect(sameBytes(e.labels, states[states.length - 1])).toBe(true)
    expect(sameBytes(e.counts(), recount(states[states.length - 1]))).toBe(true)
  })

  it('a new action after undo clears the redo stack', () => {
    const e = new PaintEngine(10, 10)
    e.fill(0, 0, 1)
    e.fillPolygon([0, 0, 5, 0, 5, 5], 2)
    e.undo()
    expect(e.canRedo).toBe(true)
    e.beginStroke({ kind: 'brush', classId: 3, diameter: 1, shape: 'round' }, 5, 5)
    expect(e.canRedo).toBe(false) // a stroke in progress already hides redo
    e.endStroke()
    expect([e.canRedo, e.redoSteps, e.undoSteps]).toEqual([false, 0, 2])
    expect(e.redo()).toBeNull()
  })

  it('stores only what changed: 200 small strokes on a big map all stay undoable under the default cap', () => {
    const e = new PaintEngine(4096, 4096)
    const rnd = prng(1)
    for (let i = 0; i < 200; i++) {
      const x = rnd() * 4096
      const y = rnd() * 4096
      e.beginStroke({ kind: 'brush', classId: i % 7, diameter: 16, shape: 'round' }, x, y)
      e.strokeTo(x + 40, y + 25)
      e.endStroke()
    }
    expect(e.undoSteps).toBe(200)
    expect(e.historyBytes).toBeLessThan(DEFAULT_HISTORY_MAX_BYTES)
    expect(e.historyBytes).toBeLessThan(4 * 1024 * 1024)
    for (let i = 0; i < 200; i++) e.undo()
    expect(e.counts()[255]).toBe(4096 * 4096)
  })

  it('never exceeds the memory cap: the oldest steps are dropped', () => {
    const cap = 40_000
    const rnd = prng(77)
    const w = 200
    const h = 200
    const e = new PaintEngine(w, h, { historyMaxBytes: cap })
    // A noisy map, so that the patches' "before" pixels do not pack.
    e.load(Uint8Array.from({ length: w * h }, () => Math.floor(rnd() * 5)), w, h)
    const states: Uint8Array[] = [e.labels.slice()]
    let dropped = 0
    e.on('history', (ev: HistoryEvent) => {
      dropped += ev.dropped
      expect(ev.historyBytes).toBeLessThanOrEqual(cap)
    })
    for (let i = 0; i < 60; i++) {
      const x = Math.floor(rnd() * 150)
      const y = Math.floor(rnd() * 150)
      e.fillPolygon([x, y, x + 40, y, x + 40, y + 40, x, y + 40], 5 + (i % 5))
      states.push(e.labels.slice())
      expect(e.historyBytes).toBeLessThanOrEqual(cap)
    }
    expect(dropped).toBeGreaterThan(0)
    expect(e.undoSteps).toBe(60 - dropped)
    // Undo reaches back exactly to the state after the dropped steps, no further.
    while (e.canUndo) e.undo()
    expect(sameBytes(e.labels, states[dropped])).toBe(true)
    while (e.canRedo) e.redo()
    expect(sameBytes(e.labels, states[60])).toBe(true)
  })

  it('a step larger than the cap is not kept; lowering the cap drops steps at once', () => {
    const e = new PaintEngine(100, 100, { historyMaxBytes: 1000 })
    const noise = new Uint8Array(100 * 100).map((_, i) => (i * 7919) % 5)
    e.load(noise, 100, 100)
    e.fill(0, 0, 9, { image: new Uint8Array(10000), channels: 1, tolerance: 0 })
    e.fillPolygon([0, 0, 100, 0, 100, 100, 0, 100], 9)
    expect(e.undoSteps).toBe(0)
    expect(e.historyBytes).toBe(0)
    e.setHistoryLimits({ maxBytes: 10_000_000 })
    e.fillPolygon([0, 0, 100, 0, 100, 100, 0, 100], 3)
    e.fillPolygon([0, 0, 50, 0, 50, 50, 0, 50], 4)
    expect(e.undoSteps).toBe(2)
    e.setHistoryLimits({ maxBytes: 800 })
    expect(e.undoSteps).toBe(1)
    expect(e.historyBytes).toBeLessThanOrEqual(800)
    e.setHistoryLimits({ maxSteps: 0 })
    expect([e.undoSteps, e.historyBytes]).toEqual([0, 0])
  })

  it('keeps at least 200 steps by default', () => {
    const e = new PaintEngine(64, 64)
    for (let i = 0; i < 250; i++) e.fillPolygon([i % 60, 0, (i % 60) + 3, 0, (i % 60) + 3, 64], (i % 2) + 1)
    expect(e.undoSteps).toBe(250)
  })
})

describe('patch packing', () => {
  it('round-trips raw and run-length data', () => {
    const rnd = prng(9)
    for (const n of [1, 2, 255, 256, 257, 4096]) {
      const uniform = new Uint8Array(n).fill(7)
      const runs = Uint8Array.from({ length: n }, (_, i) => Math.floor(i / 300) % 3)
      const noise = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256))
      for (const raw of [uniform, runs, noise]) {
        const p = packPixels(raw)
        expect(p.bytes.length).toBeLessThanOrEqual(raw.length)
        expect(sameBytes(unpackPixels(p, new Uint8Array(n)), raw)).toBe(true)
      }
    }
    expect(packPixels(new Uint8Array(4096)).bytes.length).toBe(32)
  })
})
