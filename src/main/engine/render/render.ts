// Rasterise the face model into pixel-aligned modality images and an exact mask.
//
// One geometry pass evaluates FaceScene.sampleAt() at every pixel centre; the part id found
// there is the pixel's mask class (so masks are exact ids, never blended). Pixels whose part
// differs from a neighbour's are then antialiased, for the images only, the way multisampling
// does it: the part ids at rotated-grid sub-pixel positions (one or two on the sides where a
// neighbour differs, all four where the edge really crosses the pixel; classification only,
// no shading, and between painted face features not even a ray: the face point is
// interpolated between pixel centres) give the coverage, and each sub-sample takes the
// colour already shaded for its part nearby. The sketch is built last
// from the flat edge tones (their gradient draws the contours) and the shaded fill tones
// (hatching, hair strokes).
//
// Speed (a data loader renders thousands of these): the float working images are reused
// from call to call and the hot loops allocate nothing. See bench/render.ts.
import type { FaceParams } from './params'
import { classesFor, type ClassInfo, type RenderMode } from './classes'
import { FaceScene, PART, PART_COUNT, PART_TO_FACE, PART_TO_OCULAR, TRACE_ALL, TRACE_HEAD, hash2 } from './scene'

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

/** PART_COUNT, read once: an imported binding can cost a getter call per use (tsx compiles to CJS). */
const NPARTS = PART_COUNT

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
/** Visit order into SUB: the opposite pair (left and a little up, right and a little down), then the other two. */
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
  const view = scene.view
  const pix = (2 * view.half) / S
  scene.pix = pix
  const x0 = view.cx - view.half
  const y0 = view.cy - view.half
  const [zFar, zNear] = scene.depthRange()
  const zScale = 1 / (zNear - zFar)

  const want = new Set(modalities)
  const images = want.has('rgb') || want.has('nir') || want.has('sketch') || want.has('depth')
  const buf = scratchFor(S)
  geometryPass(scene, buf, S, x0, y0, pix, zFar, zScale)
  // the mask is the part id at each pixel centre: antialiasing only changes the images
  if (images) antialiasPass(scene, buf, S, x0, y0, pix, zFar, zScale)
  const { parts, rgb, nir, fill, edge, depth } = buf

  const result: RenderResult = { size: S, mode, classes: classesFor(mode) }
  if (want.has('rgb')) result.rgb = gammaBytes(rgb, S * S * 3)
  if (want.has('nir')) result.nir = gammaBytes(nir, S * S)
  if (want.has('depth')) result.depth = linearBytes(depth, S * S)
  if (want.has('sketch')) result.sketch = sketchPass(fill, edge, S)
  if (want.has('mask')) result.mask = mapParts(parts, S * S, mode === 'ocular' ? PART_TO_OCULAR : PART_TO_FACE)
  return result
}

/**
 * Float working images for one size, reused from call to call (render() is synchronous and
 * every pixel is rewritten by the geometry pass, so nothing leaks from one sample into the
 * next): no per-sample allocation of ~30 bytes per pixel, no garbage to collect.
 */
class Scratch {
  readonly parts: Uint8Array
  /** What the centre ray hit (FaceScene.what). */
  readonly whats: Uint8Array
  readonly rgb: Float32Array
  readonly nir: Float32Array
  readonly fill: Float32Array
  readonly edge: Float32Array
  readonly depth: Float32Array
  /**
   * Face point (x, y) and nose height a head pixel shows (FaceScene.surfX…; x NaN on the back
   * of the head); only head pixels are written.
   */
  readonly surfX: Float32Array
  readonly surfY: Float32Array
  readonly surfNose: Float32Array
  /** Pixels to supersample (antialiasPass): 1 while listed in marked; all 0 between calls. */
  readonly mark: Uint8Array
  /** Indices of the marked pixels. */
  readonly marked: Int32Array
  /** Antialiased values of the marked pixels, 7 per pixel, until they are written back. */
  private pend: Float32Array = new Float32Array(0)
  constructor(readonly size: number) {
    const n = size * size
    this.parts = new Uint8Array(n)
    this.whats = new Uint8Array(n)
    this.rgb = new Float32Array(n * 3)
    this.nir = new Float32Array(n)
    this.fill = new Float32Array(n)
    this.edge = new Float32Array(n)
    this.depth = new Float32Array(n)
    this.surfX = new Float32Array(n)
    this.surfY = new Float32Array(n)
    this.surfNose = new Float32Array(n)
    this.mark = new Uint8Array(n)
    this.marked = new Int32Array(n)
  }

  pending(pixels: number): Float32Array {
    if (this.pend.length < pixels * 7) this.pend = new Float32Array(Math.max(pixels, this.size * this.size >> 3) * 7)
    return this.pend
  }
}

let scratch: Scratch | null = null

