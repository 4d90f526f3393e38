import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ARCFACE_TEMPLATE_112 } from '../../../src/main/engine/face/align'
import { FACE_API_DEFAULT_THRESHOLD, FACE_API_THRESHOLD_NOTE } from '../../../src/main/engine/face/thresholds'
import { warpAffine, type FaceImage } from '../../../src/main/engine/face/image'
import {
  FaceModelManifestError,
  loadFaceModelManifest,
  parseFaceModelManifest,
  type OnnxFaceModelManifest
} from '../../../src/main/engine/face/manifest'
import { FaceModelFileError, FaceModelMismatchError, OnnxFaceEmbedder } from '../../../src/main/engine/face/onnxEmbedder'
import type { FaceDetection, FaceDetector } from '../../../src/main/engine/face/types'
import { OnnxBuilder } from '../../../src/main/engine/onnx/builder'
import { faceModelManifest, flattenModel } from './helpers'

const RESOURCES = join(import.meta.dirname, '..', '..', '..', 'resources', 'face-models')

/** Flatten then a fixed 192×16 projection: a small embedding network. */
function projectionModel(weights: Float32Array): Uint8Array {
  const g = new OnnxBuilder()
  const x = g.input('pixels', 'float32', ['N', 3, 8, 8])
  const w = g.constant(weights, [192, 16], 'proj.weight')
  g.output(g.matMul(g.reshape(x, [-1, 192]), w), 'embedding', ['N', 16])
  return g.build()
}

function testImage(w: number, h: number): FaceImage {
  const data = new Uint8Array(w * h * 3)
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256
  return { width: w, height: h, channels: 3, data }
}

function normalized(v: ArrayLike<number>): number[] {
  const n = Math.hypot(...Array.from(v))
  return Array.from(v, (x) => x / n)
}

const opened: OnnxFaceEmbedder[] = []
async function open(options: Parameters<typeof OnnxFaceEmbedder.create>[0]): Promise<OnnxFaceEmbedder> {
  const e = await OnnxFaceEmbedder.create(options)
  opened.push(e)
  return e
}
afterAll(async () => {
  for (const e of opened) await e.dispose()
})

