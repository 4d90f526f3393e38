// The label map: one class id per pixel (255 = unlabeled), per-class pixel counts kept
// up to date on every write, and transactions that remember the pixels an action
// changes so that it can be committed as undo patches or rolled back.
//
// A transaction backs up each 64×64 tile the first time a write reaches it (a 4 KB
// copy) and keeps the exact box of the pixels it changed in each tile; committing packs
// each box's pixels before (from the backup) and after (from the map) into a patch. Only
// tiles an action touched are ever copied, so the cost follows the size of the change.
import { BoundsAccumulator } from './rect'
import { packRegion, unpackPixels, type Patch } from './history'

export const UNLABELED = 255

const TILE_SHIFT = 6
const TILE = 1 << TILE_SHIFT
const POOL_LIMIT = 1024
const TILE_NONE = 0x7fffffff

/** A 256-entry table: 1 where a pixel holding that label may be overwritten. */
export type WriteMask = Uint8Array

export const WRITE_ANY: WriteMask = new Uint8Array(256).fill(1)

export function checkLabel(value: number, what = 'label'): void {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`${what} must be an integer from 0 to 255, got ${value}`)
}

export function checkSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`map size must be positive integers, got ${width}×${height}`)
  }
}

export class LabelMap {
  readonly width: number
  readonly height: number
  /** The labels, row-major. Read freely; write only through this class. */
  readonly data: Uint8Array
  private readonly counts = new Uint32Array(256)

  private readonly tilesX: number
  private readonly backups: (Uint8Array | undefined)[]
  /** Per tile, the box of pixels changed in the open transaction (empty: max < min). */
  private readonly tileMinX: Int32Array
  private readonly tileMinY: Int32Array
  private readonly tileMaxX: Int32Array
  private readonly tileMaxY: Int32Array
  private touched: number[] = []
  private pool: Uint8Array[] = []
  private active = false
  /** Bounding box of the pixels changed since the transaction began. */
  private readonly txBounds = new BoundsAccumulator()

  constructor(width: number, height: number, labels?: Uint8Array) {
    checkSize(width, height)
    this.width = width
    this.height = height
    if (labels) {
      if (labels.length !== width * height) throw new RangeError(`label buffer has ${labels.length} bytes, expected ${width}×${height}`)
      this.data = labels.slice()
    } else {
      this.data = new Uint8Array(width * height).fill(UNLABELED)
    }
    const d = this.data
    for (let i = 0; i < d.length; i++) this.counts[d[i]]++
    this.tilesX = Math.ceil(width / TILE)
    const tiles = this.tilesX * Math.ceil(height / TILE)
    this.backups = new Array(tiles).fill(undefined)
    this.tileMinX = new Int32Array(tiles).fill(TILE_NONE)
    this.tileMinY = new Int32Array(tiles).fill(TILE_NONE)
    this.tileMaxX = new Int32Array(tiles).fill(-1)
    this.tileMaxY = new Int32Array(tiles).fill(-1)
  }

  /** Copy of the per-class pixel counts. */
  countsCopy(): Uint32Array {
    return this.counts.slice()
  }

  count(label: number): number {
    return this.counts[label]
  }

  get inTransaction(): boolean {
    return this.active
  }

  begin(): void {
    if (this.active) throw new Error('a transaction is already open')
    this.active = true
    this.txBounds.reset()
  }

  /** Whether anything changed since begin(). */
  get transactionChanged(): boolean {
    return !this.txBounds.empty
  }

  private backup(tile: number): void {
    const copy = this.pool.pop() ?? new Uint8Array(TILE * TILE)
    const tx = tile % this.tilesX
    const ty = (tile - tx) / this.tilesX
    const x0 = tx << TILE_SHIFT
    const y0 = ty << TILE_SHIFT
    const w = Math.min(TILE, this.width - x0)
    const h = Math.min(TILE, this.height - y0)
    const d = this.data
    // Plain loops: rows are at most 64 bytes, where subarray() + set() cost more than they save.
    for (let r = 0; r < h; r++) {
      const src = (y0 + r) * this.width + x0
      const dst = r << TILE_SHIFT
      for (let c = 0; c < w; c++) copy[dst + c] = d[src + c]
    }
    this.backups[tile] = copy
    this.touched.push(tile)
  }

