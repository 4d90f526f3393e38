// Rasterise the face model into pixel-aligned modality images and an exact mask.
//
// One geometry pass evaluates FaceScene.sample() at every pixel centre; the part id found
// there is the pixel's mask class (so masks are exact ids, never blended). Pixels whose part
// differs from a neighbour's are then re-sampled at rotated-grid sub-pixel positions (two,
// or four where the edge really crosses the pixel) and the images (not the mask) take the
// average: antialiased edges for the images only. The
// sketch is built last from the flat edge tones (their gradient draws the contours) and the
// shaded fill tones (hatching, hair strokes).
import type { FaceParams } from './params'
import { classesFor, type ClassInfo, type RenderMode } from './classes'
import { FaceScene, PART, PART_COUNT, PART_TO_FACE, PART_TO_OCULAR, hash2 } from './scene'

export const MODALITIES = ['rgb', 'nir', 'sketch', 'depth', 'mask'] as const
export type Modality = (typeof MODALITIES)[number]

export const MIN_SIZE = 64
export const MAX_SIZE = 1024

export interface RenderOptions {
  /** Output side in pixels, 64..1024 (square images). */
  size: number
  /** Which outputs to produce; all five by default. */
  modalities?: readonly Modality[]
  /** 'face' (default) or 'ocular': a crop around one eye with the 4 ocular classes. */
  mode?: RenderMode
  /** Ocular mode: the eye on the image's left or right (default 'left'). */
  eye?: 'left' | 'right'
}

export interface RenderResult {
  size: number
  mode: RenderMode
  classes: readonly ClassInfo[]
  /** size·size·3 bytes, RGB interleaved, row-major. */
  rgb?: Uint8Array
  /** size·size bytes, near-infrared intensity. */
  nir?: Uint8Array
  /** size·size bytes, pencil sketch (white paper, dark lines). */
  sketch?: Uint8Array
  /** size·size bytes, 255 nearest, 0 background or farthest. */
  depth?: Uint8Array
  /** size·size class ids (FACE_CLASSES or OCULAR_CLASSES). */
  mask?: Uint8Array
}

export class RenderArgumentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RenderArgumentError'
  }
}

export function validateSize(size: unknown): number {
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw new RenderArgumentError(`size must be an integer from ${MIN_SIZE} to ${MAX_SIZE} pixels, got ${String(size)}`)
  }
  return size
}

export function validateModalities(modalities: readonly unknown[]): Modality[] {
  if (modalities.length === 0) throw new RenderArgumentError(`no modality requested; valid modalities: ${MODALITIES.join(', ')}`)
  const out: Modality[] = []
  for (const m of modalities) {
    if (typeof m !== 'string' || !(MODALITIES as readonly string[]).includes(m)) {
      throw new RenderArgumentError(`unknown modality "${String(m)}"; valid modalities: ${MODALITIES.join(', ')}`)
    }
    if (!out.includes(m as Modality)) out.push(m as Modality)
  }
  return out
}

/** Pairs of parts whose shared edge is invisible in the images (no need to supersample). */
const SMOOTH_PAIR = (() => {
  const t = new Uint8Array(PART_COUNT * PART_COUNT)
  const set = (a: number, b: number): void => {
    t[a * PART_COUNT + b] = 1
    t[b * PART_COUNT + a] = 1
  }
  set(PART.SKIN, PART.NOSE)
  return t
})()

/** Rotated-grid sub-pixel offsets (x, y pairs). */
const SUB = [-0.375, -0.125, 0.125, -0.375, 0.375, 0.125, -0.125, 0.375]
/** Visit order into SUB: the opposite pairs (0, 2) then (1, 3). */
const ORDER = [0, 4, 2, 6]

