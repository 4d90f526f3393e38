// The face model's geometry and shading, evaluated one point at a time.
//
// Geometry (head units: the skull is about 0.9 wide and 1.3 high from its centre; +x image
// right, +y down, +z towards the camera, orthographic camera looking down -z):
//   head   a "star ellipsoid": the ellipsoid (A·k, B·k, C) where k(θ) is a per-person table
//          over the polar angle θ in the frontal plane (indexed by a cheap pseudo-angle) that
//          carves jaw and chin out of the skull and squares the cranium a little. Rays are
//          intersected analytically (a quadratic, re-solved with k at the hit's angle), normals
//          come from the implicit function's gradient.
//   relief face features are heights over that surface: broad bumps (brow ridge, sockets,
//          cheekbones, muzzle, chin) perturb normals and depth; the nose is a height field
//          traced with a short parallax march, so it shifts and occludes the cheek under yaw.
//   paint  eyes, brows, lips, mouth are analytic 2-D shapes on the surface's frontal
//          coordinates, so turning the head moves and foreshortens them with the surface.
//   hair   a second star ellipsoid around the skull (its k table gives volume, curtain length,
//          waves and curls); a presence function (hairline, face window, length) decides where
//          the shell holds hair; its inner back wall is the hair seen behind the neck.
//   ears   planes hinged on the skull sides; glasses a frame plane plus two temple bars; neck
//          a vertical cylinder and shoulders a sheet in camera space (the head turns on them).
// Every call to sample() returns an internal part id (mapped to mask classes by PART_TO_*) and
// leaves the shaded values for all modalities in fields: linear RGB, NIR, sketch fill and edge
// tones, and camera-space depth. sample() is trace() (what the ray hits) then shade();
// classifyAt() is trace() then the part id alone (the antialiasing pass's sub-samples).
// Textures are value noise over an integer-hashed lattice; only plain float arithmetic,
// Math.sqrt/exp/sin/cos/atan2/log and tables of sine and Gaussian, no Math.pow, no Date, no
// Math.random.
//
// Performance notes (V8): the hot path passes doubles through fields and typed arrays rather
// than call arguments or results (V8 boxes a double passed to or returned from a function it
// does not inline, and it does not inline calls on rarely taken paths: helpers there are
// written out or take fields); fields set in a constructor are `declare`d (a class field
// declaration would first define them as undefined, and a field that held undefined keeps
// doubles boxed: a load is slower, a store allocates); shapes are classes so every object
// keeps one hidden class. Work skipped where exact cheap tests allow: the head and the hair
// shell beside the ellipsoid that holds every hit of theirs on the pixel row (Star.rowBound());
// the hair shell where the ray is deep inside the face window or below the longest hair, or
// (when the previous ray showed hair) the head behind hair in front of the head's bounding
// ellipsoid; hair presence's face-window and length tests above the hairline's highest point
// and the shortest hair; relief bumps through a grid of their boxes; the nose march (and its
// normal and divisions) beyond its reach; the brows' outline outside their band. Garbage is
// kept low too (~50 KB per render): every heap number V8 boxes is work for the collector.
import type { FaceParams, HairStyle } from './params'
import type { RenderMode } from './classes'

/** Internal part ids: finer than classes, so edges between sub-parts get antialiased too. */
export const PART = {
  BACKGROUND: 0,
  SKIN: 1,
  NECK: 2,
  EAR: 3,
  HAIR: 4,
  HAIR_INNER: 5,
  BROW: 6,
  SCLERA: 7,
  IRIS: 8,
  PUPIL: 9,
  NOSE: 10,
  NOSTRIL: 11,
  LIP_UPPER: 12,
  LIP_LOWER: 13,
  MOUTH: 14,
  TEETH: 15,
  FRAME: 16,
  CLOTH: 17,
  CHEST: 18
} as const
export const PART_COUNT = 19

/** Part id → FACE_CLASSES id. */
export const PART_TO_FACE = Uint8Array.from([0, 1, 1, 10, 2, 2, 3, 4, 5, 6, 7, 7, 8, 8, 9, 9, 11, 0, 1])
/** Part id → OCULAR_CLASSES id. */
export const PART_TO_OCULAR = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0])

const TAU = Math.PI * 2
const HL_N = 1024
const HL_RANGE = 1.6
const HL_SCALE = (HL_N - 1) / (2 * HL_RANGE)
const TABLE = 256
/** Cells per side of the grid that finds the relief bumps near a point. */
const RELIEF_GRID = 24

// ---- value noise over a fixed hashed lattice (computed once; bit-exact integer hashing) ----
const NOISE_BITS = 8
const NOISE_N = 1 << NOISE_BITS
const NOISE_MASK = NOISE_N - 1

/** Integer hash of a lattice point and a seed, uniform in [0, 1). */
export function hash2(ix: number, iy: number, seed: number): number {
  let h = Math.imul(ix, 0x27d4eb2d) ^ Math.imul(iy, 0x165667b1) ^ seed
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 4294967296
}

const LATTICE = (() => {
  const t = new Float64Array(NOISE_N * NOISE_N)
  for (let y = 0; y < NOISE_N; y++) for (let x = 0; x < NOISE_N; x++) t[y * NOISE_N + x] = hash2(x, y, 0x2b7e1516)
  return t
})()

/**
 * Smooth 2-D value noise in [0, 1), period 256. seed shifts the lattice (callers pass small
 * integers derived from the person's texture seed).
 */
function vnoise2(x: number, y: number, seed: number): number {
  const fx0 = Math.floor(x)
  const fy0 = Math.floor(y)
  const tx = x - fx0
  const ty = y - fy0
  const ix = ((fx0 | 0) + seed) & NOISE_MASK
  const iy = ((fy0 | 0) + (seed >> 8)) & NOISE_MASK
  const ix1 = (ix + 1) & NOISE_MASK
  const row0 = iy << NOISE_BITS
  const row1 = ((iy + 1) & NOISE_MASK) << NOISE_BITS
  const sx = tx * tx * (3 - 2 * tx)
  const sy = ty * ty * (3 - 2 * ty)
  const a = LATTICE[row0 + ix]
  const b = LATTICE[row0 + ix1]
  const c = LATTICE[row1 + ix]
  const d = LATTICE[row1 + ix1]
  const top = a + (b - a) * sx
  return top + (c + (d - c) * sx - top) * sy
}

/** Smooth 1-D value noise in [0, 1). */
function vnoise1(x: number, seed: number): number {
  const f0 = Math.floor(x)
  const t = x - f0
  const i = ((f0 | 0) + seed) & 0xffff
  const s = t * t * (3 - 2 * t)
  const a = LATTICE[i]
  const b = LATTICE[(i + 1) & 0xffff]
  return a + (b - a) * s
}

/**
 * Pseudo-angle ("diamond angle") of (x, y) in [0, 4): monotonic in the true polar angle,
 * one division instead of an atan2. 0 at +x, 1 at +y, 2 at −x, 3 at −y.
 */
function diamond(x: number, y: number): number {
  if (y >= 0) return x >= 0 ? (x + y > 0 ? y / (x + y) : 0) : 1 - x / (y - x)
  return x < 0 ? 2 - y / (-x - y) : 3 + x / (x - y)
}

/** Unit direction of pseudo-angle p. */
function diamondDir(p: number): [number, number] {
  let x: number
  let y: number
  if (p < 1) {
    x = 1 - p
    y = p
  } else if (p < 2) {
    x = -(p - 1)
    y = 2 - p
  } else if (p < 3) {
    x = -(3 - p)
    y = -(p - 2)
  } else {
    x = p - 3
    y = -(4 - p)
  }
  const l = Math.sqrt(x * x + y * y)
  return [x / l, y / l]
}

const sq = (x: number): number => x * x
const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x)
const lerp = (a: number, b: number, t: number): number => a + (b - a) * t
/** Smoothstep of an already normalised t (clamped to [0, 1]). */
const sstep = (t: number): number => (t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t))
/** Hermite step from a to b. Kept tiny (like clamp01, lerp) so V8 inlines it wherever it is hot. */
const smoothstep = (a: number, b: number, x: number): number => sstep((x - a) / (b - a))
// ---- table-driven sine and Gaussian, polynomial arctangent, for the per-pixel shading ----
// Shading only: errors of ~1e-6 (sine, Gaussian) and ~1e-5 rad (arctangent) are far below
// what an 8-bit pixel shows, and they replace library calls that cost more than the rest of
// a hair sample's arithmetic. shadeHair() writes the sine lookup (linear interpolation in
// SIN_TAB, |error| < 3e-7) and the arctangent (odd polynomial on [−1, 1], π/2 − atan(1/z)
// beyond, |error| < 1.2e-5 rad; Abramowitz & Stegun 4.4.49) out in place.
const SIN_N = 4096
const SIN_TAB = (() => {
  const t = new Float64Array(SIN_N + 1)
  for (let i = 0; i <= SIN_N; i++) t[i] = Math.sin((TAU * i) / SIN_N)
  return t
})()

const GAUSS_N = 1024
const GAUSS_MAX = 2.5
const GAUSS_TAB = (() => {
  const t = new Float64Array(GAUSS_N + 2)
  for (let i = 0; i < t.length; i++) {
    const q = (i * GAUSS_MAX) / GAUSS_N
    t[i] = Math.exp(-q * q)
  }
  return t
})()

/** exp(−q²) for |q| ≤ 2.5 by table (|error| < 2e-6); callers cut off beyond. */
function gauss(q: number): number {
  const u = (q < 0 ? -q : q) * (GAUSS_N / GAUSS_MAX)
  const i = u | 0
  return GAUSS_TAB[i] + (GAUSS_TAB[i + 1] - GAUSS_TAB[i]) * (u - i)
}

/** exp/log power for positive bases, only used while building tables. */
const powp = (x: number, e: number): number => (x <= 0 ? 0 : Math.exp(e * Math.log(x)))

type Rgb = [number, number, number]
const sq3 = (c: Rgb): Rgb => [c[0] * c[0], c[1] * c[1], c[2] * c[2]]
const mix3 = (a: Rgb, b: Rgb, t: number): Rgb => [lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)]

function hslToRgb(h: number, s: number, l: number): Rgb {
  const f = (n: number): number => {
    const k = (n + h * 12) % 12
    const a = s * Math.min(l, 1 - l)
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))
  }
  return [f(0), f(8), f(4)]
}

/** The point (X, Y) handed to starTable()'s inside test (typed array: no boxed doubles). */
const STAR_Q = new Float64Array(2)
/** starTable()'s bisection bracket: lo, hi. */
const STAR_BRACKET = new Float64Array(2)

/**
 * Radius table k of a star-shaped outline in normalised coordinates (X, Y), indexed by the
 * pseudo-angle: for each of TABLE directions, the largest r with inside(r·dir), by bisection.
 * Also dk/dθ (true angle), for normals.
 */
function starTable(inside: () => boolean, rMax: number): [Float64Array, Float64Array] {
  const q = STAR_Q
  // The bracket [lo, hi] lives in a typed array, and the previous direction's radius is read
  // back from k: held in local variables (they start as small integers and cross calls to
  // inside()) V8 boxed them, a heap number per step, ~30 KB of garbage per table; measured.
  const br = STAR_BRACKET
  const k = new Float64Array(TABLE)
  for (let i = 0; i < TABLE; i++) {
    const c = TABLE_DIR[2 * i]
    const s = TABLE_DIR[2 * i + 1]
    br[0] = 0
    br[1] = rMax
    let iterations = 18
    // warm start: the outline is continuous, so bracket around the previous direction's radius
    if (i > 0 && k[i - 1] > 0) {
      const a = k[i - 1] * 0.9
      q[0] = a * c
      q[1] = a * s
      if (inside()) {
        const b = Math.min(rMax, k[i - 1] * 1.1)
        q[0] = b * c
        q[1] = b * s
        if (!inside()) {
          br[0] = k[i - 1] * 0.9
          br[1] = b
          iterations = 11
        }
      }
    }
    for (let it = 0; it < iterations; it++) {
      const mid = 0.5 * (br[0] + br[1])
      q[0] = mid * c
      q[1] = mid * s
      if (inside()) br[0] = mid
      else br[1] = mid
    }
    k[i] = br[0]
  }
  // Light smoothing so normals have no kinks from the bisection.
  const tmp = new Float64Array(TABLE)
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < TABLE; i++) {
      tmp[i] = 0.25 * k[(i + TABLE - 1) % TABLE] + 0.5 * k[i] + 0.25 * k[(i + 1) % TABLE]
    }
    k.set(tmp)
  }
  return [k, tableDerivative(k, TABLE_THETA)]
}

/** dk/dθ of a pseudo-angle table by central differences in the true angle. */
function tableDerivative(k: Float64Array, theta: Float64Array): Float64Array {
  const dk = new Float64Array(TABLE)
  for (let i = 0; i < TABLE; i++) {
    const a = (i + TABLE - 1) % TABLE
    const b = (i + 1) % TABLE
    let dth = theta[b] - theta[a]
    if (dth < 0) dth += TAU
    dk[i] = (k[b] - k[a]) / dth
  }
  return dk
}

/** Unit directions (x, y interleaved) and true angles of the table's entries. */
const TABLE_DIR = new Float64Array(2 * TABLE)
const TABLE_THETA = new Float64Array(TABLE)
for (let i = 0; i < TABLE; i++) {
  const [c, s] = diamondDir((4 * i) / TABLE)
  TABLE_DIR[2 * i] = c
  TABLE_DIR[2 * i + 1] = s
  TABLE_THETA[i] = Math.atan2(s, c)
}

/**
 * A star ellipsoid (A·k(θ), B·k(θ), C) centred at (0, 0, cz), intersected analytically.
 *
 * A ray is intersected in two steps: prepare() loads it and solves the bounding ellipsoid
 * (k = kMax) once, then solve(back) refines the front or back hit from there; the back hit
 * of the same ray reuses the bounding solve.
 */
class Star {
  declare readonly ia2: number
  declare readonly ib2: number
  declare readonly ic2: number
  /** Largest k in the table: the first solve uses this bounding ellipsoid. */
  declare readonly kMax: number
  /** 1 / kMax². */
  declare readonly ik2Max: number
  declare readonly ia: number
  declare readonly ib: number
  axy = 0
  az = 0
  /** Quadratic coefficient of the bounding solve (depends on the direction only) and 1 / (2·qaMax). */
  qaMax = 0
  inv2qaMax = 0
  // results of solve(): ray parameter, point (relative to the centre), k and dk/dθ there
  t = 0
  px = 0
  py = 0
  pz = 0
  k = 1
  kd = 0
  // the prepared ray: origin relative to the centre and the quadratic's ray terms
  private ox = 0
  private oy = 0
  private oz = 0
  private bxy = 0
  private bz = 0
  private cxy = 0
  private cz2 = 0
  private qbMax = 0
  private sdMax = 0
  /** Result of lowestY(). */
  yMin = 0.5

  declare readonly a: number
  declare readonly b: number
  declare readonly c: number
  declare readonly cz: number
  declare readonly tab: Float64Array
  declare readonly dtab: Float64Array
  declare readonly ray: Float64Array

  constructor(a: number, b: number, c: number, cz: number, tab: Float64Array, dtab: Float64Array, ray: Float64Array) {
    this.a = a
    this.b = b
    this.c = c
    this.cz = cz
    this.tab = tab
    this.dtab = dtab
    this.ray = ray
    this.ia2 = 1 / (a * a)
    this.ib2 = 1 / (b * b)
    this.ic2 = 1 / (c * c)
    this.ia = 1 / a
    this.ib = 1 / b
    let m = 0
    for (let i = 0; i < tab.length; i++) m = Math.max(m, tab[i])
    this.kMax = m
    this.ik2Max = 1 / (m * m)
    this.rowK = m
  }

  dx = 0
  dy = 0
  dz = -1
  /** Entry into the bounding ellipsoid, set by prepare() (−Infinity on a miss). */
  tb = 0

  setDirection(dx: number, dy: number, dz: number): void {
    this.dx = dx
    this.dy = dy
    this.dz = dz
    this.axy = dx * dx * this.ia2 + dy * dy * this.ib2
    this.az = dz * dz * this.ic2
    this.qaMax = this.axy * this.ik2Max + this.az
    this.inv2qaMax = 1 / (2 * this.qaMax)
  }

  /**
   * Load the ray whose origin is in ray[0..2] (a typed array: double arguments would be
   * boxed on every call) and solve the bounding ellipsoid: false when the ray misses it (and
   * so the shape). Sets tb.
   */
  prepare(): boolean {
    const ray = this.ray
    const ox = ray[0]
    const oy = ray[1]
    const oz = ray[2] - this.cz
    const dx = this.dx
    const dy = this.dy
    const dz = this.dz
    const bxy = ox * dx * this.ia2 + oy * dy * this.ib2
    const bz = oz * dz * this.ic2
    const cxy = ox * ox * this.ia2 + oy * oy * this.ib2
    const cz = oz * oz * this.ic2
    const ik2 = this.ik2Max
    const qa = this.qaMax
    const qb = 2 * (bxy * ik2 + bz)
    const qc = cxy * ik2 + cz - 1
    const disc = qb * qb - 4 * qa * qc
    if (disc < 0) {
      this.tb = -Infinity
      return false
    }
    const sd = Math.sqrt(disc)
    this.ox = ox
    this.oy = oy
    this.oz = oz
    this.bxy = bxy
    this.bz = bz
    this.cxy = cxy
    this.cz2 = cz
    this.qbMax = qb
    this.sdMax = sd
    this.tb = (-qb - sd) * this.inv2qaMax
    return true
  }

  /** Step of the ray origin per unit of image x (rowSpan()). */
  ex = 1
  ey = 0
  ez = 0

  setRowStep(ex: number, ey: number, ez: number): void {
    this.ex = ex
    this.ey = ey
    this.ez = ez
  }

  /** Radius of the ellipsoid whose outline rowSpan() finds: kMax, or rowBound()'s. */
  rowK = 1

