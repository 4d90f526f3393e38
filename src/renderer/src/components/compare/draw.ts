// Drawing one Compare view on its canvas: a pane (image + mask overlay), or two panes combined
// (swipe, blend, flicker, difference), then the mirrored crosshair. World → screen through the
// view transform; pixels stay crisp when zoomed in (imageSmoothingEnabled = false).
import type { Size, ViewTransform } from './viewMath'
import { worldToScreen } from './viewMath'

export interface PaneLayers {
  base: CanvasImageSource | null
  overlay: CanvasImageSource | null
  overlayOpacity: number
}

export type ViewKind = 'single' | 'swipe' | 'blend' | 'flicker' | 'diff'

export interface ViewSpec {
  /** CSS size of the canvas and the device pixel ratio. */
  width: number
  height: number
  dpr: number
  world: Size
  t: ViewTransform
  kind: ViewKind
  a: PaneLayers
  b?: PaneLayers
  swipe?: { orientation: 'vertical' | 'horizontal'; position: number }
  blend?: number
  /** Flicker: which of the two is on screen now. */
  showB?: boolean
  diff?: CanvasImageSource | null
  crosshair?: { x: number; y: number } | null
  background: string
}

function drawLayers(ctx: CanvasRenderingContext2D, spec: ViewSpec, layers: PaneLayers, alpha = 1): void {
  const { world } = spec
  ctx.globalAlpha = alpha
  if (layers.base) ctx.drawImage(layers.base, 0, 0, world.width, world.height)
  if (layers.overlay && layers.overlayOpacity > 0) {
    ctx.globalAlpha = alpha * layers.overlayOpacity
    ctx.drawImage(layers.overlay, 0, 0, world.width, world.height)
  }
  ctx.globalAlpha = 1
}

/** Sets the world transform for drawing images (device pixels). */
function worldTransform(ctx: CanvasRenderingContext2D, spec: ViewSpec): void {
  const { dpr, t } = spec
  ctx.setTransform(dpr * t.scale, 0, 0, dpr * t.scale, dpr * t.x, dpr * t.y)
  // Crisp pixels when magnified, smooth when minified.
  ctx.imageSmoothingEnabled = t.scale < 1
}

export function swipeLine(spec: Pick<ViewSpec, 'width' | 'height' | 'swipe'>): number {
  const s = spec.swipe ?? { orientation: 'vertical', position: 0.5 }
  return s.orientation === 'vertical' ? s.position * spec.width : s.position * spec.height
}

export function drawView(ctx: CanvasRenderingContext2D, spec: ViewSpec): void {
  const { dpr, width, height } = spec
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  ctx.globalAlpha = 1
  ctx.fillStyle = spec.background
  ctx.fillRect(0, 0, width, height)

  worldTransform(ctx, spec)
  switch (spec.kind) {
    case 'single':
      drawLayers(ctx, spec, spec.a)
      break
    case 'blend':
      drawLayers(ctx, spec, spec.a)
      if (spec.b) drawLayers(ctx, spec, spec.b, spec.blend ?? 0.5)
      break
    case 'flicker':
      drawLayers(ctx, spec, spec.showB && spec.b ? spec.b : spec.a)
      break
    case 'diff':
      if (spec.diff) ctx.drawImage(spec.diff, 0, 0, spec.world.width, spec.world.height)
      break
    case 'swipe': {
      drawLayers(ctx, spec, spec.a)
      if (spec.b) {
        const line = swipeLine(spec)
        const vertical = (spec.swipe?.orientation ?? 'vertical') === 'vertical'
        ctx.save()
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
        ctx.beginPath()
        if (vertical) ctx.rect(line, 0, width - line, height)
        else ctx.rect(0, line, width, height - line)
        ctx.clip()
        worldTransform(ctx, spec)
        drawLayers(ctx, spec, spec.b)
        ctx.restore()
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
        ctx.fillStyle = 'rgba(255,255,255,0.9)'
        if (vertical) ctx.fillRect(Math.round(line) - 1, 0, 2, height)
        else ctx.fillRect(0, Math.round(line) - 1, width, 2)
        // Handle.
        const hx = vertical ? line : width / 2
        const hy = vertical ? height / 2 : line
        ctx.beginPath()
        ctx.arc(hx, hy, 9, 0, Math.PI * 2)
        ctx.fillStyle = 'rgba(21,23,28,0.85)'
        ctx.fill()
        ctx.lineWidth = 2
        ctx.strokeStyle = 'rgba(255,255,255,0.9)'
        ctx.stroke()
      }
      break
    }
  }

  ctx.setTransform(dpr, 0, 0, dpr, 0, 0)
  if (spec.crosshair) {
    const c = spec.crosshair
    // Centre of the world pixel under the cursor, so every pane marks the same pixel.
    const p = worldToScreen(spec.t, Math.floor(c.x) + 0.5, Math.floor(c.y) + 0.5)
    const x = Math.round(p.x) + 0.5
    const y = Math.round(p.y) + 0.5
    ctx.lineWidth = 3
    ctx.strokeStyle = 'rgba(0,0,0,0.55)'
    ctx.beginPath()
    ctx.moveTo(x, 0)
    ctx.lineTo(x, height)
    ctx.moveTo(0, y)
    ctx.lineTo(width, y)
    ctx.stroke()
    ctx.lineWidth = 1
    ctx.strokeStyle = 'rgba(122,162,247,0.95)'
    ctx.stroke()
    if (spec.t.scale >= 6) {
      // The pixel's outline when it is big enough to see.
      const tl = worldToScreen(spec.t, Math.floor(c.x), Math.floor(c.y))
      ctx.strokeStyle = 'rgba(255,255,255,0.9)'
      ctx.strokeRect(Math.round(tl.x) + 0.5, Math.round(tl.y) + 0.5, Math.round(spec.t.scale), Math.round(spec.t.scale))
    }
  }
}
