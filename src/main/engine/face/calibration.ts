// Threshold calibration material for the default face model: the six real group photos that
// ship with @vladmandic/face-api (demo/sample1..6.jpg, 1920 px wide), their 22 faces with
// hand-made identity labels, and the augmentations the privacy filter must be robust to.
//
// Ground truth (made by looking at every face; boxes are the SSD MobileNet v1 detections on
// the full photos, x, y, width, height in original pixels, listed left to right):
//   sample1  3 women (costume make-up)          sample4  4 women standing
//   sample2  3 women on a sofa                   sample5  5 women on stairs
//   sample3  3 women on a sofa                   sample6  4 women by a window
// The photos come from the same photographer and some people recur. One recurrence is clear
// (the red-blonde woman on the right of sample1 is the woman in the middle of sample3: same
// face, and the highest cross-photo similarity by a margin), so that identity has two faces.
// Two more look possible but not certain (the brunette in the middle of sample1, the one in
// the middle of sample2 and the one on the left of sample4; the second from left in sample4
// and the third in sample6); pairs among those are UNCERTAIN_PAIRS and are left out of both
// the same-person and the different-person statistics. The woman on the left of sample2 is
// seen nearly side-on (pose 'profile'): the hardest face; bench/privacy.ts reports the
// separation with and without her.
//
// Augmentation set: every face is cropped as a square of `factor` × the face-box width
// around the box centre (2 = roughly the framing of FFHQ-aligned generator output) and
// resized; probes are further crops of the SAME face with flips, shifts of a few percent of the
// box width, brightness ±15 % and another output size. Same-person pairs: a probe against its
// face's reference crop (and the recurring identity's two faces). Different-person pairs:
// references of different identities, and every probe against the other identities' references.
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'
import { cropResize, flipHorizontal, scaleBrightness, type FaceImage } from './image'
import { dot } from './types'

const requireHere = createRequire(import.meta.url)

export interface DemoFace {
  /** 's<sample>-<index left to right>' */
  id: string
  sample: number
  /** Face box in the full photo: x, y, width, height. */
  box: readonly [number, number, number, number]
  /** Hand-assigned identity label. */
  identity: string
  /** 'profile' for the one face seen nearly side-on (the woman on the left of sample2). */
  pose: 'frontal' | 'profile'
}

const BOXES: Record<number, ReadonlyArray<readonly [number, number, number, number]>> = {
  1: [
    [414, 355, 177, 240],
    [838, 421, 186, 228],
    [1476, 199, 203, 241]
  ],
  2: [
    [361, 126, 153, 259],
    [902, 220, 151, 233],
    [1447, 153, 194, 242]
  ],
  3: [
    [585, 329, 199, 271],
    [1075, 215, 220, 299],
    [1514, 292, 170, 280]
  ],
  4: [
    [257, 185, 162, 245],
    [664, 53, 187, 258],
    [989, 180, 169, 227],
    [1277, 144, 145, 244]
  ],
  5: [
    [377, 859, 172, 301],
    [598, 415, 166, 249],
    [787, 109, 156, 212],
    [1113, 198, 158, 236],
    [1406, 390, 165, 271]
  ],
  6: [
    [250, 468, 210, 291],
    [681, 321, 160, 307],
    [1180, 305, 188, 280],
    [1487, 263, 212, 296]
  ]
}

/** The one identity seen in two photos. */
const SAME_PERSON: Record<string, string> = { 's3-1': 's1-2' }
const PROFILE = new Set(['s2-0'])

export const DEMO_FACES: readonly DemoFace[] = Object.entries(BOXES).flatMap(([sample, boxes]) =>
  boxes.map((box, k): DemoFace => {
    const id = `s${sample}-${k}`
    return { id, sample: Number(sample), box, identity: `person-${SAME_PERSON[id] ?? id}`, pose: PROFILE.has(id) ? 'profile' : 'frontal' }
  })
)

/** Face pairs whose identity could not be settled by eye (excluded from the statistics). */
export const UNCERTAIN_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['s1-1', 's2-1'],
  ['s1-1', 's4-0'],
  ['s2-1', 's4-0'],
  ['s4-1', 's6-2']
]

export function isUncertainPair(a: string, b: string): boolean {
  return UNCERTAIN_PAIRS.some(([x, y]) => (x === a && y === b) || (x === b && y === a))
}

/** Path of demo/sample<n>.jpg in the installed face-api package. */
export function demoPhotoPath(sample: number): string {
  return join(dirname(requireHere.resolve('@vladmandic/face-api/package.json')), 'demo', `sample${sample}.jpg`)
}

export interface CropSpec {
  /** Output side in pixels. */
  size: number
  /** Crop side / face-box width (default 2). */
  factor?: number
  /** Shift of the crop centre, in face-box widths (0.05 = 5 % of the box). */
  dx?: number
  dy?: number
  flip?: boolean
  /** Brightness factor (1.15 = +15 %). */
  brightness?: number
}