  /**
   * For the row of rays of rowSpan(), the largest k that solve() can meet, into rowK: solve()
   * re-solves with the k found where the ray enters the bounding ellipsoid, so a ray of the
   * row that hits the shape at all meets the ellipsoid of radius rowK. The entry points lie on
   * the circle where the plane of the row's rays cuts the bounding ellipsoid; rowK is the
   * largest k of the table over the directions of that circle's bounding box in the frontal
   * plane (kMax where the box holds the centre), with margins far above rounding. Cheap per
   * row, and on the upper rows of long hair much less than kMax (its curtains are the long
   * radii): rowSpan() then culls the rays beside the hair that the bounding ellipsoid holds.
   */
  rowBound(): void {
    const kMax = this.kMax
    this.rowK = kMax
    // in coordinates where the bounding ellipsoid is the unit sphere
    const sx = this.ia / kMax
    const sy = this.ib / kMax
    const sz = 1 / this.c
    const ray = this.ray
    const ox = ray[0] * sx
    const oy = ray[1] * sy
    const oz = (ray[2] - this.cz) * sz
    const ex = this.ex * sx
    const ey = this.ey * sy
    const ez = this.ez * sz
    const dx = this.dx * sx
    const dy = this.dy * sy
    const dz = this.dz * sz
    // unit normal of the plane of the row's rays, the circle's centre and radius
    let nx = ey * dz - ez * dy
    let ny = ez * dx - ex * dz
    let nz = ex * dy - ey * dx
    const nl = Math.sqrt(nx * nx + ny * ny + nz * nz)
    if (!(nl > 0)) return
    nx /= nl
    ny /= nl
    nz /= nl
    const h = ox * nx + oy * ny + oz * nz
    const rho2 = 1 - h * h
    // (a row that misses the bounding ellipsoid has an empty span whatever rowK is)
    if (!(rho2 > 0)) return
    const rho = Math.sqrt(rho2)
    // the circle's extent along x and y: the in-plane unit vectors a, b and n are orthonormal,
    // so ax² + bx² = 1 − nx²
    const rx = rho * Math.sqrt(Math.max(0, 1 - nx * nx)) + 1e-6
    const ry = rho * Math.sqrt(Math.max(0, 1 - ny * ny)) + 1e-6
    const x0 = h * nx - rx
    const x1 = h * nx + rx
    const y0 = h * ny - ry
    const y1 = h * ny + ry
    if (x0 <= 0 && x1 >= 0 && y0 <= 0 && y1 >= 0) return
    // A box that does not hold the centre spans less than half a turn, from one corner's
    // direction to another's: the pseudo-angles of the corners relative to the first one.
    const u0 = diamond(x0, y0)
    let lo = 0
    let hi = 0
    for (let corner = 1; corner < 4; corner++) {
      let du = diamond(corner & 1 ? x1 : x0, corner & 2 ? y1 : y0) - u0
      if (du > 2) du -= 4
      else if (du < -2) du += 4
      if (du < lo) lo = du
      if (du > hi) hi = du
    }
    // solve() reads entries i and i + 1 for a pseudo-angle in [i, i + 1) (table units): one
    // more on each side against rounding
    const tab = this.tab
    const first = Math.floor((u0 + lo) * (TABLE / 4)) - 1
    const last = Math.floor((u0 + hi) * (TABLE / 4)) + 2
    let k = 0
    for (let i = first; i <= last; i++) {
      const v = tab[i & (TABLE - 1)]
      if (v > k) k = v
    }
    const bound = k * (1 + 1e-6) + 1e-9
    if (bound < kMax) this.rowK = bound
  }

  /**
   * For a row of rays whose origin is (ox0, oy0, oz0) + x·(ex, ey, ez), (ox0, oy0, oz0) in
   * ray[0..2] (double arguments would be boxed, as for prepare()), the x where the rays meet
   * the ellipsoid of radius rowK (kMax, the bounding ellipsoid, unless rowBound() found less),
   * into spanLo..spanHi (an empty range: spanLo > spanHi): prepare()'s discriminant, a
   * quadratic in x.
   */
  rowSpan(): void {
    const ray = this.ray
    const ox0 = ray[0]
    const oy0 = ray[1]
    const oz0 = ray[2]
    const ex = this.ex
    const ey = this.ey
    const ez = this.ez
    const ia2 = this.ia2
    const ib2 = this.ib2
    const ic2 = this.ic2
    const tight = this.rowK !== this.kMax
    const ik2 = tight ? 1 / (this.rowK * this.rowK) : this.ik2Max
    const qa = tight ? this.axy * ik2 + this.az : this.qaMax
    const dx = this.dx
    const dy = this.dy
    const dz = this.dz
    const oz = oz0 - this.cz
    const B0 = 2 * ((ia2 * dx * ox0 + ib2 * dy * oy0) * ik2 + ic2 * dz * oz)
    const B1 = 2 * ((ia2 * dx * ex + ib2 * dy * ey) * ik2 + ic2 * dz * ez)
    const C0 = (ia2 * ox0 * ox0 + ib2 * oy0 * oy0) * ik2 + ic2 * oz * oz - 1
    const C1 = 2 * (ia2 * ox0 * ex + ib2 * oy0 * ey) * ik2 + 2 * ic2 * oz * ez
    const C2 = (ia2 * ex * ex + ib2 * ey * ey) * ik2 + ic2 * ez * ez
    const a = B1 * B1 - 4 * qa * C2
    const b = 2 * B0 * B1 - 4 * qa * C1
    const c = B0 * B0 - 4 * qa * C0
    let d = b * b - 4 * a * c
    // a row just touching the outline: keep its tangent point (rounding must not drop it)
    if (d < 0 && d > -1e-9 * (b * b + Math.abs(4 * a * c))) d = 0
    if (!(a < 0)) {
      // not a bounded outline (cannot happen for an ellipsoid): no culling
      this.spanLo = -Infinity
      this.spanHi = Infinity
    } else if (d < 0) {
      this.spanLo = Infinity
      this.spanHi = -Infinity
    } else {
      const sd = Math.sqrt(d)
      const x1 = (-b + sd) / (2 * a)
      const x2 = (-b - sd) / (2 * a)
      this.spanLo = x1 < x2 ? x1 : x2
      this.spanHi = x1 < x2 ? x2 : x1
    }
  }

  spanLo = 0.5
  spanHi = 0.5

  /**
   * Lowest y (relative to the centre) of the prepared ray inside the bounding ellipsoid, into
   * yMin: every hit of the shape lies on that stretch of the ray.
   */
  lowestY(): void {
    const tExit = (-this.qbMax + this.sdMax) * this.inv2qaMax
    const ya = this.oy + this.tb * this.dy
    const yb = this.oy + tExit * this.dy
    this.yMin = ya < yb ? ya : yb
  }

  /**
   * Nearest (front) or farthest (back) intersection of the prepared ray (prepare() returned
   * true); false on a miss. One refinement: k is looked up where the ray crosses the bounding
   * ellipsoid and the quadratic re-solved with it (unless the table already gives kMax there).
   */
  solve(back: boolean): boolean {
    const ox = this.ox
    const oy = this.oy
    const dx = this.dx
    const dy = this.dy
    let t = back ? (-this.qbMax + this.sdMax) * this.inv2qaMax : this.tb
    // k at the bounding hit, by the pseudo-angle table
    let u = diamond((ox + t * dx) * this.ia, (oy + t * dy) * this.ib) * (TABLE / 4)
    let i = u | 0
    let f = u - i
    let i0 = i & (TABLE - 1)
    let i1 = (i + 1) & (TABLE - 1)
    const tab = this.tab
    let k = tab[i0] + (tab[i1] - tab[i0]) * f
    // converged when the table gives the radius just used (always, where k is flat)
    if (k !== this.kMax) {
      // the quadratic for radius k, multiplied through by k² (no division on the way to t)
      const k2 = k * k
      const qa = this.axy + this.az * k2
      const qb = 2 * (this.bxy + this.bz * k2)
      const qc = this.cxy + (this.cz2 - 1) * k2
      const disc = qb * qb - 4 * qa * qc
      if (disc < 0) return false
      const sd = Math.sqrt(disc)
      t = back ? (-qb + sd) / (2 * qa) : (-qb - sd) / (2 * qa)
      u = diamond((ox + t * dx) * this.ia, (oy + t * dy) * this.ib) * (TABLE / 4)
      i = u | 0
      f = u - i
      i0 = i & (TABLE - 1)
      i1 = (i + 1) & (TABLE - 1)
      k = tab[i0] + (tab[i1] - tab[i0]) * f
    }
    const dtab = this.dtab
    this.k = k
    this.kd = dtab[i0] + (dtab[i1] - dtab[i0]) * f
    this.t = t
    this.px = ox + t * dx
    this.py = oy + t * dy
    this.pz = this.oz + t * this.dz
    return true
  }

  /** Outward unit normal at the last hit (relative to the shape), into out[0..2]. */
  normal(out: Float64Array): void {
    const ia = this.ia
    const ib = this.ib
    const X = this.px * ia
    const Y = this.py * ib
    const ik = 1 / this.k
    const r = this.kd * ik
    const ik2 = ik * ik
    const nx = (X + Y * r) * ik2 * ia
    const ny = (Y - X * r) * ik2 * ib
    const nz = this.pz * this.ic2
    const inv = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz)
    out[0] = nx * inv
    out[1] = ny * inv
    out[2] = nz * inv
  }
}

type HairValues = {
  tTop: number
  tSide: number
  curtainEnd: number
  flare: number
  hl0: number
  hlCurve: number
  sideburnY: number
  sideX: number
  topCut: number
  lenFront: number
  lenFrontSide: number
  lenSide: number
  lenBack: number
  jag: number
  fringeJag: number
  /** Side part sweeps the hair over the forehead on the larger side. */
  sweep: number
  /** The face window widens by this much towards the bottom. */
  sideFlare: number
  buzz: boolean
}

/**
 * Hair style geometry (normalised head coordinates). A class, not object literals, so every
 * instance shares one hidden class and the hot per-pixel code stays monomorphic.
 */
class HairConfig {
  declare readonly tTop: number
  declare readonly tSide: number
  declare readonly curtainEnd: number
  declare readonly flare: number
  declare readonly hl0: number
  declare readonly hlCurve: number
  declare readonly sideburnY: number
  declare readonly sideX: number
  declare readonly topCut: number
  declare readonly lenFront: number
  declare readonly lenFrontSide: number
  declare readonly lenSide: number
  declare readonly lenBack: number
  declare readonly jag: number
  declare readonly fringeJag: number
  declare readonly sweep: number
  declare readonly sideFlare: number
  declare readonly buzz: boolean
  constructor(v: HairValues) {
    this.tTop = v.tTop
    this.tSide = v.tSide
    this.curtainEnd = v.curtainEnd
    this.flare = v.flare
    this.hl0 = v.hl0
    this.hlCurve = v.hlCurve
    this.sideburnY = v.sideburnY
    this.sideX = v.sideX
    this.topCut = v.topCut
    this.lenFront = v.lenFront
    this.lenFrontSide = v.lenFrontSide
    this.lenSide = v.lenSide
    this.lenBack = v.lenBack
    this.jag = v.jag
    this.fringeJag = v.fringeJag
    this.sweep = v.sweep
    this.sideFlare = v.sideFlare
    this.buzz = v.buzz
  }
}

function hairConfig(style: HairStyle, p: FaceParams['identity']): HairConfig | null {
  const v = hairValues(style, p)
  return v ? new HairConfig(v) : null
}

function hairValues(style: HairStyle, p: FaceParams['identity']): HairValues | null {
  const vol = Math.max(p.hairVolume, 1.2 * (p.hairWave - 0.5))
  const len = p.hairLength
  const hl0 = -0.56 - 0.17 * p.hairline
  const base: HairValues = {
    tTop: 0.06,
    tSide: 0.04,
    curtainEnd: 0,
    flare: 0,
    hl0,
    hlCurve: 0.16,
    sideburnY: 0.08,
    sideX: 9,
    topCut: -9,
    lenFront: 9,
    lenFrontSide: 0.1,
    lenSide: -0.1,
    lenBack: 0.45,
    jag: 0.02,
    fringeJag: 0,
    sweep: 0,
    sideFlare: 0,
    buzz: false
  }
  switch (style) {
    case 'bald':
      if (len < 0.45) return null
      return { ...base, tTop: 0.03, tSide: 0.035, topCut: -0.4 + 0.12 * len, sideburnY: 0.02, lenSide: 0.02, lenFrontSide: -2, lenFront: -2, lenBack: 0.42, jag: 0.02, buzz: true }
    case 'buzz':
      return { ...base, tTop: 0.025, tSide: 0.022, sideburnY: 0.04, lenFrontSide: 0.04, lenSide: -0.12, lenBack: 0.42, jag: 0.01, buzz: true }
    case 'short':
      return {
        ...base,
        tTop: 0.07 + 0.17 * vol,
        tSide: 0.04 + 0.05 * vol,
        sideburnY: 0.05 + 0.1 * len,
        lenFrontSide: 0.06 + 0.12 * len,
        lenSide: -0.1 + 0.22 * len,
        lenBack: 0.4 + 0.3 * len,
        jag: 0.03
      }
    case 'bangs': {
      const L = 0.3 + 0.85 * len
      return {
        ...base,
        tTop: 0.08 + 0.12 * vol,
        tSide: 0.08 + 0.1 * vol,
        curtainEnd: L > 0.9 ? L + 0.1 : 0,
        flare: 0.1,
        hl0: -0.27 - 0.04 * p.hairline,
        hlCurve: 0.3,
        sideburnY: L,
        sideX: 0.8,
        sideFlare: 0.1,
        lenFrontSide: L,
        lenSide: L,
        lenBack: L + 0.05,
        jag: 0.05,
        fringeJag: 0.05
      }
    }
    case 'bob': {
      const L = 0.62 + 0.35 * len
      return {
        ...base,
        tTop: 0.1 + 0.12 * vol,
        tSide: 0.13 + 0.12 * vol,
        curtainEnd: L + 0.12,
        flare: 0.12 + 0.1 * vol,
        hlCurve: 0.34,
        sideburnY: L,
        sideX: 0.74,
        sideFlare: 0.12,
        sweep: 0.1 * Math.abs(p.hairPart),
        lenFrontSide: L,
        lenSide: L,
        lenBack: L + 0.02,
        jag: 0.025
      }
    }
    case 'long': {
      const L = 1.25 + 0.9 * len
      return {
        ...base,
        tTop: 0.08 + 0.1 * vol,
        tSide: 0.12 + 0.14 * vol,
        curtainEnd: L + 0.1,
        flare: 0.15 + 0.25 * p.hairWave + 0.1 * vol,
        hlCurve: 0.34,
        sideburnY: L,
        sideX: 0.72,
        sideFlare: 0.16,
        sweep: 0.12 * Math.abs(p.hairPart),
        lenFrontSide: L,
        lenSide: L,
        lenBack: L + 0.05,
        jag: 0.09
      }
    }
  }
}

/** Display-space (sRGB-like) colour of the hair from melanin, red and grey. */
function hairColor(m: number, red: number, gray: number): Rgb {
  const stops: Rgb[] = [
    [0.85, 0.71, 0.47],
    [0.58, 0.42, 0.26],
    [0.26, 0.17, 0.11],
    [0.075, 0.065, 0.06]
  ]
  const x = clamp01(m) * 3
  const i = Math.min(2, Math.floor(x))
  let c = mix3(stops[i], stops[i + 1], x - i)
  c = mix3(c, [0.66 * (1.15 - 0.7 * m), 0.27 * (1.15 - 0.75 * m), 0.1 * (1.1 - 0.6 * m)], clamp01(red) * 0.85)
  c = mix3(c, [0.8, 0.79, 0.77], clamp01(gray))
  return c
}

function skinColor(tone: number, undertone: number): Rgb {
  const stops: Rgb[] = [
    [0.97, 0.83, 0.73],
    [0.87, 0.66, 0.52],
    [0.64, 0.43, 0.3],
    [0.37, 0.24, 0.17]
  ]
  const x = clamp01(tone) * 3
  const i = Math.min(2, Math.floor(x))
  const c = mix3(stops[i], stops[i + 1], x - i)
  const u = undertone
  return [c[0] + (u < 0 ? -0.01 * u : 0), c[1] + 0.025 * u, c[2] - (u > 0 ? 0.045 * u : -0.02 * u)]
}

function irisColor(v: number): Rgb {
  const stops: Rgb[] = [
    [0.3, 0.16, 0.07],
    [0.47, 0.32, 0.13],
    [0.4, 0.46, 0.24],
    [0.36, 0.5, 0.62],
    [0.58, 0.67, 0.76]
  ]
  const x = clamp01(v) * 4
  const i = Math.min(3, Math.floor(x))
  return mix3(stops[i], stops[i + 1], x - i)
}

/** Materials: how a surface takes the light (rows of materialTable(), see light()). */
const MAT = {
  HEAD_BACK: 0,
  SKIN: 1,
  BROW: 2,
  NOSE: 3,
  NOSTRIL: 4,
  LIP_UPPER: 5,
  LIP_LOWER: 6,
  TEETH: 7,
  MOUTH: 8,
  EYE: 9,
  HAIR: 10,
  EAR: 11,
  NECK: 12,
  CHEST: 13,
  CLOTH: 14,
  FRAME: 15
} as const
const MATERIAL_STRIDE = 8

/**
 * Per material: wrap (softens the terminator: subsurface scattering), specular ks, subsurface
 * tint sss, NIR wrap and NIR ks, then 1 / (1 + wrap) and 1 / (1 + NIR wrap) (no division per
 * sample). Lipstick makes the lips glossier.
 */
function materialTable(makeup: number): Float64Array {
  // wrap, ks, sss, NIR wrap, NIR ks
  const rows: [number, number, number, number, number][] = [
    [0.35, 0.04, 0.2, 0.3, 0], // HEAD_BACK: back or far side of the head
    [0.35, 0.1, 0.35, 0.45, 0.08], // SKIN
    [0.35, 0.03, 0.35, 0.45, 0], // BROW
    [0.35, 0.16, 0.35, 0.45, 0.16], // NOSE
    [0.35, 0, 0.35, 0.45, 0], // NOSTRIL
    [0.35, 0.18 + 0.25 * makeup, 0.35, 0.45, 0.05], // LIP_UPPER
    [0.35, 0.3 + 0.3 * makeup, 0.35, 0.45, 0.08], // LIP_LOWER
    [0.35, 0.2, 0.35, 0.45, 0], // TEETH
    [0.35, 0.05, 0.35, 0.45, 0], // MOUTH
    [0.5, 0.04, 0, 0.6, 0], // EYE
    [0.25, 0, 0, 0.3, 0], // HAIR
    [0.4, 0.05, 0.5, 0.4, 0], // EAR
    [0.35, 0.03, 0.35, 0.4, 0], // NECK
    [0.35, 0.02, 0.3, 0.4, 0], // CHEST
    [0.3, 0.02, 0, 0.3, 0], // CLOTH
    [0.1, 0.6, 0, 0.2, 0.4] // FRAME
  ]
  const t = new Float64Array(rows.length * MATERIAL_STRIDE)
  rows.forEach(([wrap, ks, sss, nirWrap, nirKs], m) => {
    t.set([wrap, ks, sss, nirWrap, nirKs, 1 / (1 + wrap), 1 / (1 + nirWrap)], m * MATERIAL_STRIDE)
  })
  return t
}

/** Material of each part shadeHead() paints (skin where it paints nothing else). */
const HEAD_MATERIAL = (() => {
  const t = new Uint8Array(PART_COUNT).fill(MAT.SKIN)
  t[PART.BROW] = MAT.BROW
  t[PART.NOSE] = MAT.NOSE
  t[PART.NOSTRIL] = MAT.NOSTRIL
  t[PART.LIP_UPPER] = MAT.LIP_UPPER
  t[PART.LIP_LOWER] = MAT.LIP_LOWER
  t[PART.TEETH] = MAT.TEETH
  t[PART.MOUTH] = MAT.MOUTH
  return t
})()

