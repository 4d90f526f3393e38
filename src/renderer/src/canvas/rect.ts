// Integer pixel rectangles. A rectangle covers the pixels x ≤ px < x + width,
// y ≤ py < y + height; an empty change is reported as null, never as a 0-area rect.

export interface Rect {
  x: number
  y: number
  width: number
  height: number
}

/** Smallest rectangle holding both (either may be null). */
export function unionRect(a: Rect | null, b: Rect | null): Rect | null {
  if (!a) return b ? { ...b } : null
  if (!b) return { ...a }
  const x0 = Math.min(a.x, b.x)
  const y0 = Math.min(a.y, b.y)
  const x1 = Math.max(a.x + a.width, b.x + b.width)
  const y1 = Math.max(a.y + a.height, b.y + b.height)
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

export function rectContains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && y >= r.y && x < r.x + r.width && y < r.y + r.height
}

/**
 * Accumulates a bounding box of pixels, cheaply (four integers, no allocation per add).
 * `rect()` turns it into a Rect, or null when nothing was added.
 */
export class BoundsAccumulator {
  minX = Infinity
  minY = Infinity
  maxX = -Infinity
  maxY = -Infinity

  /** Add the pixels x0..x1 (inclusive) of row y. */
  addSpan(y: number, x0: number, x1: number): void {
    if (x0 < this.minX) this.minX = x0
    if (x1 > this.maxX) this.maxX = x1
    if (y < this.minY) this.minY = y
    if (y > this.maxY) this.maxY = y
  }

  addRect(r: Rect | null): void {
    if (!r) return
    this.addSpan(r.y, r.x, r.x + r.width - 1)
    this.addSpan(r.y + r.height - 1, r.x, r.x + r.width - 1)
  }

  get empty(): boolean {
    return this.maxX < this.minX
  }

  rect(): Rect | null {
    if (this.empty) return null
    return { x: this.minX, y: this.minY, width: this.maxX - this.minX + 1, height: this.maxY - this.minY + 1 }
  }

  reset(): void {
    this.minX = this.minY = Infinity
    this.maxX = this.maxY = -Infinity
  }
}
