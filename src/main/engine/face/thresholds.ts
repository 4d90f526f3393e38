// Default thresholds of the built-in face model (kept apart from faceApi.ts so that reading
// them does not load TensorFlow.js). resources/face-models/face-api.json carries the same values.

/**
 * Default cosine threshold of the face-api embedder (dlib chip alignment, L2-normalised
 * 128-d descriptors). See FACE_API_THRESHOLD_NOTE and resources/face-models/face-api.json.
 */
export const FACE_API_DEFAULT_THRESHOLD = 0.94

export const FACE_API_THRESHOLD_NOTE =
  'Calibrated on the six real group photos shipped in @vladmandic/face-api/demo (22 faces of 21 people, identities labelled by ' +
  'hand; src/main/engine/face/calibration.ts, re-measured by bench/privacy.ts). Each face is enrolled as a 256 px crop of 2× its ' +
  'face box and probed with 11 augmented crops of the same face (128/96 px, horizontal flip, shifts of 3–5 % of the box, ' +
  'brightness ±15 %, 1.5× and 3× framing, combinations). Threshold = midpoint between the largest different-person cosine ' +
  '(0.9388) and the smallest same-person cosine (0.9419, a near-profile face; the one person who appears in two photos scores ' +
  '≥ 0.954; augmented crops of frontal faces score ≥ 0.991 against their own reference), rounded to 0.94. The margin is narrow: ' +
  "dlib's descriptors put all faces in a tight cone (different people 0.80–0.94, median 0.88), so this model separates " +
  'near-copies from look-alikes only; use an ArcFace model for a stricter filter. This is not the naive conversion of ' +
  "face-api's Euclidean threshold 0.6 with d² = 2 − 2·cos (cos 0.82, which would reject almost every pair): the raw descriptors " +
  'have norm ≈ 1.45, so d = 0.6 corresponds to cos ≈ 1 − 0.36 / (2·1.45²) ≈ 0.91.'