export interface ViewWindow {
  /** Camera-space centre of the image. */
  cx: number
  cy: number
  /** Half the image side, camera units. */
  half: number
}

const W_NONE = 0
const W_HEAD = 1
const W_HAIR = 2
const W_HAIR_IN = 3
const W_EAR_L = 4
const W_EAR_R = 5
const W_NECK = 6
const W_CLOTH = 7
const W_FRAME = 8
/** traceMask bits: every shape (1 << W_* for all nine codes), the hair shell, the ears. */
export const TRACE_ALL = (1 << 9) - 1
/** traceMask of a neighbourhood where every pixel centre shows the head. */
export const TRACE_HEAD = 1 << W_HEAD
const TRACE_HAIR = (1 << W_HAIR) | (1 << W_HAIR_IN)
const TRACE_EARS = (1 << W_EAR_L) | (1 << W_EAR_R)

export class FaceScene {
  // ---- outputs of sample() ----
  r = 0
  g = 0
  b = 0
  nir = 0
  /** Sketch fill tone (1 paper white, 0 black). */
  fill = 1
  /** Flat tone per part; its gradient becomes the sketch's contour lines. */
  edge = 1
  /** Camera-space z of the visible surface (larger is nearer); -Infinity for background. */
  depth = -Infinity

  declare readonly view: ViewWindow
  /** Pixel size in camera units, set by the renderer (line widths never drop below it). */
  pix = 0.02

  declare private readonly seed: number
  declare private readonly head: Star
  declare private readonly hair: Star | null
  declare private readonly hc: HairConfig | null
  private readonly nrm = new Float64Array(3)
  /**
   * Albedo for light() (passed in a typed array: doubles in call arguments get boxed): r, g,
   * b and NIR.
   */
  private readonly lp = new Float64Array(4)
  /** The direct light's shadow factor for the next light() call only (the neck's). */
  private shadow = 1
  /** materialTable() for this person. */
  declare private readonly materials: Float64Array
  /** Current ray origin in head coordinates (shared with the Star shapes). */
  private readonly ray = new Float64Array(3)
  // hand-over fields between sample() and the shaders (avoid boxed double arguments)
  private hitT = 0
  private hk = 1
  private hkd = 0
  private hInner = false
  private qx = 0
  private qy = 0
  private qz = 0
  private earHitS = 0
  private earHitW = 0
  private earSide = 1
  private gqx = 0
  private gqy = 0
  private lensU = 0
  private lensV = 0
  private tTemple = 0
  private nqx = 0
  private nqy = 0
  private nhv = 0
  // rotation head → camera (row major) and head centre in camera space
  declare private readonly m00: number
  declare private readonly m01: number
  declare private readonly m02: number
  declare private readonly m10: number
  declare private readonly m11: number
  declare private readonly m12: number
  declare private readonly m20: number
  declare private readonly m21: number
  declare private readonly m22: number
  declare private readonly hcx: number
  declare private readonly hcy: number
  declare private readonly hcz: number
  declare private readonly dx: number
  declare private readonly dy: number
  declare private readonly dz: number
  /** |(dx, dy)|: how far the view ray moves sideways per unit of depth. */
  declare private readonly vxy: number
  declare private readonly headBound2: number
  declare private readonly hairBound2: number
  // head shape, and its reciprocals
  declare private readonly A: number
  declare private readonly B: number
  declare private readonly C: number
  declare private readonly iA: number
  declare private readonly iB: number
  declare private readonly iC: number
  // lighting
  declare private readonly lx: number
  declare private readonly ly: number
  declare private readonly lz: number
  declare private readonly hx: number
  declare private readonly hy: number
  declare private readonly hz: number
  declare private readonly lightR: number
  declare private readonly lightG: number
  declare private readonly lightB: number
  declare private readonly ambR: number
  declare private readonly ambG: number
  declare private readonly ambB: number
  declare private readonly intensity: number
  declare private readonly expo: number
  declare private readonly bgTop: Rgb
  declare private readonly bgBottom: Rgb
  // skin and colours (linear)
  declare private readonly skin: Rgb
  declare private readonly skinNir: number
  declare private readonly skinTex: number
  declare private readonly rosiness: number
  declare private readonly beard: number
  declare private readonly makeup: number
  declare private readonly lip: Rgb
  declare private readonly hairCol: Rgb
  declare private readonly hairNir: number
  declare private readonly hairSpec: number
  declare private readonly browCol: Rgb
  declare private readonly browNir: number
  declare private readonly iris: Rgb
  declare private readonly irisNir: number
  declare private readonly cloth: Rgb
  declare private readonly clothNir: number
  // relief bumps: [cx, cy, 1/sx², 1/sy², amp, x0, x1, y0, y1] per bump
  declare private readonly bumps: Float64Array
  /** RELIEF_GRID² cells over the bumps: bit i set where bump i's box reaches the cell. */
  declare private readonly bumpCells: Uint32Array
  /** The grid's origin and cells per unit: x0, y0, sx, sy. */
  declare private readonly bumpGrid: Float64Array
  // eyes
  declare private readonly eyeY: number
  declare private readonly ecx: number
  declare private readonly ew: number
  declare private readonly eTilt: number
  declare private readonly eUp: number
  declare private readonly eLo: number
  declare private readonly eRound: number
  declare private readonly irisR: number
  declare private readonly pupilR: number
  declare private readonly gazeDx: number
  declare private readonly gazeDy: number
  declare private readonly crease: number
  declare private readonly glintRgbX: number
  declare private readonly glintRgbY: number
  declare private readonly glintNirX: number
  declare private readonly glintNirY: number
  declare private readonly glintRgbOn: boolean
  // brows
  declare private readonly browY: number
  declare private readonly browIn: number
  declare private readonly browOut: number
  declare private readonly browThick: number
  declare private readonly browArch: number
  declare private readonly browTilt: number
  declare private readonly browInner: number
  /**
   * Farther than this from browY in y nothing is brow: over the brow's u range (−0.06, 1.04)
   * the arch term is at most 1, u at most 1.04, (1 − u)² at most 1.13 and the half-width at
   * most 0.6·browThick (margins rounded up).
   */
  declare private readonly browReach: number
  // nose
  declare private readonly noseTop: number
  declare private readonly noseTip: number
  declare private readonly noseH: number
  declare private readonly bridgeH: number
  declare private readonly bridgeW: number
  declare private readonly tipR: number
  declare private readonly alaR: number
  declare private readonly alaX: number
  declare private readonly alaY: number
  declare private readonly alaH: number
  declare private readonly noseX0: number
  /** Widest half-width of the bridge band (noseHeight). */
  declare private readonly noseWMax: number
  declare private readonly noseY0: number
  declare private readonly noseY1: number
  /** (noseH / 0.2)·vxy: the farthest noseMarch() can shift from the head hit. */
  declare private readonly noseReach: number
  // mouth
  declare private readonly mouthY: number
  declare private readonly mw: number
  declare private readonly uT: number
  declare private readonly lT: number
  declare private readonly openH: number
  declare private readonly smile: number
  declare private readonly subnasale: number
  // ears
  declare private readonly earY: number
  declare private readonly earH: number
  declare private readonly earW: number
  declare private readonly earAx: number
  declare private readonly earAz: number
  declare private readonly earSin: number
  declare private readonly earCos: number
  declare private readonly earBoundR2: number
  declare private readonly earLcx: number
  declare private readonly earLcy: number
  declare private readonly earRcx: number
  declare private readonly earRcy: number
  // neck, shoulders
  declare private readonly neckX: number
  declare private readonly neckZ: number
  declare private readonly neckRx: number
  declare private readonly neckRz: number
  declare private readonly neckTop: number
  declare private readonly shoulderY: number
  declare private readonly necklineDepth: number
  declare private readonly necklineV: number
  // glasses
  declare private readonly glasses: boolean
  declare private readonly gx: number
  declare private readonly gy: number
  declare private readonly gw: number
  declare private readonly gh: number
  declare private readonly gz: number
  declare private readonly grt: number
  declare private readonly gsq: number
  declare private readonly frame: Rgb
  declare private readonly frameNir: number
  declare private readonly lensTint: number
  declare private readonly templeX0: number
  declare private readonly templeY0: number
  declare private readonly templeX1: number
  declare private readonly templeY1: number
  declare private readonly templeZ1: number
  declare private readonly glassesBound2: number
  declare private readonly templeBoxL: Float64Array
  declare private readonly templeBoxR: Float64Array
  declare private readonly hairPartX: number
  declare private readonly hairPartY: number
  declare private readonly hairWave: number
  declare private readonly hlTab: Float64Array
  declare private readonly hlSlope: number
  /** Longest hair (normalised Y), jagged ends included: hairPresentAt() is false below it. */
  declare private readonly hairMaxLen: number
  /**
   * Shortest hair (normalised Y), jagged ends included: above it hairPresentAt()'s length
   * test holds whatever the direction, and it skips that test's square root and noise.
   */
  declare private readonly hairMinLen: number
  /** Highest point of the hairline table (minus a margin): no face window above it. */
  declare private readonly hlMin: number
  private eyeZ = 0

