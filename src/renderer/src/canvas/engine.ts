// The mask editor's painting engine: a GUI-free model of one label map with tools,
// preserve-labels filtering, per-class counts, dirty rectangles, undo/redo and events.
// Plain TypeScript on typed arrays (no DOM), so it runs under Node for tests and could
// run in a worker; the view subscribes to 'change' and redraws only the dirty region.
import { Emitter } from '../../../shared/emitter'
import { LabelMap, UNLABELED, WRITE_ANY, checkLabel, checkSize, type WriteMask } from './label-map'
import { History, STEP_OVERHEAD_BYTES, patchBytes, type HistoryLimits, type HistoryStep } from './history'
import { checkDiameter, polygonSpans, stampCentre2, sweepBrush, type BrushShape, type FillRule } from './rasterize'
import { BoundsAccumulator, unionRect, type Rect } from './rect'

export { UNLABELED }
export const BACKGROUND = 0

export interface BrushTool {
  kind: 'brush'
  classId: number
  /** 1–512 px. */
  diameter: number
  shape: BrushShape
}

export interface EraserTool {
  kind: 'eraser'
  diameter: number
  shape: BrushShape
  /** 'unlabeled' writes 255, 'background' writes class 0. */
  target: 'unlabeled' | 'background'
}

/** Freehand polygon: pointer samples are collected and the polygon is filled on endStroke. */
export interface LassoTool {
  kind: 'lasso'
  classId: number
  rule?: FillRule
}

export type StrokeTool = BrushTool | EraserTool | LassoTool

/**
 * Which existing labels painting may overwrite: everything, only unlabeled pixels, or only
 * pixels of one class. Applies to the brush, flood fill, polygon and lasso; the eraser
 * always erases (its purpose is removing labels).
 */
export type Preserve = { mode: 'none' } | { mode: 'unlabeled' } | { mode: 'class'; classId: number }

/** Limit a flood fill to pixels whose image colour is close to the seed pixel's colour. */
export interface SimilarityLimit {
  /** Same width × height as the map, interleaved 8-bit samples. */
  image: Uint8Array
  /** 1 (grey), 3 (RGB) or 4 (RGBA, alpha ignored). */
  channels: 1 | 3 | 4
  /** Largest Euclidean distance (in 0–255 sample units) from the seed colour; 0 = same colour only. */
  tolerance: number
}

export type ChangeReason = 'stroke' | 'lasso' | 'fill' | 'polygon' | 'import' | 'undo' | 'redo' | 'load' | 'cancel'

export interface ChangeEvent {
  /** Bounding box of every pixel this operation changed. */
  rect: Rect
  reason: ChangeReason
}

export interface HistoryEvent {
  canUndo: boolean
  canRedo: boolean
  undoSteps: number
  redoSteps: number
  historyBytes: number
  /** Oldest steps dropped by this update to stay within the limits. */
  dropped: number
}

export interface PaintEvents {
  change: ChangeEvent
  history: HistoryEvent
}

export interface PaintEngineOptions {
  /** Undo memory cap in bytes (default 256 MB). */
  historyMaxBytes?: number
  /** Undo steps kept (default 1000). */
  historyMaxSteps?: number
}

export interface MapSnapshot {
  labels: Uint8Array
  width: number
  height: number
  /** Pass to markSaved() once these labels are safely written. */
  state: number
}

interface StrokeState {
  tool: StrokeTool
  value: number
  mask: WriteMask
  /** Last pointer position. */
  x: number
  y: number
  /** Last stamp centre in doubled coordinates (brushes skip samples that do not move it). */
  cx2: number
  cy2: number
  /** Lasso vertices, flat [x0, y0, …]. */
  points: number[]
  bounds: BoundsAccumulator
}

function checkPoint(x: number, y: number): void {
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError(`pointer position must be finite, got (${x}, ${y})`)
}

export class PaintEngine extends Emitter<PaintEvents> {
  private map: LabelMap
  private readonly history: History
  private stroke: StrokeState | null = null
  private preserveMode: Preserve = { mode: 'none' }
  private paintMask: WriteMask = WRITE_ANY
  private readonly pending = new BoundsAccumulator()
  private readonly opBounds = new BoundsAccumulator()
  private nextState = 1
  private stateId = 0
  private savedId = 0
  private changes = 0