function scratchFor(size: number): Scratch {
  if (scratch === null || scratch.size !== size) scratch = new Scratch(size)
  return scratch
}

/**
 * Camera z → depth in [0, 1] (1 nearest). Background is 0; geometry never goes below a
 * floor of 0.04, so even the farthest surface stays distinct from background.
 */
function mapDepth(z: number, zFar: number, zScale: number): number {
  // the floor as a local literal: a module-level constant (a `var` once bundled) in this
  // conditional would make V8 box every result
  const floor = 0.04
  if (z === -Infinity) return 0
  const d = floor + (1 - floor) * (z - zFar) * zScale
  return d < floor ? floor : d > 1 ? 1 : d
}

/** One sample per pixel centre: the part id there is the pixel's class. */
function geometryPass(scene: FaceScene, buf: Scratch, S: number, x0: number, y0: number, pix: number, zFar: number, zScale: number): void {
  const { parts, whats, rgb, nir, fill, edge, depth, surfX, surfY, surfNose } = buf
  scene.traceMask = TRACE_ALL
  for (let y = 0, i = 0; y < S; y++) {
    scene.sy = y0 + (y + 0.5) * pix
    // outside this stretch of the row nothing can be hit: background without tracing
    scene.rowSpan()
    const spanL = scene.spanL
    const spanR = scene.spanR
    for (let x = 0; x < S; x++, i++) {
      const sx = x0 + (x + 0.5) * pix
      scene.sx = sx
      parts[i] = sx < spanL || sx > spanR ? scene.sampleBackground() : scene.sampleAt()
      const what = scene.what
      whats[i] = what
      const i3 = i * 3
      rgb[i3] = scene.r
      rgb[i3 + 1] = scene.g
      rgb[i3 + 2] = scene.b
      nir[i] = scene.nir
      fill[i] = scene.fill
      edge[i] = scene.edge
      depth[i] = mapDepth(scene.depth, zFar, zScale)
      if (1 << what === TRACE_HEAD) {
        surfX[i] = scene.surfX
        surfY[i] = scene.surfY
        surfNose[i] = scene.surfNose
      }
    }
  }
}

/**
 * Antialias pixels on a visible part boundary (images only; parts stay as they are), the way
 * multisampling does: the boundary's position comes from the part ids at rotated-grid
 * sub-pixel positions (classification only, no shading), and each sub-sample takes the colour
 * of its part as shaded nearby: the pixel's own centre for its own part, the nearest
 * neighbouring pixel centre showing the other part (or, where none does, a shading of the
 * sub-sample itself). First the opposite pair's sub-samples on the sides where a neighbour
 * shows another part (the left one for a left or upper neighbour, the right one for a right or
 * lower one); if they see the centre's part the edge does not cross the pixel noticeably and
 * it keeps its colour; otherwise all four sub-samples are taken.
 */
