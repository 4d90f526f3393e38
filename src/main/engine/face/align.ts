// Face alignment: least-squares similarity transforms (rotation + uniform scale +
// translation, no reflection) from detected landmarks to a canonical template, and the two
// templates the face engine uses.
//
// * dlib's face chip (the default face-api model is dlib's ResNet face recogniser ported to
//   TensorFlow.js): 150×150 crop, padding 0.25, fitted on the 68-point landmarks 27–54 and
//   60–64 (nose, eyes, upper lip: dlib's get_face_chip_details skips the eyebrows 17–26, the
//   jaw 0–16 and the lower lip 55–59, 65–67, which move with expression). The template is
//   dlib's mean face shape for points 17–67 in unit coordinates; a template point p lands at
//   (p + padding) / (1 + 2·padding) · size in the chip.
// * insightface's ArcFace 5-point template at 112×112 (eye centres, nose tip, mouth
//   corners; the subject's right eye is on the image's left). Other square sizes scale it.
import type { Affine } from './image'

export interface Point {
  x: number
  y: number
}

/** x' = a·x − b·y + tx, y' = b·x + a·y + ty (scale = √(a² + b²), angle = atan2(b, a)). */
export interface Similarity {
  a: number
  b: number
  tx: number
  ty: number
}

export class AlignmentError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'AlignmentError'
  }
}

/**
 * The similarity transform T minimising Σ |T(src_i) − dst_i|² (closed form; identical to
 * Umeyama's estimate without reflection, which is what skimage's SimilarityTransform and
 * dlib's find_similarity_transform compute).
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Similarity {
  if (src.length !== dst.length) throw new AlignmentError(`similarity fit: ${src.length} source points but ${dst.length} target points`)
  if (src.length < 2) throw new AlignmentError('similarity fit needs at least 2 point pairs')
  let msx = 0
  let msy = 0
  let mdx = 0
  let mdy = 0
  for (let i = 0; i < src.length; i++) {
    msx += src[i]!.x
    msy += src[i]!.y
    mdx += dst[i]!.x
    mdy += dst[i]!.y
  }
  const n = src.length
  msx /= n
  msy /= n
  mdx /= n
  mdy /= n
  let ss = 0
  let num = 0
  let cross = 0
  for (let i = 0; i < n; i++) {
    const sx = src[i]!.x - msx
    const sy = src[i]!.y - msy
    const dx = dst[i]!.x - mdx
    const dy = dst[i]!.y - mdy
    ss += sx * sx + sy * sy
    num += sx * dx + sy * dy
    cross += sx * dy - sy * dx
  }
  if (!(ss > 1e-12) || !Number.isFinite(ss)) throw new AlignmentError('similarity fit: the source points coincide')
  const a = num / ss
  const b = cross / ss
  return { a, b, tx: mdx - (a * msx - b * msy), ty: mdy - (b * msx + a * msy) }
}

export function applySimilarity(t: Similarity, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty }
}

export function invertSimilarity(t: Similarity): Similarity {
  const d = t.a * t.a + t.b * t.b
  if (!(d > 0)) throw new AlignmentError('cannot invert a degenerate similarity transform')
  const a = t.a / d
  const b = -t.b / d
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) }
}

/** The transform as the 2×3 affine map warpAffine takes. */
export function similarityToAffine(t: Similarity): Affine {
  return [t.a, -t.b, t.tx, t.b, t.a, t.ty]
}

// dlib's mean face shape (dlib/image_transforms/interpolation.h, get_face_chip_details):
// points 17..67 of the iBUG 68-point scheme, unit coordinates.
const DLIB_MEAN_FACE_X = [
  0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124, 0.904991, 0.98004, 0.490127, 0.490127, 0.490127,
  0.490127, 0.36688, 0.426036, 0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647,
  0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159,
  0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874, 0.553364, 0.490127, 0.42689
] as const
const DLIB_MEAN_FACE_Y = [
  0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915, 0.106454, 0.203352, 0.307009,
  0.409805, 0.515625, 0.587326, 0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733, 0.245099, 0.244077,
  0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099, 0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233,
  0.864805, 0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746, 0.784792, 0.824182, 0.831803, 0.824182
] as const

/** Indices of the 68-point landmarks dlib fits its face chip on. */
export const DLIB_CHIP_POINTS: readonly number[] = Array.from({ length: 68 - 17 }, (_, k) => k + 17).filter(
  (i) => !(i <= 26 || (i >= 55 && i <= 59) || (i >= 65 && i <= 67))
)

export const DLIB_CHIP_SIZE = 150
export const DLIB_CHIP_PADDING = 0.25

/** Where dlib's template puts 68-point landmark `i` (17..67) in a size×size chip with `padding`. */
export function dlibTemplatePoint(i: number, size = DLIB_CHIP_SIZE, padding = DLIB_CHIP_PADDING): Point {
  const x = DLIB_MEAN_FACE_X[i - 17]
  const y = DLIB_MEAN_FACE_Y[i - 17]
  if (x === undefined || y === undefined) throw new AlignmentError(`the dlib template has no point ${i} (17..67)`)
  return { x: ((padding + x) / (2 * padding + 1)) * size, y: ((padding + y) / (2 * padding + 1)) * size }
}

/**
 * dlib's face chip: the similarity that maps chip coordinates to image coordinates, fitted
 * (least squares) from the template points to the detected 68 landmarks.
 */
export function dlibChipTransform(landmarks68: readonly Point[], size = DLIB_CHIP_SIZE, padding = DLIB_CHIP_PADDING): Similarity {
  if (landmarks68.length !== 68) throw new AlignmentError(`dlib alignment needs 68 landmarks, got ${landmarks68.length}`)
  const from = DLIB_CHIP_POINTS.map((i) => dlibTemplatePoint(i, size, padding))
  const to = DLIB_CHIP_POINTS.map((i) => landmarks68[i]!)
  return estimateSimilarity(from, to)
}

/** insightface's ArcFace destination points for a 112×112 crop (arcface_dst in face_align.py). */
export const ARCFACE_TEMPLATE_112: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 }
]

/**
 * Chip → image similarity for the ArcFace 5-point alignment at width×height (the template is
 * scaled by width/112 and height/112; ArcFace models use 112×112).
 */
export function arcfaceTransform(landmarks5: readonly Point[], width = 112, height = 112): Similarity {
  if (landmarks5.length !== 5) throw new AlignmentError(`ArcFace alignment needs 5 landmarks, got ${landmarks5.length}`)
  const from = ARCFACE_TEMPLATE_112.map((p) => ({ x: (p.x * width) / 112, y: (p.y * height) / 112 }))
  return estimateSimilarity(from, landmarks5)
}

/**
 * The 5 ArcFace points from iBUG 68-point landmarks: image-left eye centre (mean of 36–41),
 * image-right eye centre (42–47), nose tip (30), mouth corners (48, 54).
 */
export function landmarks5From68(landmarks68: readonly Point[]): Point[] {
  if (landmarks68.length !== 68) throw new AlignmentError(`expected 68 landmarks, got ${landmarks68.length}`)
  const mean = (from: number, to: number): Point => {
    let x = 0
    let y = 0
    for (let i = from; i <= to; i++) {
      x += landmarks68[i]!.x
      y += landmarks68[i]!.y
    }
    const n = to - from + 1
    return { x: x / n, y: y / n }
  }
  return [mean(36, 41), mean(42, 47), { ...landmarks68[30]! }, { ...landmarks68[48]! }, { ...landmarks68[54]! }]
}