  constructor(width: number, height: number, options: PaintEngineOptions = {}) {
    super()
    this.map = new LabelMap(width, height)
    this.history = new History({ maxBytes: options.historyMaxBytes, maxSteps: options.historyMaxSteps })
  }

  get width(): number {
    return this.map.width
  }

  get height(): number {
    return this.map.height
  }

  /** The live label buffer (row-major). Read it to draw; never write it. */
  get labels(): Uint8Array {
    return this.map.data
  }

  // ---------------------------------------------------------------- document

  /** Replace the whole map (a copy is taken). Clears history; the loaded state counts as saved. */
  load(labels: Uint8Array, width: number, height: number): void {
    checkSize(width, height)
    if (labels.length !== width * height) throw new RangeError(`label buffer has ${labels.length} bytes, expected ${width}×${height}`)
    if (this.stroke) this.discardStroke()
    this.map = new LabelMap(width, height, labels)
    this.history.clear()
    this.stateId = this.savedId = this.nextState++
    this.changed({ x: 0, y: 0, width, height }, 'load')
    this.emitHistory(0)
  }

  /**
   * Replace every label with `labels` (an imported mask) as ONE undo step, stored like any
   * other: the changed 64×64 tiles' boxes before and after, so an import that changes
   * little costs little, and the memory cap applies as usual (a step larger than the cap
   * is dropped, as for any step). Unlike load(), history is kept and the map is dirty.
   * The preserve filter does not apply: an import replaces the mask as a whole.
   * Returns the changed rect (null when the import equals the map).
   */
  importLabels(labels: Uint8Array): Rect | null {
    const { width, height } = this
    if (labels.length !== width * height) throw new RangeError(`imported mask has ${labels.length} values, the map is ${width}×${height}`)
    if (this.stroke) this.endStroke()
    const { map, opBounds } = this
    opBounds.reset()
    map.begin()
    // One writeSpan per run of equal imported values; it skips pixels that already match.
    for (let y = 0; y < height; y++) {
      const row = y * width
      let x = 0
      while (x < width) {
        const value = labels[row + x]
        let end = x
        while (end + 1 < width && labels[row + end + 1] === value) end++
        map.writeSpan(y, x, end, value, WRITE_ANY, opBounds)
        x = end + 1
      }
    }
    const rect = opBounds.rect()
    if (rect) this.changed(rect, 'import')
    this.commit('import')
    return rect
  }

  /** A copy of the labels for saving. */
  snapshot(): MapSnapshot {
    return { labels: this.map.data.slice(), width: this.width, height: this.height, state: this.stateId }
  }

  /** Mark the labels of `state` (default: the current committed state) as saved. */
  markSaved(state: number = this.stateId): void {
    this.savedId = state
  }

  /** True when the map differs from what was last saved (by state, so undoing back to it counts as clean). */
  get isDirty(): boolean {
    return this.stateId !== this.savedId || (this.stroke !== null && this.map.transactionChanged)
  }

  /** Increments on every change event (strokes, fills, undo, redo, load). */
  get changeCount(): number {
    return this.changes
  }

  /** The class at pixel (floor(x), floor(y)), or undefined outside the map (eyedropper). */
  labelAt(x: number, y: number): number | undefined {
    const px = Math.floor(x)
    const py = Math.floor(y)
    if (!(px >= 0 && py >= 0 && px < this.width && py < this.height)) return undefined
    return this.map.data[py * this.width + px]
  }

  /** Pixels per label, indexed 0–255 (a copy; maintained incrementally). */
  counts(): Uint32Array {
    return this.map.countsCopy()
  }

  // ---------------------------------------------------------------- settings

  get preserve(): Preserve {
    return { ...this.preserveMode }
  }

  /** Set the paint filter; takes effect from the next stroke or fill. */
  set preserve(p: Preserve) {
    const mask = new Uint8Array(256)
    if (p.mode === 'none') mask.fill(1)
    else if (p.mode === 'unlabeled') mask[UNLABELED] = 1
    else if (p.mode === 'class') {
      checkLabel(p.classId, 'preserve class')
      mask[p.classId] = 1
    } else throw new RangeError(`unknown preserve mode ${(p as { mode: string }).mode}`)
    this.preserveMode = { ...p }
    this.paintMask = mask
  }

  get historyLimits(): HistoryLimits {
    return { ...this.history.limits }
  }