  /**
   * Write `value` over pixels x0..x1 of row y whose current label is allowed by `mask`.
   * Inside a transaction only. Changed pixels are added to `bounds`.
   */
  writeSpan(y: number, x0: number, x1: number, value: number, mask: WriteMask, bounds: BoundsAccumulator): void {
    if (!this.active) throw new Error('writes need an open transaction')
    const d = this.data
    const counts = this.counts
    const row = y * this.width
    const rowTile = (y >> TILE_SHIFT) * this.tilesX
    let spanFirst = -1
    let spanLast = -1
    let changed = 0
    // Tile by tile, so that each tile is backed up before its first write and knows the
    // exact box of its changed pixels (every write of an action stores the same value, so
    // a changed pixel never changes back within the action).
    for (let x = x0; x <= x1; ) {
      const t = rowTile + (x >> TILE_SHIFT)
      const segEnd = Math.min(x1, x | (TILE - 1))
      if (this.backups[t] === undefined) this.backup(t)
      let first = -1
      let last = -1
      // Count replaced labels in runs (mostly one label), not one typed-array update each.
      let runLabel = -1
      let run = 0
      for (let i = row + x, end = row + segEnd; i <= end; i++) {
        const old = d[i]
        if (old !== value && mask[old] === 1) {
          d[i] = value
          if (old !== runLabel) {
            if (run > 0) counts[runLabel] -= run
            runLabel = old
            run = 0
          }
          run++
          changed++
          if (first < 0) first = i
          last = i
        }
      }
      if (run > 0) counts[runLabel] -= run
      if (first >= 0) {
        first -= row
        last -= row
        if (first < this.tileMinX[t]) this.tileMinX[t] = first
        if (last > this.tileMaxX[t]) this.tileMaxX[t] = last
        if (y < this.tileMinY[t]) this.tileMinY[t] = y
        if (y > this.tileMaxY[t]) this.tileMaxY[t] = y
        if (spanFirst < 0) spanFirst = first
        spanLast = last
      }
      x = segEnd + 1
    }
    if (changed > 0) {
      counts[value] += changed
      bounds.addSpan(y, spanFirst, spanLast)
      this.txBounds.addSpan(y, spanFirst, spanLast)
    }
  }

  /** End the transaction: the exact changed box of every touched tile, with its pixels before and after. */
  commit(): Patch[] {
    if (!this.active) throw new Error('no open transaction')
    const patches: Patch[] = []
    // Tiles in raster order, so patches are deterministic.
    this.touched.sort((p, q) => p - q)
    for (const tile of this.touched) {
      const patch = this.tilePatch(tile)
      if (patch) patches.push(patch)
    }
    this.release()
    return patches
  }

  private tilePatch(tile: number): Patch | null {
    const minX = this.tileMinX[tile]
    const maxX = this.tileMaxX[tile]
    const minY = this.tileMinY[tile]
    const maxY = this.tileMaxY[tile]
    if (maxX < minX) return null
    const backup = this.backups[tile]!
    const tx = tile % this.tilesX
    const ox = tx << TILE_SHIFT
    const oy = ((tile - tx) / this.tilesX) << TILE_SHIFT
    const pw = maxX - minX + 1
    const ph = maxY - minY + 1
    return {
      x: minX,
      y: minY,
      width: pw,
      height: ph,
      before: packRegion(backup, ((minY - oy) << TILE_SHIFT) + minX - ox, TILE, pw, ph),
      after: packRegion(this.data, minY * this.width + minX, this.width, pw, ph)
    }
  }

  /** End the transaction by restoring every touched tile; restored pixels are added to `bounds`. */
  rollback(bounds: BoundsAccumulator): void {
    if (!this.active) throw new Error('no open transaction')
    for (const tile of this.touched) {
      const patch = this.tilePatch(tile)
      if (patch) this.applyPatch(patch, 'before', bounds)
    }
    this.release()
  }

  private release(): void {
    for (const tile of this.touched) {
      const copy = this.backups[tile]!
      this.backups[tile] = undefined
      this.tileMinX[tile] = this.tileMinY[tile] = TILE_NONE
      this.tileMaxX[tile] = this.tileMaxY[tile] = -1
      if (this.pool.length < POOL_LIMIT) this.pool.push(copy)
    }
    this.touched = []
    this.active = false
    this.txBounds.reset()
  }

  private scratch = new Uint8Array(0)

  /** Write a patch's before or after pixels (outside transactions), keeping counts exact. */
  applyPatch(patch: Patch, which: 'before' | 'after', bounds: BoundsAccumulator): void {
    const n = patch.width * patch.height
    if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, TILE * TILE))
    const src = unpackPixels(patch[which], this.scratch.subarray(0, n))
    const d = this.data
    const counts = this.counts
    for (let r = 0; r < patch.height; r++) {
      const row = (patch.y + r) * this.width + patch.x
      const s = r * patch.width
      let first = -1
      let last = -1
      for (let c = 0; c < patch.width; c++) {
        const v = src[s + c]
        const old = d[row + c]
        if (old !== v) {
          d[row + c] = v
          counts[old]--
          counts[v]++
          if (first < 0) first = c
          last = c
        }
      }
      if (first >= 0) bounds.addSpan(patch.y + r, patch.x + first, patch.x + last)
    }
  }
}