  constructor(p: FaceParams, mode: RenderMode, eye: 'left' | 'right') {
    const id = p.identity
    const ex = p.expression
    const il = p.illumination
    const ac = p.accessories
    this.seed = Math.floor(clamp01(id.textureSeed) * 65535) | 0

    // ---------------- head outline ----------------
    const A = 0.84 + 0.12 * id.headWidth
    const B = 1.24 + 0.14 * id.headHeight
    const C = 1.0 + 0.18 * id.headDepth
    this.A = A
    this.B = B
    this.C = C
    this.iA = 1 / A
    this.iB = 1 / B
    this.iC = 1 / C
    const yJ = 0.5 + 0.25 * id.jawAngle
    const jawW = 0.8 + 0.2 * id.jawWidth
    const chinY = Math.min(B * 0.975, 1.1 + 0.16 * id.chinLength)
    const chinW = 0.16 + 0.24 * id.chinWidth
    const chinM = 2 + 7 * id.chinSquare
    const jawQ = 0.7 + 0.9 * id.chinSquare
    const ellW = (y: number): number => A * Math.sqrt(Math.max(0, 1 - (y / B) * (y / B)))
    const wJ = ellW(yJ) * jawW
    // half-width of the jaw below the jaw angle, tabulated (the powers are costly)
    const JN = 128
    const jaw = new Float64Array(JN + 1)
    for (let i = 0; i <= JN; i++) {
      const u = i / JN
      jaw[i] = (wJ + (chinW - wJ) * powp(u, jawQ)) * Math.sqrt(Math.max(0, 1 - powp(u, chinM)))
    }
    // (skull(), ellW() and smoothstep() written out: the calls were not inlined here, and
    // boxed their double arguments and results, ~20 KB of garbage per person; measured)
    const headInside = (): boolean => {
      const X = STAR_Q[0]
      const Y = STAR_Q[1]
      // the skull: the cranium is a little boxier than an ellipse above the eyes (a
      // superellipse, p = 2.5)
      if (Y >= 0) {
        if (!(X * X + Y * Y <= 1)) return false
      } else {
        const ax = X < 0 ? -X : X
        const ay = -Y
        if (!(ax * ax * Math.sqrt(ax) + ay * ay * Math.sqrt(ay) <= 1)) return false
      }
      const x = Math.abs(X * A)
      const y = Y * B
      if (y <= yJ - 0.45) return true
      if (y <= yJ) {
        const w = A * Math.sqrt(Math.max(0, 1 - (y / B) * (y / B)))
        const st = (y - (yJ - 0.45)) / (yJ - (yJ - 0.45))
        return x <= w * (1 - (1 - jawW) * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)))
      }
      if (y >= chinY) return false
      const u = ((y - yJ) / (chinY - yJ)) * JN
      const i = Math.min(JN - 1, Math.floor(u))
      return x <= jaw[i] + (jaw[i + 1] - jaw[i]) * (u - i)
    }
    const [hk, hdk] = starTable(headInside, 1.2)
    this.head = new Star(A, B, C, 0, hk, hdk, this.ray)

    // ---------------- pose ----------------
    const cyw = Math.cos(p.pose.yaw)
    const syw = Math.sin(p.pose.yaw)
    const cp = Math.cos(p.pose.pitch)
    const sp = Math.sin(p.pose.pitch)
    const cr = Math.cos(p.pose.roll)
    const sr = Math.sin(p.pose.roll)
    // R = Rz(roll) · Rx(pitch) · Ry(yaw)
    const ry = [cyw, 0, syw, 0, 1, 0, -syw, 0, cyw]
    const rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp]
    const rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1]
    const mul = (a: number[], b: number[]): number[] => {
      const o = new Array<number>(9).fill(0)
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) o[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j]
      return o
    }
    const R = mul(rz, mul(rx, ry))
    this.m00 = R[0]
    this.m01 = R[1]
    this.m02 = R[2]
    this.m10 = R[3]
    this.m11 = R[4]
    this.m12 = R[5]
    this.m20 = R[6]
    this.m21 = R[7]
    this.m22 = R[8]
    const headCY = -0.06
    const pvx = 0
    const pvy = 0.72 * B
    const pvz = -0.3 * C
    // head centre = pivot + R·(−pivot), pivot at (0, headCY, 0) + pv in camera space
    this.hcx = pvx - (R[0] * pvx + R[1] * pvy + R[2] * pvz)
    this.hcy = headCY + pvy - (R[3] * pvx + R[4] * pvy + R[5] * pvz)
    this.hcz = pvz - (R[6] * pvx + R[7] * pvy + R[8] * pvz)
    // ray direction (camera −z) in head coordinates: Rᵀ·(0,0,−1)
    this.dx = -R[6]
    this.dy = -R[7]
    this.dz = -R[8]
    this.head.setDirection(this.dx, this.dy, this.dz)
    this.head.setRowStep(R[0], R[1], R[2])
    this.vxy = Math.sqrt(-this.dx * -this.dx + -this.dy * -this.dy)
    const hb = B * this.head.kMax + 0.02
    this.headBound2 = hb * hb

    // ---------------- light ----------------
    const az = il.azimuth
    const el = il.elevation
    this.lx = Math.sin(az) * Math.cos(el)
    this.ly = -Math.sin(el)
    this.lz = Math.cos(az) * Math.cos(el)
    {
      const hx = this.lx
      const hy = this.ly
      const hz = this.lz + 1
      const inv = 1 / Math.sqrt(hx * hx + hy * hy + hz * hz)
      this.hx = hx * inv
      this.hy = hy * inv
      this.hz = hz * inv
    }
    const w = il.warmth
    this.lightR = 1 + 0.1 * w
    this.lightG = 1 - 0.01 * Math.abs(w)
    this.lightB = 1 - 0.16 * w
    this.intensity = il.intensity
    this.ambR = il.ambient * (0.95 - 0.04 * w)
    this.ambG = il.ambient * 0.98
    this.ambB = il.ambient * (1.03 + 0.04 * w)
    this.expo = 1.05 / (0.6 * il.ambient + 0.62 * il.intensity + 0.18)
    const bgL = 0.15 + 0.75 * il.backgroundLightness
    const bg = hslToRgb(il.backgroundHue, 0.28, bgL)
    this.bgTop = sq3(mix3(bg, [1, 1, 1], 0.12))
    this.bgBottom = sq3(mix3(bg, [0, 0, 0], 0.25))

    // ---------------- colours ----------------
    const skinD = skinColor(id.skinTone, id.skinUndertone)
    this.skin = sq3(skinD)
    this.skinNir = 0.8 - 0.24 * id.skinTone
    this.skinTex = id.skinTexture
    this.rosiness = id.rosiness
    this.beard = id.beardShadow
    this.makeup = id.makeup
    this.materials = materialTable(id.makeup)
    const natLip: Rgb = [skinD[0] * (0.93 + 0.05 * id.lipColor), skinD[1] * (0.7 - 0.12 * id.lipColor), skinD[2] * (0.72 - 0.1 * id.lipColor)]
    const lipstickHue = id.textureSeed
    const lipstick: Rgb = lipstickHue < 0.5 ? [0.72, 0.12, 0.2] : lipstickHue < 0.8 ? [0.62, 0.2, 0.26] : [0.78, 0.36, 0.38]
    this.lip = sq3(mix3(natLip, lipstick, 0.75 * id.makeup))
    const hcD = hairColor(id.hairMelanin, id.hairRed, id.hairGray)
    this.hairCol = sq3(hcD)
    const lm = 1 - clamp01(id.hairMelanin)
    this.hairNir = Math.min(0.85, 0.07 + 0.6 * lm * Math.sqrt(lm) + 0.3 * id.hairGray)
    this.hairSpec = 0.1 + 0.18 * (1 - 0.6 * id.hairMelanin)
    const browD = mix3(mix3(hcD, [0.1, 0.08, 0.07], 0.25 + 0.5 * id.browDarkness), [0.5, 0.5, 0.5], id.hairGray * 0.4)
    this.browCol = sq3(id.hairStyle === 'bald' ? mix3(browD, [0.25, 0.2, 0.17], 0.3) : browD)
    this.browNir = Math.max(0.15, this.hairNir * 0.8)
    this.iris = sq3(irisColor(id.irisColor))
    this.irisNir = 0.4 + 0.12 * (1 - id.irisColor)
    const cl = hslToRgb(ac.clothingHue, 0.35 + 0.3 * ac.clothingLightness * (1 - ac.clothingLightness), 0.12 + 0.7 * ac.clothingLightness)
    this.cloth = sq3(cl)
    this.clothNir = 0.3 + 0.5 * hash2(7, 11, (ac.clothingHue * 1e6) | 0)

    // ---------------- eyes ----------------
    const smile = ex.smile
    const smileP = Math.max(0, smile)
    this.smile = smile
    this.eyeY = -0.05 + 0.1 * id.eyeHeight
    this.ew = 0.148 + 0.044 * id.eyeSize
    this.ecx = Math.max(this.ew + 0.1, 0.29 + 0.08 * id.eyeSpacing)
    this.eTilt = 0.14 * id.eyeTilt
    this.eRound = id.eyeRoundness
    const open = clamp01(ex.eyeOpen) * (1 - 0.25 * smileP)
    this.eUp = this.ew * (0.46 + 0.2 * id.eyeRoundness) * open
    this.eLo = this.ew * (0.27 + 0.12 * id.eyeRoundness) * (0.45 + 0.55 * open) * (1 - 0.3 * smileP) * (open < 0.05 ? open / 0.05 : 1)
    this.irisR = this.ew * (0.5 + 0.08 * id.irisSize)
    this.pupilR = this.irisR * (0.32 + 0.14 * (1 - il.intensity / 1.5))
    this.gazeDx = ex.gazeX * this.ew * 0.32
    this.gazeDy = ex.gazeY * this.ew * 0.12 + this.irisR * 0.1
    this.crease = id.lidCrease
    {
      // corneal reflections: where the cornea's normal is the half vector (light) or the view
      const Rc = this.irisR * 1.7
      const hxh = R[0] * this.hx + R[3] * this.hy + R[6] * this.hz
      const hyh = R[1] * this.hx + R[4] * this.hy + R[7] * this.hz
      const hzh = R[2] * this.hx + R[5] * this.hy + R[8] * this.hz
      this.glintRgbOn = hzh > 0.2 && il.intensity > 0.15
      this.glintRgbX = Rc * hxh
      this.glintRgbY = Rc * hyh
      this.glintNirX = Rc * R[6]
      this.glintNirY = Rc * R[7]
    }

    // ---------------- brows ----------------
    this.browY = this.eyeY - (0.16 + 0.07 * id.browHeight) - 0.05 * ex.browRaise
    this.browIn = this.ecx - this.ew * 0.95
    this.browOut = this.ecx + this.ew * (1.02 + 0.32 * id.browLength)
    this.browThick = 0.028 + 0.042 * id.browThickness
    this.browArch = 0.012 + 0.05 * id.browArch
    this.browTilt = 0.05 * id.browTilt
    this.browInner = 0.035 * Math.max(0, ex.browRaise) - 0.02 * Math.max(0, -ex.browRaise)
    this.browReach = Math.abs(this.browArch) + 1.1 * Math.abs(this.browTilt) + 1.2 * Math.abs(this.browInner) + Math.abs(this.browThick) + 1e-6

    // ---------------- nose ----------------
    this.noseTop = this.eyeY - 0.03
    this.noseTip = 0.33 + 0.12 * id.noseLength
    this.noseH = 0.13 + 0.12 * id.noseProjection
    this.bridgeH = 0.024 + 0.026 * id.noseProjection + 0.012 * id.noseBridge
    this.bridgeW = 0.075 + 0.04 * id.noseBridge
    this.tipR = 0.055 + 0.03 * id.noseTip + 0.01 * id.noseWidth
    this.alaR = 0.048 + 0.022 * id.noseWidth
    this.alaX = 0.065 + 0.07 * id.noseWidth
    this.alaY = this.noseTip + 0.03
    this.alaH = this.noseH * 0.42
    this.noseX0 = this.alaX + this.alaR + 0.02
    this.noseWMax = 1.2 * Math.max(this.bridgeW, this.tipR * 1.05) + 1e-9
    this.noseY0 = this.noseTop - 0.12
    this.noseY1 = this.alaY + this.alaR + 0.02
    this.noseReach = (this.noseH / 0.2) * this.vxy
    this.subnasale = this.noseTip + 0.065

    // ---------------- mouth ----------------
    this.mouthY = Math.min(chinY - 0.33, this.subnasale + 0.11 + 0.08 * id.mouthHeight)
    this.mw = 0.19 + 0.08 * id.mouthWidth + 0.05 * smileP
    this.uT = (0.038 + 0.04 * id.upperLip) * (1 - 0.2 * smileP)
    this.lT = (0.05 + 0.05 * id.lowerLip) * (1 - 0.1 * smileP)
    this.openH = 0.17 * ex.mouthOpen

    // ---------------- relief bumps ----------------
    const bl: number[] = []
    const bump = (cx: number, cy: number, sx: number, sy: number, amp: number): void => {
      if (amp === 0) return
      bl.push(cx, cy, 1 / (sx * sx), 1 / (sy * sy), amp, cx - sx, cx + sx, cy - sy, cy + sy)
    }
    for (const s of [-1, 1]) {
      bump(s * 0.3, this.browY + 0.02, 0.3, 0.13, 0.05)
      bump(s * this.ecx, this.eyeY - 0.005, this.ew * 1.45, 0.17, -0.075)
      bump(s * 0.52, 0.3, 0.32, 0.22, 0.035 + 0.05 * id.cheekbones)
      bump(s * (this.mw + 0.08), this.mouthY - 0.12, 0.16, 0.14, 0.045 * smileP)
      bump(s * 0.82, -0.42, 0.26, 0.32, -0.04)
      bump(s * 0.13, this.eyeY + 0.01, 0.12, 0.16, 0.02)
    }
    bump(0, this.mouthY + 0.05, 0.75, 0.6, 0.12)
    bump(0, chinY - 0.13, chinW + 0.1, 0.15, 0.07)
    bump(0, -0.62, 0.7, 0.45, 0.04)
    this.bumps = Float64Array.from(bl)
    // a grid over the bumps' boxes: per cell, a bit mask of the bumps whose box touches it
    // (15 bumps at most: 6 per side and 3 central, so a 32-bit mask holds them)
    {
      let x0 = Infinity
      let x1 = -Infinity
      let y0 = Infinity
      let y1 = -Infinity
      for (let o = 0; o < bl.length; o += 9) {
        x0 = Math.min(x0, bl[o + 5])
        x1 = Math.max(x1, bl[o + 6])
        y0 = Math.min(y0, bl[o + 7])
        y1 = Math.max(y1, bl[o + 8])
      }
      if (!(x1 > x0 && y1 > y0)) {
        x0 = y0 = 0
        x1 = y1 = 1
      }
      const G = RELIEF_GRID
      const sx = G / (x1 - x0)
      const sy = G / (y1 - y0)
      const cells = new Uint32Array(G * G)
      for (let i = 0, o = 0; o < bl.length; i++, o += 9) {
        const cx0 = Math.max(0, Math.floor((bl[o + 5] - x0) * sx))
        const cx1 = Math.min(G - 1, Math.floor((bl[o + 6] - x0) * sx))
        const cy0 = Math.max(0, Math.floor((bl[o + 7] - y0) * sy))
        const cy1 = Math.min(G - 1, Math.floor((bl[o + 8] - y0) * sy))
        for (let cy = cy0; cy <= cy1; cy++) for (let cx = cx0; cx <= cx1; cx++) cells[cy * G + cx] |= 1 << i
      }
      this.bumpCells = cells
      this.bumpGrid = Float64Array.of(x0, y0, sx, sy)
    }

    // ---------------- ears ----------------
    this.earH = (0.26 + 0.08 * id.earSize) * (this.subnasale - this.browY) * 1.65
    this.earW = 0.2 + 0.07 * id.earSize
    this.earY = (this.browY + this.subnasale) * 0.5 + 0.03
    const phi = 0.45 + 0.5 * id.earProtrusion
    this.earSin = Math.sin(phi)
    this.earCos = Math.cos(phi)
    this.earAx = ellW(this.earY) * 0.93
    this.earAz = -0.1 * C
    const earCenter = (s: number): [number, number] => {
      const hx = s * (this.earAx + this.earW * 0.5 * this.earSin)
      const hy = this.earY
      const hz = this.earAz - this.earW * 0.5 * this.earCos
      return [this.hcx + R[0] * hx + R[1] * hy + R[2] * hz, this.hcy + R[3] * hx + R[4] * hy + R[5] * hz]
    }
    ;[this.earLcx, this.earLcy] = earCenter(-1)
    ;[this.earRcx, this.earRcy] = earCenter(1)
    const er = Math.max(this.earH, this.earW) * 1.1
    this.earBoundR2 = er * er

    // ---------------- hair ----------------
    const hc = hairConfig(id.hairStyle, id)
    this.hc = hc
    this.hairWave = id.hairWave
    this.hairPartX = id.hairPart * 0.38 * A
    this.hairPartY = -B * 0.92
    this.hlTab = new Float64Array(HL_N)
    let slope = 0
    if (hc) {
      this.hairlineTable(this.hlTab)
      for (let i = 0; i + 1 < HL_N; i++) slope = Math.max(slope, Math.abs(this.hlTab[i + 1] - this.hlTab[i]) * HL_SCALE)
    }
    this.hlSlope = slope * 1.05 + 0.01
    this.hairMaxLen = hc ? Math.max(hc.lenFront, hc.lenFrontSide, hc.lenSide, hc.lenBack) + Math.abs(hc.jag) + 1e-6 : -Infinity
    // (margins far above rounding: hairPresentAt()'s interpolations stay within their ends
    // up to an ulp or so)
    this.hairMinLen = hc ? Math.min(hc.lenFront, hc.lenFrontSide, hc.lenSide, hc.lenBack) - Math.abs(hc.jag) - 1e-6 : -Infinity
    let hlMin = Infinity
    for (let i = 0; i < HL_N; i++) hlMin = Math.min(hlMin, this.hlTab[i])
    this.hlMin = hlMin - 1e-9
    if (hc) {
      const Ah = A + hc.tSide
      const Bh = B + hc.tTop
      const Ch = C + hc.tSide * 0.9
      const curtainEnd = hc.curtainEnd * B
      const flare = hc.flare
      const inside = (): boolean => {
        const X = STAR_Q[0]
        const Y = STAR_Q[1]
        if (Y < 0) {
          const ax = X < 0 ? -X : X
          const ay = -Y
          return ax * ax * Math.sqrt(ax) + ay * ay * Math.sqrt(ay) <= 1
        }
        if (X * X + Y * Y <= 1) return true
        if (curtainEnd <= 0 || Y <= 0) return false
        const y = Y * Bh
        if (y >= curtainEnd) return false
        const u = y / curtainEnd
        const u4 = u * u * u * u
        const cw = (1 + flare * u) * Math.sqrt(Math.max(0, 1 - u4 * u4))
        return Math.abs(X) <= cw
      }
      const [k, dk] = starTable(inside, 4)
      // waves and curls on the outline
      const wave = id.hairWave
      if (wave > 0.05 && !hc.buzz) {
        const amp = 0.01 + 0.035 * wave * wave
        const freq = 12 + 26 * wave
        const ph = id.textureSeed * TAU
        for (let i = 0; i < TABLE; i++) {
          const th = TABLE_THETA[i]
          const n = vnoise1((i * freq) / TABLE * 2, this.seed ^ 0x51)
          k[i] *= 1 + amp * (0.5 * Math.sin(th * freq + ph) + (n - 0.5))
        }
        // dk stays that of the smooth outline: the bumps shape the silhouette, not the shading
      }
      let kMax = 0
      for (let i = 0; i < TABLE; i++) kMax = Math.max(kMax, k[i])
      this.hair = new Star(Ah, Bh, Ch, -0.04, k, dk, this.ray)
      this.hair.setDirection(this.dx, this.dy, this.dz)
      this.hair.setRowStep(R[0], R[1], R[2])
      const rb = Math.max(Ah, Bh) * kMax + 0.05
      this.hairBound2 = rb * rb
    } else {
      this.hair = null
      this.hairBound2 = 0
    }

    // ---------------- neck and shoulders (camera space) ----------------
    const pivotX = pvx
    const pivotY = headCY + pvy
    const pivotZ = pvz
    this.neckX = pivotX
    this.neckZ = pivotZ + 0.02
    this.neckRx = 0.43 + 0.12 * id.jawWidth + 0.05 * id.headWidth
    this.neckRz = 0.42
    this.neckTop = pivotY - 0.35
    this.shoulderY = pivotY + 0.34
    this.necklineDepth = 0.1 + 0.45 * ac.neckline
    this.necklineV = ac.neckline

    // ---------------- glasses ----------------
    this.glasses = ac.glasses
    this.gx = this.ecx
    this.gy = this.eyeY + 0.012
    this.gw = Math.min(this.ecx - 0.055, this.ew * (1.22 + 0.3 * ac.glassesSize))
    this.gh = this.gw * (0.9 - 0.22 * ac.glassesShape)
    const zEye = C * Math.sqrt(Math.max(0, 1 - sq(this.ecx / A) - sq(this.eyeY / B)))
    this.gz = zEye + 0.2
    this.grt = 0.014 + 0.022 * ac.frameThickness
    this.gsq = ac.glassesShape
    const fc = ac.frameColor
    const frameD: Rgb = fc < 0.3 ? [0.06, 0.06, 0.07] : fc < 0.55 ? [0.3, 0.17, 0.09] : fc < 0.8 ? [0.75, 0.6, 0.3] : [0.72, 0.73, 0.76]
    this.frame = sq3(frameD)
    this.frameNir = fc < 0.55 ? 0.12 : 0.55
    this.lensTint = ac.lensTint
    this.templeX0 = this.gx + this.gw * 0.97
    this.templeY0 = this.gy - this.gh * 0.3
    this.templeX1 = A * 1.02
    this.templeY1 = this.gy - 0.03
    this.templeZ1 = -0.25 * C
    const gb = this.gx + this.gw + 0.1
    this.glassesBound2 = this.glasses ? 4 * gb * gb : 0
    const box = (side: number): Float64Array => {
      const pts = [
        [side * this.templeX0, this.templeY0, this.gz],
        [side * this.templeX1, this.templeY1, this.templeZ1]
      ]
      const xs = pts.map(([x, y, z]) => this.hcx + R[0] * x + R[1] * y + R[2] * z)
      const ys = pts.map(([x, y, z]) => this.hcy + R[3] * x + R[4] * y + R[5] * z)
      const m = this.grt + 0.02
      return Float64Array.of(Math.min(...xs) - m, Math.max(...xs) + m, Math.min(...ys) - m, Math.max(...ys) + m)
    }
    this.templeBoxL = box(-1)
    this.templeBoxR = box(1)

    // ---------------- camera window ----------------
    if (mode === 'ocular') {
      const s = eye === 'left' ? -1 : 1
      const ex0 = s * this.ecx
      const ey0 = this.eyeY
      const ez0 = C * Math.sqrt(Math.max(0, 1 - sq(ex0 / A) - sq(ey0 / B)))
      this.eyeZ = this.hcz + R[6] * ex0 + R[7] * ey0 + R[8] * ez0
      this.view = {
        cx: this.hcx + R[0] * ex0 + R[1] * ey0 + R[2] * ez0,
        cy: this.hcy + R[3] * ex0 + R[4] * ey0 + R[5] * ez0,
        half: this.ew * 1.6
      }
    } else {
      this.view = { cx: 0, cy: 0, half: 1.68 }
    }
  }

  /** Camera-space z mapped to depth 0 (far) and 1 (near): [far, near]. */
  depthRange(): [number, number] {
    if (this.view.half < 1) {
      const zc = this.eyeZ
      return [zc - 0.45, zc + 0.2]
    }
    return [-0.85, 1.5]
  }

  // =====================================================================================
  // per-point evaluation
  // =====================================================================================

  /** Shade the camera-space point (xv, yv); returns the part id. */
  sample(xv: number, yv: number): number {
    this.sx = xv
    this.sy = yv
    return this.sampleAt()
  }

  /** Shade the camera-space point (this.sx, this.sy); returns the part id. */
  sampleAt(): number {
    this.trace()
    return this.shade()
  }

  /**
   * The stretch of the row at this.sy where trace() may hit anything, into spanL..spanR:
   * outside it every test in trace() fails (the outlines of the head's and the hair's bounding
   * ellipsoids, the glasses' circle, the ears' circles, the neck's width, the clothing below
   * the shoulder line), so sampleBackground() gives the same result.
   */
  rowSpan(): void {
    const yv = this.sy
    let l = Infinity
    let r = -Infinity
    if (yv > this.shoulderY) {
      // clothing: where the shoulders' top is above the row. It never falls away from the
      // neck, so that is |x − neckX| < a, with a found by bisection (ys(hi) ≥ yv throughout;
      // the first hi is past the shoulder line's quadratic rise to yv)
      let lo = 0
      let hi = 2 + Math.sqrt(yv - this.shoulderY)
      for (let it = 0; it < 40; it++) {
        const mid = 0.5 * (lo + hi)
        this.shAx = mid
        this.shoulderLine()
        if (yv > this.shY) lo = mid
        else hi = mid
      }
      l = this.neckX - hi
      r = this.neckX + hi
    }
    // head and hair: the outlines of their bounding ellipsoids on this row (x relative to hcx)
    const vy = yv - this.hcy
    const vz = -this.hcz
    const ox0 = this.m10 * vy + this.m20 * vz
    const oy0 = this.m11 * vy + this.m21 * vz
    const oz0 = this.m12 * vy + this.m22 * vz
    const ray = this.ray
    ray[0] = ox0
    ray[1] = oy0
    ray[2] = oz0
    // each the outline of the ellipsoid that holds every hit this row can have (see
    // rowBound()); trace() skips the shape outside it on this row
    this.spanRowY = yv
    const head = this.head
    head.rowBound()
    head.rowSpan()
    if (head.spanLo <= head.spanHi) {
      this.headRowL = this.hcx + head.spanLo - 1e-6
      this.headRowR = this.hcx + head.spanHi + 1e-6
      if (this.hcx + head.spanLo < l) l = this.hcx + head.spanLo
      if (this.hcx + head.spanHi > r) r = this.hcx + head.spanHi
    } else {
      this.headRowL = Infinity
      this.headRowR = -Infinity
    }
    const hair = this.hair
    if (hair !== null) {
      hair.rowBound()
      hair.rowSpan()
      if (hair.spanLo <= hair.spanHi) {
        this.hairRowL = this.hcx + hair.spanLo - 1e-6
        this.hairRowR = this.hcx + hair.spanHi + 1e-6
        if (this.hcx + hair.spanLo < l) l = this.hcx + hair.spanLo
        if (this.hcx + hair.spanHi > r) r = this.hcx + hair.spanHi
      } else {
        this.hairRowL = Infinity
        this.hairRowR = -Infinity
      }
    }
    // glasses: the circle trace() tests first
    const h2 = this.glassesBound2 - vy * vy
    if (h2 > 0) {
      const h = Math.sqrt(h2)
      if (this.hcx - h < l) l = this.hcx - h
      if (this.hcx + h > r) r = this.hcx + h
    }
    for (let side = -1; side <= 1; side += 2) {
      const ey = yv - (side < 0 ? this.earLcy : this.earRcy)
      const e2 = this.earBoundR2 - ey * ey
      if (e2 >= 0) {
        const ex = side < 0 ? this.earLcx : this.earRcx
        const e = Math.sqrt(e2)
        if (ex - e < l) l = ex - e
        if (ex + e > r) r = ex + e
      }
    }
    if (yv > this.neckTop) {
      if (this.neckX - this.neckRx < l) l = this.neckX - this.neckRx
      if (this.neckX + this.neckRx > r) r = this.neckX + this.neckRx
    }
    // a margin far above rounding: a point on the edge is simply traced
    this.spanL = l - 1e-6
    this.spanR = r + 1e-6
  }

  spanL = 0.5
  spanR = 0.5
  /** The row rowSpan() last saw (NaN: none) and where on it the head and the hair shell can be hit. */
  private spanRowY = NaN
  private headRowL = 0.5
  private headRowR = 0.5
  private hairRowL = 0.5
  private hairRowR = 0.5

  /** Shade (this.sx, this.sy) as background, as trace() and shade() do where nothing is hit. */
  sampleBackground(): number {
    this.what = W_NONE
    this.surfX = NaN
    this.hitT = Infinity
    this.lensT = Infinity
    return this.shadeBackground()
  }

  /**
   * Part id at (this.sx, this.sy) without shading: the geometry and, on the head, the
   * feature outlines. The output fields are left as they were; shade() may follow to shade
   * this very point.
   */
  classifyAt(): number {
    this.trace()
    switch (this.what) {
      case W_HEAD:
        return this.classifyHead()
      case W_HAIR:
        return PART.HAIR
      case W_HAIR_IN:
        return PART.HAIR_INNER
      case W_EAR_L:
      case W_EAR_R:
        return PART.EAR
      case W_NECK:
        return PART.NECK
      case W_CLOTH:
        return this.inNeckline() ? PART.CHEST : PART.CLOTH
      case W_FRAME:
        return PART.FRAME
      default:
        return PART.BACKGROUND
    }
  }

  // trace()'s per-row cache: the y it holds (NaN: none yet), (y − hcy)², the y part of the origin
  private rowY = NaN
  private rowVy2 = 0.5
  private rowOx = 0.5
  private rowOy = 0.5
  private rowOz = 0.5
  /**
   * TRACE_EARS bits of the ears whose bounding circle this row crosses: the per-point circle
   * test (dx² + dy² > R²) fails for every point of a row whose dy² alone exceeds R².
   */
  private rowEars = 0

  /** What the last trace() hit (a W_* code), and where the ray crossed a lens (Infinity: nowhere). */
  what = W_NONE
  private lensT = Infinity
  /**
   * Bit 1 << W_* for each kind of shape trace() tests (glasses always): all by default. The
   * antialiasing pass narrows it to the shapes seen around a pixel (see render.ts).
   */
  traceMask = TRACE_ALL

  /**
   * The face point a head pixel shows (after the nose march) and its nose height, left by
   * shadeHead() on the front of the head; surfX is NaN after any other sample.
   */
  surfX = NaN
  surfY = 0.5
  surfNose = 0.5

  /** Intersect the ray through (this.sx, this.sy) with every shape: what, hitT and hit data. */
  private trace(): void {
    const xv = this.sx
    const yv = this.sy
    this.surfX = NaN
    if (yv !== this.rowY) {
      // the ray origin's terms that depend on y alone, kept while a row is traced
      const vy = yv - this.hcy
      const vz = -this.hcz
      this.rowY = yv
      this.rowVy2 = vy * vy
      this.rowOx = this.m10 * vy + this.m20 * vz
      this.rowOy = this.m11 * vy + this.m21 * vz
      this.rowOz = this.m12 * vy + this.m22 * vz
      const dyl = yv - this.earLcy
      const dyr = yv - this.earRcy
      this.rowEars = (dyl * dyl > this.earBoundR2 ? 0 : 1 << W_EAR_L) | (dyr * dyr > this.earBoundR2 ? 0 : 1 << W_EAR_R)
    }
    const vx = xv - this.hcx
    const ox = this.m00 * vx + this.rowOx
    const oy = this.m01 * vx + this.rowOy
    const oz = this.m02 * vx + this.rowOz
    const ray = this.ray
    ray[0] = ox
    ray[1] = oy
    ray[2] = oz
    const dx = this.dx
    const dy = this.dy
    const dz = this.dz
    const r2 = vx * vx + this.rowVy2
    let best = Infinity
    let what = W_NONE

    const mask = this.traceMask
    const head = this.head
    const hair = this.hair
    // (on rowSpan()'s row: only within the head's and the hair's stretch of it; where the head
    // cannot be hit, the hair is found as the hair-first test below would find it)
    const spanRow = yv === this.spanRowY
    const hairTested = hair !== null && (mask & TRACE_HAIR) !== 0 && r2 < this.hairBound2 && (!spanRow || (xv >= this.hairRowL && xv <= this.hairRowR))
    let headHit = false
    let hairFirst = false
    if ((mask & (1 << W_HEAD)) !== 0 && r2 < this.headBound2 && (!spanRow || (xv >= this.headRowL && xv <= this.headRowR)) && head.prepare()) {
      // Where the previous point traced showed hair, try the hair first: present hair in front
      // of the head's bounding ellipsoid hides the head, whose intersection is then skipped.
      // (Same result either way; only the work differs.)
      if (this.what === W_HAIR && hairTested && hair.prepare() && hair.solve(false) && hair.t < head.tb && this.hairPresentAt(hair)) {
        hairFirst = true
        best = hair.t
        what = W_HAIR
        this.qx = hair.px
        this.qy = hair.py
        this.qz = hair.pz
        this.hk = hair.k
        this.hkd = hair.kd
        this.hInner = false
      } else if (head.solve(false)) {
        headHit = true
        best = head.t
        what = W_HEAD
      }
    }
    // hair: front wall where hair is present, else the inner back wall
    if (!hairFirst && hairTested && hair.prepare() && this.hairWithinLength(hair) && !(headHit && this.deepInWindow())) {
      if (hair.solve(false)) {
        if (hair.t < best && this.hairPresentAt(hair)) {
          best = hair.t
          what = W_HAIR
        } else if (!headHit && hair.solve(true) && hair.t < best && this.hairPresentAt(hair)) {
          best = hair.t
          what = W_HAIR_IN
        }
        if (what === W_HAIR || what === W_HAIR_IN) {
          this.qx = hair.px
          this.qy = hair.py
          this.qz = hair.pz
          this.hk = hair.k
          this.hkd = hair.kd
          this.hInner = what === W_HAIR_IN
        }
      }
    }
    // ears
    // (either ear's bit in the mask tests both, as a sub-sample may catch the other ear)
    const ears = (mask & TRACE_EARS) !== 0 ? this.rowEars : 0
    for (let side = -1; side <= 1; side += 2) {
      if ((ears & (side < 0 ? 1 << W_EAR_L : 1 << W_EAR_R)) === 0) continue
      const ecx = side < 0 ? this.earLcx : this.earRcx
      const ecy = side < 0 ? this.earLcy : this.earRcy
      const ddx = xv - ecx
      const ddy = yv - ecy
      if (ddx * ddx + ddy * ddy > this.earBoundR2) continue
      // plane through the root (side·earAx, earY, earAz), normal (side·cos, 0, sin)
      const nx = side * this.earCos
      const nz = this.earSin
      const den = dx * nx + dz * nz
      if (den > -1e-6 && den < 1e-6) continue
      const t = ((side * this.earAx - ox) * nx + (this.earAz - oz) * nz) / den
      if (t >= best) continue
      const px = ox + t * dx - side * this.earAx
      const py = oy + t * dy - this.earY
      const pz = oz + t * dz - this.earAz
      // in-plane: s along (side·sin, 0, −cos) outwards-back, w along y
      const s = px * side * this.earSin - pz * this.earCos
      const wv = py
      this.earQs = s
      this.earQw = wv
      this.earShape()
      if (this.earQ > 1) continue
      best = t
      what = side < 0 ? W_EAR_L : W_EAR_R
      this.earHitS = s
      this.earHitW = wv
    }
    // neck (vertical cylinder in camera space)
    if (yv > this.neckTop && (mask & (1 << W_NECK)) !== 0) {
      const nu = (xv - this.neckX) / this.neckRx
      if (nu > -1 && nu < 1) {
        const zc = this.neckZ + this.neckRz * Math.sqrt(1 - nu * nu)
        if (-zc < best) {
          best = -zc
          what = W_NECK
        }
      }
    }
    // shoulders
    if (yv > this.shoulderY && (mask & (1 << W_CLOTH)) !== 0) {
      const ax = Math.abs(xv - this.neckX)
      this.shAx = ax
      this.shoulderLine()
      if (yv > this.shY) {
        const zc = this.neckZ + 0.25 + 0.1 * (1 - ax)
        if (-zc < best) {
          best = -zc
          what = W_CLOTH
        }
      }
    }
    // glasses frame
    let lensT = Infinity
    if (this.glasses && r2 < this.glassesBound2) {
      const t = (this.gz - oz) / dz
      const px = ox + t * dx
      const py = oy + t * dy
      this.gqx = px
      this.gqy = py
      const f = this.frameTest()
      if (f === 2 && t < best) {
        best = t
        what = W_FRAME
      } else if (f === 1) {
        lensT = t
        this.lensU = Math.abs(px) - this.gx
        this.lensV = py - this.gy
      }
      for (let side = -1; side <= 1; side += 2) {
        const bb = side < 0 ? this.templeBoxL : this.templeBoxR
        if (xv < bb[0] || xv > bb[1] || yv < bb[2] || yv > bb[3]) continue
        this.templeHit(side)
        if (this.tTemple < best) {
          best = this.tTemple
          what = W_FRAME
        }
      }
    }

    this.hitT = best
    this.what = what
    this.lensT = lensT
  }

  /**
   * Top of the shoulders (camera y) at the horizontal distance shAx from the neck's axis, into
   * shY (fields: double arguments would be boxed). It never falls as shAx grows.
   */
  private shoulderLine(): void {
    const ax = this.shAx
    // smoothstep(0.35, 1.5, ax) written out
    const st = (ax - 0.35) / (1.5 - 0.35)
    const ss = st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)
    this.shY = this.shoulderY + 0.45 * ss + (ax > 1.45 ? 2 * (ax - 1.45) * (ax - 1.45) : 0)
  }
  private shAx = 0.5
  private shY = 0.5

  /** Shade the last trace(): the output fields; returns the part id. */
  shade(): number {
    const what = this.what
    let part: number
    switch (what) {
      case W_HEAD:
        part = this.shadeHead()
        break
      case W_HAIR:
      case W_HAIR_IN:
        part = this.shadeHair()
        break
      case W_EAR_L:
      case W_EAR_R:
        this.earSide = what === W_EAR_L ? -1 : 1
        part = this.shadeEar()
        break
      case W_NECK:
        part = this.shadeNeck()
        break
      case W_CLOTH:
        part = this.shadeCloth()
        break
      case W_FRAME:
        part = this.shadeFrame()
        break
      default:
        part = this.shadeBackground()
    }
    if (this.lensT < this.hitT) this.applyLens()
    return part
  }

  // ---------------- hair presence ----------------
  /**
   * Conservative shortcut: true when the head hit lies so deep inside the face window that
   * wherever the ray crosses the hair shell in front of it, that point is in the window too
   * (so the shell holds no hair there and need not be intersected). Exact, not a heuristic:
   * the shell point is at most (t_head − t_bound)·|d_xy| away in x and y.
   */
  private deepInWindow(): boolean {
    const hc = this.hc as HairConfig
    const head = this.head
    if (head.pz <= 0) return false
    // the bounding entry of the hair shell, from hair.prepare() (which hit it)
    const tb = (this.hair as Star).tb
    const delta = (head.t - tb) * this.vxy + 1e-6
    const X = head.px * this.iA
    const Y = head.py * this.iB
    const dX = delta * this.iA
    const ax = X < 0 ? -X : X
    if (hc.sideX < 2 && ax + dX >= hc.sideX - 0.03) return false
    this.hlX = X
    this.hairline()
    return Y - delta * this.iB > this.hlY + this.hlSlope * dX
  }

  /**
   * Can the prepared ray meet hair at all? Not where all of it that lies inside the shell's
   * bounding ellipsoid is lower than the longest hair reaches (hairPresentAt's length test,
   * with its jagged ends): a cheap exact cull below short hair (neck, shoulders, background).
   */
  private hairWithinLength(hair: Star): boolean {
    hair.lowestY()
    return hair.yMin * this.iB < this.hairMaxLen
  }

  /** Hairline (normalised Y of the face window's top edge) at hlX into hlY, from a per-person table. */
  private hairline(): void {
    let u = (this.hlX + HL_RANGE) * HL_SCALE
    if (u < 0) u = 0
    else if (u > HL_N - 1.001) u = HL_N - 1.001
    const i = u | 0
    const t = this.hlTab
    this.hlY = t[i] + (t[i + 1] - t[i]) * (u - i)
  }
  // hairline()'s X in, Y out (fields: a double argument or result would be boxed where V8
  // does not inline the call)
  private hlX = 0
  private hlY = 0

  /**
   * The hairline (normalised Y of the face window's top edge) at X = i / HL_SCALE − HL_RANGE
   * into tab[i]. One loop, not a call per entry: a call V8 does not inline boxes its double
   * argument and result (measured: 2 heap numbers per entry).
   */
  private hairlineTable(tab: Float64Array): void {
    const hc = this.hc as HairConfig
    const xp = this.hairPartX / this.A
    const big = this.hairPartX > 0 ? -1 : 1
    // receding temples (M shape) for high hairlines
    const rec = this.hcRecede()
    const seed = this.seed
    for (let i = 0; i < HL_N; i++) {
      const X = i / HL_SCALE - HL_RANGE
      const ax = Math.abs(X)
      let h = hc.hl0 + hc.hlCurve * X * X
      if (hc.sideX < 2) {
        const top = hc.hl0 + hc.hlCurve * hc.sideX * hc.sideX
        h += (Math.min(hc.sideburnY, 0.9) - top) * smoothstep(hc.sideX - 0.32, hc.sideX + 0.06, ax)
      } else {
        const top = hc.hl0 + hc.hlCurve * 0.8
        h += (hc.sideburnY - top) * smoothstep(0.6, 0.97, ax)
      }
      if (hc.sweep > 0) h += hc.sweep * smoothstep(0.02, 0.45, (X - xp) * big) * (1 - 0.6 * smoothstep(0.3, 0.8, ax))
      if (rec > 0) {
        const q = (ax - 0.45) / 0.32
        const q2 = q * q
        if (q2 < 1) h -= rec * 0.14 * (1 - q2) * (1 - q2) * (1 - q2)
      }
      // parting: a small notch
      const pq = (X - xp) / 0.12
      const pq2 = pq * pq
      if (pq2 < 1) h -= 0.045 * (1 - pq2) * (1 - pq2)
      if (hc.fringeJag > 0) h += hc.fringeJag * (vnoise1(X * 14, seed ^ 0x77) - 0.5) + 0.5 * hc.fringeJag * (vnoise1(X * 37, seed ^ 0x78) - 0.5)
      tab[i] = h
    }
  }

  private hcRecede(): number {
    const hc = this.hc as HairConfig
    return Math.max(0, (-hc.hl0 - 0.56) / 0.17 - 0.55) * 2
  }

  /** Is there hair at the shell's last hit point? */
  private hairPresentAt(shell: Star): boolean {
    const hc = this.hc as HairConfig
    const Y = shell.py * this.iB
    if (Y >= this.hairMaxLen) return false // below the longest hair (the length test at the end)
    const X = shell.px * this.iA
    const Z = (shell.pz + shell.cz) * this.iC
    // (noise through noise1(): on these rarely taken paths a vnoise1() call would box)
    if (hc.topCut > -2) {
      this.nzx = X * 7 + Z * 7
      this.noise1(this.seed ^ 0x9b)
      if (Y < hc.topCut + 0.04 * (this.nzv - 0.5)) return false
    }
    // the face window: only below the hairline's highest point (Y > hlY needs Y > hlMin)
    if (Z > 0 && Y > this.hlMin) {
      let sx = hc.sideX
      if (sx < 2) {
        this.nzx = Y * 11 + (X > 0 ? 50 : 0)
        this.noise1(this.seed ^ 0x9a)
        const st = (Y - 0.15) / (1.3 - 0.15) // smoothstep(0.15, 1.3, Y), written out
        sx += hc.sideFlare * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)) + 0.05 * (this.nzv - 0.5)
      }
      if (Math.abs(X) < sx) {
        this.hlX = X
        this.hairline()
        if (Y > this.hlY) return false
      }
    }
    // above the shortest hair the length test below holds in every direction
    if (Y < this.hairMinLen) return true
    const rr = X * X + Z * Z
    const c = rr > 1e-9 ? Z / Math.sqrt(rr) : 0
    let len: number
    if (c >= 0.5) len = hc.lenFrontSide + (hc.lenFront - hc.lenFrontSide) * ((c - 0.5) * 2)
    else if (c >= 0) len = hc.lenSide + (hc.lenFrontSide - hc.lenSide) * (c * 2)
    else len = hc.lenSide + (hc.lenBack - hc.lenSide) * -c
    if (hc.jag > 0) {
      this.nzx = X * 9 + Z * 5 + 20
      this.noise1(this.seed ^ 0x99)
      len += hc.jag * (this.nzv - 0.5) * 2
    }
    return Y < len
  }

  // ---------------- ear shape: ≤ 1 inside ----------------
  // in-plane point (earQs, earQw) in, shape value earQ out (fields: no boxed doubles)
  private earQs = 0
  private earQw = 0
  private earQ = 0

  private earShape(): void {
    const s = this.earQs
    const w = this.earQw
    const W = this.earW
    const H = this.earH
    if (s < -0.02) {
      this.earQ = 2
      return
    }
    const v = (w + H * 0.08) / H
    const lobe = smoothstep(0.15, 1.0, v)
    const rs = W * 0.5 * (1 - 0.45 * lobe)
    const cs = W * 0.5 * (1 - 0.25 * lobe)
    const a = (s - cs) / rs
    this.earQ = a * a + v * v
  }

  // ---------------- glasses ----------------
  /** 0 outside, 1 lens, 2 frame. */
  private frameTest(): number {
    const x = this.gqx
    const y = this.gqy
    const u = Math.abs(x) - this.gx
    const v = y - this.gy
    const sq = this.gsq
    const rt = this.grt
    // outside the rim's box (|u| ≤ gw, |v| ≤ gh) and the bridge's band: nothing (the
    // divisions below are skipped for most of the head)
    const vMax = this.gh + 0.7 * rt
    if (u > this.gw || v > vMax || v < -vMax) return 0
    let a = u / this.gw
    let b = v / this.gh
    let a2 = a * a
    let b2 = b * b
    const outer = (1 - sq) * (a2 + b2) + sq * (a2 * a2 + b2 * b2)
    if (outer <= 1) {
      a = u / (this.gw - rt)
      b = v / (this.gh - rt)
      a2 = a * a
      b2 = b * b
      const inner = (1 - sq) * (a2 + b2) + sq * (a2 * a2 + b2 * b2)
      return inner <= 1 ? 1 : 2
    }
    // bridge
    if (Math.abs(x) < this.gx - this.gw + rt && Math.abs(v + this.gh * 0.35) < rt * 0.7) return 2
    return 0
  }

  /** Ray against one temple bar (a thin capsule); parameter into tTemple, Infinity on a miss. */
  private templeHit(side: number): void {
    const ox = this.ray[0]
    const oy = this.ray[1]
    const oz = this.ray[2]
    const dx = this.dx
    const dy = this.dy
    const dz = this.dz
    const s0x = side * this.templeX0
    const s0y = this.templeY0
    const s0z = this.gz
    const ex = side * this.templeX1 - s0x
    const ey = this.templeY1 - s0y
    const ez = this.templeZ1 - s0z
    const w0x = ox - s0x
    const w0y = oy - s0y
    const w0z = oz - s0z
    const b = dx * ex + dy * ey + dz * ez
    const c = ex * ex + ey * ey + ez * ez
    const d = dx * w0x + dy * w0y + dz * w0z
    const e = ex * w0x + ey * w0y + ez * w0z
    const den = c - b * b
    this.tTemple = Infinity
    if (den < 1e-9) return
    let tc = (e - b * d) / den
    if (tc < 0) tc = 0
    else if (tc > 1) tc = 1
    const sc = b * tc - d
    const qx = w0x + sc * dx - tc * ex
    const qy = w0y + sc * dy - tc * ey
    const qz = w0z + sc * dz - tc * ez
    const rad = this.grt * 0.6
    if (qx * qx + qy * qy + qz * qz < rad * rad) this.tTemple = sc
  }

  // ---------------- lighting helpers ----------------
  /**
   * Head-frame normal in nrm → unit camera-frame normal, in place (no double arguments: no
   * boxing). A normal that is unit already (unit true) stays unit under the rotation.
   */
  private toView(unit: boolean): void {
    const nrm = this.nrm
    const nx = nrm[0]
    const ny = nrm[1]
    const nz = nrm[2]
    const vx = this.m00 * nx + this.m01 * ny + this.m02 * nz
    const vy = this.m10 * nx + this.m11 * ny + this.m12 * nz
    const vz = this.m20 * nx + this.m21 * ny + this.m22 * nz
    const inv = unit ? 1 : 1 / Math.sqrt(vx * vx + vy * vy + vz * vz)
    nrm[0] = vx * inv
    nrm[1] = vy * inv
    nrm[2] = vz * inv
  }

  /**
   * Light a surface with camera-space normal in nrm: RGB from the directional + sky light,
   * NIR from a frontal illuminator. wrap softens the terminator (subsurface scattering).
   */
  private light(material: number): void {
    const lp = this.lp
    const ar = lp[0]
    const ag = lp[1]
    const ab = lp[2]
    const an = lp[3]
    const mt = this.materials
    const o = material * MATERIAL_STRIDE
    const wrap = mt[o]
    const ks = mt[o + 1]
    const sss = mt[o + 2]
    const nirWrap = mt[o + 3]
    const nirKs = mt[o + 4]
    const shadow = this.shadow
    this.shadow = 1
    const nx = this.nrm[0]
    const ny = this.nrm[1]
    const nz = this.nrm[2]
    const ndl = nx * this.lx + ny * this.ly + nz * this.lz
    let diff = (ndl + wrap) * mt[o + 5] // 1 / (1 + wrap)
    if (diff < 0) diff = 0
    let hard = ndl < 0 ? 0 : ndl
    diff *= shadow
    hard *= shadow
    const hemi = 0.72 - 0.28 * ny + 0.1 * nz
    const I = this.intensity
    let spec = 0
    if (ks > 0 && ndl > 0) {
      let x = nx * this.hx + ny * this.hy + nz * this.hz
      if (x > 0) {
        x *= x
        x *= x
        x *= x
        x *= x
        spec = ks * x * shadow * I
      }
    }
    const sr = sss * (diff - hard)
    const e = this.expo
    this.r = e * (ar * (this.ambR * hemi + I * this.lightR * (diff + 0.6 * sr)) + spec * this.lightR)
    this.g = e * (ag * (this.ambG * hemi + I * this.lightG * (diff - 0.15 * sr)) + spec * this.lightG)
    this.b = e * (ab * (this.ambB * hemi + I * this.lightB * (diff - 0.25 * sr)) + spec * this.lightB)
    let dn = (nz + nirWrap) * mt[o + 6] // 1 / (1 + nirWrap)
    if (dn < 0) dn = 0
    let ns = 0
    if (nirKs > 0 && nz > 0.8) {
      let x = nz
      x *= x
      x *= x
      x *= x
      x *= x
      x *= x
      ns = nirKs * x
    }
    this.nir = an * (0.12 + 0.9 * dn) + ns
  }

  // ---------------- background ----------------
  // shadeBackground()'s per-row cache: the y it holds (NaN: none), the gradient position there
  // and the gradient's colour
  private bgRowY = NaN
  private bgTy = 0.5
  private bgR = 0.5
  private bgG = 0.5
  private bgB = 0.5

  private shadeBackground(): number {
    const xv = this.sx
    const yv = this.sy
    const v = this.view
    if (yv !== this.bgRowY) {
      // the vertical gradient, kept while a row is shaded
      const ty = clamp01((yv - v.cy) / (2 * v.half) + 0.5)
      this.bgRowY = yv
      this.bgTy = ty
      // (lerp() written out: V8 does not inline calls on this once-a-row path, and boxes
      // their double arguments and results)
      const top = this.bgTop
      const bottom = this.bgBottom
      this.bgR = top[0] + (bottom[0] - top[0]) * ty
      this.bgG = top[1] + (bottom[1] - top[1]) * ty
      this.bgB = top[2] + (bottom[2] - top[2]) * ty
    }
    const ty = this.bgTy
    const tx = (xv - v.cx) / v.half
    const lit = 1 + 0.12 * this.lx * tx
    this.r = this.bgR * lit
    this.g = this.bgG * lit
    this.b = this.bgB * lit
    const rr = (xv * xv + yv * yv) / 4
    this.nir = 0.012 + 0.02 * (1 - ty) - 0.006 * rr
    this.fill = 1
    this.edge = 1
    this.depth = -Infinity
    return PART.BACKGROUND
  }

  // ---------------- relief ----------------
  private reliefH = 0
  private reliefX = 0
  private reliefY = 0

  /** Relief height and gradient at (nqx, nqy) into reliefH/X/Y. */
  private relief(): void {
    const x = this.nqx
    const y = this.nqy
    const bm = this.bumps
    let h = 0
    let gx = 0
    let gy = 0
    const grid = this.bumpGrid
    const cx = Math.floor((x - grid[0]) * grid[2])
    const cy = Math.floor((y - grid[1]) * grid[3])
    // only the bumps whose boxes reach this grid cell, in index order (same sums as all of them)
    let m = cx >= 0 && cx < RELIEF_GRID && cy >= 0 && cy < RELIEF_GRID ? this.bumpCells[cy * RELIEF_GRID + cx] : 0
    while (m !== 0) {
      const i = 31 - Math.clz32(m & -m)
      m &= m - 1
      const o = i * 9
      if (x < bm[o + 5] || x > bm[o + 6] || y < bm[o + 7] || y > bm[o + 8]) continue
      const ddx = x - bm[o]
      const ddy = y - bm[o + 1]
      const q = ddx * ddx * bm[o + 2] + ddy * ddy * bm[o + 3]
      if (q >= 1) continue
      // (1 − q)³: value, slope and curvature all vanish at the rim, so shading has no seams
      const w = 1 - q
      const amp = bm[o + 4]
      h += amp * w * w * w
      const f = -6 * amp * w * w
      gx += f * ddx * bm[o + 2]
      gy += f * ddy * bm[o + 3]
    }
    this.reliefH = h
    this.reliefX = gx
    this.reliefY = gy
  }

  /** Nose height over the face surface at (nqx, nqy), into nhv (fields, not arguments: no boxing). */
  private noseHeight(): void {
    const x = this.nqx
    const y = this.nqy
    const ax = x < 0 ? -x : x
    let h = 0
    const span = this.noseTip - this.noseTop
    const u = (y - this.noseTop) / span
    if (u > -0.35 && u < 1.2) {
      const uc = u < 0 ? 0 : u > 1 ? 1 : u
      const w = (this.bridgeW + (this.tipR * 1.05 - this.bridgeW) * uc) * 1.2
      const t2 = (ax * ax) / (w * w)
      if (t2 < 1) {
        let hc = this.bridgeH + (this.noseH * 0.86 - this.bridgeH) * uc * Math.sqrt(uc)
        // smoothstep(−0.35, 0, u) and 1 − smoothstep(1, 1.2, u), written out (no boxing)
        if (u < 0) {
          const st = (u + 0.35) / 0.35
          hc *= st <= 0 ? 0 : st * st * (3 - 2 * st)
        } else if (u > 1) {
          const st = (u - 1) / (1.2 - 1)
          hc *= 1 - (st >= 1 ? 1 : st * st * (3 - 2 * st))
        }
        const q = 1 - t2
        h = hc * q * (0.5 + 0.5 * q)
      }
    }
    const ty = y - this.noseTip
    const tr2 = (ax * ax + ty * ty * 1.15) / (this.tipR * this.tipR)
    if (tr2 < 1) {
      const q = 1 - tr2
      const th = this.noseH * q * (1.6 - 0.6 * q)
      if (th > h) h = th
    }
    const adx = ax - this.alaX
    const ady = y - this.alaY
    const ar2 = (adx * adx + ady * ady * 1.3) / (this.alaR * this.alaR)
    if (ar2 < 1) {
      const q = 1 - ar2
      const ah = this.alaH * q * (1.5 - 0.5 * q)
      if (ah > h) h = ah
    }
    this.nhv = h
  }

  // ---------------- head (skin and painted features) ----------------
  // results of noseMarch(): the face point seen (shifted by the nose), its nose height, the
  // depth shift and whether the march found the nose
  private mfx = 0
  private mfy = 0
  private mnh = 0
  private mShift = 0
  private mFound = false

  /**
   * Nose: a parallax march from the head hit (head.px/py, its normal in nrm) so the nose
   * stands out of the surface under yaw; results in mfx, mfy, mnh, mShift, mFound. When
   * normalReady is false the normal is computed here, only where the march may be needed.
   */
  private noseMarch(normalReady: boolean): void {
    let fx = this.head.px
    let fy = this.head.py
    let nh = 0
    let shift = 0
    let found = false
    // Most of the face is beyond the farthest the march can reach (shiftMax below is at most
    // noseReach: gpar > 0.2, and division and product round monotonically): nothing to do
    // there, not even the two divisions.
    const reach = this.noseReach
    if (!(Math.abs(fx) < this.noseX0 + reach && fy > this.noseY0 - reach && fy < this.noseY1 + reach)) {
      this.mfx = fx
      this.mfy = fy
      this.mnh = 0
      this.mShift = 0
      this.mFound = false
      return
    }
    const nrm = this.nrm
    if (!normalReady) this.head.normal(nrm)
    const nbx = nrm[0]
    const nby = nrm[1]
    const nbz = nrm[2]
    const vX = -this.dx
    const vY = -this.dy
    const vZ = -this.dz
    const ndv = vX * nbx + vY * nby + vZ * nbz
    const gpar = nbz > 0.2 ? ndv / nbz : 1
    const shiftMax = gpar > 0.2 ? (this.noseH / gpar) * this.vxy : 0
    this.nearX = fx
    this.nearY = fy
    this.nearGpar = gpar
    if (Math.abs(fx) < this.noseX0 + shiftMax && fy > this.noseY0 - shiftMax && fy < this.noseY1 + shiftMax && gpar > 0.2 && this.nearNose()) {
      const sMax = (this.noseH * 1.02) / gpar
      const N = 6
      let prevS = sMax
      let prevD = -1
      for (let i = 0; i <= N; i++) {
        const s = sMax * (1 - i / N)
        this.nqx = fx + s * vX
        this.nqy = fy + s * vY
        this.noseHeight()
        const h = this.nhv
        const d = h - s * gpar
        if (d >= 0) {
          let sh = s
          if (i > 0) {
            const f = prevD / (prevD - d)
            sh = prevS + (s - prevS) * f
          }
          fx += sh * vX
          fy += sh * vY
          this.nqx = fx
          this.nqy = fy
          this.noseHeight()
          nh = this.nhv
          shift = sh
          found = true
          break
        }
        prevS = s
        prevD = d
      }
    }
    this.mfx = fx
    this.mfy = fy
    this.mnh = nh
    this.mShift = shift
    this.mFound = found
  }

  // nearNose()'s inputs (fields: double arguments would be boxed)
  private nearX = 0
  private nearY = 0
  private nearGpar = 0.5

  /**
   * Can the march from (nearX, nearY) meet the nose? Its samples lie within (noseH·1.02 / gpar)·vxy
   * of that point; false when that disc misses the boxes of the bridge, the tip and both alae,
   * where noseHeight() is 0 (the march would end where it started, with height 0: nothing to do).
   */
  private nearNose(): boolean {
    const fx = this.nearX
    const fy = this.nearY
    const reach = ((this.noseH * 1.02) / this.nearGpar) * this.vxy + 1e-9
    const ax = fx < 0 ? -fx : fx
    const axMin = ax - reach
    const yMin = fy - reach
    const yMax = fy + reach
    const span = this.noseTip - this.noseTop
    if (axMin < this.noseWMax && yMax > this.noseTop - 0.35 * span && yMin < this.noseTop + 1.2 * span) return true
    if (axMin < this.tipR && yMax > this.noseTip - this.tipR && yMin < this.noseTip + this.tipR) return true
    return axMin < this.alaX + this.alaR && ax + reach > this.alaX - this.alaR && yMax > this.alaY - this.alaR && yMin < this.alaY + this.alaR
  }

  /**
   * Part id of the last head hit without shading: the same outlines as shadeHead() (eye
   * opening, iris and pupil, brows, nose and nostrils, lips, teeth and mouth).
   */
  private classifyHead(): number {
    if (this.head.pz <= 0.05) return PART.SKIN
    this.noseMarch(false)
    return this.classifyFeatures()
  }

  /**
   * Part id of the face point (surfX, surfY) with nose height surfNose, as shadeHead() left
   * them for a pixel centre, or interpolated between centres: the antialiasing pass's
   * sub-samples between painted features (whose outlines are smooth on the face) need no
   * ray of their own.
   */
  classifySurface(fx: number, fy: number, nh: number): number {
    this.mfx = fx
    this.mfy = fy
    this.mnh = nh
    return this.classifyFeatures()
  }

  /** classifyHead() after the nose march: the feature outlines at (mfx, mfy), nose height mnh. */
  private classifyFeatures(): number {
    const fx = this.mfx
    const fy = this.mfy
    const ax = fx < 0 ? -fx : fx
    // eyes
    const ey = fy - this.eyeY
    const lxe = ax - this.ecx
    const ew = this.ew
    if (lxe > -ew * 1.5 && lxe < ew * 1.6 && ey > -0.24 && ey < ew * 1.1) {
      const s = lxe / ew
      const as = s < 0 ? -s : s
      if (as < 1) {
        const ly = ey + this.eTilt * lxe
        const w1 = 1 - s * s
        const shape = w1 * (1 - this.eRound) + Math.sqrt(w1) * this.eRound
        const up = -this.eUp * shape * (1 - 0.18 * s)
        const lo = this.eLo * shape * (1 + 0.22 * s)
        if (ly > up && ly < lo) {
          const side = fx < 0 ? -1 : 1
          const ddx = lxe - this.gazeDx * side
          const ddy = ly - this.gazeDy
          const d2 = ddx * ddx + ddy * ddy
          const ir = this.irisR
          if (d2 < ir * ir) return Math.sqrt(d2) < this.pupilR ? PART.PUPIL : PART.IRIS
          return PART.SCLERA
        }
      }
    }
    // brows (only within browReach of browY: no division for the rest of the face)
    if (fy > this.browY - this.browReach && fy < this.browY + this.browReach) {
      const span = this.browOut - this.browIn
      const u = (ax - this.browIn) / span
      if (u > -0.06 && u < 1.04) {
        const pk = 0.6
        const a = u < pk ? 1 - ((pk - u) / pk) * ((pk - u) / pk) : 1 - ((u - pk) / (1 - pk)) * ((u - pk) / (1 - pk))
        const iu = 1 - u
        const yc = this.browY - this.browArch * a - this.browTilt * u - this.browInner * iu * iu
        let half = this.browThick * 0.5 * (1.15 - 0.6 * u)
        if (u < 0.08) half *= Math.sqrt(Math.max(0, (u + 0.06) / 0.14))
        else if (u > 0.82) half *= Math.sqrt(Math.max(0, (1.04 - u) / 0.22))
        const dyb = fy - yc
        if (dyb > -half && dyb < half && half > 0) return PART.BROW
      }
    }
    // nose and nostrils
    if (this.mnh > 0.017) {
      const ndx = ax - this.alaX * 0.62
      const ndy = fy - (this.noseTip + this.tipR * 0.62) + 0.25 * ndx
      const q = (ndx * ndx) / (0.034 * 0.034) + (ndy * ndy) / (0.015 * 0.015)
      return q < 1 ? PART.NOSTRIL : PART.NOSE
    }
    // mouth
    const mw = this.mw
    if (ax < mw * 1.12 && fy > this.mouthY - 0.12 && fy < this.mouthY + this.openH + 0.14) {
      const s = fx / mw
      const as = s < 0 ? -s : s
      if (as < 1) {
        const w1 = 1 - s * s
        const sw = Math.sqrt(w1)
        const line = this.mouthY - 0.055 * this.smile * s * s + 0.008 * w1
        const gap = this.openH * sw * (0.55 + 0.45 * w1)
        const yUi = line - gap * 0.3
        const yLi = line + gap * 0.7
        const notch = as < 0.17 ? 1 - (s / 0.17) * (s / 0.17) : 0
        const bow = (0.45 * w1 + 0.55 * sw) * (1 - 0.3 * notch)
        const yUo = yUi - this.uT * bow
        const yLo = yLi + this.lT * sw * (0.75 + 0.25 * w1)
        if (fy >= yUo && fy < yLo) {
          if (fy < yUi) return PART.LIP_UPPER
          if (fy >= yLi) return PART.LIP_LOWER
          const tt = (fy - yUi) / Math.max(1e-6, yLi - yUi)
          const teethH = Math.min(0.5, 0.055 / Math.max(gap, 1e-6))
          return tt < teethH && as < 0.82 ? PART.TEETH : PART.MOUTH
        }
      }
    }
    return PART.SKIN
  }

  private shadeHead(): number {
    const head = this.head
    const t = this.hitT
    const nrm = this.nrm
    head.normal(nrm)
    const nbx = nrm[0]
    const nby = nrm[1]
    const nbz = nrm[2]
    let fx = head.px
    let fy = head.py
    const fz = head.pz
    let depth = -t
    const skin = this.skin
    let ar = skin[0]
    let ag = skin[1]
    let ab = skin[2]
    let an = this.skinNir
    let part: number = PART.SKIN
    let fill = 1
    let edge = 0.55
    let gx = 0
    let gy = 0
    let occl = 1
    if (fz <= 0.05) {
      // back or far side of the head: plain skin
      this.toView(true)
      {
        const lp = this.lp
        lp[0] = ar
        lp[1] = ag
        lp[2] = ab
        lp[3] = an
      }
      this.light(MAT.HEAD_BACK)
      this.fill = 1
      this.edge = edge
      this.depth = depth
      return PART.SKIN
    }
    // nose: parallax march so the nose stands out of the surface under yaw
    this.noseMarch(true)
    fx = this.mfx
    fy = this.mfy
    const nh = this.mnh
    this.surfX = fx
    this.surfY = fy
    this.surfNose = nh
    depth += this.mShift
    if (this.mFound && nh > 0) {
      const e = 0.005
      this.nqx = fx + e
      this.nqy = fy
      this.noseHeight()
      gx += (this.nhv - nh) / e
      this.nqx = fx
      this.nqy = fy + e
      this.noseHeight()
      gy += (this.nhv - nh) / e
    }
    this.nqx = fx
    this.nqy = fy
    this.relief()
    gx += this.reliefX
    gy += this.reliefY
    depth += this.reliefH * this.m22

    const ax = fx < 0 ? -fx : fx
    const side = fx < 0 ? -1 : 1
    // skin texture
    const tex = this.skinTex
    const n1 = vnoise2(fx * 30, fy * 30, this.seed)
    const n2 = vnoise2(fx * 7, fy * 7, this.seed ^ 0x1234)
    const tmul = 1 + tex * (0.07 * (n1 - 0.5) + 0.18 * (n2 - 0.5))
    ar *= tmul
    ag *= tmul * (1 - 0.02 * tex * (n2 - 0.5))
    ab *= tmul
    an *= 1 + tex * 0.06 * (n2 - 0.5)
    // cheeks: rosiness and blush
    {
      const cdx = ax - 0.44
      const cdy = fy - 0.36
      const q = (cdx * cdx) / 0.06 + (cdy * cdy) / 0.035
      if (q < 1) {
        const wv = (1 - q) * (1 - q) * (0.1 * this.rosiness + 0.12 * this.makeup)
        ag *= 1 - wv
        ab *= 1 - 0.8 * wv
      }
    }
    // shaved beard shadow on the lower face
    if (this.beard > 0) {
      const st = (fy + 0.25 * Math.max(0, ax - 0.35) - (this.subnasale - 0.04)) / (this.subnasale + 0.06 - (this.subnasale - 0.04))
      const wv = (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)) * this.beard * 0.55 // smoothstep, written out
      if (wv > 0) {
        this.nzx = fx * 60
        this.nzy = fy * 60
        this.noise2(this.seed ^ 0x3131)
        const nb = 0.8 + 0.4 * this.nzv
        const d = wv * nb
        ar *= 1 - 0.34 * d
        ag *= 1 - 0.3 * d
        ab *= 1 - 0.2 * d
        an *= 1 - 0.12 * d
        fill -= 0.06 * d
      }
    }
    // forehead under the hair: contact shadow
    if (this.hc !== null && !this.hc.buzz) {
      const X = fx * this.iA
      this.hlX = X
      this.hairline()
      const q = (fy * this.iB - this.hlY) * (1 / 0.07)
      // only under the top of the hairline, not along its descent at the temples
      const ax = X < 0 ? -X : X
      // (smoothsteps written out: calls here would box their double arguments)
      const sideX = this.hc.sideX
      let st = sideX < 2 ? (ax - (sideX - 0.38)) / (sideX - 0.12 - (sideX - 0.38)) : (ax - 0.5) / (0.78 - 0.5)
      const top = 1 - (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st))
      let sh = top > 0 && q > -2.5 && q < 2.5 ? 0.32 * top * gauss(q) : 0
      if (sideX < 2) {
        st = (ax - (sideX - 0.08)) / (sideX + 0.04 - (sideX - 0.08))
        sh = Math.max(sh, 0.25 * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)))
      }
      occl *= 1 - sh
    }

    // ---- eyes ----
    const ey = fy - this.eyeY
    const lxe = ax - this.ecx
    const ew = this.ew
    if (lxe > -ew * 1.5 && lxe < ew * 1.6 && ey > -0.24 && ey < ew * 1.1) {
      const s = lxe / ew
      const as = s < 0 ? -s : s
      const ly = ey + this.eTilt * lxe
      let up = 0
      let lo = 0
      let shape = 0
      if (as < 1) {
        const w1 = 1 - s * s
        shape = w1 * (1 - this.eRound) + Math.sqrt(w1) * this.eRound
        up = -this.eUp * shape * (1 - 0.18 * s)
        lo = this.eLo * shape * (1 + 0.22 * s)
        if (ly > up && ly < lo) {
          this.eLxe = lxe
          this.eLy = ly
          this.eS = s
          this.eUpper = up
          this.eDepth = depth
          return this.shadeEye(side)
        }
      }
      // lids: lash lines, crease, shadows; every term fades out continuously
      const taper = as < 1 ? 1 : as < 1.3 ? 1 - (as - 1) / 0.3 : 0
      if (taper > 0) {
        const du = up - ly
        if (du > 0) {
          const wl = ew * (0.045 + 0.035 * Math.max(0, s)) * (1 + 0.6 * this.makeup)
          this.lineD = du
          this.lineW = wl
          this.line()
          const d = this.lineV * taper
          const dark = d * (0.82 + 0.1 * this.makeup)
          ar *= 1 - dark
          ag *= 1 - dark
          ab *= 1 - dark
          an *= 1 - 0.8 * d
          fill -= 0.75 * d
          // crease above the lid
          const cg = ew * (0.2 + 0.12 * this.crease) + this.eUp * 0.15
          const dc = Math.abs(du - cg * (0.3 + 0.7 * shape))
          this.lineD = dc
          this.lineW = ew * 0.05
          this.line()
          const c = this.lineV * (0.1 + 0.3 * this.crease) * shape
          ar *= 1 - c
          ag *= 1 - c
          ab *= 1 - c * 0.9
          an *= 1 - 0.5 * c
          fill -= 0.35 * c
          // eyeshadow (RGB only)
          if (this.makeup > 0) {
            const m = this.makeup * 0.35 * shape * (1 - smoothstep(cg, cg * 1.6, du))
            ar *= 1 - 0.45 * m
            ag *= 1 - 0.55 * m
            ab *= 1 - 0.3 * m
          }
        } else {
          const dl = ly - lo
          this.lineD = dl
          this.lineW = ew * 0.022
          this.line()
          const d = this.lineV * 0.45 * taper
          ar *= 1 - d
          ag *= 1 - d
          ab *= 1 - d
          an *= 1 - 0.6 * d
          fill -= 0.4 * d
          // under-eye shadow
          if (dl < 0.12) occl *= 1 - 0.07 * (1 - dl / 0.12) * taper
        }
      }
      if (as >= 1 && as < 1.3 && s > 0 && this.makeup > 0.4) {
        // eyeliner wing
        const wy = ly + (s - 1) * ew * 0.35
        this.lineD = Math.abs(wy + ew * 0.02)
        this.lineW = ew * 0.03
        this.line()
        const d = this.lineV * (this.makeup - 0.4) * (1 - (as - 1) / 0.3)
        ar *= 1 - d
        ag *= 1 - d
        ab *= 1 - d
      }
      // socket shadow near the inner corner
      const ic = (lxe + ew * 1.05) / (ew * 0.5)
      const iy = (ly + 0.02) / 0.08
      const iq = ic * ic + iy * iy
      if (iq < 1) occl *= 1 - 0.12 * (1 - iq) * (1 - iq)
    }

    // ---- brows ---- (only within browReach of browY: no division for the rest of the face)
    if (fy > this.browY - this.browReach && fy < this.browY + this.browReach) {
      const span = this.browOut - this.browIn
      const u = (ax - this.browIn) / span
      if (u > -0.06 && u < 1.04) {
        const pk = 0.6
        const a = u < pk ? 1 - ((pk - u) / pk) * ((pk - u) / pk) : 1 - ((u - pk) / (1 - pk)) * ((u - pk) / (1 - pk))
        const iu = 1 - u
        const yc = this.browY - this.browArch * a - this.browTilt * u - this.browInner * iu * iu
        let half = this.browThick * 0.5 * (1.15 - 0.6 * u)
        if (u < 0.08) half *= Math.sqrt(Math.max(0, (u + 0.06) / 0.14))
        else if (u > 0.82) half *= Math.sqrt(Math.max(0, (1.04 - u) / 0.22))
        const dyb = fy - yc
        if (dyb > -half && dyb < half && half > 0) {
          this.nzx = ax * 90 - fy * 40 * (1 - u)
          this.nzy = fy * 22
          this.noise2(this.seed ^ 0x4242)
          const strands = this.nzv
          const dens = (0.55 + 0.45 * strands) * (1 - 0.45 * smoothstep(0.45, 1, Math.abs(dyb) / half)) * (0.8 + 0.2 * (1 - u))
          const bc = this.browCol
          ar += (bc[0] - ar) * dens
          ag += (bc[1] - ag) * dens
          ab += (bc[2] - ab) * dens
          an += (this.browNir - an) * (dens * 0.9)
          part = PART.BROW
          fill = 0.35 + 0.3 * (1 - dens)
          edge = 0.2
        }
      }
    }

    // ---- nose ----
    if (part === PART.SKIN && nh > 0.017) {
      part = PART.NOSE
      // nostrils
      const ndx = ax - this.alaX * 0.62
      const ndy = fy - (this.noseTip + this.tipR * 0.62) + 0.25 * ndx
      const q = (ndx * ndx) / (0.034 * 0.034) + (ndy * ndy) / (0.015 * 0.015)
      if (q < 1) {
        part = PART.NOSTRIL
        const k = 0.55 + 0.45 * q
        ar *= 0.2 * k
        ag *= 0.15 * k
        ab *= 0.15 * k
        an *= 0.25 * k
        fill = 0.3
        edge = 0.25
      }
    } else if (part === PART.SKIN && fy > this.noseTip && fy < this.subnasale + 0.03 && ax < this.alaX + this.alaR) {
      // shadow under the nose
      const st = (fy - this.noseTip) / (this.subnasale + 0.03 - this.noseTip)
      occl *= 0.8 + 0.2 * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)) // smoothstep, written out
    }

    // ---- mouth ----
    const mw = this.mw
    if (part === PART.SKIN && ax < mw * 1.12 && fy > this.mouthY - 0.12 && fy < this.mouthY + this.openH + 0.14) {
      const s = fx / mw
      const as = s < 0 ? -s : s
      if (as < 1) {
        const w1 = 1 - s * s
        const sw = Math.sqrt(w1)
        const line = this.mouthY - 0.055 * this.smile * s * s + 0.008 * w1
        const gap = this.openH * sw * (0.55 + 0.45 * w1)
        const yUi = line - gap * 0.3
        const yLi = line + gap * 0.7
        const notch = as < 0.17 ? 1 - (s / 0.17) * (s / 0.17) : 0
        const bow = (0.45 * w1 + 0.55 * sw) * (1 - 0.3 * notch)
        const yUo = yUi - this.uT * bow
        const yLo = yLi + this.lT * sw * (0.75 + 0.25 * w1)
        if (fy >= yUo && fy < yLo) {
          const lip = this.lip
          if (fy < yUi) {
            part = PART.LIP_UPPER
            const tt = (fy - yUo) / (yUi - yUo)
            gy += 0.9 * (1 - 2 * tt) - 0.5
            ar = lip[0] * tmul
            ag = lip[1] * tmul
            ab = lip[2] * tmul
            an = this.skinNir * 0.93
            fill = 0.8
            edge = 0.32
          } else if (fy >= yLi) {
            part = PART.LIP_LOWER
            const tt = (fy - yLi) / (yLo - yLi)
            gy += 1.1 * (1 - 2 * tt) + 0.3
            ar = lip[0] * tmul
            ag = lip[1] * tmul
            ab = lip[2] * tmul
            an = this.skinNir * 0.95
            fill = 0.85
            edge = 0.4
          } else {
            // open mouth: teeth and interior
            const tt = (fy - yUi) / Math.max(1e-6, yLi - yUi)
            const teethH = Math.min(0.5, 0.055 / Math.max(gap, 1e-6))
            if (tt < teethH && as < 0.82) {
              part = PART.TEETH
              const sh = 1 - 0.55 * as * as
              ar = 0.78 * sh
              ag = 0.75 * sh
              ab = 0.68 * sh
              an = 0.62 * sh
              fill = 0.95
              edge = 0.85
            } else {
              part = PART.MOUTH
              const deep = 0.35 + 0.65 * Math.abs(tt - 0.55)
              const tongue = tt > 0.7 && as < 0.6 ? 1 : 0
              ar = (0.1 + 0.25 * tongue) * deep
              ag = (0.02 + 0.05 * tongue) * deep
              ab = (0.02 + 0.05 * tongue) * deep
              an = (0.06 + 0.15 * tongue) * deep
              fill = 0.25
              edge = 0.0
            }
            gx = 0
            gy = 0
            occl = 1
          }
        } else {
          // corners of the mouth
          if (as > 0.8 && Math.abs(fy - line) < 0.04) {
            this.lineD = Math.abs(fy - line)
            this.lineW = 0.01
            this.line()
            const d = this.lineV * smoothstep(0.8, 1, as) * 0.45
            ar *= 1 - d
            ag *= 1 - d
            ab *= 1 - d
            fill -= 0.4 * d
          }
        }
      } else if (as < 1.12) {
        const line = this.mouthY - 0.055 * this.smile
        this.lineD = Math.abs(fy - line)
        this.lineW = 0.012
        this.line()
        const d = this.lineV * (1.12 - as) * 3 * 0.35
        ar *= 1 - d
        ag *= 1 - d
        ab *= 1 - d
        fill -= 0.3 * d
      }
    }
    // nasolabial folds when smiling
    if (part === PART.SKIN && this.smile > 0.1) {
      const y0 = this.alaY
      const y1 = this.mouthY + 0.08
      const u = (fy - y0) / (y1 - y0)
      if (u > 0 && u < 1) {
        const x0 = this.alaX + this.alaR * 0.7
        const x1 = mw + 0.06
        const xf = x0 + (x1 - x0) * u + 0.12 * u * (1 - u)
        this.lineD = ax - xf
        this.lineW = 0.014
        this.line()
        const d = this.lineV * this.smile * 0.32 * (1 - 0.6 * u)
        ar *= 1 - d
        ag *= 1 - d
        ab *= 1 - 0.8 * d
        an *= 1 - 0.3 * d
        fill -= 0.5 * d
      }
    }

    // ---- light ----
    const nx = nbx - nbz * gx
    const ny = nby - nbz * gy
    nrm[0] = nx
    nrm[1] = ny
    nrm[2] = nbz
    this.toView(false)
    {
      const lp = this.lp
      lp[0] = ar * occl
      lp[1] = ag * occl
      lp[2] = ab * occl
      lp[3] = an * (0.6 + 0.4 * occl)
    }
    this.light(HEAD_MATERIAL[part])
    this.fill = fill
    this.edge = edge
    this.hatch()
    this.depth = depth
    return part
  }

  /** Soft line profile of half-width lineW at distance lineD into lineV, never thinner than a pixel (ink kept). */
  private line(): void {
    const d = this.lineD
    const w = this.lineW
    const wm = this.pix * 0.55
    const we = w > wm ? w : wm
    const amp = w > wm ? 1 : w / wm
    const q = d / we
    this.lineV = q > 2.5 || q < -2.5 ? 0 : amp * gauss(q)
  }
  // line()'s distance and half-width in, ink out (fields: double arguments would be boxed)
  private lineD = 0
  private lineW = 0
  private lineV = 0

  /** Sketch fill with hatching in the shadows (uses this.r/g/b from light()). */
  private hatch(): void {
    const lum = 0.3 * this.r + 0.55 * this.g + 0.15 * this.b
    const shade = clamp01(0.55 - lum * 1.4)
    let f = this.fill
    if (shade > 0) {
      const period = 0.045
      const v = (this.sx + this.sy * 0.6) * (1 / period)
      const st = v - Math.floor(v)
      const stroke = st < 0.5 ? st * 2 : 2 - st * 2
      f -= shade * (0.25 + 0.35 * stroke)
    }
    this.fill = f
  }

  /** Current sample position (for screen-space patterns like hatching). */
  sx = 0
  sy = 0

  // ---------------- eye interior ----------------
  // inputs of shadeEye() (fields: double arguments would be boxed): eye-local point, its
  // position along the opening, the upper lid there and the depth
  private eLxe = 0
  private eLy = 0
  private eS = 0
  private eUpper = 0
  private eDepth = 0

  /** Eye interior (sclera, iris, pupil) at the head hit; nrm holds the head normal. */
  private shadeEye(side: number): number {
    const lxe = this.eLxe
    const ly = this.eLy
    const s = this.eS
    const up = this.eUpper
    const depth = this.eDepth
    const ew = this.ew
    // eyeball normal: a sphere behind the opening
    const eb = ew * 1.25
    const ex = (lxe * side) / eb
    const eyv = ly / eb
    const ez2 = 1 - ex * ex - eyv * eyv
    const ezn = ez2 > 0 ? Math.sqrt(ez2) : 0
    {
      const nrm = this.nrm
      nrm[0] = nrm[0] * 0.4 + ex
      nrm[1] = nrm[1] * 0.4 + eyv
      nrm[2] = nrm[2] * 0.4 + ezn
    }
    this.toView(false)
    // iris centre in eye-local coordinates (lxe points outwards, so flip gaze per side)
    const icx = this.gazeDx * side
    const icy = this.gazeDy
    const ddx = lxe - icx
    const ddy = ly - icy
    const d2 = ddx * ddx + ddy * ddy
    const lidShadow = clamp01(1 - (ly - up) / (ew * 0.32))
    const shade = 1 - 0.4 * lidShadow * lidShadow
    let part: number
    let ar: number
    let ag: number
    let ab: number
    let an: number
    let fill: number
    let edge: number
    const ir = this.irisR
    if (d2 < ir * ir) {
      const d = Math.sqrt(d2)
      const rr = d / ir
      if (d < this.pupilR) {
        part = PART.PUPIL
        ar = 0.004
        ag = 0.004
        ab = 0.005
        an = 0.025
        fill = 0.05
        edge = 0
      } else {
        part = PART.IRIS
        const inv = d > 1e-9 ? 1 / d : 0
        const cx = ddx * inv
        const cy = ddy * inv
        this.nzx = cx * 11 + 40
        this.nzy = cy * 11 + 40
        this.noise2(this.seed ^ 0x5151)
        const streak = this.nzv
        this.nzx = cx * 26 + rr * 3
        this.nzy = cy * 26 + rr * 3
        this.noise2(this.seed ^ 0x5252)
        const fine = this.nzv
        const limbus = 1 - 0.6 * smoothstep(0.78, 1, rr)
        const collar = 1 + 0.28 * Math.max(0, 1 - Math.abs(rr - 0.5) / 0.12)
        const pupilRing = 1 - 0.3 * smoothstep(this.pupilR / ir + 0.15, this.pupilR / ir, rr)
        const k = (0.7 + 0.3 * streak + 0.25 * (fine - 0.5)) * limbus * collar * pupilRing
        const ic = this.iris
        const warm = 1 - smoothstep(0.3, 0.6, rr)
        ar = ic[0] * k * (1 + 0.25 * warm)
        ag = ic[1] * k * (1 + 0.05 * warm)
        ab = ic[2] * k * (1 - 0.2 * warm)
        an = this.irisNir * (0.75 + 0.25 * streak + 0.2 * (fine - 0.5)) * (1 - 0.45 * smoothstep(0.82, 1, rr)) * pupilRing
        fill = 0.3 + 0.2 * streak * limbus
        edge = 0.22
      }
    } else {
      part = PART.SCLERA
      const corner = smoothstep(0.55, 1, s < 0 ? -s : s)
      ar = 0.82 * (1 - 0.25 * corner)
      ag = 0.78 * (1 - 0.32 * corner)
      ab = 0.74 * (1 - 0.3 * corner)
      if (s < -0.8) {
        const c = smoothstep(-0.8, -0.95, s)
        ar += (0.7 - ar) * c
        ag += (0.36 - ag) * c
        ab += (0.36 - ab) * c
      }
      an = 0.72 * (1 - 0.2 * corner)
      fill = 1
      edge = 0.92
    }
    ar *= shade
    ag *= shade
    ab *= shade
    an *= shade
    {
      const lp = this.lp
      lp[0] = ar
      lp[1] = ag
      lp[2] = ab
      lp[3] = an
    }
    this.light(MAT.EYE)
    // corneal glints: a reflection of the key light (RGB) and of the frontal illuminator (NIR)
    // small catchlights; below half a pixel they keep their energy rather than their size
    const gr0 = ir * 0.1
    const gr = Math.max(gr0, this.pix * 0.5)
    const gAmp = (gr0 / gr) * (gr0 / gr)
    const ig2 = 1 / (gr * gr)
    {
      const gxv = lxe - (icx + this.glintNirX * side)
      const gyv = ly - (icy + this.glintNirY)
      const q = (gxv * gxv + gyv * gyv) * ig2
      if (q < 4) this.nir += 1.4 * gAmp * Math.exp(-q * 1.5)
    }
    if (this.glintRgbOn) {
      const gxv = lxe - (icx + this.glintRgbX * side)
      const gyv = ly - (icy + this.glintRgbY)
      const q = (gxv * gxv + gyv * gyv) * ig2
      if (q < 4) {
        const gl = 1.6 * gAmp * Math.exp(-q * 1.5) * this.intensity
        this.r += gl * this.lightR
        this.g += gl * this.lightG
        this.b += gl * this.lightB
        fill = Math.max(fill, Math.exp(-q * 1.5))
      }
    }
    this.fill = fill
    this.edge = edge
    this.depth = depth - 0.01
    return part
  }

  // noise2()'s point in, value out (fields: on rarely taken paths V8 does not inline calls,
  // and double arguments and results of calls are boxed)
  private nzx = 0
  private nzy = 0
  private nzv = 0

  /** vnoise2(nzx, nzy, seed) into nzv. */
  private noise2(seed: number): void {
    this.nzv = vnoise2(this.nzx, this.nzy, seed)
  }

  /** vnoise1(nzx, seed) into nzv. */
  private noise1(seed: number): void {
    this.nzv = vnoise1(this.nzx, seed)
  }

  // ---------------- hair ----------------
  private shadeHair(): number {
    const x = this.qx
    const y = this.qy
    const z = this.qz
    const k = this.hk
    const inner = this.hInner
    const t = this.hitT
    const hair = this.hair as Star
    hair.px = x
    hair.py = y
    hair.pz = z
    hair.k = k
    hair.kd = this.hkd
    hair.normal(this.nrm)
    let nx = this.nrm[0]
    let ny = this.nrm[1]
    let nz = this.nrm[2]
    if (inner) {
      nx = -nx
      ny = -ny
      nz = -nz
    }
    const hc = this.hc as HairConfig
    // strand coordinate: angle around the parting (front) or across the back
    const px = x - this.hairPartX
    const py = y - this.hairPartY
    const dist = Math.sqrt(px * px + py * py)
    const wave = this.hairWave
    // (arctangent and sine written out here, see SIN_TAB: this function is past V8's
    // inlining budget, and calls with double arguments would box them)
    let a: number
    if (inner) a = x * 2.2
    else {
      // atan2(px, py) for py > 0
      const q = px / (py > 0.05 ? py : 0.05)
      const aq = q < 0 ? -q : q
      const w = aq > 1 ? 1 / aq : aq
      const w2 = w * w
      a = w * (0.999866 + w2 * (-0.3302995 + w2 * (0.180141 + w2 * (-0.085133 + w2 * 0.0208351))))
      if (aq > 1) a = Math.PI / 2 - a
      if (q < 0) a = -a
    }
    const wf = 8 + 12 * wave
    let wv: number
    {
      const u = (dist * wf + a * 2) * (SIN_N / TAU)
      const f = Math.floor(u)
      const i = f & (SIN_N - 1)
      wv = wave * 0.05 * (SIN_TAB[i] + (SIN_TAB[i + 1] - SIN_TAB[i]) * (u - f))
    }
    const sa = a + wv
    const seed = this.seed
    const s1 = vnoise1(sa * 95, seed ^ 0xa1)
    const s2 = vnoise1(sa * 240 + 7, seed ^ 0xa2)
    const s3 = vnoise1(sa * 16 + 3, seed ^ 0xa3)
    let strand = 0.45 * s1 + 0.35 * s2 + 0.2 * s3
    // waves: brighter crests and darker troughs along the strands
    let band: number
    {
      const u = (dist * wf + s3 * 2) * (SIN_N / TAU)
      const f = Math.floor(u)
      const i = f & (SIN_N - 1)
      band = 0.5 + 0.5 * (SIN_TAB[i] + (SIN_TAB[i + 1] - SIN_TAB[i]) * (u - f))
    }
    let waveShade = 1 - Math.min(0.7, wave) * 0.4 * (1 - band)
    // curls and coils: an isotropic clumpy texture instead of combed strands
    const curly = clamp01((wave - 0.62) * 3)
    let sheen = 1
    if (curly > 0) {
      this.nzx = x * 34 + z * 20
      this.nzy = y * 34
      this.noise2(seed ^ 0xa4)
      const c1 = this.nzv
      this.nzx = x * 75 - z * 30
      this.nzy = y * 75
      this.noise2(seed ^ 0xa6)
      const c2 = this.nzv
      const curl = 0.6 * c1 + 0.4 * c2
      strand += (curl - strand) * curly
      waveShade += (0.62 + 0.6 * c1 * c1 - waveShade) * curly
      sheen = 1 - 0.75 * curly
    }
    if (hc.buzz) {
      this.nzx = x * 70
      this.nzy = y * 70
      this.noise2(seed ^ 0xa5)
      strand = 0.5 + 0.5 * (this.nzv - 0.5)
    }
    // tangent along the strand (head frame), made orthogonal to the normal
    let tx = px
    let ty = py
    let tz = 0
    const tn = tx * nx + ty * ny
    tx -= tn * nx
    ty -= tn * ny
    tz -= tn * nz
    const itl = 1 / (Math.sqrt(tx * tx + ty * ty + tz * tz) || 1)
    tx *= itl
    ty *= itl
    tz *= itl
    {
      const nrm = this.nrm
      nrm[0] = nx
      nrm[1] = ny
      nrm[2] = nz
    }
    this.toView(true)
    const vtx = this.m00 * tx + this.m01 * ty + this.m02 * tz
    const vty = this.m10 * tx + this.m11 * ty + this.m12 * tz
    const vtz = this.m20 * tx + this.m21 * ty + this.m22 * tz
    // Kajiya–Kay highlight
    const th = vtx * this.hx + vty * this.hy + vtz * this.hz
    let s = 1 - th * th
    s = s < 0 ? 0 : s
    const s2p = s * s
    const s4 = s2p * s2p
    const s8 = s4 * s4
    const s16 = s8 * s8
    const kk = s16 * s8
    const hcol = this.hairCol
    const alb = (0.72 + 0.56 * strand) * waveShade
    let ar = hcol[0] * alb
    let ag = hcol[1] * alb
    let ab = hcol[2] * alb
    let an = this.hairNir * (0.75 + 0.5 * strand)
    let occl = inner ? 0.45 : 1
    // roots darker near the face window and at the ends (on the front, less than 0.1 above
    // the hairline: never 0.1 above its highest point or more)
    if (!inner && z > 0 && y * this.iB > this.hlMin - 0.1) {
      const X = x * this.iA
      if (Math.abs(X) < hc.sideX + 0.15) {
        this.hlX = X
        this.hairline()
        const dY = this.hlY - y * this.iB
        if (dY > 0 && dY < 0.1) occl *= 0.75 + 0.25 * (dY / 0.1)
      }
    }
    if (hc.buzz) {
      // stubble over the scalp
      const sk = this.skin
      const cov = 0.55 + 0.3 * strand
      const k0 = sk[0] * 0.9
      const k1 = sk[1] * 0.9
      const k2 = sk[2] * 0.9
      ar = k0 + (hcol[0] - k0) * cov
      ag = k1 + (hcol[1] - k1) * cov
      ab = k2 + (hcol[2] - k2) * cov
      an = this.skinNir + (this.hairNir - this.skinNir) * (cov * 0.8)
    }
    occl *= 0.85 + 0.15 * Math.min(1, k)
    ar *= occl
    ag *= occl
    ab *= occl
    an *= occl
    {
      const lp = this.lp
      lp[0] = ar
      lp[1] = ag
      lp[2] = ab
      lp[3] = an
    }
    this.light(MAT.HAIR)
    const I = this.intensity * this.expo
    const spec = this.hairSpec * kk * (0.5 + strand) * occl * (hc.buzz ? 0.3 : 1) * sheen
    const facing = this.nrm[0] * this.lx + this.nrm[1] * this.ly + this.nrm[2] * this.lz
    const spf = facing > -0.2 ? spec * I * Math.min(1, facing + 0.2) : 0
    this.r += spf * this.lightR
    this.g += spf * this.lightG
    this.b += spf * this.lightB
    this.nir += this.hairSpec * 0.5 * kk * (0.5 + strand) * occl * sheen
    this.fill = hc.buzz ? 0.75 + 0.15 * strand : 0.22 + 0.5 * strand * strand + (inner ? -0.1 : 0)
    this.edge = hc.buzz ? 0.3 : 0.02
    this.depth = -t
    return inner ? PART.HAIR_INNER : PART.HAIR
  }

  // ---------------- ear ----------------
  private shadeEar(): number {
    const side = this.earSide
    const s = this.earHitS
    const w = this.earHitW
    const t = this.hitT
    const W = this.earW
    const H = this.earH
    this.earQs = s
    this.earQw = w
    this.earShape()
    const q = this.earQ
    // normal: plane normal, curled outwards at the rim
    const st = (q - 0.55) / (1 - 0.55)
    const rim = st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st) // smoothstep(0.55, 1, q), written out
    const nxh = side * this.earCos + side * 0.3 * rim * this.earSin
    const nzh = this.earSin - 0.2 * rim
    const nyh = (w / H) * 0.3 * rim
    {
      const nrm = this.nrm
      nrm[0] = nxh
      nrm[1] = nyh
      nrm[2] = nzh
    }
    this.toView(false)
    if (this.nrm[2] < 0) {
      this.nrm[0] = -this.nrm[0]
      this.nrm[1] = -this.nrm[1]
      this.nrm[2] = -this.nrm[2]
    }
    const sk = this.skin
    // concha: darker bowl inside the rim
    const cs = (s - W * 0.42) / (W * 0.24)
    const cw = (w + H * 0.05) / (H * 0.45)
    const cq = cs * cs + cw * cw
    const bowl = cq < 1 ? (1 - cq) * 0.55 : 0
    const helix = rim * (1 - rim) * 4 * 0.1
    const k = (1 - bowl) * (1 + helix) * 0.92
    const redden = 1 - 0.06 * this.rosiness
    {
      const lp = this.lp
      lp[0] = sk[0] * k
      lp[1] = sk[1] * k * redden
      lp[2] = sk[2] * k * redden
      lp[3] = this.skinNir * (1 - 0.6 * bowl)
    }
    this.light(MAT.EAR)
    this.fill = 1 - 0.5 * bowl
    this.edge = 0.7
    this.hatch()
    this.depth = -t
    return PART.EAR
  }

  // ---------------- neck ----------------
  private shadeNeck(): number {
    const xv = this.sx
    const t = this.hitT
    const ox = this.ray[0]
    const oy = this.ray[1]
    const oz = this.ray[2]
    const u = (xv - this.neckX) / this.neckRx
    const wz = Math.sqrt(Math.max(0, 1 - u * u))
    const nxv = u / this.neckRx
    const nzv = wz / this.neckRz
    const inv = 1 / Math.sqrt(nxv * nxv + nzv * nzv)
    this.nrm[0] = nxv * inv
    this.nrm[1] = 0
    this.nrm[2] = nzv * inv
    // head occlusion: the nearer the neck point is to the skull, the darker
    const px = ox + t * this.dx
    const py = oy + t * this.dy
    const pz = oz + t * this.dz
    const f = (px * px) / (this.A * this.A) + (py * py) / (this.B * this.B) + (pz * pz) / (this.C * this.C)
    const ao = 0.55 + 0.45 * clamp01((f - 1) / 1.1)
    // cast shadow of the head towards the light
    let shadow = 1
    {
      const lxh = this.m00 * this.lx + this.m10 * this.ly + this.m20 * this.lz
      const lyh = this.m01 * this.lx + this.m11 * this.ly + this.m21 * this.lz
      const lzh = this.m02 * this.lx + this.m12 * this.ly + this.m22 * this.lz
      const ia = 1 / (this.A * this.A * 0.85)
      const ib = 1 / (this.B * this.B * 0.95)
      const ic = 1 / (this.C * this.C * 0.85)
      const qa = lxh * lxh * ia + lyh * lyh * ib + lzh * lzh * ic
      const qb = 2 * (px * lxh * ia + py * lyh * ib + pz * lzh * ic)
      const qc = px * px * ia + py * py * ib + pz * pz * ic - 1
      // soft shadow: how deep the light ray passes inside the skull (its minimum of the
      // ellipsoid function along the ray), if the closest approach is towards the light
      const tStar = -qb / (2 * qa)
      const fmin = tStar > 0 ? qc - (qb * qb) / (4 * qa) : qc
      const st = (fmin + 0.45) / (0.25 + 0.45)
      shadow = 0.3 + 0.7 * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st)) // smoothstep(−0.45, 0.25, fmin)
    }
    const sk = this.skin
    const tone = 0.93
    {
      const lp = this.lp
      lp[0] = sk[0] * ao * tone
      lp[1] = sk[1] * ao * tone
      lp[2] = sk[2] * ao * tone
      lp[3] = this.skinNir * (0.7 + 0.3 * ao)
    }
    this.shadow = shadow
    this.light(MAT.NECK)
    this.fill = 1
    this.edge = 0.8
    this.hatch()
    this.depth = -t
    return PART.NECK
  }

  // ---------------- shoulders, clothing and neckline ----------------
  private shadeCloth(): number {
    const xv = this.sx
    const yv = this.sy
    const t = this.hitT
    const dxn = xv - this.neckX
    const ax = Math.abs(dxn)
    let st = (ax - 0.35) / (1.5 - 0.35) // smoothsteps written out: no boxed calls
    const ys = this.shoulderY + 0.45 * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st))
    const top = yv - ys
    // neckline: skin of the chest shows inside it
    const dd = (yv - this.shoulderY) / this.necklineDepth
    if (dd < 1) {
      if (this.inNeckline()) {
        const sk = this.skin
        this.nrm[0] = dxn * 0.3
        this.nrm[1] = -0.25
        this.nrm[2] = 0.92
        const k = 0.92 - 0.25 * (1 - clamp01(dd * 1.5))
        {
          const lp = this.lp
          lp[0] = sk[0] * k
          lp[1] = sk[1] * k
          lp[2] = sk[2] * k
          lp[3] = this.skinNir * 0.85
        }
        this.light(MAT.CHEST)
        this.fill = 1
        this.edge = 0.8
        this.hatch()
        this.depth = -t - 0.02
        return PART.CHEST
      }
    }
    st = top / 0.35
    const slope = 1 - (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st))
    const sgn = dxn < 0 ? -1 : 1
    st = (ax - 0.7) / (1.8 - 0.7)
    let nx = sgn * 0.55 * (st <= 0 ? 0 : st >= 1 ? 1 : st * st * (3 - 2 * st))
    let ny = -0.6 * slope
    let nz = 1
    const inv = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz)
    nx *= inv
    ny *= inv
    nz *= inv
    this.nrm[0] = nx
    this.nrm[1] = ny
    this.nrm[2] = nz
    const folds = 0.85 + 0.3 * vnoise2(xv * 3.5, yv * 1.2, this.seed ^ 0xc1)
    const c = this.cloth
    {
      const lp = this.lp
      lp[0] = c[0] * folds
      lp[1] = c[1] * folds
      lp[2] = c[2] * folds
      lp[3] = this.clothNir * folds
    }
    this.light(MAT.CLOTH)
    this.fill = 0.95
    this.edge = 0.75
    this.hatch()
    this.depth = -t
    return PART.CLOTH
  }

  /** Is the clothing point (sx, sy) inside the neckline (chest skin)? */
  private inNeckline(): boolean {
    const yv = this.sy
    const dd = (yv - this.shoulderY) / this.necklineDepth
    if (dd >= 1) return false
    const dxn = this.sx - this.neckX
    const ax = Math.abs(dxn)
    const round = 0.4 * Math.sqrt(Math.max(0, 1 - dd * dd))
    const vee = 0.4 * (1 - dd)
    const nw = round + (vee - round) * this.necklineV + 0.02
    return ax < nw
  }

  // ---------------- glasses ----------------
  private shadeFrame(): number {
    const t = this.hitT
    {
      const nrm = this.nrm
      nrm[0] = 0.1
      nrm[1] = -0.2
      nrm[2] = 1
    }
    this.toView(false)
    const f = this.frame
    {
      const lp = this.lp
      lp[0] = f[0]
      lp[1] = f[1]
      lp[2] = f[2]
      lp[3] = this.frameNir
    }
    this.light(MAT.FRAME)
    this.fill = 0.15
    this.edge = 0
    this.depth = -t
    return PART.FRAME
  }

  private applyLens(): void {
    const u = this.lensU
    const v = this.lensV
    const yv = this.sy
    const tint = this.lensTint
    const k = 1 - 0.75 * tint
    this.r *= k * 0.97
    this.g *= k * 0.98
    this.b *= k
    this.nir *= 0.96
    // reflection of the surroundings and a highlight
    const refl = 0.04 + 0.04 * clamp01(0.5 - (yv - this.view.cy) * 0.5)
    this.r += refl
    this.g += refl
    this.b += refl * 1.1
    const ru = u / this.gw - 0.1 * this.lx
    const rv = v / this.gh + 0.45 + 0.2 * this.ly
    const q = ru * ru * 6 + rv * rv * 18
    if (q < 1) {
      const h = (1 - q) * 0.18 * this.intensity
      this.r += h
      this.g += h
      this.b += h
    }
    // NIR: the illuminator's glare on the lens
    const nu = u / this.gw + 0.15
    const nv = v / this.gh + 0.1
    const nq = (nu * nu + nv * nv) * 30
    if (nq < 4) this.nir += 0.9 * Math.exp(-nq)
    this.fill = Math.min(this.fill, 0.97)
  }
}
