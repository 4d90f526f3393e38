// View transforms of the Compare panes: screen = world · scale + (x, y), in CSS pixels of the
// pane. The world is the reference image's pixel grid (pane A's image); other panes draw their
// image stretched onto it, so one transform fits every pane and sync is a plain copy.
// No DOM here (unit-tested in tests/unit/compare).

export interface ViewTransform {
  scale: number
  x: number
  y: number
}

export interface Size {
  width: number
  height: number
}

export const MIN_SCALE = 0.05
export const MAX_SCALE = 64

export function clampScale(s: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, s))
}

/** The whole world centred in the view, with a small margin. */
export function fitTransform(view: Size, world: Size, margin = 8): ViewTransform {
  if (view.width <= 0 || view.height <= 0 || world.width <= 0 || world.height <= 0) return { scale: 1, x: 0, y: 0 }
  const scale = clampScale(Math.min((view.width - 2 * margin) / world.width, (view.height - 2 * margin) / world.height))
  return { scale, x: (view.width - world.width * scale) / 2, y: (view.height - world.height * scale) / 2 }
}

/** Zooms by `factor` keeping the world point under (cx, cy) in place. */
export function zoomAt(t: ViewTransform, factor: number, cx: number, cy: number): ViewTransform {
  const scale = clampScale(t.scale * factor)
  const k = scale / t.scale
  return { scale, x: cx - (cx - t.x) * k, y: cy - (cy - t.y) * k }
}

/** Wheel delta (pixels) → zoom factor; one notch (100 px) ≈ ×1.16. */
export function wheelFactor(deltaY: number, deltaMode = 0): number {
  const px = deltaMode === 1 ? deltaY * 33 : deltaMode === 2 ? deltaY * 400 : deltaY
  return Math.exp(-px * 0.0015)
}

export function panBy(t: ViewTransform, dx: number, dy: number): ViewTransform {
  return { scale: t.scale, x: t.x + dx, y: t.y + dy }
}

export function screenToWorld(t: ViewTransform, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - t.x) / t.scale, y: (sy - t.y) / t.scale }
}

export function worldToScreen(t: ViewTransform, wx: number, wy: number): { x: number; y: number } {
  return { x: wx * t.scale + t.x, y: wy * t.scale + t.y }
}

/** A world point → the pixel of an image of another size drawn over the same world, or null outside. */
export function worldToPixel(world: Size, image: Size, wx: number, wy: number): { x: number; y: number } | null {
  if (wx < 0 || wy < 0 || wx >= world.width || wy >= world.height) return null
  return { x: Math.min(image.width - 1, Math.floor((wx * image.width) / world.width)), y: Math.min(image.height - 1, Math.floor((wy * image.height) / world.height)) }
}

/** The transform as the panes expose it in data-transform (rounded so tests can compare). */
export function transformAttr(t: ViewTransform): string {
  const r = (v: number) => Math.round(v * 1000) / 1000
  return JSON.stringify({ scale: r(t.scale), x: r(t.x), y: r(t.y) })
}

export function sameTransform(a: ViewTransform, b: ViewTransform): boolean {
  return Math.abs(a.scale - b.scale) < 1e-9 && Math.abs(a.x - b.x) < 1e-6 && Math.abs(a.y - b.y) < 1e-6
}
