// A downscaled label pyramid for zoomed-out display. Level 1 is half the map's size, level 2
// a quarter, and so on, down to a level of at most MIN_LEVEL_SIZE px on its longer side.
// At "fit" an 8192² map is drawn from its 1024² level instead of sixty-four 1024² tiles,
// which makes a zoomed-out redraw cheap; painting stays on the full-resolution map (this is
// display only and never changes a saved label).
//
// Each level pixel is the first labelled pixel of its 2×2 block one level down, scanning
// (0,0) (1,0) (0,1) (1,1), or unlabeled when the whole block is: so a one-pixel stroke is
// still visible at fit, where plain subsampling would drop three strokes in four. Blocks at
// odd right/bottom edges have fewer pixels. The rule only looks at one block, so a change
// is propagated up exactly by recomputing the blocks under the changed rectangle, level by
// level (update()).
import type { Rect } from './rect'
import { UNLABELED } from './label-map'

/** Levels are added while the last one is larger than this on its longer side. */
export const MIN_LEVEL_SIZE = 512

export interface PyramidLevel {
  width: number
  height: number
  labels: Uint8Array
}

export class LabelPyramid {
  /** levels[0] is level 1 (half size); the full-resolution map is not copied. */
  readonly levels: PyramidLevel[] = []

  constructor(
    readonly width: number,
    readonly height: number,
    minSize = MIN_LEVEL_SIZE
  ) {
    let w = width
    let h = height
    while (Math.max(w, h) > minSize) {
      w = Math.ceil(w / 2)
      h = Math.ceil(h / 2)
      this.levels.push({ width: w, height: h, labels: new Uint8Array(w * h).fill(UNLABELED) })
    }
  }

  /** Recompute every level from the full-resolution labels. */
  rebuild(labels: Uint8Array): void {
    this.checkSource(labels)
    let src = { width: this.width, height: this.height, labels }
    for (const level of this.levels) {
      reduce(src, level, { x: 0, y: 0, width: level.width, height: level.height })
      src = level
    }
  }

  /**
   * The full-resolution labels changed inside `rect`: recompute the blocks above it on every
   * level. Returns each level's changed rectangle, in that level's pixels (index 0 = level 1).
   */
  update(labels: Uint8Array, rect: Rect): Rect[] {
    this.checkSource(labels)
    const out: Rect[] = []
    let src = { width: this.width, height: this.height, labels }
    let x0 = Math.max(0, rect.x)
    let y0 = Math.max(0, rect.y)
    let x1 = Math.min(this.width, rect.x + rect.width)
    let y1 = Math.min(this.height, rect.y + rect.height)
    for (const level of this.levels) {
      if (x1 <= x0 || y1 <= y0) break
      // The level pixels whose 2×2 blocks overlap the changed rectangle below.
      x0 = x0 >> 1
      y0 = y0 >> 1
      x1 = Math.min(level.width, (x1 + 1) >> 1)
      y1 = Math.min(level.height, (y1 + 1) >> 1)
      const r = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
      reduce(src, level, r)
      out.push(r)
      src = level
    }
    return out
  }

  private checkSource(labels: Uint8Array): void {
    if (labels.length !== this.width * this.height) throw new RangeError(`label buffer has ${labels.length} bytes, the pyramid is for ${this.width}×${this.height}`)
  }
}

/** Write `rect` of `dst` (one level up) from the 2×2 blocks of `src`. */
function reduce(src: PyramidLevel, dst: PyramidLevel, rect: Rect): void {
  const s = src.labels
  const d = dst.labels
  const sw = src.width
  const lastX = sw - 1
  const lastY = src.height - 1
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const top = 2 * y * sw
    // An odd last row: the block has no second row, read the first one twice.
    const bottom = 2 * y < lastY ? top + sw : top
    const row = y * dst.width
    for (let x = rect.x; x < rect.x + rect.width; x++) {
      const left = 2 * x
      const right = left < lastX ? left + 1 : left
      let v = s[top + left]
      if (v === UNLABELED) v = s[top + right]
      if (v === UNLABELED) v = s[bottom + left]
      if (v === UNLABELED) v = s[bottom + right]
      d[row + x] = v
    }
  }
}