/** A square crop of one face from its full photo, with the given augmentation. */
export function cropDemoFace(photo: FaceImage, face: DemoFace, spec: CropSpec): FaceImage {
  const [x, y, w, h] = face.box
  const side = w * (spec.factor ?? 2)
  const cx = x + w / 2 + (spec.dx ?? 0) * w
  const cy = y + h / 2 + (spec.dy ?? 0) * w
  let img = cropResize(photo, { x: cx - side / 2, y: cy - side / 2, width: side, height: side }, spec.size, spec.size)
  if (spec.flip) img = flipHorizontal(img)
  if (spec.brightness !== undefined && spec.brightness !== 1) img = scaleBrightness(img, spec.brightness)
  return img
}

export interface NamedCrop {
  name: string
  spec: CropSpec
}

/** The reference crop every face is enrolled with. */
export const REFERENCE_CROP: NamedCrop = { name: 'reference-256', spec: { size: 256 } }

/** The full augmentation set (bench/privacy.ts); each is a same-person probe of its face. */
export const AUGMENTATIONS: readonly NamedCrop[] = [
  { name: 'resize-128', spec: { size: 128 } },
  { name: 'flip', spec: { size: 256, flip: true } },
  { name: 'shift-right-5%', spec: { size: 256, dx: 0.05 } },
  { name: 'shift-left-up-5%', spec: { size: 256, dx: -0.05, dy: -0.05 } },
  { name: 'shift-down-3%', spec: { size: 256, dy: 0.03 } },
  { name: 'brighter-15%', spec: { size: 256, brightness: 1.15 } },
  { name: 'darker-15%', spec: { size: 256, brightness: 0.85 } },
  { name: 'flip+shift+brighter@128', spec: { size: 128, flip: true, dx: 0.04, dy: -0.03, brightness: 1.15 } },
  { name: 'flip+darker@96', spec: { size: 96, flip: true, brightness: 0.85 } },
  { name: 'tight-crop-1.5x', spec: { size: 192, factor: 1.5 } },
  { name: 'loose-crop-3x', spec: { size: 256, factor: 3 } }
]

export interface EmbeddedCrop {
  face: DemoFace
  crop: string
  /** null when no face was detected in the crop. */
  embedding: Float32Array | null
  detectorScore: number | null
}

export interface SimilarityPair {
  a: string
  b: string
  similarity: number
}

export interface Separation {
  /** Smallest similarity of a same-person pair, and that pair. */
  minSame: SimilarityPair | null
  /** Largest similarity of a different-person pair, and that pair. */
  maxDifferent: SimilarityPair | null
  /** minSame − maxDifferent (> 0: a threshold separates the set perfectly). */
  margin: number | null
  /** Midpoint between the two. */
  midpoint: number | null
  samePairs: number
  differentPairs: number
  /** Pairs left out because their identity is uncertain. */
  uncertainPairs: SimilarityPair[]
  /** Crops in which no face was detected. */
  undetected: string[]
  /** With a threshold: same-person pairs at or below it (a privacy filter would keep them) and different-person pairs above it (needlessly rejected). */
  errors?: { missedMatches: SimilarityPair[]; falseMatches: SimilarityPair[] }
}

const label = (c: EmbeddedCrop): string => `${c.face.id}/${c.crop}`

/**
 * Same/different-person statistics of references (one per face) and probes (augmented crops
 * of those faces). Same: each probe vs its own face's reference, plus references of two faces
 * of one identity. Different: reference pairs of different identities and probe-vs-reference
 * pairs of different identities. Uncertain pairs are reported apart.
 */
export function measureSeparation(references: readonly EmbeddedCrop[], probes: readonly EmbeddedCrop[], threshold?: number): Separation {
  const same: SimilarityPair[] = []
  const different: SimilarityPair[] = []
  const uncertain: SimilarityPair[] = []
  const undetected = [...references, ...probes].filter((c) => c.embedding == null).map(label)
  const refs = references.filter((r) => r.embedding != null)
  const add = (x: EmbeddedCrop, y: EmbeddedCrop, sameFace: boolean): void => {
    const pair = { a: label(x), b: label(y), similarity: dot(x.embedding!, y.embedding!) }
    if (sameFace || x.face.identity === y.face.identity) same.push(pair)
    else if (isUncertainPair(x.face.id, y.face.id)) uncertain.push(pair)
    else different.push(pair)
  }
  for (let i = 0; i < refs.length; i++) for (let j = i + 1; j < refs.length; j++) add(refs[i]!, refs[j]!, false)
  for (const p of probes) {
    if (p.embedding == null) continue
    for (const r of refs) add(p, r, r.face.id === p.face.id)
  }
  const minSame = same.reduce<SimilarityPair | null>((m, p) => (m == null || p.similarity < m.similarity ? p : m), null)
  const maxDifferent = different.reduce<SimilarityPair | null>((m, p) => (m == null || p.similarity > m.similarity ? p : m), null)
  const result: Separation = {
    minSame,
    maxDifferent,
    margin: minSame && maxDifferent ? minSame.similarity - maxDifferent.similarity : null,
    midpoint: minSame && maxDifferent ? (minSame.similarity + maxDifferent.similarity) / 2 : null,
    samePairs: same.length,
    differentPairs: different.length,
    uncertainPairs: uncertain,
    undetected
  }
  if (threshold !== undefined) {
    result.errors = {
      missedMatches: same.filter((p) => p.similarity <= threshold),
      falseMatches: different.filter((p) => p.similarity > threshold)
    }
  }
  return result
}
