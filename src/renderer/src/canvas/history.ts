// Undo history: one step per user action, each step a list of patches, a patch being
// one changed rectangle's pixels before and after the action. Patch data is run-length
// packed when that is smaller (label maps are mostly long runs), so memory follows what
// changed, and a byte cap drops the oldest steps.
import type { Rect } from './rect'

/** Pixels of one rectangle, raw or run-length packed as (run length − 1, value) pairs. */
export interface PackedPixels {
  bytes: Uint8Array
  rle: boolean
}

export interface Patch extends Rect {
  before: PackedPixels
  after: PackedPixels
}

export interface HistoryStep {
  /** Identifies the map state this step produces (see PaintEngine.isDirty). */
  id: number
  /** Identifies the map state before this step. */
  prevId: number
  /** What the user did: 'stroke', 'fill', 'polygon', … */
  label: string
  /** Bounding box of every patch. */
  rect: Rect
  patches: Patch[]
  /** Memory charged to this step (packed pixel data plus bookkeeping). */
  bytes: number
}

/** Bookkeeping charged per patch and per step, on top of the pixel bytes. */
export const PATCH_OVERHEAD_BYTES = 96
export const STEP_OVERHEAD_BYTES = 160

export const DEFAULT_HISTORY_MAX_BYTES = 256 * 1024 * 1024
export const DEFAULT_HISTORY_MAX_STEPS = 1000

/** Pack a contiguous pixel buffer. */
export function packPixels(raw: Uint8Array): PackedPixels {
  return packRegion(raw, 0, raw.length, raw.length, 1)
}

let runScratch = new Uint8Array(8192)

/**
 * Pack the w×h rectangle of `src` starting at index `start` with row stride `stride`, in
 * row-major order, as runs when that is smaller than the raw w·h bytes. One pass.
 */
export function packRegion(src: Uint8Array, start: number, stride: number, w: number, h: number): PackedPixels {
  const n = w * h
  // Runs are written while scanning; once they would take as much room as the raw
  // pixels, give up and copy the pixels instead.
  const limit = n >> 1
  if (runScratch.length < limit * 2) runScratch = new Uint8Array(limit * 2)
  const out = runScratch
  const cap = limit * 2
  let k = 0
  let prev = src[start]
  let len = 0
  for (let r = 0; r < h; r++) {
    const o = start + r * stride
    for (let c = 0; c < w; c++) {
      const v = src[o + c]
      if (v === prev && len < 256) len++
      else {
        if (k + 2 >= cap) return { bytes: copyRegion(src, start, stride, w, h), rle: false }
        out[k++] = len - 1
        out[k++] = prev
        prev = v
        len = 1
      }
    }
  }
  if (k + 2 > cap) return { bytes: copyRegion(src, start, stride, w, h), rle: false }
  out[k++] = len - 1
  out[k++] = prev
  return { bytes: out.slice(0, k), rle: true }
}

function copyRegion(src: Uint8Array, start: number, stride: number, w: number, h: number): Uint8Array {
  const raw = new Uint8Array(w * h)
  for (let r = 0; r < h; r++) {
    const o = start + r * stride
    const d = r * w
    for (let c = 0; c < w; c++) raw[d + c] = src[o + c]
  }
  return raw
}

/** Unpack into `out` (length = pixel count) and return it. */
export function unpackPixels(p: PackedPixels, out: Uint8Array): Uint8Array {
  if (!p.rle) {
    out.set(p.bytes)
    return out
  }
  const b = p.bytes
  let o = 0
  for (let i = 0; i < b.length; i += 2) {
    const end = o + b[i] + 1
    out.fill(b[i + 1], o, end)
    o = end
  }
  return out
}

export function patchBytes(p: Patch): number {
  return p.before.bytes.byteLength + p.after.bytes.byteLength + PATCH_OVERHEAD_BYTES
}

export interface HistoryLimits {
  /** Total memory of undo and redo steps; the oldest undo steps are dropped beyond it. */
  maxBytes: number
  /** Number of undo steps kept. */
  maxSteps: number
}

export class History {
  private undoStack: HistoryStep[] = []
  private redoStack: HistoryStep[] = []
  private total = 0
  limits: HistoryLimits

  constructor(limits: Partial<HistoryLimits> = {}) {
    this.limits = {
      maxBytes: limits.maxBytes ?? DEFAULT_HISTORY_MAX_BYTES,
      maxSteps: limits.maxSteps ?? DEFAULT_HISTORY_MAX_STEPS
    }
    if (!(this.limits.maxBytes >= 0) || !(this.limits.maxSteps >= 0)) throw new RangeError('history limits must be ≥ 0')
  }

  get bytes(): number {
    return this.total
  }

  get undoCount(): number {
    return this.undoStack.length
  }

  get redoCount(): number {
    return this.redoStack.length
  }

  /** Record a new action: clears the redo stack, then enforces the limits. Returns how many steps were dropped. */
  push(step: HistoryStep): number {
    for (const s of this.redoStack) this.total -= s.bytes
    this.redoStack = []
    this.undoStack.push(step)
    this.total += step.bytes
    return this.enforce()
  }

  /** Drop the oldest undo steps until within the limits (a step larger than the cap is itself dropped). */
  enforce(): number {
    let dropped = 0
    let first = 0
    while (
      first < this.undoStack.length &&
      (this.total > this.limits.maxBytes || this.undoStack.length - first > this.limits.maxSteps)
    ) {
      this.total -= this.undoStack[first].bytes
      first++
      dropped++
    }
    if (first > 0) this.undoStack.splice(0, first)
    // The redo stack only holds steps that were within the cap when made; if the cap
    // was lowered since, drop the farthest redo steps too.
    while (this.total > this.limits.maxBytes && this.redoStack.length > 0) {
      this.total -= this.redoStack.shift()!.bytes
      dropped++
    }
    return dropped
  }

  /** Take the newest step to undo (it moves to the redo stack). */
  takeUndo(): HistoryStep | undefined {
    const step = this.undoStack.pop()
    if (step) this.redoStack.push(step)
    return step
  }

  /** Take the next step to redo (it moves back to the undo stack). */
  takeRedo(): HistoryStep | undefined {
    const step = this.redoStack.pop()
    if (step) this.undoStack.push(step)
    return step
  }

  clear(): void {
    this.undoStack = []
    this.redoStack = []
    this.total = 0
  }
}
