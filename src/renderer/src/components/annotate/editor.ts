// The mask editor's view controller: Konva stages for one or two panes (split view),
// pointer and wheel input, the display canvases, autosave, and the bridge between the
// painting engine and the Vue UI. A plain class on purpose: the label map, canvases and
// Konva nodes never enter Vue's reactivity; the UI pushes settings in through setters and
// gets small status values back through the hooks.
//
// Display: per pane, an image layer (one Konva.Image of the modality, or of its
// levels-adjusted copy), a mask layer (a grid of Konva.Image tiles backed by canvases
// this class owns and shares between the panes) and an overlay layer (brush outline,
// polygon and lasso outlines). Every layer has hit detection off, and an input surface
// above the stage takes the pointer, so Konva never hit-tests. Changes are only flagged
// where they happen; one requestAnimationFrame callback per frame re-colours the dirty
// rectangle of the mask (putImageData of colorizeRect output, per tile) and redraws the
// layers that changed with layer.draw() — Konva's batchDraw() would defer to the frame
// after ours, adding a frame of latency, so the batching is done here instead.
//
// Zoomed out, the mask and the image are drawn from downscaled copies (canvas/pyramid.ts
// for the labels, halved canvases for the images): at "fit" an 8192² mask is one 1024²
// level instead of sixty-four 1024² tiles. Each level keeps the rectangle changed since it
// was last painted, so the pyramid follows every stroke from the dirty rectangles alone;
// painting always works on the full-resolution map.
import Konva from 'konva'
import {
  LabelPyramid,
  PaintEngine,
  colorizeRect,
  makeColorLut,
  stampOrigin,
  type ColorLut,
  type HistoryEvent,
  type Preserve,
  type Rect,
  type SimilarityLimit,
  type StrokeTool
} from '../../canvas'
import { BoundsAccumulator } from '../../canvas/rect'
import { Autosaver, type SaveState } from '../../canvas/view/autosave'
import { applyLevels, autoLevels, isIdentityLevels, levelsLut, type Levels } from '../../canvas/view/levels'
import { growRect, outlineRect } from '../../canvas/view/outline'
import { forEachTile, tileGrid, tileRect, type TileGrid } from '../../canvas/view/tiles'
import type { ToolId } from '../../canvas/view/keymap'
import {
  centred,
  constrain,
  fitTransform,
  nextZoomStep,
  panBy,
  toImage,
  toScreen,
  visibleImageRect,
  zoomAt,
  zoomTo,
  type Size,
  type ViewTransform
} from '../../canvas/view/transform'

export interface EditorSettings {
  tool: ToolId
  classId: number
  brushSize: number
  brushShape: 'round' | 'square'
  eraserTarget: 'unlabeled' | 'background'
  fillSimilar: boolean
  fillTolerance: number
  preserve: Preserve
  opacity: number
  outline: boolean
  maskHidden: boolean
}

export interface EditorHooks {
  save(args: { sampleId: string; width: number; height: number; labels: Uint8Array; status?: 'in-progress' | 'done' }): Promise<{ savedAt: string }>
  onHistory(info: { undoSteps: number; redoSteps: number; bytes: number }): void
  onCounts(counts: Uint32Array): void
  onSaveState(state: SaveState, error?: unknown): void
  onSaved(sampleId: string, savedAt: string, status?: 'in-progress' | 'done'): void
  onView(t: ViewTransform): void
  onCursor(cursor: { x: number; y: number; label: number | undefined } | null): void
  onPick(classId: number): void
  onPolygon(vertices: number): void
  onError(error: unknown): void
}

export interface OpenArgs {
  sampleId: string
  width: number
  height: number
  labels: Uint8Array | null
  /** Modality id → image URL. */
  images: Record<string, string>
  classes: ReadonlyArray<{ id: number; color: string }>
}

/** Per-event timings the benchmark reads (milliseconds). */
export interface PerfRecord {
  moves: number[]
  frames: number[]
}

/** One display level of the mask: 0 is the full-resolution map, then the pyramid's levels. */
interface MaskLevel {
  /** Map pixels per level pixel along each axis: 1, 2, 4, … */
  scale: number
  width: number
  height: number
  /** The level's labels (level 0: the engine's live buffer). */
  labels: () => Uint8Array
  grid: TileGrid
  tiles: HTMLCanvasElement[]
  /** Changed since the level was last painted, in level pixels. */
  pending: BoundsAccumulator
  /** Repaint all of it when it is next shown (colours or outline mode changed meanwhile). */
  full: boolean
}

interface Session {
  sampleId: string
  width: number
  height: number
  engine: PaintEngine
  saver: Autosaver
  pyramid: LabelPyramid
  levels: MaskLevel[]
  /** Something reached the disk that the engine's state id does not describe (a stroke saved mid-way then cancelled, an import). */
  forced: boolean
  /** Status to send with the next save (Mark done). */
  pendingStatus?: 'in-progress' | 'done'
  offs: (() => void)[]
}

interface ModalityImage {
  element: HTMLImageElement
  /** RGBA pixels for similarity fills and levels, read once on demand. */
  pixels?: Uint8ClampedArray
  /** Levels-adjusted display copy (absent while levels are identity). */
  display?: HTMLCanvasElement
  levelsKey?: string
  /** Halved copies of the displayed picture for zoomed-out levels (index 0 = level 1), for pyramidKey. */
  pyramid?: HTMLCanvasElement[]
  pyramidKey?: string
}

const DARK = 'rgba(0,0,0,0.85)'
const LIGHT = 'rgba(255,255,255,0.95)'