function antialiasPass(scene: FaceScene, buf: Scratch, S: number, x0: number, y0: number, pix: number, zFar: number, zScale: number): void {
  const { parts, whats, rgb, nir, fill, edge, depth, mark, marked } = buf
  // a pixel is marked when a right or lower neighbour has another (visibly different) part;
  // marked pixels are listed as they are found (their order does not matter: see below)
  let count = 0
  for (let y = 0, i = 0; y < S; y++) {
    const last = y + 1 === S
    for (let x = 0; x < S; x++, i++) {
      const p = parts[i]
      const row = p * NPARTS
      if (x + 1 < S) {
        const q = parts[i + 1]
        if (q !== p && SMOOTH_PAIR[row + q] === 0) {
          if (mark[i] === 0) {
            mark[i] = 1
            marked[count++] = i
          }
          if (mark[i + 1] === 0) {
            mark[i + 1] = 1
            marked[count++] = i + 1
          }
        }
      }
      if (!last) {
        const q = parts[i + S]
        if (q !== p && SMOOTH_PAIR[row + q] === 0) {
          if (mark[i] === 0) {
            mark[i] = 1
            marked[count++] = i
          }
          // (nothing below row y is marked yet)
          mark[i + S] = 1
          marked[count++] = i + S
        }
      }
    }
  }
  // results are written back after all marked pixels are done: neighbours' colours are read
  // as their centres shaded them
  const out = buf.pending(count)
  for (let m = 0; m < count; m++) {
    const i = marked[m]
    const y = (i / S) | 0
    const x = i - y * S
    const yc = y + 0.5
    const xc = x + 0.5
    const i3 = i * 3
    const r0 = rgb[i3]
    const g0 = rgb[i3 + 1]
    const b0 = rgb[i3 + 2]
    const n0 = nir[i]
    const f0 = fill[i]
    const e0 = edge[i]
    const d0 = depth[i]
    let r = r0
    let g = g0
    let b = b0
    let n = n0
    let f = f0
    let e = e0
    let d = d0
    const p = parts[i]
    // sub-samples only test the kinds of shape the 3×3 neighbourhood's centres hit: an
    // edge between two shapes never needs the others (a shape thinner than a pixel that
    // no centre sees stays unseen, as it does in the mask)
    let traceMask = 0
    for (let yy = y > 0 ? y - 1 : 0, ye = y + 1 < S ? y + 1 : y; yy <= ye; yy++) {
      for (let xx = x > 0 ? x - 1 : 0, xe = x + 1 < S ? x + 1 : x; xx <= xe; xx++) traceMask |= 1 << whats[yy * S + xx]
    }
    scene.traceMask = traceMask
    // between painted features of the face (every centre around shows the head) a sub-sample's
    // face point is interpolated from the centres' instead of traced
    const onFace = traceMask === TRACE_HEAD
    // sides (bits: left, up, right, down) where the neighbour shows a visibly different part
    const row = p * NPARTS
    let sides = 0
    if (x > 0 && parts[i - 1] !== p && SMOOTH_PAIR[row + parts[i - 1]] === 0) sides |= 1
    if (y > 0 && parts[i - S] !== p && SMOOTH_PAIR[row + parts[i - S]] === 0) sides |= 2
    if (x + 1 < S && parts[i + 1] !== p && SMOOTH_PAIR[row + parts[i + 1]] === 0) sides |= 4
    if (y + 1 < S && parts[i + S] !== p && SMOOTH_PAIR[row + parts[i + S]] === 0) sides |= 8
    // which of the opposite pair to take first (bit 0: the left one, bit 1: the right one)
    const first = ((sides & 3) !== 0 ? 1 : 0) | ((sides & 12) !== 0 ? 2 : 0)
    let samples = 1
    let same = true
    for (let j = 0; j < 6; j++) {
      // j = 0, 1: the pair's sub-samples chosen above; j ≥ 2: the four sub-samples, each not
      // taken yet, once one of those saw another part
      let slot = j
      if (j < 2) {
        if ((first & (1 << j)) === 0) continue
      } else {
        if (same) break
        slot = j - 2
        if (slot < 2 && (first & (1 << slot)) !== 0) continue
      }
      const k = ORDER[slot]
      let q = onFace ? surfacePart(scene, buf, S, x, y, k) : -1
      if (q < 0) {
        scene.sx = x0 + (xc + SUB[k]) * pix
        scene.sy = y0 + (yc + SUB[k + 1]) * pix
        q = scene.classifyAt()
      }
      samples++
      if (q === p) {
        r += r0
        g += g0
        b += b0
        n += n0
        f += f0
        e += e0
        d += d0
        continue
      }
      same = false
      const o = nearestWithPart(parts, S, x, y, q, k)
      if (o >= 0) {
        r += rgb[o * 3]
        g += rgb[o * 3 + 1]
        b += rgb[o * 3 + 2]
        n += nir[o]
        f += fill[o]
        e += edge[o]
        d += depth[o]
      } else {
        // no neighbour shows that part: shade the sub-sample itself (traced, if it was not)
        scene.sx = x0 + (xc + SUB[k]) * pix
        scene.sy = y0 + (yc + SUB[k + 1]) * pix
        scene.classifyAt()
        scene.shade()
        r += scene.r
        g += scene.g
        b += scene.b
        n += scene.nir
        f += scene.fill
        e += scene.edge
        d += mapDepth(scene.depth, zFar, zScale)
      }
    }
    const w = 1 / samples
    const o7 = m * 7
    out[o7] = r * w
    out[o7 + 1] = g * w
    out[o7 + 2] = b * w
    out[o7 + 3] = n * w
    out[o7 + 4] = f * w
    out[o7 + 5] = e * w
    out[o7 + 6] = d * w
  }
  scene.traceMask = TRACE_ALL
  for (let m = 0, o7 = 0; m < count; m++, o7 += 7) {
    const i = marked[m]
    mark[i] = 0
    const i3 = i * 3
    rgb[i3] = out[o7]
    rgb[i3 + 1] = out[o7 + 1]
    rgb[i3 + 2] = out[o7 + 2]
    nir[i] = out[o7 + 3]
    fill[i] = out[o7 + 4]
    edge[i] = out[o7 + 5]
    depth[i] = out[o7 + 6]
  }
}

/**
 * Part at sub-sample SUB[k] of pixel (x, y) from the face points of the four pixel centres
 * around it (bilinear interpolation), without a ray; −1 where one of them is off the image
 * or shows no face point (the caller traces the sub-sample instead). The caller makes sure
 * the pixel's 3×3 neighbourhood shows only the head (so surfX… hold this sample's values).
 */