describe('ONNX face embedder plumbing', () => {
  it('feeds NCHW RGB in [-1, 1] and L2-normalises the output', async () => {
    const embedder = await open({ manifest: faceModelManifest(), model: flattenModel('pixels', [1, 3, 8, 8]) })
    const img = testImage(8, 8)
    const r = await embedder.embed(img)
    expect(r.detected).toBe(true)
    if (!r.detected) return
    expect(r.model).toBe('tiny-test-model')
    expect(r.detectorScore).toBe(1)
    expect(r.box).toEqual({ x: 0, y: 0, width: 8, height: 8 })
    const expected: number[] = []
    for (let c = 0; c < 3; c++) for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) expected.push(img.data[(y * 8 + x) * 3 + c]! / 127.5 - 1)
    const want = normalized(expected)
    r.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))
    expect(Math.hypot(...r.embedding)).toBeCloseTo(1, 5)
    expect(embedder.describe()).toMatchObject({ dims: 192, needsAlignment: false, defaultThreshold: 0.5 })
  })

  it('feeds NHWC BGR with mean/std, resizes to the input size, accepts grey input', async () => {
    const m = faceModelManifest({
      input: { name: 'img', layout: 'NHWC', channelOrder: 'BGR', normalization: { kind: 'mean-std', mean: [100, 110, 120], std: [50, 60, 70] } }
    })
    const embedder = await open({ manifest: m, model: flattenModel('img', [1, 8, 8, 3]) })
    const img = testImage(8, 8)
    const r = await embedder.embed(img)
    if (!r.detected) throw new Error('expected a result')
    const expected: number[] = []
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        const p = (y * 8 + x) * 3
        const bgr = [img.data[p + 2]!, img.data[p + 1]!, img.data[p]!]
        for (let c = 0; c < 3; c++) expected.push((bgr[c]! - [100, 110, 120][c]!) / [50, 60, 70][c]!)
      }
    }
    const want = normalized(expected)
    r.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))

    // a 16×16 image of 2×2 blocks is resized to the 8×8 block colours
    const big = new Uint8Array(16 * 16 * 3)
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) big.set(img.data.subarray(((y >> 1) * 8 + (x >> 1)) * 3, ((y >> 1) * 8 + (x >> 1)) * 3 + 3), (y * 16 + x) * 3)
    const r2 = await embedder.embed({ width: 16, height: 16, channels: 3, data: big })
    if (!r2.detected) throw new Error('expected a result')
    r2.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5))

    const grey = await embedder.embed({ width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(200) })
    expect(grey.detected).toBe(true)
  })

  it('runs a small projection network and uses the only output when the manifest names none', async () => {
    const w = Float32Array.from({ length: 192 * 16 }, (_, i) => Math.sin(i * 0.37))
    const m = faceModelManifest({ output: { dims: 16 }, input: { normalization: { kind: 'zero-to-one' } } })
    const embedder = await open({ manifest: m, model: projectionModel(w) })
    const img = testImage(8, 8)
    const r = await embedder.embed(img)
    if (!r.detected) throw new Error('expected a result')
    const x: number[] = []
    for (let c = 0; c < 3; c++) for (let y = 0; y < 8; y++) for (let xx = 0; xx < 8; xx++) x.push(img.data[(y * 8 + xx) * 3 + c]! / 255)
    const out = Array.from({ length: 16 }, (_, j) => x.reduce((s, v, i) => s + v * w[i * 16 + j]!, 0))
    const want = normalized(out)
    expect(r.embedding).toHaveLength(16)
    r.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4))
  })

  it('aligns with the detector’s 5 points to the ArcFace template (scaled to the input size)', async () => {
    const size = 16
    // landmarks = template at 16 px, ×2, shifted by (5, 7) → the chip is image pixel 2·(x, y) + (5, 7)
    const five = ARCFACE_TEMPLATE_112.map((p) => ({ x: ((p.x * size) / 112) * 2 + 5, y: ((p.y * size) / 112) * 2 + 7 }))
    const detector: FaceDetector & { calls: number } = {
      id: 'fixed-detector',
      calls: 0,
      async detect(): Promise<FaceDetection[]> {
        this.calls++
        return [{ score: 0.93, box: { x: 5, y: 7, width: 32, height: 32 }, landmarks68: null, landmarks5: five }]
      }
    }
    const m = faceModelManifest({ needsAlignment: true, input: { width: size, height: size }, output: { name: 'embedding', dims: 3 * size * size } })
    const embedder = await open({ manifest: m, model: flattenModel('pixels', [1, 3, size, size]), detector })
    const img = testImage(64, 64)
    const r = await embedder.embed(img)
    if (!r.detected) throw new Error('expected a face')
    expect(detector.calls).toBe(1)
    expect(r.detectorScore).toBe(0.93)
    expect(r.landmarks).toEqual(five)
    const chip = warpAffine(img, [2, 0, 5, 0, 2, 7], size, size)
    const expected: number[] = []
    for (let c = 0; c < 3; c++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) expected.push(chip.data[(y * size + x) * 3 + c]! / 127.5 - 1)
    const want = normalized(expected)
    r.embedding.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4))
  })

  it('reports no face when the detector finds none, and needs a detector for alignment', async () => {
    const none: FaceDetector = { id: 'blind', detect: async () => [] }
    const embedder = await open({ manifest: faceModelManifest(), model: flattenModel('pixels', [1, 3, 8, 8]), detector: none })
    const r = await embedder.embed(testImage(8, 8))
    expect(r).toMatchObject({ detected: false, embedding: null, faceCount: 0 })
    expect(r.reason).toMatch(/no face found by blind/)
    await expect(
      OnnxFaceEmbedder.create({ manifest: faceModelManifest({ needsAlignment: true }), model: flattenModel('pixels', [1, 3, 8, 8]), detector: null })
    ).rejects.toThrow(/needs aligned faces/)
  })
})