/** Render one sample. Deterministic: the same parameters and options give the same bytes. */
export function render(params: FaceParams, options: RenderOptions): RenderResult {
  const size = validateSize(options.size)
  const modalities = validateModalities(options.modalities ?? MODALITIES)
  const mode: RenderMode = options.mode ?? 'face'
  if (mode !== 'face' && mode !== 'ocular') throw new RenderArgumentError(`mode must be "face" or "ocular", got "${String(mode)}"`)
  const eye = options.eye ?? 'left'
  const scene = new FaceScene(params, mode, eye)
  const S = size
  const N = S * S
  const view = scene.view
  const pix = (2 * view.half) / S
  scene.pix = pix
  const x0 = view.cx - view.half
  const y0 = view.cy - view.half
  const [zFar, zNear] = scene.depthRange()
  const zScale = 1 / (zNear - zFar)

  const buf = new Buffers(N)
  geometryPass(scene, buf, S, x0, y0, pix, zFar, zScale)
  antialiasPass(scene, buf, S, x0, y0, pix, zFar, zScale)
  const { parts, rgb, nir, fill, edge, depth } = buf

  const result: RenderResult = { size: S, mode, classes: classesFor(mode) }
  const want = new Set(modalities)
  if (want.has('rgb')) result.rgb = gammaBytes(rgb)
  if (want.has('nir')) result.nir = gammaBytes(nir)
  if (want.has('depth')) result.depth = linearBytes(depth)
  if (want.has('sketch')) result.sketch = sketchPass(fill, edge, S)
  if (want.has('mask')) result.mask = mapParts(parts, mode === 'ocular' ? PART_TO_OCULAR : PART_TO_FACE)
  return result
}

class Buffers {
  readonly parts: Uint8Array
  readonly rgb: Float32Array
  readonly nir: Float32Array
  readonly fill: Float32Array
  readonly edge: Float32Array
  readonly depth: Float32Array
  constructor(n: number) {
    this.parts = new Uint8Array(n)
    this.rgb = new Float32Array(n * 3)
    this.nir = new Float32Array(n)
    this.fill = new Float32Array(n)
    this.edge = new Float32Array(n)
    this.depth = new Float32Array(n)
  }
}

/**
 * Camera z → depth in [0, 1] (1 nearest). Background is 0; geometry never goes below
 * DEPTH_FLOOR, so even the farthest surface stays distinct from background.
 */
function mapDepth(z: number, zFar: number, zScale: number): number {
  if (z === -Infinity) return 0
  const d = DEPTH_FLOOR + (1 - DEPTH_FLOOR) * (z - zFar) * zScale
  return d < DEPTH_FLOOR ? DEPTH_FLOOR : d > 1 ? 1 : d
}

const DEPTH_FLOOR = 0.04

/** One sample per pixel centre: the part id there is the pixel's class. */
function geometryPass(scene: FaceScene, buf: Buffers, S: number, x0: number, y0: number, pix: number, zFar: number, zScale: number): void {
  const { parts, rgb, nir, fill, edge, depth } = buf
  for (let y = 0, i = 0; y < S; y++) {
    scene.sy = y0 + (y + 0.5) * pix
    for (let x = 0; x < S; x++, i++) {
      scene.sx = x0 + (x + 0.5) * pix
      parts[i] = scene.sampleAt()
      rgb[i * 3] = scene.r
      rgb[i * 3 + 1] = scene.g
      rgb[i * 3 + 2] = scene.b
      nir[i] = scene.nir
      fill[i] = scene.fill
      edge[i] = scene.edge
      depth[i] = mapDepth(scene.depth, zFar, zScale)
    }
  }
}