  setHistoryLimits(limits: Partial<HistoryLimits>): void {
    const next = { ...this.history.limits, ...limits }
    if (!(next.maxBytes >= 0) || !(next.maxSteps >= 0)) throw new RangeError('history limits must be ≥ 0')
    this.history.limits = next
    this.emitHistory(this.history.enforce())
  }

  // ---------------------------------------------------------------- dirty rects

  /** The region changed since the last takeDirty() (for a once-per-frame redraw), then forget it. */
  takeDirty(): Rect | null {
    const r = this.pending.rect()
    this.pending.reset()
    return r
  }

  peekDirty(): Rect | null {
    return this.pending.rect()
  }

  // ---------------------------------------------------------------- strokes

  get strokeActive(): boolean {
    return this.stroke !== null
  }

  /** The lasso's vertices so far (flat [x0, y0, …]), for drawing its outline; empty otherwise. */
  get lassoPoints(): readonly number[] {
    return this.stroke?.tool.kind === 'lasso' ? this.stroke.points : []
  }

  /**
   * Start a stroke at (x, y): a brush or eraser stamps at once; a lasso records its first
   * vertex. A stroke still open is ended (committed) first. Returns the changed rect.
   */
  beginStroke(tool: StrokeTool, x: number, y: number): Rect | null {
    checkPoint(x, y)
    if (this.stroke) this.endStroke()
    let value: number
    let mask: WriteMask
    if (tool.kind === 'brush') {
      checkDiameter(tool.diameter)
      checkLabel(tool.classId, 'class id')
      value = tool.classId
      mask = this.paintMask
    } else if (tool.kind === 'eraser') {
      checkDiameter(tool.diameter)
      if (tool.target !== 'unlabeled' && tool.target !== 'background') throw new RangeError(`unknown eraser target ${String(tool.target)}`)
      value = tool.target === 'background' ? BACKGROUND : UNLABELED
      mask = WRITE_ANY
    } else if (tool.kind === 'lasso') {
      checkLabel(tool.classId, 'class id')
      value = tool.classId
      mask = this.paintMask
    } else {
      throw new RangeError(`unknown tool ${(tool as { kind: string }).kind}`)
    }
    const s: StrokeState = {
      tool: { ...tool },
      value,
      mask,
      x,
      y,
      cx2: 0,
      cy2: 0,
      points: [x, y],
      bounds: new BoundsAccumulator()
    }
    this.stroke = s
    this.map.begin()
    if (s.tool.kind === 'lasso') return null
    s.cx2 = stampCentre2(x, s.tool.diameter)
    s.cy2 = stampCentre2(y, s.tool.diameter)
    return this.sweep(s, x, y, x, y)
  }

  /** Continue the stroke to (x, y), painting the whole swept path since the last sample. */
  strokeTo(x: number, y: number): Rect | null {
    const s = this.stroke
    if (!s) return null
    checkPoint(x, y)
    const tool = s.tool
    if (tool.kind === 'lasso') {
      const n = s.points.length
      if (s.points[n - 2] !== x || s.points[n - 1] !== y) s.points.push(x, y)
      return null
    }
    const cx2 = stampCentre2(x, tool.diameter)
    const cy2 = stampCentre2(y, tool.diameter)
    if (cx2 === s.cx2 && cy2 === s.cy2) return null
    const rect = this.sweep(s, s.x, s.y, x, y)
    s.x = x
    s.y = y
    s.cx2 = cx2
    s.cy2 = cy2
    return rect
  }

  private sweep(s: StrokeState, ax: number, ay: number, bx: number, by: number): Rect | null {
    const tool = s.tool as BrushTool | EraserTool
    const { map, opBounds } = this
    const { value, mask } = s
    opBounds.reset()
    sweepBrush(tool.shape, tool.diameter, ax, ay, bx, by, map.width, map.height, (y, x0, x1) =>
      map.writeSpan(y, x0, x1, value, mask, opBounds)
    )
    const rect = opBounds.rect()
    s.bounds.addRect(rect)
    if (rect) this.changed(rect, 'stroke')
    return rect
  }

