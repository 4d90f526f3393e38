// Labelled PNG sheets of the Compare grid, composed on a canvas in the renderer: a row label
// on the left of each row, a column label above each column, cells at a fixed size (pixels
// stay crisp when a small image is scaled up).
import { canvasOf, displayCanvas, type LoadedImage } from './images'
import type { Levels } from './imageMath'

export interface SheetCell {
  image: LoadedImage | null
  levels: Levels
  overlay: LoadedImage | null
  overlayOpacity: number
}

export interface SheetSpec {
  title?: string
  columns: string[]
  rows: { label: string; cells: SheetCell[] }[]
  /** Cell side in pixels. */
  cell: number
}

const FONT = '12px Inter, "Segoe UI", system-ui, sans-serif'
const TITLE_FONT = '600 13px Inter, "Segoe UI", system-ui, sans-serif'
const BG = '#15171c'
const TEXT = '#d8dce4'
const DIM = '#8b93a3'
const EMPTY = '#101216'

/** One cell's picture: the image with the pane's levels, the mask overlay on top. */
export function composeCell(cell: SheetCell, size: number): HTMLCanvasElement {
  const c = canvasOf(size, size)
  const ctx = c.getContext('2d')!
  ctx.fillStyle = EMPTY
  ctx.fillRect(0, 0, size, size)
  if (!cell.image) return c
  const w = cell.image.width
  const h = cell.image.height
  const scale = Math.min(size / w, size / h)
  const dw = Math.round(w * scale)
  const dh = Math.round(h * scale)
  const x = Math.floor((size - dw) / 2)
  const y = Math.floor((size - dh) / 2)
  ctx.imageSmoothingEnabled = scale < 1
  ctx.drawImage(displayCanvas(cell.image, cell.levels), x, y, dw, dh)
  if (cell.overlay && cell.overlayOpacity > 0) {
    ctx.globalAlpha = cell.overlayOpacity
    ctx.drawImage(cell.overlay.canvas, x, y, dw, dh)
    ctx.globalAlpha = 1
  }
  return c
}

function ellipsize(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text
  let t = text
  while (t.length > 1 && ctx.measureText(t + '…').width > width) t = t.slice(0, -1)
  return t + '…'
}

export function composeSheet(spec: SheetSpec): HTMLCanvasElement {
  const margin = 12
  const gap = 4
  const headerH = 20
  const titleH = spec.title ? 24 : 0
  const measure = canvasOf(1, 1).getContext('2d')!
  measure.font = FONT
  const labelW = Math.min(260, Math.max(90, ...spec.rows.map((r) => Math.ceil(measure.measureText(r.label).width) + 16)))
  const cols = Math.max(1, spec.columns.length)
  const width = margin * 2 + labelW + cols * spec.cell + (cols - 1) * gap
  const height = margin * 2 + titleH + headerH + spec.rows.length * spec.cell + Math.max(0, spec.rows.length - 1) * gap
  const canvas = canvasOf(width, height)
  const ctx = canvas.getContext('2d')!
  ctx.fillStyle = BG
  ctx.fillRect(0, 0, width, height)
  ctx.textBaseline = 'middle'
  if (spec.title) {
    ctx.font = TITLE_FONT
    ctx.fillStyle = TEXT
    ctx.fillText(ellipsize(ctx, spec.title, width - 2 * margin), margin, margin + titleH / 2 - 2)
  }
  ctx.font = FONT
  const top = margin + titleH
  spec.columns.forEach((label, c) => {
    const x = margin + labelW + c * (spec.cell + gap)
    ctx.fillStyle = DIM
    ctx.textAlign = 'center'
    ctx.fillText(ellipsize(ctx, label, spec.cell - 4), x + spec.cell / 2, top + headerH / 2)
  })
  ctx.textAlign = 'left'
  spec.rows.forEach((row, r) => {
    const y = top + headerH + r * (spec.cell + gap)
    ctx.fillStyle = TEXT
    ctx.fillText(ellipsize(ctx, row.label, labelW - 12), margin, y + spec.cell / 2)
    row.cells.forEach((cell, c) => {
      const x = margin + labelW + c * (spec.cell + gap)
      ctx.drawImage(composeCell(cell, spec.cell), x, y)
      if (!cell.image) {
        ctx.fillStyle = DIM
        ctx.textAlign = 'center'
        ctx.fillText('—', x + spec.cell / 2, y + spec.cell / 2)
        ctx.textAlign = 'left'
      }
    })
  })
  return canvas
}

export function canvasToPng(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the sheet could not be encoded as PNG'))), 'image/png'))
}

/** Saves a file through the browser's download (desktop: the save dialog Electron shows). */
export function download(data: Blob | string, fileName: string, mime = 'text/plain'): void {
  const blob = typeof data === 'string' ? new Blob([data], { type: `${mime};charset=utf-8` }) : data
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.style.display = 'none'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