class Pane {
  readonly stage: Konva.Stage
  readonly imageLayer = new Konva.Layer({ listening: false, imageSmoothingEnabled: false })
  readonly maskLayer = new Konva.Layer({ listening: false, imageSmoothingEnabled: false })
  readonly overlay = new Konva.Layer({ listening: false })
  readonly imageNode = new Konva.Image({ image: undefined, listening: false, perfectDrawEnabled: false })
  readonly maskGroup = new Konva.Group({ listening: false })
  readonly overlayGroup = new Konva.Group({ listening: false })
  /** Per display level, its tiles' nodes (in map coordinates); only the shown level's group is visible. */
  levelGroups: { group: Konva.Group; nodes: Konva.Image[] }[] = []
  readonly cursorOuter: Konva.Circle
  readonly cursorInner: Konva.Circle
  readonly squareOuter: Konva.Rect
  readonly squareInner: Konva.Rect
  readonly crossH: Konva.Line
  readonly crossV: Konva.Line
  readonly polyOuter: Konva.Line
  readonly polyInner: Konva.Line
  readonly polyStart: Konva.Circle
  readonly lassoOuter: Konva.Line
  readonly lassoInner: Konva.Line
  size: Size = { width: 1, height: 1 }
  modality = ''
  imageDirty = true
  maskDirty = true
  overlayDirty = true
  readonly resize: ResizeObserver
  private readonly offs: (() => void)[] = []

  constructor(
    readonly host: HTMLElement,
    readonly surface: HTMLElement,
    onResize: (pane: Pane) => void
  ) {
    const box = host.getBoundingClientRect()
    this.size = { width: Math.max(1, Math.round(box.width)), height: Math.max(1, Math.round(box.height)) }
    this.stage = new Konva.Stage({ container: host as HTMLDivElement, width: this.size.width, height: this.size.height, listening: false })
    const stroke = (color: string, width: number) => ({ stroke: color, strokeWidth: width, strokeScaleEnabled: false, listening: false, perfectDrawEnabled: false })
    this.cursorOuter = new Konva.Circle({ ...stroke(DARK, 3), visible: false })
    this.cursorInner = new Konva.Circle({ ...stroke(LIGHT, 1), visible: false })
    this.squareOuter = new Konva.Rect({ ...stroke(DARK, 3), visible: false })
    this.squareInner = new Konva.Rect({ ...stroke(LIGHT, 1), visible: false })
    this.crossH = new Konva.Line({ ...stroke(LIGHT, 1), visible: false, shadowColor: 'black', shadowBlur: 2, shadowForStrokeEnabled: true })
    this.crossV = new Konva.Line({ ...stroke(LIGHT, 1), visible: false, shadowColor: 'black', shadowBlur: 2, shadowForStrokeEnabled: true })
    this.polyOuter = new Konva.Line({ ...stroke(DARK, 3), visible: false, lineJoin: 'round' })
    this.polyInner = new Konva.Line({ ...stroke(LIGHT, 1.25), visible: false, lineJoin: 'round' })
    this.polyStart = new Konva.Circle({ ...stroke(DARK, 1), fill: LIGHT, visible: false })
    this.lassoOuter = new Konva.Line({ ...stroke(DARK, 3), visible: false, closed: true, lineJoin: 'round' })
    this.lassoInner = new Konva.Line({ ...stroke(LIGHT, 1.25), visible: false, closed: true, lineJoin: 'round', dash: [6, 4] })
    this.imageLayer.add(this.imageNode)
    this.maskLayer.add(this.maskGroup)
    this.overlayGroup.add(this.lassoOuter, this.lassoInner, this.polyOuter, this.polyInner, this.polyStart)
    this.overlayGroup.add(this.cursorOuter, this.cursorInner, this.squareOuter, this.squareInner, this.crossH, this.crossV)
    this.overlay.add(this.overlayGroup)
    this.stage.add(this.imageLayer, this.maskLayer, this.overlay)
    this.resize = new ResizeObserver(() => {
      const r = host.getBoundingClientRect()
      const size = { width: Math.max(1, Math.round(r.width)), height: Math.max(1, Math.round(r.height)) }
      if (size.width === this.size.width && size.height === this.size.height) return
      this.size = size
      this.stage.size(size)
      this.imageDirty = this.maskDirty = this.overlayDirty = true
      onResize(this)
    })
    this.resize.observe(host)
  }

  listen<K extends keyof HTMLElementEventMap>(type: K, fn: (e: HTMLElementEventMap[K]) => void, options?: AddEventListenerOptions): void {
    this.surface.addEventListener(type, fn as EventListener, options)
    this.offs.push(() => this.surface.removeEventListener(type, fn as EventListener, options))
  }

  /** Client (viewport) coordinates → pane coordinates. */
  local(clientX: number, clientY: number): { x: number; y: number } {
    const r = this.surface.getBoundingClientRect()
    return { x: clientX - r.left, y: clientY - r.top }
  }

  setLevels(levels: MaskLevel[], shown: number): void {
    for (const { group } of this.levelGroups) group.destroy()
    this.levelGroups = levels.map((level, index) => {
      const group = new Konva.Group({ listening: false, visible: index === shown })
      // A level's tile covers scale × its pixels of the map, so the layer transform is shared.
      const nodes = level.tiles.map((canvas, i) => {
        const r = tileRect(level.grid, level.width, level.height, i)
        const k = level.scale
        return new Konva.Image({ image: canvas, x: r.x * k, y: r.y * k, width: r.width * k, height: r.height * k, listening: false, perfectDrawEnabled: false })
      })
      if (nodes.length) group.add(...nodes)
      this.maskGroup.add(group)
      return { group, nodes }
    })
    this.maskDirty = true
  }

