// A big label map is shown as a grid of tile canvases, so that a brush dab re-uploads one
// small canvas and never copies a 256 MB one (a canvas drawn elsewhere is snapshotted, and
// writing to it afterwards copies the whole of it in Chromium's software path).
import type { Rect } from '../rect'

export const MASK_TILE = 1024

export interface TileGrid {
  tile: number
  columns: number
  rows: number
}

export function tileGrid(width: number, height: number, tile = MASK_TILE): TileGrid {
  return { tile, columns: Math.ceil(width / tile), rows: Math.ceil(height / tile) }
}

/** The tile's own rectangle in map pixels (edge tiles are smaller). */
export function tileRect(grid: TileGrid, width: number, height: number, index: number): Rect {
  const col = index % grid.columns
  const row = Math.floor(index / grid.columns)
  const x = col * grid.tile
  const y = row * grid.tile
  return { x, y, width: Math.min(grid.tile, width - x), height: Math.min(grid.tile, height - y) }
}

/** Call `visit` with each tile index overlapping `rect` and the overlap (map pixels). */
export function forEachTile(grid: TileGrid, width: number, height: number, rect: Rect, visit: (index: number, part: Rect) => void): void {
  const x0 = Math.max(0, rect.x)
  const y0 = Math.max(0, rect.y)
  const x1 = Math.min(width, rect.x + rect.width)
  const y1 = Math.min(height, rect.y + rect.height)
  if (x1 <= x0 || y1 <= y0) return
  const c0 = Math.floor(x0 / grid.tile)
  const c1 = Math.floor((x1 - 1) / grid.tile)
  const r0 = Math.floor(y0 / grid.tile)
  const r1 = Math.floor((y1 - 1) / grid.tile)
  for (let r = r0; r <= r1; r++) {
    for (let c = c0; c <= c1; c++) {
      const tx = c * grid.tile
      const ty = r * grid.tile
      const px0 = Math.max(x0, tx)
      const py0 = Math.max(y0, ty)
      const px1 = Math.min(x1, tx + grid.tile)
      const py1 = Math.min(y1, ty + grid.tile)
      visit(r * grid.columns + c, { x: px0, y: py0, width: px1 - px0, height: py1 - py0 })
    }
  }
}