function surfacePart(scene: FaceScene, buf: Scratch, S: number, x: number, y: number, k: number): number {
  const sx = SUB[k]
  const sy = SUB[k + 1]
  const xn = sx < 0 ? x - 1 : x + 1
  const yn = sy < 0 ? y - 1 : y + 1
  if (xn < 0 || xn >= S || yn < 0 || yn >= S) return -1
  const { surfX, surfY, surfNose } = buf
  const i00 = y * S + x
  const i01 = y * S + xn
  const i10 = yn * S + x
  const i11 = yn * S + xn
  const a = surfX[i00]
  const b = surfX[i01]
  const c = surfX[i10]
  const d = surfX[i11]
  // NaN (no face point) fails every comparison
  if (!(a === a && b === b && c === c && d === d)) return -1
  const wx = sx < 0 ? -sx : sx
  const wy = sy < 0 ? -sy : sy
  const w00 = (1 - wx) * (1 - wy)
  const w01 = wx * (1 - wy)
  const w10 = (1 - wx) * wy
  const w11 = wx * wy
  const fx = a * w00 + b * w01 + c * w10 + d * w11
  const fy = surfY[i00] * w00 + surfY[i01] * w01 + surfY[i10] * w10 + surfY[i11] * w11
  const nh = surfNose[i00] * w00 + surfNose[i01] * w01 + surfNose[i10] * w10 + surfNose[i11] * w11
  return scene.classifySurface(fx, fy, nh)
}

/**
 * Index of the pixel among the 8 neighbours of (x, y) that shows part q and whose centre is
 * nearest to the sub-sample SUB[k], SUB[k + 1]; −1 when no neighbour shows it.
 */
function nearestWithPart(parts: Uint8Array, S: number, x: number, y: number, q: number, k: number): number {
  const sx = SUB[k]
  const sy = SUB[k + 1]
  let best = -1
  let bestD = Infinity
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy
    if (yy < 0 || yy >= S) continue
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx
      if (xx < 0 || xx >= S || (dx === 0 && dy === 0)) continue
      const j = yy * S + xx
      if (parts[j] !== q) continue
      const ex = dx - sx
      const ey = dy - sy
      const dd = ex * ex + ey * ey
      if (dd < bestD) {
        bestD = dd
        best = j
      }
    }
  }
  return best
}

/** Linear light → 8-bit with a gamma of 2 (square root). */
function gammaBytes(v: Float32Array, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const x = v[i]
    // toByte(√x): a Uint8Array store truncates, like the | 0 there, for 0.5 ≤ y < 255; x ≤ 0
    // gives y = 0.5, so 0 (branch-free: ~10 % faster than testing x > 0 first, measured)
    const y = Math.sqrt(x > 0 ? x : 0) * 255 + 0.5
    out[i] = y < 255 ? y : 255
  }
  return out
}

function linearBytes(v: Float32Array, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = toByte(v[i])
  return out
}

function mapParts(parts: Uint8Array, n: number, map: Uint8Array): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = map[parts[i]]
  return out
}

function toByte(v: number): number {
  const x = v * 255 + 0.5
  return x <= 0 ? 0 : x >= 255 ? 255 : x | 0
}

/** Paper grain of the sketch for one size (a pure function of the pixel position), cached. */
let grainCache: Float64Array | null = null
let grainSize = 0

function grainFor(S: number): Float64Array {
  if (grainCache === null || grainSize !== S) {
    const g = new Float64Array(S * S)
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) g[y * S + x] = (hash2(x, y, 0x5e7c) - 0.5) * 0.05
    grainCache = g
    grainSize = S
  }
  return grainCache
}

/** Contours from the gradient of the edge tones, over the hatched fill, on grainy paper. */
function sketchPass(fill: Float32Array, edge: Float32Array, S: number): Uint8Array {
  const out = new Uint8Array(S * S)
  const grain = grainFor(S)
  const o = Math.max(1, Math.round(S / 160))
  const gain = 1.9
  for (let y = 0; y < S; y++) {
    const row = y * S
    const rm = (y - o < 0 ? 0 : y - o) * S
    const rp = (y + o >= S ? S - 1 : y + o) * S
    for (let x = 0; x < S; x++) {
      const i = row + x
      const gx = edge[x + o >= S ? row + S - 1 : i + o] - edge[x < o ? row : i - o]
      const gy = edge[rp + x] - edge[rm + x]
      const g2 = gx * gx + gy * gy
      let v = fill[i]
      // no line below a gradient of 0.05 (most pixels: skip the square root and the product,
      // which is then by exactly 1)
      if (g2 > 0.0025) {
        let line = (Math.sqrt(g2) - 0.05) * gain
        line = line < 0 ? 0 : line > 1 ? 1 : line
        v *= 1 - 0.88 * line
      }
      out[i] = toByte(v + grain[i]) // (toByte clamps)
    }
  }
  return out
}