  applyTransform(t: ViewTransform, image: Size, levels: MaskLevel[] | null, shown = 0): void {
    for (const node of [this.imageLayer, this.maskLayer]) {
      node.position({ x: t.x, y: t.y })
      node.scale({ x: t.zoom, y: t.zoom })
    }
    this.overlayGroup.position({ x: t.x, y: t.y })
    this.overlayGroup.scale({ x: t.zoom, y: t.zoom })
    // Nearest-neighbour when magnified (pixels stay square), smoothing when minified.
    this.imageLayer.imageSmoothingEnabled(t.zoom < 1)
    if (levels) {
      const visible = visibleImageRect(t, this.size, image)
      this.levelGroups.forEach(({ group, nodes }, index) => {
        if (group.visible() !== (index === shown)) group.visible(index === shown)
        if (index !== shown) return
        // Cull the shown level's tiles outside the view (node rectangles are in map pixels).
        for (const node of nodes) {
          const x = node.x()
          const y = node.y()
          const show = !!visible && x < visible.x + visible.width && x + node.width() > visible.x && y < visible.y + visible.height && y + node.height() > visible.y
          if (node.visible() !== show) node.visible(show)
        }
      })
    }
    this.imageDirty = this.maskDirty = this.overlayDirty = true
  }

  destroy(): void {
    this.resize.disconnect()
    for (const off of this.offs) off()
    this.stage.destroy()
  }
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image()
    img.decoding = 'async'
    img.onload = () => resolve(img)
    img.onerror = () => reject(new Error(`could not load the image ${url.replace(/[?&]token=[^&]*/, '')}`))
    img.src = url
  })
}

function canvasOf(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement('canvas')
  c.width = width
  c.height = height
  return c
}

/** A display level with its tile canvases, to be painted in full when first shown. */
function maskLevel(scale: number, width: number, height: number, labels: () => Uint8Array): MaskLevel {
  const grid = tileGrid(width, height)
  const tiles: HTMLCanvasElement[] = []
  for (let i = 0; i < grid.columns * grid.rows; i++) {
    const r = tileRect(grid, width, height, i)
    tiles.push(canvasOf(r.width, r.height))
  }
  return { scale, width, height, labels, grid, tiles, pending: new BoundsAccumulator(), full: true }
}

export class AnnotationEditor {
  private session: Session | null = null
  private readonly panes: (Pane | null)[] = [null, null]
  private readonly images = new Map<string, ModalityImage>()
  private levels: Record<string, Levels> = {}
  private lut: ColorLut = new Uint32Array(256)
  private settings: EditorSettings
  private t: ViewTransform = { zoom: 1, x: 0, y: 0 }
  /** Follow the window size until the user zooms or pans. */
  private fitMode = true
  private raf = 0
  private fullMaskRepaint = false
  /** Draw zoomed-out views from the pyramid (the benchmark turns it off to measure the difference). */
  private pyramidEnabled = true
  /** The display level the panes show now. */
  private shownLevel = 0
  private countsDirty = false
  private transformDirty = false
  private cursorDirty = false
  /** Pointer position in image coordinates and the pane it is over (null: outside). */
  private pointer: { x: number; y: number; pane: number } | null = null
  private strokePointer: number | null = null
  private pan: { pointerId: number; x: number; y: number; pane: Pane } | null = null
  private spaceHeld = false
  private polygon: number[] = []
  private lastVertexAt = 0
  private lastVertexScreen = { x: 0, y: 0 }
  private destroyed = false
  private openToken = 0
  private sentNow = -1
  perf: PerfRecord | null = null

  constructor(
    private readonly hooks: EditorHooks,
    settings: EditorSettings
  ) {
    this.settings = { ...settings }
  }

  // ------------------------------------------------------------------ panes

  /** Attach pane 0 (main) or 1 (split) to its host element and its input surface. */
  attachPane(index: 0 | 1, host: HTMLElement, surface: HTMLElement, modality: string): void {
    this.detachPane(index)
    const pane = new Pane(host, surface, (p) => this.onPaneResize(p))
    pane.modality = modality
    this.panes[index] = pane
    pane.listen('pointerdown', (e) => this.onPointerDown(index, e))
    pane.listen('pointermove', (e) => this.onPointerMove(index, e))
    pane.listen('pointerup', (e) => this.onPointerUp(e))
    pane.listen('pointercancel', (e) => this.onPointerUp(e))
    pane.listen('pointerleave', () => this.onPointerLeave(index))
    pane.listen('wheel', (e) => this.onWheel(index, e), { passive: false })
    pane.listen('dblclick', (e) => {
      if (this.settings.tool === 'polygon') {
        e.preventDefault()
        this.closePolygon()
      }
    })
    pane.listen('contextmenu', (e) => e.preventDefault())
    const s = this.session
    if (s) {
      pane.setLevels(s.levels, this.shownLevel)
      this.showModality(pane)
      if (this.fitMode) this.fit()
      else this.keepInView()
      pane.applyTransform(this.t, s, s.levels, this.shownLevel)
    }
    this.applyMaskDisplay()
    this.updateSurfaceCursor()
    this.requestFrame()
  }

  detachPane(index: 0 | 1): void {
    this.panes[index]?.destroy()
    this.panes[index] = null
    if (this.pointer?.pane === index) this.pointer = null
  }

  setPaneModality(index: 0 | 1, modality: string): void {
    const pane = this.panes[index]
    if (!pane || pane.modality === modality) return
    pane.modality = modality
    this.showModality(pane)
    this.requestFrame()
  }

  private onPaneResize(pane: Pane): void {
    if (!this.session) return
    // Never move the image under a stroke or a polygon in progress.
    const busy = this.session.engine.strokeActive || this.polygon.length > 0
    if (this.fitMode && !busy) this.fit()
    else if (pane === this.panes[0]) this.keepInView()
    this.requestFrame()
  }

