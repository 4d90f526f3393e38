import { describe, expect, it } from 'vitest'
import { privacyDecision, PrivacyFilterError, maxDot } from '../../../src/main/engine/face/privacy'
import { ReferenceIdentitySet } from '../../../src/main/engine/face/reference'
import { faceNotFound, type FaceFound } from '../../../src/main/engine/face/types'

const MODEL = 'test-model'

/** Unit vector in 4-d at angle θ from e0 towards e1. */
function at(theta: number): Float32Array {
  return Float32Array.of(Math.cos(theta), Math.sin(theta), 0, 0)
}

function found(embedding: Float32Array, detectorScore = 0.99, model = MODEL): FaceFound {
  return { model, detected: true, detectorScore, box: { x: 10, y: 10, width: 50, height: 60 }, landmarks: null, embedding, faceCount: 1 }
}

const noFace = faceNotFound(MODEL, 'no face found')

// References: alice at 0 rad (two images), bob at 90°, carol at 180°.
const refs = ReferenceIdentitySet.fromEmbeddings(MODEL, [
  { identity: 'alice', file: 'alice/1.png', embedding: at(0) },
  { identity: 'alice', file: 'alice/2.png', embedding: at(0.2) },
  { identity: 'bob', file: 'bob/1.png', embedding: Float32Array.of(0, 0, 1, 0) },
  { identity: 'carol', file: 'carol_01.png', embedding: at(Math.PI) }
])

describe('privacyDecision on constructed embeddings', () => {
  it('rejects a sample more similar than the threshold and names the closest reference', () => {
    // cos(0.25 − 0.2) = cos 0.05 ≈ 0.99875 against alice/2.png, cos 0.25 ≈ 0.969 against alice/1.png
    const d = privacyDecision(found(at(0.25)), refs, { threshold: 0.9, noFace: 'reject' })
    expect(d.kept).toBe(false)
    expect(d.reason).toBe('too-similar')
    expect(d.closestReference).toEqual({ identity: 'alice', file: 'alice/2.png' })
    expect(d.maxSimilarity).toBeCloseTo(Math.cos(0.05), 5)
    expect(d.detectorScore).toBe(0.99)
  })

  it('keeps a sample below the threshold and still reports the closest reference', () => {
    // 60° from alice/1 → cos = 0.5; 0.2 rad closer to alice/2: cos(π/3 − 0.2) ≈ 0.663
    const d = privacyDecision(found(at(Math.PI / 3)), refs, { threshold: 0.7, noFace: 'reject' })
    expect(d).toMatchObject({ kept: true, reason: 'ok', closestReference: { identity: 'alice', file: 'alice/2.png' } })
    expect(d.maxSimilarity).toBeCloseTo(Math.cos(Math.PI / 3 - 0.2), 5)
  })

  it('compares against every reference embedding, not one per identity', () => {
    const d = privacyDecision(found(Float32Array.of(0, 0, 0.8, 0.6)), refs, { threshold: 0.75, noFace: 'reject' })
    expect(d).toMatchObject({ kept: false, reason: 'too-similar', closestReference: { identity: 'bob', file: 'bob/1.png' } })
    expect(d.maxSimilarity).toBeCloseTo(0.8, 6)
  })

  it('rejects only strictly above the threshold', () => {
    const e = Float32Array.of(0, 0, 0.8, 0.6)
    const sim = maxDot(refs.matrix, refs.dims, e).value
    expect(privacyDecision(found(e), refs, { threshold: sim, noFace: 'reject' }).kept).toBe(true)
    expect(privacyDecision(found(e), refs, { threshold: sim - 1e-6, noFace: 'reject' }).kept).toBe(false)
  })

  it('applies the no-face policy', () => {
    expect(privacyDecision(noFace, refs, { threshold: 0.5, noFace: 'reject' })).toEqual({
      kept: false,
      reason: 'no-face',
      maxSimilarity: null,
      closestReference: null,
      detectorScore: null
    })
    expect(privacyDecision(noFace, refs, { threshold: 0.5, noFace: 'keep' })).toMatchObject({ kept: true, reason: 'no-face' })
  })

  it('rejects a detector score below the minimum, even when the face is dissimilar', () => {
    const d = privacyDecision(found(Float32Array.of(0, 0, 0, 1), 0.9), refs, { threshold: 0.5, noFace: 'keep', minDetectorScore: 0.97 })
    expect(d).toMatchObject({ kept: false, reason: 'low-detector-score', detectorScore: 0.9 })
    expect(d.maxSimilarity).toBeCloseTo(0, 6)
    expect(d.closestReference).not.toBeNull()
    // at or above the minimum the similarity decides
    expect(privacyDecision(found(Float32Array.of(0, 0, 0, 1), 0.97), refs, { threshold: 0.5, noFace: 'keep', minDetectorScore: 0.97 }).reason).toBe('ok')
  })

  it('refuses embeddings of another model or size, and bad options', () => {
    expect(() => privacyDecision(found(at(0), 0.99, 'other-model'), refs, { threshold: 0.5, noFace: 'reject' })).toThrow(/other-model.*test-model/)
    expect(() => privacyDecision(found(Float32Array.of(1, 0)), refs, { threshold: 0.5, noFace: 'reject' })).toThrow(PrivacyFilterError)
    expect(() => privacyDecision(found(at(0)), refs, { threshold: 1.5, noFace: 'reject' })).toThrow(/threshold/)
    expect(() => privacyDecision(found(at(0)), refs, { threshold: Number.NaN, noFace: 'reject' })).toThrow(/threshold/)
    expect(() => privacyDecision(found(at(0)), refs, { threshold: 0.5, noFace: 'drop' as 'keep' })).toThrow(/noFace/)
    expect(() => privacyDecision(found(at(0)), refs, { threshold: 0.5, noFace: 'keep', minDetectorScore: 2 })).toThrow(/minDetectorScore/)
  })

  it('normalises reference rows and groups identities', () => {
    const set = ReferenceIdentitySet.fromEmbeddings(MODEL, [
      { identity: 'a', file: 'a.png', embedding: [3, 4] },
      { identity: 'a', file: 'a2.png', embedding: [0, 2] }
    ])
    expect(Array.from(set.embedding(0))).toEqual([Math.fround(0.6), Math.fround(0.8)])
    expect([...set.identities()]).toEqual([['a', 2]])
    expect(() => ReferenceIdentitySet.fromEmbeddings(MODEL, [])).toThrow(/at least one/)
    expect(() => ReferenceIdentitySet.fromEmbeddings(MODEL, [{ identity: 'z', file: 'z.png', embedding: [0, 0] }])).toThrow(/zero/)
  })
})