/** Supersample pixels on a visible part boundary (images only; parts stay as they are). */
function antialiasPass(scene: FaceScene, buf: Buffers, S: number, x0: number, y0: number, pix: number, zFar: number, zScale: number): void {
  const { parts, rgb, nir, fill, edge, depth } = buf
  const N = S * S
  const mark = new Uint8Array(N)
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const i = y * S + x
      const p = parts[i]
      if (x + 1 < S) {
        const q = parts[i + 1]
        if (q !== p && SMOOTH_PAIR[p * PART_COUNT + q] === 0) {
          mark[i] = 1
          mark[i + 1] = 1
        }
      }
      if (y + 1 < S) {
        const q = parts[i + S]
        if (q !== p && SMOOTH_PAIR[p * PART_COUNT + q] === 0) {
          mark[i] = 1
          mark[i + S] = 1
        }
      }
    }
  }
  for (let i = 0; i < N; i++) {
    if (mark[i] === 0) continue
    const x = i % S
    const y = (i - x) / S
    let r = rgb[i * 3]
    let g = rgb[i * 3 + 1]
    let b = rgb[i * 3 + 2]
    let n = nir[i]
    let f = fill[i]
    let e = edge[i]
    let d = depth[i]
    // Adaptive: two opposite sub-samples first; if both see the centre's part the edge does
    // not cross this pixel noticeably and three samples do; otherwise take the other two.
    const p = parts[i]
    let count = 1
    let same = true
    for (let j = 0; j < 4; j++) {
      if (j === 2 && same) break
      const k = ORDER[j]
      scene.sx = x0 + (x + 0.5 + SUB[k]) * pix
      scene.sy = y0 + (y + 0.5 + SUB[k + 1]) * pix
      if (scene.sampleAt() !== p) same = false
      r += scene.r
      g += scene.g
      b += scene.b
      n += scene.nir
      f += scene.fill
      e += scene.edge
      d += mapDepth(scene.depth, zFar, zScale)
      count++
    }
    const w = 1 / count
    rgb[i * 3] = r * w
    rgb[i * 3 + 1] = g * w
    rgb[i * 3 + 2] = b * w
    nir[i] = n * w
    fill[i] = f * w
    edge[i] = e * w
    depth[i] = d * w
  }
}

/** Linear light → 8-bit with a gamma of 2 (square root). */
function gammaBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length)
  for (let i = 0; i < v.length; i++) {
    const x = v[i]
    out[i] = x > 0 ? toByte(Math.sqrt(x)) : 0
  }
  return out
}

function linearBytes(v: Float32Array): Uint8Array {
  const out = new Uint8Array(v.length)
  for (let i = 0; i < v.length; i++) out[i] = toByte(v[i])
  return out
}

function mapParts(parts: Uint8Array, map: Uint8Array): Uint8Array {
  const out = new Uint8Array(parts.length)
  for (let i = 0; i < parts.length; i++) out[i] = map[parts[i]]
  return out
}

function toByte(v: number): number {
  const x = v * 255 + 0.5
  return x <= 0 ? 0 : x >= 255 ? 255 : Math.floor(x)
}

/** Contours from the gradient of the edge tones, over the hatched fill, on grainy paper. */
function sketchPass(fill: Float32Array, edge: Float32Array, S: number): Uint8Array {
  const out = new Uint8Array(S * S)
  const o = Math.max(1, Math.round(S / 160))
  const gain = 1.9
  for (let y = 0; y < S; y++) {
    const ym = y - o < 0 ? 0 : y - o
    const yp = y + o >= S ? S - 1 : y + o
    for (let x = 0; x < S; x++) {
      const xm = x - o < 0 ? 0 : x - o
      const xp = x + o >= S ? S - 1 : x + o
      const gx = edge[y * S + xp] - edge[y * S + xm]
      const gy = edge[yp * S + x] - edge[ym * S + x]
      const g = Math.sqrt(gx * gx + gy * gy)
      let line = (g - 0.05) * gain
      line = line < 0 ? 0 : line > 1 ? 1 : line
      const grain = (hash2(x, y, 0x5e7c) - 0.5) * 0.05
      const v = fill[y * S + x] * (1 - 0.88 * line) + grain
      out[y * S + x] = toByte(v < 0 ? 0 : v > 1 ? 1 : v)
    }
  }
  return out
}