  private mainSize(): Size {
    return this.panes[0]?.size ?? { width: 1, height: 1 }
  }

  // ------------------------------------------------------------------ sessions

  get sampleId(): string | null {
    return this.session?.sampleId ?? null
  }

  get engine(): PaintEngine | null {
    return this.session?.engine ?? null
  }

  get view(): ViewTransform {
    return this.t
  }

  /** Open a sample: the previous one is saved first. Resolves once its images are shown. */
  async open(args: OpenArgs): Promise<void> {
    const token = ++this.openToken
    await this.close()
    if (token !== this.openToken || this.destroyed) return
    const engine = new PaintEngine(args.width, args.height)
    if (args.labels) engine.load(args.labels, args.width, args.height)
    const pyramid = new LabelPyramid(args.width, args.height)
    pyramid.rebuild(engine.labels)
    const levels = [
      maskLevel(1, args.width, args.height, () => engine.labels),
      ...pyramid.levels.map((level, index) => maskLevel(2 << index, level.width, level.height, () => level.labels))
    ]
    const session: Session = {
      sampleId: args.sampleId,
      width: args.width,
      height: args.height,
      engine,
      pyramid,
      levels,
      forced: false,
      offs: [],
      saver: undefined as unknown as Autosaver
    }
    session.saver = new Autosaver({
      isDirty: () => session.engine.isDirty || session.forced,
      save: () => this.saveSession(session),
      onState: (state, error) => {
        if (this.session === session) this.hooks.onSaveState(state, error)
      }
    })
    session.offs.push(
      engine.on('change', (e) => {
        if (e.reason === 'cancel') session.forced = true
        if (e.reason !== 'load') session.saver.changed()
        this.countsDirty = true
        this.requestFrame()
      }),
      engine.on('history', (h: HistoryEvent) => this.hooks.onHistory({ undoSteps: h.undoSteps, redoSteps: h.redoSteps, bytes: h.historyBytes }))
    )
    this.lut = makeColorLut(args.classes)
    this.session = session
    engine.preserve = this.settings.preserve
    this.images.clear()
    this.polygon = []
    this.hooks.onPolygon(0)
    this.shownLevel = 0
    for (const pane of this.panes) pane?.setLevels(levels, 0)
    this.fullMaskRepaint = true
    this.countsDirty = true
    engine.takeDirty()
    this.hooks.onHistory({ undoSteps: 0, redoSteps: 0, bytes: 0 })
    this.hooks.onSaveState('saved')
    this.fitMode = true
    this.fit()
    this.requestFrame()
    // Images load in parallel; the mask is usable before they arrive.
    const loads = Object.entries(args.images).map(async ([modality, url]) => {
      const element = await loadImage(url)
      if (this.session !== session) return
      this.images.set(modality, { element })
      for (const pane of this.panes) if (pane?.modality === modality) this.showModality(pane)
      this.requestFrame()
    })
    const results = await Promise.allSettled(loads)
    const failed = results.find((r) => r.status === 'rejected')
    if (failed && this.session === session) this.hooks.onError((failed as PromiseRejectedResult).reason)
  }

  /** Save and close the open sample. */
  async close(): Promise<void> {
    const s = this.session
    if (!s) return
    if (s.engine.strokeActive) s.engine.endStroke()
    this.strokePointer = null
    await s.saver.flush()
    s.saver.dispose()
    for (const off of s.offs) off()
    if (this.session === s) this.session = null
  }

  private async saveSession(s: Session): Promise<void> {
    const snap = s.engine.snapshot()
    const status = s.pendingStatus
    s.forced = false
    try {
      const { savedAt } = await this.hooks.save({ sampleId: s.sampleId, width: snap.width, height: snap.height, labels: snap.labels, ...(status ? { status } : {}) })
      s.engine.markSaved(snap.state)
      if (s.pendingStatus === status) s.pendingStatus = undefined
      this.hooks.onSaved(s.sampleId, savedAt, status)
    } catch (error) {
      s.forced = true
      throw error
    }
  }

  /** Save now if anything is unsaved (sample switch, blur, route leave). */
  flush(): Promise<void> {
    return this.session?.saver.flush() ?? Promise.resolve()
  }

  /**
   * The page is going away: send the current labels at once, even if a save is in flight
   * (the backend applies saves in arrival order), without waiting for an answer.
   */
  flushNow(): void {
    const s = this.session
    if (!s || !(s.engine.isDirty || s.forced)) return
    // pagehide and beforeunload both fire on a reload: send each version once.
    if (this.sentNow === s.engine.changeCount && !s.forced) return
    this.sentNow = s.engine.changeCount
    s.forced = false
    const snap = s.engine.snapshot()
    void this.hooks
      .save({ sampleId: s.sampleId, width: snap.width, height: snap.height, labels: snap.labels, ...(s.pendingStatus ? { status: s.pendingStatus } : {}) })
      .then(() => s.engine.markSaved(snap.state))
      .catch(() => undefined)
  }

  /** Save with a status (Mark done / back to in progress), even when nothing else changed. */
  async saveStatus(status: 'in-progress' | 'done'): Promise<void> {
    const s = this.session
    if (!s) return
    s.pendingStatus = status
    s.forced = true
    await s.saver.flush()
    if (s.saver.state === 'error') throw s.saver.error
  }

  get saveState(): SaveState {
    return this.session?.saver.state ?? 'saved'
  }

  set autosave(on: boolean) {
    if (this.session) this.session.saver.enabled = on
  }

  /**
   * Replace the whole map (an import) as one undo step (Ctrl+Z brings the previous mask
   * back exactly), then save at once.
   */
  async replaceLabels(labels: Uint8Array): Promise<void> {
    const s = this.session
    if (!s) return
    this.cancelPolygon()
    s.engine.importLabels(labels)
    await s.saver.flush()
    if (s.saver.state === 'error') throw s.saver.error
  }

