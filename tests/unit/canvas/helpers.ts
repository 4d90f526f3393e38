// Shared test helpers for the painting engine.
import type { PaintEngine, Rect } from '../../../src/renderer/src/canvas'
import { mulberry32 } from '../../../src/main/engine/random/mulberry32'

/** Seeded PRNG (mulberry32): the same sequence on every run. */
export const prng = mulberry32

/** Coordinates "x,y" of the pixels holding `value`. */
export function pixelsOf(e: PaintEngine, value: number): Set<string> {
  const out = new Set<string>()
  for (let y = 0; y < e.height; y++) for (let x = 0; x < e.width; x++) if (e.labels[y * e.width + x] === value) out.add(`${x},${y}`)
  return out
}

export function key(x: number, y: number): string {
  return `${x},${y}`
}

export function recount(labels: Uint8Array): Uint32Array {
  const c = new Uint32Array(256)
  for (const v of labels) c[v]++
  return c
}

export function inside(r: Rect | null, x: number, y: number): boolean {
  return r !== null && x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height
}

/** ASCII picture of a map ('.' = unlabeled), for readable expectations. */
export function picture(e: PaintEngine): string[] {
  const rows: string[] = []
  for (let y = 0; y < e.height; y++) {
    let s = ''
    for (let x = 0; x < e.width; x++) {
      const v = e.labels[y * e.width + x]
      s += v === 255 ? '.' : v.toString(36)
    }
    rows.push(s)
  }
  return rows
}

/** Byte equality without vitest's slow element-wise diff of typed arrays. */
export function sameBytes(a: Uint8Array | Uint32Array, b: Uint8Array | Uint32Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