  /** Finish the stroke (a lasso fills its polygon now) as one undo step; returns the stroke's changed rect. */
  endStroke(): Rect | null {
    const s = this.stroke
    if (!s) return null
    if (s.tool.kind === 'lasso') {
      const rect = this.rasterPolygon(s.points, s.value, s.mask, s.tool.rule ?? 'nonzero')
      s.bounds.addRect(rect)
      if (rect) this.changed(rect, 'lasso')
    }
    this.stroke = null
    this.commit(s.tool.kind === 'lasso' ? 'lasso' : s.tool.kind)
    return s.bounds.rect()
  }

  /** Abandon the stroke, restoring every pixel it changed (no undo step). */
  cancelStroke(): Rect | null {
    if (!this.stroke) return null
    return this.discardStroke()
  }

  private discardStroke(): Rect | null {
    this.stroke = null
    this.opBounds.reset()
    this.map.rollback(this.opBounds)
    const rect = this.opBounds.rect()
    if (rect) this.changed(rect, 'cancel')
    return rect
  }

  // ---------------------------------------------------------------- fills

  /**
   * Flood fill from pixel (floor(x), floor(y)) with `classId`: the 4-connected region of
   * pixels with the seed's label, optionally limited to pixels whose image colour is
   * within tolerance of the seed's colour. One undo step; returns the changed rect.
   */
  fill(x: number, y: number, classId: number, limit?: SimilarityLimit): Rect | null {
    checkPoint(x, y)
    checkLabel(classId, 'class id')
    const { width, height } = this
    if (limit) {
      if (limit.channels !== 1 && limit.channels !== 3 && limit.channels !== 4) throw new RangeError(`image must have 1, 3 or 4 channels, got ${limit.channels}`)
      if (limit.image.length !== width * height * limit.channels) {
        throw new RangeError(`image has ${limit.image.length} bytes, expected ${width}×${height}×${limit.channels}`)
      }
      if (!(limit.tolerance >= 0)) throw new RangeError(`tolerance must be ≥ 0, got ${limit.tolerance}`)
    }
    if (this.stroke) this.endStroke()
    const sx = Math.floor(x)
    const sy = Math.floor(y)
    if (sx < 0 || sy < 0 || sx >= width || sy >= height) return null
    const data = this.map.data
    const seed = data[sy * width + sx]
    const mask = this.paintMask
    // Every pixel of the region holds the seed's label, so the filter allows all or none.
    if (seed === classId || mask[seed] !== 1) return null
    const inside = this.regionTest(seed, sx, sy, limit)
    const { map, opBounds } = this
    opBounds.reset()
    map.begin()
    // Span fill with an explicit stack (Heckbert's "seed fill"): an entry (y, x1, x2, dy)
    // says that row y's pixels x1..x2 were filled and row y + dy next to them is to be
    // explored; only the parts of a new span that overhang its parent are explored back
    // towards the parent's row. Filled pixels no longer hold the seed label, so no pixel
    // is filled twice.
    const stack: number[] = []
    const push = (py: number, x1: number, x2: number, dy: number): void => {
      if (py + dy >= 0 && py + dy < height) stack.push(py, x1, x2, dy)
    }
    push(sy, sx, sx, 1)
    push(sy + 1, sx, sx, -1)
    while (stack.length > 0) {
      const dy = stack.pop()!
      const x2 = stack.pop()!
      const x1 = stack.pop()!
      const y = stack.pop()! + dy
      const row = y * width
      let x = x1
      while (x >= 0 && inside(row + x)) x--
      let l: number
      if (x < x1) {
        l = x + 1
        if (l < x1) push(y, l, x1 - 1, -dy) // overhang on the left
        x = x1 + 1
      } else {
        x = x1 + 1
        while (x <= x2 && !inside(row + x)) x++
        if (x > x2) continue
        l = x
      }
      for (;;) {
        while (x < width && inside(row + x)) x++
        map.writeSpan(y, l, x - 1, classId, mask, opBounds)
        push(y, l, x - 1, dy)
        if (x > x2 + 1) push(y, x2 + 1, x - 1, -dy) // overhang on the right
        x++
        while (x <= x2 && !inside(row + x)) x++
        if (x > x2) break
        l = x
      }
    }
    const rect = opBounds.rect()
    if (rect) this.changed(rect, 'fill')
    this.commit('fill')
    return rect
  }