  // ------------------------------------------------------------------ settings

  update(next: Partial<EditorSettings>): void {
    const prev = this.settings
    this.settings = { ...prev, ...next }
    const s = this.session
    if (next.preserve && s) s.engine.preserve = next.preserve
    if (next.tool !== undefined && next.tool !== prev.tool) {
      if (prev.tool === 'polygon') this.cancelPolygon()
      this.updateSurfaceCursor()
    }
    if (next.outline !== undefined && next.outline !== prev.outline) this.fullMaskRepaint = true
    if (next.opacity !== undefined || next.maskHidden !== undefined) this.applyMaskDisplay()
    this.cursorDirty = true
    this.requestFrame()
  }

  setClasses(classes: ReadonlyArray<{ id: number; color: string }>): void {
    this.lut = makeColorLut(classes)
    this.fullMaskRepaint = true
    this.requestFrame()
  }

  setLevels(modality: string, levels: Levels): void {
    this.levels = { ...this.levels, [modality]: { ...levels } }
    for (const pane of this.panes) if (pane?.modality === modality) this.showModality(pane)
    this.requestFrame()
  }

  /** Auto contrast for a modality from its histogram (null until its image has loaded). */
  autoLevelsFor(modality: string): Levels | null {
    const pixels = this.pixelsOf(modality)
    return pixels ? autoLevels(pixels) : null
  }

  setSpaceHeld(held: boolean): void {
    if (this.spaceHeld === held) return
    this.spaceHeld = held
    this.updateSurfaceCursor()
  }

  private applyMaskDisplay(): void {
    for (const pane of this.panes) {
      if (!pane) continue
      pane.maskGroup.opacity(this.settings.opacity)
      pane.maskLayer.visible(!this.settings.maskHidden)
      pane.maskDirty = true
    }
    this.requestFrame()
  }

  private updateSurfaceCursor(): void {
    const panning = this.spaceHeld || this.pan !== null
    const cursor = panning ? (this.pan ? 'grabbing' : 'grab') : this.settings.tool === 'brush' || this.settings.tool === 'eraser' ? 'none' : 'crosshair'
    for (const pane of this.panes) if (pane) pane.surface.style.cursor = cursor
    this.cursorDirty = true
  }

  // ------------------------------------------------------------------ images

  private showModality(pane: Pane): void {
    const s = this.session
    const image = this.images.get(pane.modality)
    if (!s || !image) {
      pane.imageNode.image(undefined)
      pane.imageDirty = true
      return
    }
    pane.imageNode.image(this.displaySource(pane.modality, image, this.shownLevel))
    pane.imageNode.size({ width: s.width, height: s.height })
    pane.imageDirty = true
  }

  /** The picture a pane shows: levels-adjusted when set, halved `level` times when zoomed out. */
  private displaySource(modality: string, image: ModalityImage, level = 0): CanvasImageSource {
    const { source, key } = this.adjustedSource(modality, image)
    return level > 0 ? this.downscaled(image, source, key, level) : source
  }

  private adjustedSource(modality: string, image: ModalityImage): { source: CanvasImageSource; key: string } {
    const levels = this.levels[modality]
    if (!levels || isIdentityLevels(levels)) return { source: image.element, key: 'original' }
    const key = `${levels.low}/${levels.high}/${levels.gamma}`
    if (image.display && image.levelsKey === key) return { source: image.display, key }
    const pixels = this.pixelsOf(modality)
    if (!pixels) return { source: image.element, key: 'original' }
    const w = image.element.naturalWidth
    const h = image.element.naturalHeight
    image.display ??= canvasOf(w, h)
    const ctx = image.display.getContext('2d')!
    const out = ctx.createImageData(w, h)
    applyLevels(pixels, out.data, levelsLut(levels))
    ctx.putImageData(out, 0, 0)
    image.levelsKey = key
    return { source: image.display, key }
  }

  /** `source` halved `level` times with smoothing, each halving cached (per levels setting `key`). */
  private downscaled(image: ModalityImage, source: CanvasImageSource, key: string, level: number): CanvasImageSource {
    if (image.pyramidKey !== key) {
      image.pyramid = []
      image.pyramidKey = key
    }
    const copies = image.pyramid!
    let previous = source
    let w = image.element.naturalWidth
    let h = image.element.naturalHeight
    for (let l = 1; l <= level; l++) {
      w = Math.max(1, Math.ceil(w / 2))
      h = Math.max(1, Math.ceil(h / 2))
      if (!copies[l - 1]) {
        const canvas = canvasOf(w, h)
        const ctx = canvas.getContext('2d')!
        ctx.imageSmoothingQuality = 'high'
        ctx.drawImage(previous, 0, 0, w, h)
        copies[l - 1] = canvas
      }
      previous = copies[l - 1]
    }
    return previous
  }

  /** A modality's RGBA pixels, read once by drawing the <img> into an offscreen canvas. */
  private pixelsOf(modality: string): Uint8ClampedArray | null {
    const image = this.images.get(modality)
    if (!image) return null
    if (!image.pixels) {
      const { naturalWidth: w, naturalHeight: h } = image.element
      const c = canvasOf(w, h)
      const ctx = c.getContext('2d', { willReadFrequently: true })!
      ctx.drawImage(image.element, 0, 0)
      image.pixels = ctx.getImageData(0, 0, w, h).data
    }
    return image.pixels
  }

  // ------------------------------------------------------------------ view

  fit(): void {
    const s = this.session
    if (!s) return
    this.fitMode = true
    this.setTransform(fitTransform(this.mainSize(), s))
  }

