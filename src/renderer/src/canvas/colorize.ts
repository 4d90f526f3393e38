// Label → RGBA conversion for the view's display canvas, one dirty rectangle at a time.
import type { Rect } from './rect'

/** One packed RGBA colour per label, as the bytes R, G, B, A in memory. */
export type ColorLut = Uint32Array

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function pack(r: number, g: number, b: number, a: number): number {
  return littleEndian ? ((a << 24) | (b << 16) | (g << 8) | r) >>> 0 : ((r << 24) | (g << 16) | (b << 8) | a) >>> 0
}

/**
 * Build a lookup table from '#rrggbb' colours by label; labels without a colour (and the
 * unlabeled value unless given) are fully transparent.
 */
export function makeColorLut(colors: ReadonlyArray<{ id: number; color: string }>, alpha = 255): ColorLut {
  const lut = new Uint32Array(256)
  for (const { id, color } of colors) {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color)
    if (!m || !Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`bad class colour ${id}: ${color}`)
    lut[id] = pack(parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16), alpha)
  }
  return lut
}

/**
 * Write the RGBA pixels of `rect` of a label map into `out` (rect.width × rect.height × 4
 * bytes, e.g. an ImageData's data), ready for putImageData at (rect.x, rect.y).
 */
export function colorizeRect(labels: Uint8Array, mapWidth: number, rect: Rect, lut: ColorLut, out: Uint8Array | Uint8ClampedArray): void {
  const n = rect.width * rect.height
  if (out.length < n * 4) throw new RangeError(`output has ${out.length} bytes, expected ${n * 4}`)
  if (out.byteOffset % 4 !== 0) throw new RangeError('output must start on a 4-byte boundary')
  const px = new Uint32Array(out.buffer, out.byteOffset, n)
  for (let y = 0; y < rect.height; y++) {
    const src = (rect.y + y) * mapWidth + rect.x
    const dst = y * rect.width
    for (let x = 0; x < rect.width; x++) px[dst + x] = lut[labels[src + x]]
  }
}
