// Rasterization of brush sweeps and polygons into row spans, with exact pixel-centre
// rules and no antialiasing. Everything here is pure geometry: callers receive spans
// (row y, pixels x0..x1 inclusive, already clipped to the map) and decide what to write.
//
// Coordinates are map pixels: pixel (px, py) covers [px, px+1) × [py, py+1) and its
// centre is (px + 0.5, py + 0.5). Brush geometry is computed in doubled coordinates,
// where every stamp centre and pixel centre is an integer, so single stamps are exact.

/** Receives the pixels x0..x1 (inclusive) of row y; x0 ≤ x1, all inside the map. */
export type SpanSink = (y: number, x0: number, x1: number) => void

export type BrushShape = 'round' | 'square'
export type FillRule = 'evenodd' | 'nonzero'

export const MIN_DIAMETER = 1
export const MAX_DIAMETER = 512

/**
 * First pixel column (or row) of a stamp of diameter d whose pointer is at coordinate v.
 * A stamp covers the d pixels origin..origin+d-1; its centre is origin + d/2, i.e. the
 * centre of the pixel under the pointer for odd d and the nearest pixel corner for even d.
 */
export function stampOrigin(v: number, d: number): number {
  return Math.floor(v - (d - 1) / 2)
}

/** The stamp centre in doubled coordinates (2·origin + d), an integer. */
export function stampCentre2(v: number, d: number): number {
  return 2 * stampOrigin(v, d) + d
}

export function checkDiameter(d: number): void {
  if (!Number.isInteger(d) || d < MIN_DIAMETER || d > MAX_DIAMETER) {
    throw new RangeError(`brush diameter must be an integer from ${MIN_DIAMETER} to ${MAX_DIAMETER}, got ${d}`)
  }
}

/**
 * Rasterize the area swept by a brush moving in a straight line from pointer position
 * (ax, ay) to (bx, by); a = b gives a single stamp.
 *
 * - round: every pixel whose centre lies within distance d/2 of the segment between the
 *   two stamp centres (a capsule; closed). A single stamp is the disc of diameter d:
 *   d = 1 is one pixel, 2 is 2×2, 3 is 3×3, 4 is 4×4 without its corners, 5 is 5×5
 *   without its corners (21 pixels).
 * - square: every pixel whose centre lies strictly inside the axis-aligned d×d square
 *   centred somewhere on the segment. A single stamp is exactly d×d pixels; a 1 px
 *   diagonal stroke is an 8-connected staircase.
 *
 * The sweep is continuous, so strokes have no gaps however fast the pointer moves, and
 * the cost is one span per row instead of one disc per spacing step.
 */
export function sweepBrush(
  shape: BrushShape,
  d: number,
  ax: number,
  ay: number,
  bx: number,
  by: number,
  width: number,
  height: number,
  sink: SpanSink
): void {
  const ax2 = stampCentre2(ax, d)
  const ay2 = stampCentre2(ay, d)
  const bx2 = stampCentre2(bx, d)
  const by2 = stampCentre2(by, d)
  if (shape === 'square') sweepSquare2(d, ax2, ay2, bx2, by2, width, height, sink)
  else sweepRound2(d, ax2, ay2, bx2, by2, width, height, sink)
}

function emitRow(py: number, lo: number, hi: number, width: number, sink: SpanSink, open: boolean): void {
  // lo/hi bound the doubled x of pixel centres (2·px + 1).
  let px0: number
  let px1: number
  if (open) {
    px0 = Math.floor((lo - 1) / 2) + 1
    px1 = Math.ceil((hi - 1) / 2) - 1
  } else {
    px0 = Math.ceil((lo - 1) / 2)
    px1 = Math.floor((hi - 1) / 2)
  }
  if (px0 < 0) px0 = 0
  if (px1 > width - 1) px1 = width - 1
  if (px0 <= px1) sink(py, px0, px1)
}

/** Capsule of radius d (doubled) around the segment A–B (doubled integer centres). */
function sweepRound2(d: number, ax: number, ay: number, bx: number, by: number, width: number, height: number, sink: SpanSink): void {
  const r = d // radius in doubled units
  const r2 = r * r
  let y0 = Math.ceil((Math.min(ay, by) - r - 1) / 2)
  let y1 = Math.floor((Math.max(ay, by) + r - 1) / 2)
  if (y0 < 0) y0 = 0
  if (y1 > height - 1) y1 = height - 1
  const dx = bx - ax
  const dy = by - ay
  const len2 = dx * dx + dy * dy
  const rLen = r * Math.sqrt(len2)
  for (let py = y0; py <= y1; py++) {
    const Y = 2 * py + 1
    let lo = Infinity
    let hi = -Infinity
    // End discs, in exact integer arithmetic (no ties are possible: see rasterize tests).
    const ea = r2 - (Y - ay) * (Y - ay)
    if (ea >= 0) {
      const s = Math.sqrt(ea)
      lo = ax - s
      hi = ax + s
    }
    if (len2 > 0) {
      const eb = r2 - (Y - by) * (Y - by)
      if (eb >= 0) {
        const s = Math.sqrt(eb)
        if (bx - s < lo) lo = bx - s
        if (bx + s > hi) hi = bx + s
      }
      // The band between the discs: |cross(P − A, D)| ≤ r·|D| and 0 ≤ (P − A)·D ≤ |D|²,
      // solved for u = X − ax on this row.
      const v = Y - ay
      let l = -Infinity
      let h = Infinity
      if (dy === 0) {
        if (Math.abs(v) > r) l = Infinity
      } else {
        const p = (v * dx - rLen) / dy
        const q = (v * dx + rLen) / dy
        l = Math.min(p, q)
        h = Math.max(p, q)
      }
      if (dx === 0) {
        const t = v * dy
        if (t < 0 || t > len2) l = Infinity
      } else {
        const p = (-v * dy) / dx
        const q = (len2 - v * dy) / dx
        l = Math.max(l, Math.min(p, q))
        h = Math.min(h, Math.max(p, q))
      }
      if (l <= h) {
        if (ax + l < lo) lo = ax + l
        if (ax + h > hi) hi = ax + h
      }
    }
    if (lo <= hi) emitRow(py, lo, hi, width, sink, false)
  }
}