  actualSize(): void {
    const s = this.session
    if (!s) return
    this.fitMode = false
    const size = this.mainSize()
    if (this.pointer) {
      const p = toScreen(this.t, this.pointer.x, this.pointer.y)
      this.setTransform(zoomTo(this.t, 1, p.x, p.y))
    } else this.setTransform(centred(size, s, 1))
  }

  zoomStep(direction: 1 | -1): void {
    const s = this.session
    if (!s) return
    this.fitMode = false
    const size = this.mainSize()
    const at = this.pointer ? toScreen(this.t, this.pointer.x, this.pointer.y) : { x: size.width / 2, y: size.height / 2 }
    this.setTransform(zoomTo(this.t, nextZoomStep(this.t.zoom, direction), at.x, at.y))
  }

  private keepInView(): void {
    const s = this.session
    if (s) this.setTransform(constrain(this.t, this.mainSize(), s))
  }

  private setTransform(t: ViewTransform): void {
    this.t = t
    this.transformDirty = true
    this.cursorDirty = true
    this.requestFrame()
  }

  // ------------------------------------------------------------------ input

  private imagePoint(index: number, clientX: number, clientY: number): { x: number; y: number } {
    const pane = this.panes[index]!
    const local = pane.local(clientX, clientY)
    return toImage(this.t, local.x, local.y)
  }

  /** Client coordinates → image coordinates, as the pointer handlers compute them (test hook). */
  clientToImage(clientX: number, clientY: number, index: 0 | 1 = 0): { x: number; y: number } | null {
    return this.panes[index] ? this.imagePoint(index, clientX, clientY) : null
  }

  /** Image coordinates → client coordinates (test hook). */
  imageToClient(x: number, y: number, index: 0 | 1 = 0): { x: number; y: number } | null {
    const pane = this.panes[index]
    if (!pane) return null
    const r = pane.surface.getBoundingClientRect()
    const p = toScreen(this.t, x, y)
    return { x: r.left + p.x, y: r.top + p.y }
  }

  private strokeTool(): StrokeTool | null {
    const st = this.settings
    if (st.tool === 'brush') return { kind: 'brush', classId: st.classId, diameter: st.brushSize, shape: st.brushShape }
    if (st.tool === 'eraser') return { kind: 'eraser', diameter: st.brushSize, shape: st.brushShape, target: st.eraserTarget }
    if (st.tool === 'lasso') return { kind: 'lasso', classId: st.classId }
    return null
  }

  private onPointerDown(index: number, e: PointerEvent): void {
    const s = this.session
    const pane = this.panes[index]
    if (!s || !pane) return
    if (e.button === 1 || (e.button === 0 && this.spaceHeld)) {
      e.preventDefault()
      pane.surface.setPointerCapture(e.pointerId)
      this.pan = { pointerId: e.pointerId, x: e.clientX, y: e.clientY, pane }
      this.updateSurfaceCursor()
      return
    }
    if (e.button !== 0 || this.strokePointer !== null) return
    e.preventDefault()
    pane.surface.focus?.({ preventScroll: true })
    const p = this.imagePoint(index, e.clientX, e.clientY)
    this.pointer = { ...p, pane: index }
    try {
      if (e.altKey || this.settings.tool === 'picker') {
        const label = s.engine.labelAt(p.x, p.y)
        if (label !== undefined && label !== 255) this.hooks.onPick(label)
        return
      }
      const tool = this.strokeTool()
      if (tool) {
        s.engine.beginStroke(tool, p.x, p.y)
        this.strokePointer = e.pointerId
        pane.surface.setPointerCapture(e.pointerId)
      } else if (this.settings.tool === 'fill') {
        s.engine.fill(p.x, p.y, this.settings.classId, this.similarityLimit(pane.modality))
      } else if (this.settings.tool === 'polygon') {
        this.addPolygonVertex(p, e)
      }
    } catch (error) {
      this.hooks.onError(error)
    }
    this.cursorDirty = true
    this.requestFrame()
  }

