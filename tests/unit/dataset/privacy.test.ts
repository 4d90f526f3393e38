// The privacy stage wired to engine/face's privacyDecision, on constructed embeddings: every
// decision lands in metadata.jsonl with its identity score.
import { describe, expect, it, afterAll } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FaceEmbedder, FaceEmbeddingResult, ReferenceEmbeddings } from '../../../src/main/engine/face'
import { faceNotFound } from '../../../src/main/engine/face/types'
import { makeDataset } from '../../../src/main/engine/dataset'
import { FacePrivacyStage } from '../../../src/main/engine/dataset/privacy'
import { baseOptions } from './helpers'

const roots: string[] = []
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true })
})

/** Embeds an image as a unit vector at an angle given by its first pixel; a value divisible by 4 → "no face". */
const embedder: FaceEmbedder = {
  id: 'test-model',
  describe: () => ({ name: 'test', dims: 2, needsAlignment: false, defaultThreshold: 0.9, thresholdNote: 'test' }),
  embed: async (image): Promise<FaceEmbeddingResult> => {
    const v = image.data[(image.width * (image.height / 2) + image.width / 2) * image.channels + 2 * image.width]!
    if (v % 4 === 0) return faceNotFound('test-model', 'none')
    const a = (v / 255) * Math.PI
    return { model: 'test-model', faceCount: 1, detected: true, detectorScore: 1, box: { x: 0, y: 0, width: 1, height: 1 } as never, landmarks: null, embedding: Float32Array.of(Math.cos(a), Math.sin(a)) }
  }
}
/** One reference identity at angle 0 (pixel value 0): similarity = cos(angle). */
const references: ReferenceEmbeddings = {
  modelId: 'test-model',
  dims: 2,
  size: 1,
  nearest: (e) => ({ similarity: e[0]!, index: 0, identity: 'alice', file: 'alice/1.png' })
}

describe('privacy stage', () => {
  it('rejects samples too similar to a reference, and records identity scores', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tl-dataset-privacy-'))
    roots.push(root)
    const privacy = new FacePrivacyStage(embedder, references, { threshold: 0.9, noFace: 'reject' }, 'rgb')
    const summary = await makeDataset(baseOptions(root, { privacy, count: 8 }))
    const rows = (await readFile(join(root, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const r of rows) {
      const s = r.identity_score as number | null
      if (r.privacy === 'no-face') expect(r.reason).toBe('privacy:no-face')
      else if (s! > 0.9) expect(r.reason).toBe('privacy:too-similar')
      else expect(r.kept).toBe(true)
      if (s !== null) expect(r.closest_identity).toBe('alice')
    }
    expect(summary.counts['privacy:too-similar']).toBeGreaterThan(0)
    expect(summary.counts['privacy:no-face']).toBeGreaterThan(0)
    expect(summary.counts.kept).toBeGreaterThan(0)
    const total = Object.values(summary.counts).reduce((a, b) => a + b, 0)
    expect(total).toBe(8)
    expect(await readFile(join(root, 'README.md'), 'utf8')).toContain('threshold 0.9')
  })
})