/** Union of open squares of half-side d (doubled) centred on the segment A–B. */
function sweepSquare2(d: number, ax: number, ay: number, bx: number, by: number, width: number, height: number, sink: SpanSink): void {
  const h = d
  let y0 = Math.floor((Math.min(ay, by) - h - 1) / 2) + 1
  let y1 = Math.ceil((Math.max(ay, by) + h - 1) / 2) - 1
  if (y0 < 0) y0 = 0
  if (y1 > height - 1) y1 = height - 1
  const dx = bx - ax
  const dy = by - ay
  for (let py = y0; py <= y1; py++) {
    const Y = 2 * py + 1
    let tl: number
    let th: number
    if (dy === 0) {
      if (Math.abs(Y - ay) >= h) continue
      tl = 0
      th = 1
    } else {
      // Open t-interval where the square's rows cover Y, intersected with [0, 1].
      const p = (Y - ay - h) / dy
      const q = (Y - ay + h) / dy
      const ta = Math.min(p, q)
      const tb = Math.max(p, q)
      if (ta >= 1 || tb <= 0) continue
      tl = ta > 0 ? ta : 0
      th = tb < 1 ? tb : 1
    }
    // Exact at the ends, so that a stroke's first and last stamps are exact squares.
    const xa = tl === 0 ? ax : tl === 1 ? bx : ax + tl * dx
    const xb = th === 0 ? ax : th === 1 ? bx : ax + th * dx
    emitRow(py, Math.min(xa, xb) - h, Math.max(xa, xb) + h, width, sink, true)
  }
}

/**
 * Fill a polygon given as flat [x0, y0, x1, y1, …] (closed implicitly) at pixel centres:
 * pixel (px, py) is inside when its centre is inside by the fill rule. Edges are
 * half-open in y and spans half-open in x, so polygons sharing an edge never overlap.
 * Polygons with fewer than 3 vertices fill nothing.
 */
export function polygonSpans(xy: ArrayLike<number>, rule: FillRule, width: number, height: number, sink: SpanSink): void {
  const n = Math.floor(xy.length / 2)
  if (n < 3) return
  for (let i = 0; i < n * 2; i++) {
    if (!Number.isFinite(xy[i])) throw new RangeError('polygon coordinates must be finite numbers')
  }
  // Edge table: first and last+1 row crossed, x at the edge's start, slope, direction.
  const firstRow: number[] = []
  const endRow: number[] = []
  const ex: number[] = []
  const ey: number[] = []
  const slope: number[] = []
  const dir: number[] = []
  for (let i = 0; i < n; i++) {
    const x0 = xy[2 * i]
    const y0 = xy[2 * i + 1]
    const j = (i + 1) % n
    const x1 = xy[2 * j]
    const y1 = xy[2 * j + 1]
    if (y0 === y1) continue
    const top = Math.min(y0, y1)
    const bottom = Math.max(y0, y1)
    // Rows whose centre Y satisfies top ≤ Y < bottom.
    const r0 = Math.max(0, Math.ceil(top - 0.5))
    const r1 = Math.min(height, Math.ceil(bottom - 0.5))
    if (r0 >= r1) continue
    firstRow.push(r0)
    endRow.push(r1)
    ex.push(x0)
    ey.push(y0)
    slope.push((x1 - x0) / (y1 - y0))
    dir.push(y1 > y0 ? 1 : -1)
  }
  const m = firstRow.length
  if (m === 0) return
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => firstRow[a] - firstRow[b])
  const active: number[] = []
  const xs: number[] = []
  const ws: number[] = []
  let next = 0
  const rowStart = firstRow[order[0]]
  let rowEnd = 0
  for (let i = 0; i < m; i++) rowEnd = Math.max(rowEnd, endRow[i])
  for (let py = rowStart; py < rowEnd; py++) {
    while (next < m && firstRow[order[next]] === py) active.push(order[next++])
    let k = 0
    for (let i = 0; i < active.length; i++) if (endRow[active[i]] > py) active[k++] = active[i]
    active.length = k
    if (k === 0) {
      if (next < m) py = firstRow[order[next]] - 1
      continue
    }
    const Y = py + 0.5
    xs.length = 0
    ws.length = 0
    // Insertion sort of the crossings by x (few per row).
    for (const e of active) {
      const x = ex[e] + (Y - ey[e]) * slope[e]
      let p = xs.length
      xs.push(x)
      ws.push(dir[e])
      while (p > 0 && xs[p - 1] > x) {
        xs[p] = xs[p - 1]
        ws[p] = ws[p - 1]
        p--
      }
      xs[p] = x
      ws[p] = dir[e]
    }
    let winding = 0
    for (let i = 0; i < xs.length - 1; i++) {
      winding = rule === 'evenodd' ? winding ^ 1 : winding + ws[i]
      if (winding === 0) continue
      const xa = xs[i]
      const xb = xs[i + 1]
      let px0 = Math.ceil(xa - 0.5)
      let px1 = Math.ceil(xb - 0.5) - 1
      if (px0 < 0) px0 = 0
      if (px1 > width - 1) px1 = width - 1
      if (px0 <= px1) sink(py, px0, px1)
    }
  }
}