  private similarityLimit(modality: string): SimilarityLimit | undefined {
    if (!this.settings.fillSimilar) return undefined
    const s = this.session!
    const pixels = this.pixelsOf(modality)
    if (!pixels || pixels.length !== s.width * s.height * 4) return undefined
    return { image: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), channels: 4, tolerance: this.settings.fillTolerance }
  }

  private onPointerMove(index: number, e: PointerEvent): void {
    const t0 = this.perf ? performance.now() : 0
    const s = this.session
    if (!s || !this.panes[index]) return
    if (this.pan && this.pan.pointerId === e.pointerId) {
      const dx = e.clientX - this.pan.x
      const dy = e.clientY - this.pan.y
      this.pan.x = e.clientX
      this.pan.y = e.clientY
      this.fitMode = false
      this.setTransform(constrain(panBy(this.t, dx, dy), this.mainSize(), s))
      return
    }
    const stroking = this.strokePointer === e.pointerId && s.engine.strokeActive
    let last: { x: number; y: number } | null = null
    if (stroking) {
      // Every sample the hardware delivered since the last event, not just the last one.
      const samples = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : []
      const list = samples.length ? samples : [e]
      const r = this.panes[index]!.surface.getBoundingClientRect()
      for (const ev of list) {
        last = toImage(this.t, ev.clientX - r.left, ev.clientY - r.top)
        s.engine.strokeTo(last.x, last.y)
      }
    } else {
      last = this.imagePoint(index, e.clientX, e.clientY)
    }
    if (last) this.pointer = { x: last.x, y: last.y, pane: index }
    this.cursorDirty = true
    this.requestFrame()
    if (this.perf && stroking) this.perf.moves.push(performance.now() - t0)
  }

  private onPointerUp(e: PointerEvent): void {
    if (this.pan && this.pan.pointerId === e.pointerId) {
      this.pan = null
      this.updateSurfaceCursor()
      return
    }
    if (this.strokePointer !== e.pointerId) return
    this.strokePointer = null
    try {
      this.session?.engine.endStroke()
    } catch (error) {
      this.hooks.onError(error)
    }
    this.cursorDirty = true
    this.requestFrame()
  }

  private onPointerLeave(index: number): void {
    if (this.strokePointer !== null || this.pan) return
    if (this.pointer?.pane === index) {
      this.pointer = null
      this.cursorDirty = true
      this.requestFrame()
    }
  }

  private onWheel(index: number, e: WheelEvent): void {
    const s = this.session
    const pane = this.panes[index]
    if (!s || !pane) return
    e.preventDefault()
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1
    const dy = e.deltaY * unit
    const local = pane.local(e.clientX, e.clientY)
    this.fitMode = false
    this.setTransform(constrain(zoomAt(this.t, Math.exp(-dy * 0.0015), local.x, local.y), this.mainSize(), s))
    this.pointer = { ...toImage(this.t, local.x, local.y), pane: index }
  }

  // ------------------------------------------------------------------ commands

  undo(): void {
    this.cancelPolygon()
    this.session?.engine.undo()
  }

  redo(): void {
    this.session?.engine.redo()
  }

  /** Esc: cancel the polygon in progress, or the stroke in progress. */
  cancel(): boolean {
    if (this.polygon.length) {
      this.cancelPolygon()
      return true
    }
    const s = this.session
    if (s?.engine.strokeActive) {
      s.engine.cancelStroke()
      this.strokePointer = null
      this.requestFrame()
      return true
    }
    return false
  }

  private addPolygonVertex(p: { x: number; y: number }, e: PointerEvent): void {
    const now = performance.now()
    const screen = { x: e.clientX, y: e.clientY }
    const near = Math.hypot(screen.x - this.lastVertexScreen.x, screen.y - this.lastVertexScreen.y) < 5
    // The second click of a double-click closes the polygon instead of adding a vertex.
    if (this.polygon.length >= 6 && near && now - this.lastVertexAt < 400) {
      this.closePolygon()
      return
    }
    this.polygon.push(p.x, p.y)
    this.lastVertexAt = now
    this.lastVertexScreen = screen
    this.hooks.onPolygon(this.polygon.length / 2)
    this.cursorDirty = true
  }

  closePolygon(): boolean {
    const s = this.session
    if (!s || this.polygon.length < 6) return false
    const points = this.polygon
    this.polygon = []
    this.hooks.onPolygon(0)
    try {
      s.engine.fillPolygon(points, this.settings.classId)
    } catch (error) {
      this.hooks.onError(error)
    }
    this.cursorDirty = true
    this.requestFrame()
    return true
  }

  removePolygonVertex(): boolean {
    if (!this.polygon.length) return false
    this.polygon.splice(-2, 2)
    this.hooks.onPolygon(this.polygon.length / 2)
    this.cursorDirty = true
    this.requestFrame()
    return true
  }

  private cancelPolygon(): void {
    if (!this.polygon.length) return
    this.polygon = []
    this.hooks.onPolygon(0)
    this.cursorDirty = true
    this.requestFrame()
  }

  get polygonOpen(): boolean {
    return this.polygon.length > 0
  }

  // ------------------------------------------------------------------ drawing

  private requestFrame(): void {
    if (this.raf || this.destroyed) return
    this.raf = requestAnimationFrame(this.frame)
  }

  private readonly frame = (): void => {
    this.raf = 0
    if (this.destroyed) return
    const t0 = this.perf ? performance.now() : 0
    const s = this.session
    if (s) {
      const dirty = s.engine.takeDirty()
      if (dirty) {
        s.levels[0].pending.addRect(dirty)
        s.pyramid.update(s.engine.labels, dirty).forEach((rect, index) => s.levels[index + 1].pending.addRect(rect))
      }
      if (this.fullMaskRepaint) {
        this.fullMaskRepaint = false
        for (const level of s.levels) level.full = true
      }
      const shown = this.levelFor(s)
      if (shown !== this.shownLevel) {
        this.shownLevel = shown
        this.transformDirty = true
        for (const pane of this.panes) if (pane) this.showModality(pane)
      }
      this.paintLevel(s.levels[shown])
    }
    if (this.transformDirty) {
      this.transformDirty = false
      for (const pane of this.panes) if (pane && s) pane.applyTransform(this.t, s, s.levels, this.shownLevel)
      this.hooks.onView(this.t)
    }
    if (this.cursorDirty) {
      this.cursorDirty = false
      this.drawOverlay()
    }
    if (this.session?.engine.strokeActive && this.settings.tool === 'lasso') this.drawOverlay()
    for (const pane of this.panes) {
      if (!pane) continue
      if (pane.imageDirty) pane.imageLayer.draw()
      if (pane.maskDirty) pane.maskLayer.draw()
      if (pane.overlayDirty) pane.overlay.draw()
      pane.imageDirty = pane.maskDirty = pane.overlayDirty = false
    }
    if (this.countsDirty && s) {
      this.countsDirty = false
      this.hooks.onCounts(s.engine.counts())
    }
    if (this.perf) this.perf.frames.push(performance.now() - t0)
  }

  /**
   * The display level for the zoom: the smallest level still at least as fine as the
   * screen (level L is drawn at zoom × 2^L, between 0.5 and 1 when zoomed out).
   */
  private levelFor(s: Session): number {
    if (!this.pyramidEnabled || this.t.zoom >= 0.5) return 0
    return Math.min(s.levels.length - 1, Math.floor(Math.log2(1 / this.t.zoom)))
  }

  /** Bring a level's tile canvases up to date: all of it, or what changed since it was last painted. */
  private paintLevel(level: MaskLevel): void {
    let rect: Rect | null
    if (level.full) {
      level.full = false
      rect = { x: 0, y: 0, width: level.width, height: level.height }
    } else {
      rect = level.pending.rect()
      if (rect && this.settings.outline) rect = growRect(rect, 1, level.width, level.height)
    }
    level.pending.reset()
    if (rect) this.paintMask(level, rect)
  }

  /** Re-colour `rect` (level pixels) of a level's labels into its tile canvases. */
  private paintMask(level: MaskLevel, rect: Rect): void {
    const outline = this.settings.outline
    const labels = level.labels()
    forEachTile(level.grid, level.width, level.height, rect, (index, part) => {
      const tile = level.tiles[index]
      const ctx = tile.getContext('2d')!
      const data = ctx.createImageData(part.width, part.height)
      if (outline) outlineRect(labels, level.width, level.height, part, this.lut, data.data)
      else colorizeRect(labels, level.width, part, this.lut, data.data)
      const origin = tileRect(level.grid, level.width, level.height, index)
      ctx.putImageData(data, part.x - origin.x, part.y - origin.y)
    })
    for (const pane of this.panes) if (pane) pane.maskDirty = true
  }

  /** Benchmark switch: draw zoomed-out views from the full-resolution tiles (false) or the pyramid (true). */
  setPyramid(on: boolean): void {
    this.pyramidEnabled = on
    this.transformDirty = true
    this.requestFrame()
  }

  /**
   * Benchmark: redraw the main pane's mask layer `times` times as it is now; the milliseconds
   * of each, raster included (Chrome records canvas draws and rasterizes them later; reading
   * one pixel back makes it finish the drawing inside the measurement).
   */
  timeMaskRedraws(times: number): number[] {
    const pane = this.panes[0]
    if (!pane) return []
    const ctx = pane.maskLayer.getCanvas()._canvas.getContext('2d')!
    const out: number[] = []
    for (let i = 0; i < times; i++) {
      const t0 = performance.now()
      pane.maskLayer.draw()
      ctx.getImageData(0, 0, 1, 1)
      out.push(performance.now() - t0)
    }
    return out
  }

  private drawOverlay(): void {
    const st = this.settings
    const s = this.session
    const p = this.pointer
    const brushTool = st.tool === 'brush' || st.tool === 'eraser'
    const panning = this.spaceHeld || this.pan !== null
    let cursorInfo: { x: number; y: number; label: number | undefined } | null = null
    if (p && s) cursorInfo = { x: Math.floor(p.x), y: Math.floor(p.y), label: s.engine.labelAt(p.x, p.y) }
    this.panes.forEach((pane, index) => {
      if (!pane) return
      const showBrush = !!p && brushTool && !panning
      const d = st.brushSize
      const round = st.brushShape === 'round'
      if (showBrush) {
        // The stamp's true footprint: the pixels origin..origin+d-1 the engine will paint.
        const ox = stampOrigin(p.x, d)
        const oy = stampOrigin(p.y, d)
        if (round) {
          for (const c of [pane.cursorOuter, pane.cursorInner]) c.setAttrs({ x: ox + d / 2, y: oy + d / 2, radius: d / 2, visible: true })
          pane.squareOuter.visible(false)
          pane.squareInner.visible(false)
        } else {
          for (const r of [pane.squareOuter, pane.squareInner]) r.setAttrs({ x: ox, y: oy, width: d, height: d, visible: true })
          pane.cursorOuter.visible(false)
          pane.cursorInner.visible(false)
        }
      } else {
        pane.cursorOuter.visible(false)
        pane.cursorInner.visible(false)
        pane.squareOuter.visible(false)
        pane.squareInner.visible(false)
      }
      // The mirrored pointer in the other pane (the hovered one shows the system cursor,
      // or for brushes, which hide it, a small cross at the brush centre).
      const mirror = !!p && p.pane !== index
      if (p && (mirror || showBrush)) {
        const arm = (mirror ? 9 : 3) / this.t.zoom
        pane.crossH.setAttrs({ points: [p.x - arm, p.y, p.x + arm, p.y], visible: true })
        pane.crossV.setAttrs({ points: [p.x, p.y - arm, p.x, p.y + arm], visible: true })
      } else {
        pane.crossH.visible(false)
        pane.crossV.visible(false)
      }
      if (this.polygon.length) {
        const pts = p && st.tool === 'polygon' ? [...this.polygon, p.x, p.y] : this.polygon
        pane.polyOuter.setAttrs({ points: pts, visible: true })
        pane.polyInner.setAttrs({ points: pts, visible: true })
        pane.polyStart.setAttrs({ x: this.polygon[0], y: this.polygon[1], radius: 3.5 / this.t.zoom, visible: true })
      } else {
        pane.polyOuter.visible(false)
        pane.polyInner.visible(false)
        pane.polyStart.visible(false)
      }
      const lasso = s?.engine.lassoPoints ?? []
      if (lasso.length >= 4) {
        pane.lassoOuter.setAttrs({ points: lasso.slice(), visible: true })
        pane.lassoInner.setAttrs({ points: lasso.slice(), visible: true })
      } else if (pane.lassoOuter.visible()) {
        pane.lassoOuter.visible(false)
        pane.lassoInner.visible(false)
      }
      pane.overlayDirty = true
    })
    this.hooks.onCursor(cursorInfo)
  }

  destroy(): void {
    this.destroyed = true
    if (this.raf) cancelAnimationFrame(this.raf)
    this.raf = 0
    const s = this.session
    if (s) {
      s.saver.dispose()
      for (const off of s.offs) off()
    }
    this.session = null
    this.detachPane(0)
    this.detachPane(1)
  }
}
