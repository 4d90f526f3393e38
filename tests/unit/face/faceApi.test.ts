// The default face model on real photos (face-api's demo/sample1..6.jpg) and on the studio's
// TensorFlow.js. Models are loaded once for the whole file; ~50 embeddings in all.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AUGMENTATIONS,
  DEMO_FACES,
  REFERENCE_CROP,
  cropDemoFace,
  demoPhotoPath,
  isUncertainPair,
  type DemoFace
} from '../../../src/main/engine/face/calibration'
import { FaceApiEmbedder, loadFaceApi } from '../../../src/main/engine/face/faceApi'
import { decodeImageFile, encodePng, type FaceImage } from '../../../src/main/engine/face/image'
import { privacyDecision } from '../../../src/main/engine/face/privacy'
import { ReferenceIdentitySet } from '../../../src/main/engine/face/reference'
import { FACE_API_DEFAULT_THRESHOLD } from '../../../src/main/engine/face/thresholds'
import { dot, type FaceEmbeddingResult } from '../../../src/main/engine/face/types'
import { OnnxFaceEmbedder } from '../../../src/main/engine/face/onnxEmbedder'
import { faceModelManifest, flattenModel } from './helpers'
import { initTf } from '../../../src/main/engine/tf/backend'
import { render, sampleParams } from '../../../src/main/engine/render'

const THRESHOLD = FACE_API_DEFAULT_THRESHOLD
/** One face per photo (frontal), probed with flips, shifts, brightness and a small size. */
const PROBED = ['s1-0', 's2-2', 's3-1', 's4-2', 's5-3', 's6-1']
const PROBES = ['flip', 'shift-left-up-5%', 'brighter-15%', 'flip+darker@96']

let embedder: FaceApiEmbedder
const photos = new Map<number, FaceImage>()
const references = new Map<string, FaceEmbeddingResult>()
let tmp: string

function face(id: string): DemoFace {
  const f = DEMO_FACES.find((x) => x.id === id)
  if (!f) throw new Error(`no demo face ${id}`)
  return f
}

function crop(id: string, augmentation: string): FaceImage {
  const spec = augmentation === REFERENCE_CROP.name ? REFERENCE_CROP.spec : AUGMENTATIONS.find((a) => a.name === augmentation)?.spec
  if (!spec) throw new Error(`no augmentation ${augmentation}`)
  const f = face(id)
  return cropDemoFace(photos.get(f.sample)!, f, spec)
}

function embedding(r: FaceEmbeddingResult | undefined, what: string): Float32Array {
  if (!r?.detected) throw new Error(`no face detected in ${what}: ${r?.reason ?? 'not embedded'}`)
  return r.embedding
}

beforeAll(async () => {
  embedder = await FaceApiEmbedder.create()
  for (let s = 1; s <= 6; s++) photos.set(s, await decodeImageFile(demoPhotoPath(s)))
  for (const f of DEMO_FACES) references.set(f.id, await embedder.embed(crop(f.id, REFERENCE_CROP.name)))
  tmp = await mkdtemp(join(tmpdir(), 'twinlight-face-api-'))
}, 180_000)

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true })
})