  private regionTest(seed: number, sx: number, sy: number, limit?: SimilarityLimit): (i: number) => boolean {
    const data = this.map.data
    if (!limit) return (i) => data[i] === seed
    const { image, channels, tolerance } = limit
    const s = (sy * this.width + sx) * channels
    if (channels === 1) {
      const s0 = image[s]
      return (i) => data[i] === seed && Math.abs(image[i] - s0) <= tolerance
    }
    const r0 = image[s]
    const g0 = image[s + 1]
    const b0 = image[s + 2]
    const t2 = tolerance * tolerance
    return (i) => {
      if (data[i] !== seed) return false
      const k = i * channels
      const dr = image[k] - r0
      const dg = image[k + 1] - g0
      const db = image[k + 2] - b0
      return dr * dr + dg * dg + db * db <= t2
    }
  }

  /**
   * Fill a polygon (flat [x0, y0, x1, y1, …], closed implicitly) with `classId` at pixel
   * centres by the fill rule. One undo step; returns the changed rect.
   */
  fillPolygon(xy: ArrayLike<number>, classId: number, rule: FillRule = 'nonzero'): Rect | null {
    checkLabel(classId, 'class id')
    if (rule !== 'nonzero' && rule !== 'evenodd') throw new RangeError(`unknown fill rule ${String(rule)}`)
    if (this.stroke) this.endStroke()
    this.map.begin()
    let rect: Rect | null
    try {
      rect = this.rasterPolygon(xy, classId, this.paintMask, rule)
    } catch (error) {
      this.map.rollback(new BoundsAccumulator())
      throw error
    }
    if (rect) this.changed(rect, 'polygon')
    this.commit('polygon')
    return rect
  }

  private rasterPolygon(xy: ArrayLike<number>, value: number, mask: WriteMask, rule: FillRule): Rect | null {
    const { map, opBounds } = this
    opBounds.reset()
    polygonSpans(xy, rule, map.width, map.height, (y, x0, x1) => map.writeSpan(y, x0, x1, value, mask, opBounds))
    return opBounds.rect()
  }

  // ---------------------------------------------------------------- history

  get canUndo(): boolean {
    return this.history.undoCount > 0 || (this.stroke !== null && this.map.transactionChanged)
  }

  get canRedo(): boolean {
    return this.history.redoCount > 0 && this.stroke === null
  }

  get historyBytes(): number {
    return this.history.bytes
  }

  get undoSteps(): number {
    return this.history.undoCount
  }

  get redoSteps(): number {
    return this.history.redoCount
  }

  /** Undo the last action (an open stroke is committed first); returns the changed rect. */
  undo(): Rect | null {
    if (this.stroke) this.endStroke()
    const step = this.history.takeUndo()
    if (!step) return null
    const rect = this.applyStep(step, 'before')
    this.stateId = step.prevId
    if (rect) this.changed(rect, 'undo')
    this.emitHistory(0)
    return rect
  }

  /** Redo the last undone action; returns the changed rect. */
  redo(): Rect | null {
    if (this.stroke) this.endStroke()
    const step = this.history.takeRedo()
    if (!step) return null
    const rect = this.applyStep(step, 'after')
    this.stateId = step.id
    if (rect) this.changed(rect, 'redo')
    this.emitHistory(0)
    return rect
  }

  private applyStep(step: HistoryStep, which: 'before' | 'after'): Rect | null {
    const b = this.opBounds
    b.reset()
    for (const patch of step.patches) this.map.applyPatch(patch, which, b)
    return b.rect()
  }

  private commit(label: string): void {
    const patches = this.map.commit()
    if (patches.length === 0) return
    let rect: Rect | null = null
    let bytes = STEP_OVERHEAD_BYTES
    for (const p of patches) {
      rect = unionRect(rect, { x: p.x, y: p.y, width: p.width, height: p.height })
      bytes += patchBytes(p)
    }
    const id = this.nextState++
    const step: HistoryStep = { id, prevId: this.stateId, label, rect: rect!, patches, bytes }
    this.stateId = id
    this.emitHistory(this.history.push(step))
  }

  // ---------------------------------------------------------------- events

  private changed(rect: Rect, reason: ChangeReason): void {
    this.pending.addRect(rect)
    this.changes++
    this.emit('change', { rect, reason })
  }

  private emitHistory(dropped: number): void {
    this.emit('history', {
      canUndo: this.canUndo,
      canRedo: this.canRedo,
      undoSteps: this.history.undoCount,
      redoSteps: this.history.redoCount,
      historyBytes: this.history.bytes,
      dropped
    })
  }
}
