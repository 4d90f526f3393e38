// Importing a mask into the open editor: one undo step, stored as dirty-tile patches,
// exact in both directions, and subject to the history memory cap.
import { describe, it, expect } from 'vitest'
import { PaintEngine, type ChangeEvent } from '../../../src/renderer/src/canvas'
import { prng, recount, sameBytes } from './helpers'

const brush = (classId: number, diameter: number) => ({ kind: 'brush' as const, classId, diameter, shape: 'round' as const })

/** A 200×150 map with a few strokes and a fill, so the "previous mask" is not trivial. */
function painted(): PaintEngine {
  const e = new PaintEngine(200, 150)
  e.beginStroke(brush(1, 9), 10, 10)
  e.strokeTo(120, 80)
  e.endStroke()
  e.fill(190, 140, 2)
  e.beginStroke(brush(3, 5), 30, 140)
  e.strokeTo(60, 20)
  e.endStroke()
  return e
}

describe('importLabels', () => {
  it('is one undo step: undo restores the previous mask exactly, redo re-applies the import', () => {
    const e = painted()
    const before = e.labels.slice()
    const stepsBefore = e.undoSteps
    const rnd = prng(4)
    // An imported mask with blocks of several classes and some unlabeled pixels.
    const imported = new Uint8Array(200 * 150)
    for (let y = 0; y < 150; y++) for (let x = 0; x < 200; x++) imported[y * 200 + x] = ((x >> 4) + (y >> 4)) % 5 === 4 ? 255 : ((x >> 4) + (y >> 4)) % 5
    imported[rnd() * imported.length | 0] = 7
    const events: ChangeEvent[] = []
    e.on('change', (ev) => events.push(ev))
    const rect = e.importLabels(imported)
    expect(rect).toEqual({ x: 0, y: 0, width: 200, height: 150 })
    expect(events.map((ev) => ev.reason)).toEqual(['import'])
    expect(sameBytes(e.labels, imported)).toBe(true)
    expect(sameBytes(e.counts(), recount(imported))).toBe(true)
    expect(e.undoSteps).toBe(stepsBefore + 1)
    expect(e.isDirty).toBe(true)

    e.undo()
    expect(sameBytes(e.labels, before)).toBe(true)
    expect(sameBytes(e.counts(), recount(before))).toBe(true)
    expect(e.undoSteps).toBe(stepsBefore)
    e.redo()
    expect(sameBytes(e.labels, imported)).toBe(true)
    // The earlier strokes are still undoable after the import is undone.
    e.undo()
    e.undo()
    expect(e.undoSteps).toBe(stepsBefore - 1)
  })

  it('stores only the changed tiles: a small change costs little, an identical import nothing', () => {
    const e = new PaintEngine(1024, 1024)
    e.fill(0, 0, 0)
    const bytesBefore = e.historyBytes
    const same = e.labels.slice()
    expect(e.importLabels(same)).toBeNull()
    expect(e.historyBytes).toBe(bytesBefore)
    const changed = e.labels.slice()
    for (let y = 500; y < 520; y++) for (let x = 300; x < 330; x++) changed[y * 1024 + x] = 2
    expect(e.importLabels(changed)).toEqual({ x: 300, y: 500, width: 30, height: 20 })
    const stepBytes = e.historyBytes - bytesBefore
    expect(stepBytes).toBeGreaterThan(0)
    // Far below a whole-map copy (1 MiB before + 1 MiB after).
    expect(stepBytes).toBeLessThan(8 * 1024)
  })

  it('respects the memory cap like any step', () => {
    const e = new PaintEngine(256, 256, { historyMaxBytes: 40 * 1024 })
    e.beginStroke(brush(1, 3), 5, 5)
    e.endStroke()
    const rnd = prng(9)
    // Noise does not run-length pack: the step needs ~128 KiB, more than the 40 KiB cap.
    const noise = Uint8Array.from({ length: 256 * 256 }, () => (rnd() * 4) | 0)
    e.importLabels(noise)
    expect(e.historyBytes).toBeLessThanOrEqual(40 * 1024)
    expect(sameBytes(e.labels, noise)).toBe(true)
    expect(e.canUndo).toBe(false)
  })

  it('commits an open stroke first and refuses a mask of the wrong size', () => {
    const e = new PaintEngine(16, 16)
    e.beginStroke(brush(1, 3), 4, 4)
    e.importLabels(new Uint8Array(256).fill(2))
    expect(e.undoSteps).toBe(2)
    expect(() => e.importLabels(new Uint8Array(255))).toThrow(/255 values, the map is 16×16/)
  })
})
