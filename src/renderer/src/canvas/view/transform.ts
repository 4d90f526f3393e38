// The editor's view transform: screen = offset + image · zoom, in CSS pixels of a pane.
// Pure arithmetic (no DOM), shared by every pane so that split views stay pixel-aligned,
// and by the end-to-end tests, which map image pixels to the screen with the same numbers.
import type { Rect } from '../rect'

export const MIN_ZOOM = 1 / 64
export const MAX_ZOOM = 32

export interface ViewTransform {
  /** Screen pixels per image pixel. */
  zoom: number
  /** Where image pixel (0, 0)'s top-left corner lands in the pane, CSS pixels. */
  x: number
  y: number
}

export interface Size {
  width: number
  height: number
}

export function clampZoom(zoom: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom))
}

/** The whole image centred in the view with a margin, at the largest zoom that fits (at most 32×). */
export function fitTransform(view: Size, image: Size, margin = 12): ViewTransform {
  const w = Math.max(1, view.width - 2 * margin)
  const h = Math.max(1, view.height - 2 * margin)
  const zoom = clampZoom(Math.min(w / image.width, h / image.height))
  return centred(view, image, zoom)
}

/** The image at `zoom`, centred in the view; offsets are whole pixels so pixel edges stay crisp. */
export function centred(view: Size, image: Size, zoom: number): ViewTransform {
  const z = clampZoom(zoom)
  return { zoom: z, x: Math.round((view.width - image.width * z) / 2), y: Math.round((view.height - image.height * z) / 2) }
}

/** Zoom by `factor` keeping the image point under the screen point (sx, sy) in place. */
export function zoomAt(t: ViewTransform, factor: number, sx: number, sy: number): ViewTransform {
  return zoomTo(t, t.zoom * factor, sx, sy)
}

/** Set the zoom keeping the image point under (sx, sy) in place. */
export function zoomTo(t: ViewTransform, zoom: number, sx: number, sy: number): ViewTransform {
  const z = clampZoom(zoom)
  if (z === t.zoom) return t
  const ix = (sx - t.x) / t.zoom
  const iy = (sy - t.y) / t.zoom
  return { zoom: z, x: Math.round(sx - ix * z), y: Math.round(sy - iy * z) }
}

export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { zoom: t.zoom, x: t.x + dx, y: t.y + dy }
}

/**
 * Keep at least `keep` screen pixels of the image inside the view, so that a fling of the
 * pan cannot lose the image entirely.
 */
export function constrain(t: ViewTransform, view: Size, image: Size, keep = 48): ViewTransform {
  const w = image.width * t.zoom
  const h = image.height * t.zoom
  const kx = Math.min(keep, w)
  const ky = Math.min(keep, h)
  const x = Math.min(view.width - kx, Math.max(kx - w, t.x))
  const y = Math.min(view.height - ky, Math.max(ky - h, t.y))
  return x === t.x && y === t.y ? t : { zoom: t.zoom, x, y }
}

/** Screen (pane CSS pixels) → image coordinates (fractional; pixel (px, py) covers [px, px+1)). */
export function toImage(t: ViewTransform, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - t.x) / t.zoom, y: (sy - t.y) / t.zoom }
}

/** Image coordinates → screen (pane CSS pixels). */
export function toScreen(t: ViewTransform, ix: number, iy: number): { x: number; y: number } {
  return { x: t.x + ix * t.zoom, y: t.y + iy * t.zoom }
}

/** The image pixels at least partly visible in the view (null when none). */
export function visibleImageRect(t: ViewTransform, view: Size, image: Size): Rect | null {
  const x0 = Math.max(0, Math.floor(-t.x / t.zoom))
  const y0 = Math.max(0, Math.floor(-t.y / t.zoom))
  const x1 = Math.min(image.width, Math.ceil((view.width - t.x) / t.zoom))
  const y1 = Math.min(image.height, Math.ceil((view.height - t.y) / t.zoom))
  if (x1 <= x0 || y1 <= y0) return null
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

/** Zoom steps for the + / − keys: powers of two and the halves between them. */
export function nextZoomStep(zoom: number, direction: 1 | -1): number {
  const steps: number[] = []
  for (let e = -6; e <= 5; e++) steps.push(2 ** e, 1.5 * 2 ** e)
  steps.sort((a, b) => a - b)
  if (direction > 0) return clampZoom(steps.find((s) => s > zoom * 1.001) ?? MAX_ZOOM)
  return clampZoom([...steps].reverse().find((s) => s < zoom / 1.001) ?? MIN_ZOOM)
}