describe('manifest / model mismatches', () => {
  const model = flattenModel('pixels', [1, 3, 8, 8])
  const mismatch = async (m: OnnxFaceModelManifest): Promise<FaceModelMismatchError> => {
    const err = await OnnxFaceEmbedder.create({ manifest: m, model }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FaceModelMismatchError)
    return err as FaceModelMismatchError
  }

  it('names a wrong input name and lists the model’s inputs', async () => {
    const err = await mismatch(faceModelManifest({ input: { name: 'data' } }))
    expect(err.message).toMatch(/input 'data' is not an input of the model \(it has 1 input: 'pixels' float32 \[1, 3, 8, 8\]\)/)
  })

  it('names a wrong input size or layout', async () => {
    const err = await mismatch(faceModelManifest({ input: { width: 112, height: 112 } }))
    expect(err.message).toMatch(/input 'pixels' is \[1, 3, 8, 8\] but the manifest says 112×112 NCHW/)
    const err2 = await mismatch(faceModelManifest({ input: { layout: 'NHWC' } }))
    expect(err2.message).toMatch(/input 'pixels' has 8 channels/)
  })

  it('names a wrong output name or size', async () => {
    expect((await mismatch(faceModelManifest({ output: { name: 'fc1', dims: 192 } }))).message).toMatch(/output 'fc1' is not an output of the model \(its outputs: 'embedding'/)
    expect((await mismatch(faceModelManifest({ output: { name: 'embedding', dims: 512 } }))).message).toMatch(/output 'embedding' has shape \[1, 192\].*manifest says 512 dims/)
  })

  it('rejects invalid manifests with the failing fields', () => {
    let err: unknown
    try {
      parseFaceModelManifest({ ...faceModelManifest(), input: { ...faceModelManifest().input, layout: 'CHW' }, defaultThreshold: 3 })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(FaceModelManifestError)
    expect((err as FaceModelManifestError).issues.join('\n')).toMatch(/input\.layout/)
    expect((err as FaceModelManifestError).issues.join('\n')).toMatch(/defaultThreshold/)
  })

  it('checks the model file hash when the manifest gives one', async () => {
    const m = faceModelManifest({ model: { path: null, sha256: '0'.repeat(64) } })
    await expect(OnnxFaceEmbedder.create({ manifest: m, model })).rejects.toThrow(/SHA-256/)
  })
})

describe('shipped face-model manifests', () => {
  it('ArcFace r100: valid, threshold 0.622, weights supplied by the user', async () => {
    const m = await loadFaceModelManifest(join(RESOURCES, 'arcface-r100.json'))
    expect(m.kind).toBe('onnx')
    if (m.kind !== 'onnx') return
    expect(m).toMatchObject({
      defaultThreshold: 0.622,
      needsAlignment: true,
      input: { width: 112, height: 112, channelOrder: 'RGB', layout: 'NCHW', normalization: { kind: 'minus-one-to-one' } },
      output: { dims: 512 },
      model: { path: null }
    })
    expect(m.thresholdNote).toMatch(/ArcBiFaceGAN/)
    await expect(OnnxFaceEmbedder.create({ manifest: m, detector: null })).rejects.toThrow(FaceModelFileError)
    await expect(OnnxFaceEmbedder.create({ manifest: { ...m, needsAlignment: false } })).rejects.toThrow(/weights are not shipped/)
    await expect(OnnxFaceEmbedder.create({ manifest: { ...m, needsAlignment: false }, modelPath: '/nonexistent/arcface.onnx' })).rejects.toThrow(
      /model file \/nonexistent\/arcface\.onnx does not exist/
    )
  })

  it('face-api: valid and carries the threshold the embedder uses', async () => {
    const m = await loadFaceModelManifest(join(RESOURCES, 'face-api.json'))
    expect(m.kind).toBe('face-api')
    expect(m.defaultThreshold).toBe(FACE_API_DEFAULT_THRESHOLD)
    expect(m.thresholdNote).toBe(FACE_API_THRESHOLD_NOTE)
    const raw = JSON.parse(await readFile(join(RESOURCES, 'face-api.json'), 'utf8'))
    expect(raw.calibration).toBeDefined()
  })
})
