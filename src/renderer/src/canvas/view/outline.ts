// Outline-only display of a label map: a labelled pixel is drawn when one of its four
// neighbours holds another label (or lies outside the map), everything else is clear.
import type { ColorLut } from '../colorize'
import type { Rect } from '../rect'
import { UNLABELED } from '../label-map'

/** Like colorizeRect, but only the region boundaries of `rect` are opaque. */
export function outlineRect(labels: Uint8Array, mapWidth: number, mapHeight: number, rect: Rect, lut: ColorLut, out: Uint8Array | Uint8ClampedArray): void {
  const n = rect.width * rect.height
  if (out.length < n * 4) throw new RangeError(`output has ${out.length} bytes, expected ${n * 4}`)
  if (out.byteOffset % 4 !== 0) throw new RangeError('output must start on a 4-byte boundary')
  const px = new Uint32Array(out.buffer, out.byteOffset, n)
  const lastX = mapWidth - 1
  const lastY = mapHeight - 1
  for (let y = 0; y < rect.height; y++) {
    const my = rect.y + y
    const row = my * mapWidth
    const dst = y * rect.width
    for (let x = 0; x < rect.width; x++) {
      const mx = rect.x + x
      const i = row + mx
      const v = labels[i]
      let edge = false
      if (v !== UNLABELED) {
        edge =
          mx === 0 || mx === lastX || my === 0 || my === lastY ||
          labels[i - 1] !== v || labels[i + 1] !== v || labels[i - mapWidth] !== v || labels[i + mapWidth] !== v
      }
      px[dst + x] = edge ? lut[v] : 0
    }
  }
}

/** Grow a rect by `by` pixels on every side, clipped to the map. */
export function growRect(r: Rect, by: number, width: number, height: number): Rect {
  const x0 = Math.max(0, r.x - by)
  const y0 = Math.max(0, r.y - by)
  const x1 = Math.min(width, r.x + r.width + by)
  const y1 = Math.min(height, r.y + r.height + by)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}