describe('face-api on the studio TensorFlow.js', () => {
  it('shares the one tfjs engine and leaves the studio backend and ops working', async () => {
    const init = await initTf()
    const rt = await loadFaceApi()
    expect(rt.faceapi.tf.engine()).toBe(init.tf.engine())
    expect(init.tf.getBackend()).toBe(init.tfBackend)
    expect(rt.backend).toBe(init.backend)
    // studio-side tf (gradients included) still works after face-api ran
    const g = init.tf.grad((x) => init.tf.sum(init.tf.square(x)))
    const dx = g(init.tf.tensor1d([1, -2, 3]))
    expect(Array.from(await dx.data())).toEqual([2, -4, 6])
    dx.dispose()
    // an embedding leaves no tensors behind
    const before = init.tf.memory().numTensors
    await embedder.embed(crop('s6-1', REFERENCE_CROP.name))
    expect(init.tf.memory().numTensors).toBe(before)
  })

  it('names a missing model file', async () => {
    const empty = join(tmp, 'no-models')
    await mkdir(empty, { recursive: true })
    await expect(FaceApiEmbedder.create({ modelDir: empty })).rejects.toThrow(/tinyFaceDetector' is missing: .*no-models.*tiny_face_detector_model-weights_manifest\.json does not exist/)
  })

  it('describes itself and returns L2-normalised 128-d embeddings with landmarks', () => {
    const d = embedder.describe()
    expect(d).toMatchObject({ dims: 128, needsAlignment: true, defaultThreshold: THRESHOLD })
    expect(d.thresholdNote).toMatch(/midpoint/)
    const r = references.get('s1-0')!
    expect(r.detected).toBe(true)
    if (!r.detected) return
    expect(r.embedding).toHaveLength(128)
    expect(Math.hypot(...r.embedding)).toBeCloseTo(1, 5)
    expect(r.landmarks).toHaveLength(68)
    expect(r.detectorScore).toBeGreaterThan(0.5)
    // the face box sits in the middle of the 2×-box crop
    expect(r.box.x + r.box.width / 2).toBeGreaterThan(80)
    expect(r.box.x + r.box.width / 2).toBeLessThan(176)
  })
})

describe('privacy filter accuracy on the real demo photos', () => {
  it('finds every face in its reference crop', () => {
    const missing = [...references].filter(([, r]) => !r.detected).map(([id]) => id)
    expect(missing).toEqual([])
  })

  it('scores augmented crops of the same face above the threshold and different people below it', async () => {
    const refs = [...references].map(([id, r]) => ({ face: face(id), e: embedding(r, `${id} reference`) }))
    const same: Array<[string, number]> = []
    const different: Array<[string, number]> = []
    for (let i = 0; i < refs.length; i++) {
      for (let j = i + 1; j < refs.length; j++) {
        const a = refs[i]!
        const b = refs[j]!
        const s = dot(a.e, b.e)
        if (a.face.identity === b.face.identity) same.push([`${a.face.id}~${b.face.id}`, s])
        else if (!isUncertainPair(a.face.id, b.face.id)) different.push([`${a.face.id}~${b.face.id}`, s])
      }
    }
    for (const id of PROBED) {
      for (const aug of PROBES) {
        const e = embedding(await embedder.embed(crop(id, aug)), `${id}/${aug}`)
        for (const r of refs) {
          const s = dot(e, r.e)
          if (r.face.identity === face(id).identity) same.push([`${id}/${aug}~${r.face.id}`, s])
          else if (!isUncertainPair(id, r.face.id)) different.push([`${id}/${aug}~${r.face.id}`, s])
        }
      }
    }
    // 24 probes against their own face, the 4 probes of s3-1 against s1-2 (the same person), and that reference pair
    expect(same.length).toBe(29)
    const sameBelow = same.filter(([, s]) => s <= THRESHOLD)
    const differentAbove = different.filter(([, s]) => s > THRESHOLD)
    expect(sameBelow).toEqual([])
    expect(differentAbove).toEqual([])
    // the person seen in two photos (sample1 right, sample3 middle) is recognised across photos
    expect(dot(embedding(references.get('s1-2'), 's1-2'), embedding(references.get('s3-1'), 's3-1'))).toBeGreaterThan(THRESHOLD)
  })

  it('rejects a generated look-alike of a reference face and keeps a stranger (end to end from a folder)', async () => {
    const folder = join(tmp, 'refs')
    await mkdir(join(folder, 'alice'), { recursive: true })
    await mkdir(join(folder, 'bella'), { recursive: true })
    await writeFile(join(folder, 'alice', 'a1.png'), await encodePng(crop('s1-0', REFERENCE_CROP.name)))
    await writeFile(join(folder, 'bella', 'b1.png'), await encodePng(crop('s4-2', REFERENCE_CROP.name)))
    const grey: FaceImage = { width: 96, height: 96, channels: 3, data: new Uint8Array(96 * 96 * 3).fill(128) }
    await writeFile(join(folder, 'wall.png'), await encodePng(grey))
    const set = await ReferenceIdentitySet.build({ folder, embedder, cacheDir: join(tmp, 'cache') })
    expect(set.report).toMatchObject({ images: 3, usable: 2, identities: 2 })
    expect(set.report?.noFace.map((n) => n.file)).toEqual(['wall.png'])

    const options = { threshold: THRESHOLD, noFace: 'reject' as const }
    const copy = privacyDecision(await embedder.embed(crop('s1-0', 'shift-left-up-5%')), set, options)
    expect(copy).toMatchObject({ kept: false, reason: 'too-similar', closestReference: { identity: 'alice', file: 'alice/a1.png' } })
    const stranger = privacyDecision(references.get('s6-1')!, set, options)
    expect(stranger.kept).toBe(true)
    expect(stranger.maxSimilarity).toBeLessThan(THRESHOLD)
    const blank = await embedder.embed(grey)
    expect(blank.detected).toBe(false)
    expect(blank.reason).toMatch(/no face found/)
    expect(privacyDecision(blank, set, options)).toMatchObject({ kept: false, reason: 'no-face' })
  })

  it('detects the built-in renderer’s synthetic face at 64 px', async () => {
    const r = render(sampleParams(7001), { size: 64, modalities: ['rgb'] })
    const res = await embedder.embed({ width: 64, height: 64, channels: 3, data: r.rgb! })
    expect(res.detected).toBe(true)
  })

  it('aligns faces for an ONNX model with the face-api detector’s 5 points (ArcFace template)', async () => {
    // A stand-in "ArcFace" that returns its 112×112 input: the embedding is the aligned crop itself.
    const onnx = await OnnxFaceEmbedder.create({
      manifest: faceModelManifest({
        id: 'arcface-shaped-identity',
        name: 'identity',
        input: { name: 'data', width: 112, height: 112, normalization: { kind: 'zero-to-one' } },
        needsAlignment: true,
        output: { name: 'fc1', dims: 3 * 112 * 112 },
        defaultThreshold: 0.622
      }),
      model: flattenModel('data', [1, 3, 112, 112], 'fc1')
    })
    try {
      const r = await onnx.embed(crop('s6-1', REFERENCE_CROP.name))
      if (!r.detected) throw new Error(r.reason)
      expect(r.landmarks).toHaveLength(68)
      // Undo the L2 normalisation with the brightest sample and look at the aligned crop: the
      // eyes (ArcFace template rows ≈ 51) are darker than the cheeks below them (rows ≈ 70).
      const red = r.embedding.subarray(0, 112 * 112)
      const rowMean = (y: number, x0: number, x1: number): number => {
        let s = 0
        for (let xx = x0; xx < x1; xx++) s += red[y * 112 + xx]!
        return s / (x1 - x0)
      }
      const eyes = (rowMean(51, 32, 44) + rowMean(51, 68, 80)) / 2
      const cheeks = (rowMean(70, 26, 38) + rowMean(70, 74, 86)) / 2
      expect(eyes).toBeLessThan(cheeks)
    } finally {
      await onnx.dispose()
    }
  })
})
