// Privacy filter separation and face-embedding throughput of the default face model
// (face-api: tiny face detector + 68 landmarks + dlib-chip alignment + 128-d recogniser).
//
// Run: npx tsx bench/privacy.ts   → prints the figures, writes bench/results/privacy.json
//
//  * Separation on the augmentation set of src/main/engine/face/calibration.ts: the 22 faces of
//    face-api's six real demo photos (hand-labelled, 21 identities) as 256 px references, and 11
//    augmented probes of each (resize, flip, shifts of 3–5 % of the face box, brightness ±15 %,
//    tight/loose framing, combinations at 96–128 px). Reports the smallest same-person and the
//    largest different-person cosine similarity, the midpoint (the calibration rule of the
//    default threshold) and the errors at the shipped threshold.
//  * Detection on synthetic faces: the built-in renderer's faces at 64, 128 and 256 px.
//  * Throughput: embeddings per second (wall and per CPU-second: on a shared machine the CPU
//    figure says what a free core delivers) and privacy decisions per second against 10 000
//    references.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import {
  AUGMENTATIONS,
  DEMO_FACES,
  REFERENCE_CROP,
  cropDemoFace,
  demoPhotoPath,
  measureSeparation,
  type EmbeddedCrop
} from '../src/main/engine/face/calibration'
import { FaceApiDetector, FaceApiEmbedder } from '../src/main/engine/face/faceApi'
import { FACE_API_DEFAULT_THRESHOLD } from '../src/main/engine/face/thresholds'
import { decodeImageFile, type FaceImage } from '../src/main/engine/face/image'
import { privacyDecision } from '../src/main/engine/face/privacy'
import { ReferenceIdentitySet } from '../src/main/engine/face/reference'
import { render, sampleParams } from '../src/main/engine/render'
import { mulberry32 } from '../src/main/engine/random/mulberry32'

const round = (v: number | null | undefined, d = 4): number | null => (v == null ? null : Math.round(v * 10 ** d) / 10 ** d)

async function main(): Promise<void> {
  const t0 = performance.now()
  const embedder = await FaceApiEmbedder.create()
  const loadSeconds = (performance.now() - t0) / 1000
  const description = embedder.describe()
  console.log(`model ${embedder.id}`)
  console.log(`backend ${embedder.detector.runtime.backend}, models loaded in ${loadSeconds.toFixed(2)} s`)

  const photos = new Map<number, FaceImage>()
  for (const face of DEMO_FACES) if (!photos.has(face.sample)) photos.set(face.sample, await decodeImageFile(demoPhotoPath(face.sample)))

  let embeds = 0
  let embedWall = 0
  let cpuMicros = 0
  const scores: Record<string, number[]> = {}
  const embedCrop = async (face: (typeof DEMO_FACES)[number], name: string, image: FaceImage): Promise<EmbeddedCrop> => {
    const c0 = process.cpuUsage()
    const w0 = performance.now()
    const r = await embedder.embed(image)
    embedWall += performance.now() - w0
    const c = process.cpuUsage(c0)
    cpuMicros += c.user + c.system
    embeds++
    if (r.detected) (scores[name] ??= []).push(r.detectorScore)
    return { face, crop: name, embedding: r.embedding, detectorScore: r.detectorScore }
  }

  const references: EmbeddedCrop[] = []
  const probes: EmbeddedCrop[] = []
  for (const face of DEMO_FACES) {
    const photo = photos.get(face.sample)!
    references.push(await embedCrop(face, REFERENCE_CROP.name, cropDemoFace(photo, face, REFERENCE_CROP.spec)))
    for (const aug of AUGMENTATIONS) probes.push(await embedCrop(face, aug.name, cropDemoFace(photo, face, aug.spec)))
    process.stdout.write('.')
  }
  process.stdout.write('\n')
  const sep = measureSeparation(references, probes, FACE_API_DEFAULT_THRESHOLD)
  const frontal = measureSeparation(
    references.filter((r) => r.face.pose === 'frontal'),
    probes.filter((p) => p.face.pose === 'frontal'),
    FACE_API_DEFAULT_THRESHOLD
  )
  // Same crop's augmentations only (no cross-photo pair): the robustness the filter needs for near-copies.
  let minSameFace: { pair: string; similarity: number } | null = null
  for (const p of probes) {
    const r = references.find((x) => x.face.id === p.face.id)
    if (p.embedding == null || r?.embedding == null || p.face.pose !== 'frontal') continue
    let s = 0
    for (let k = 0; k < p.embedding.length; k++) s += p.embedding[k]! * r.embedding[k]!
    if (minSameFace == null || s < minSameFace.similarity) minSameFace = { pair: `${p.face.id}/${p.crop} vs ${r.face.id}/${r.crop}`, similarity: s }
  }

  // Synthetic faces from the built-in renderer: detection rate and score per size.
  const synthetic: Record<string, { detected: number; total: number; minScore: number | null }> = {}
  for (const size of [64, 128, 256]) {
    let detected = 0
    let minScore: number | null = null
    const total = 12
    for (let i = 0; i < total; i++) {
      const r = render(sampleParams(7000 + i), { size, modalities: ['rgb'] })
      const res = await embedder.embed({ width: size, height: size, channels: 3, data: r.rgb! })
      if (res.detected) {
        detected++
        minScore = Math.min(minScore ?? 1, res.detectorScore)
      }
    }
    synthetic[`${size}px`] = { detected, total, minScore: round(minScore, 3) }
  }

  // Detector comparison (why the tiny detector in passes is the default): faces found among the
  // demo faces cropped at 2× the box and the renderer's synthetic faces, per output size.
  const detectorRows: Record<string, { sizes: Record<string, { demo: string; synthetic: string }>; msPerImage: number }> = {}
  const candidates: Array<[string, FaceApiDetector]> = [
    ['tiny, default passes', embedder.detector],
    ['tiny 416, no border', await FaceApiDetector.create({ kind: 'tiny', passes: [{ pad: 0, inputSize: 416 }] })],
    ['ssd mobilenet v1 (512)', await FaceApiDetector.create({ kind: 'ssd', passes: [{ pad: 0 }] })]
  ]
  for (const [name, detector] of candidates) {
    const row: Record<string, { demo: string; synthetic: string }> = {}
    let images = 0
    const w0 = performance.now()
    for (const size of [64, 128, 256]) {
      let demo = 0
      for (const face of DEMO_FACES) {
        if ((await detector.detect(cropDemoFace(photos.get(face.sample)!, face, { size }))).length > 0) demo++
        images++
      }
      let synth = 0
      for (let i = 0; i < 6; i++) {
        const r = render(sampleParams(7100 + i), { size, modalities: ['rgb'] })
        if ((await detector.detect({ width: size, height: size, channels: 3, data: r.rgb! })).length > 0) synth++
        images++
      }
      row[`${size}px`] = { demo: `${demo}/${DEMO_FACES.length}`, synthetic: `${synth}/6` }
    }
    detectorRows[name] = { sizes: row, msPerImage: Math.round((performance.now() - w0) / images) }
  }

  // Decision throughput against 10 000 references (random unit vectors).
  const n = 10_000
  const rng = mulberry32(1)
  const refs = ReferenceIdentitySet.fromEmbeddings(
    embedder.id,
    Array.from({ length: n }, (_, i) => ({ identity: `id${i}`, file: `f${i}.png`, embedding: Float32Array.from({ length: 128 }, () => rng() - 0.5) }))
  )
  const probe = probes.find((p) => p.embedding != null)!
  const result = {
    model: embedder.id,
    detected: true as const,
    detectorScore: 0.9,
    box: { x: 0, y: 0, width: 1, height: 1 },
    landmarks: null,
    embedding: probe.embedding!,
    faceCount: 1
  }
  const d0 = performance.now()
  let decisions = 0
  while (performance.now() - d0 < 1000) {
    privacyDecision(result, refs, { threshold: FACE_API_DEFAULT_THRESHOLD, noFace: 'reject' })
    decisions++
  }
  const decisionsPerSecond = decisions / ((performance.now() - d0) / 1000)

  const report = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', loadavg: loadavg().map((v) => round(v, 2)) },
    model: embedder.id,
    backend: embedder.detector.runtime.backend,
    threshold: description.defaultThreshold,
    separation: {
      minSamePerson: round(sep.minSame?.similarity),
      minSamePair: sep.minSame ? `${sep.minSame.a} vs ${sep.minSame.b}` : null,
      maxDifferentPerson: round(sep.maxDifferent?.similarity),
      maxDifferentPair: sep.maxDifferent ? `${sep.maxDifferent.a} vs ${sep.maxDifferent.b}` : null,
      margin: round(sep.margin),
      midpoint: round(sep.midpoint),
      samePairs: sep.samePairs,
      differentPairs: sep.differentPairs,
      undetected: sep.undetected,
      uncertainPairs: sep.uncertainPairs.map((p) => ({ ...p, similarity: round(p.similarity) })),
      missedMatchesAtThreshold: sep.errors?.missedMatches.map((p) => ({ ...p, similarity: round(p.similarity) })),
      falseMatchesAtThreshold: sep.errors?.falseMatches.map((p) => ({ ...p, similarity: round(p.similarity) })),
      frontalOnly: {
        minSamePerson: round(frontal.minSame?.similarity),
        minSamePair: frontal.minSame ? `${frontal.minSame.a} vs ${frontal.minSame.b}` : null,
        maxDifferentPerson: round(frontal.maxDifferent?.similarity),
        maxDifferentPair: frontal.maxDifferent ? `${frontal.maxDifferent.a} vs ${frontal.maxDifferent.b}` : null,
        margin: round(frontal.margin),
        midpoint: round(frontal.midpoint)
      },
      minSameCropAugmentation: minSameFace ? { pair: minSameFace.pair, similarity: round(minSameFace.similarity) } : null
    },
    detectorScores: Object.fromEntries(
      Object.entries(scores).map(([k, v]) => [k, { detected: v.length, of: DEMO_FACES.length, min: round(Math.min(...v), 3), median: round(median(v), 3) }])
    ),
    synthetic,
    detectors: detectorRows,
    throughput: {
      modelLoadSeconds: round(loadSeconds, 2),
      embeddings: embeds,
      embeddingsPerSecond: round(embeds / (embedWall / 1000), 2),
      embeddingsPerCpuSecond: round(embeds / (cpuMicros / 1e6), 2),
      decisionsPerSecondAt10kReferences: Math.round(decisionsPerSecond)
    }
  }

  console.log(`augmentation set: ${references.length} references, ${probes.length} probes, ${sep.samePairs} same-person and ${sep.differentPairs} different-person pairs`)
  console.log(`  min same-person similarity      ${report.separation.minSamePerson}  (${report.separation.minSamePair})`)
  console.log(`  max different-person similarity ${report.separation.maxDifferentPerson}  (${report.separation.maxDifferentPair})`)
  console.log(`  margin ${report.separation.margin}, midpoint ${report.separation.midpoint}, shipped threshold ${report.threshold}`)
  console.log(`  at the threshold: ${sep.errors?.missedMatches.length} missed same-person, ${sep.errors?.falseMatches.length} false different-person matches`)
  console.log(
    `  frontal faces only: min same ${report.separation.frontalOnly.minSamePerson}, max different ${report.separation.frontalOnly.maxDifferentPerson}, ` +
      `margin ${report.separation.frontalOnly.margin}; augmented crops vs their own reference ≥ ${report.separation.minSameCropAugmentation?.similarity}`
  )
  console.log(`  undetected crops: ${sep.undetected.length ? sep.undetected.join(', ') : 'none'}`)
  const unc = report.separation.uncertainPairs.map((p) => p.similarity ?? 0)
  console.log(`  uncertain pairs (excluded): ${unc.length}, similarity ${Math.min(...unc)}..${Math.max(...unc)}`)
  console.log(`synthetic faces detected: ${Object.entries(synthetic).map(([k, v]) => `${k} ${v.detected}/${v.total} (min score ${v.minScore})`).join(', ')}`)
  console.log('detectors (faces found at 64 / 128 / 256 px: demo crops, synthetic; ms per image):')
  for (const [name, row] of Object.entries(detectorRows)) {
    const cells = Object.values(row.sizes).map((c) => `${c.demo} ${c.synthetic}`)
    console.log(`  ${name.padEnd(24)} ${cells.join(' | ')}  ${String(row.msPerImage)} ms`)
  }
  console.log(
    `throughput: ${report.throughput.embeddingsPerSecond} embeddings/s wall, ${report.throughput.embeddingsPerCpuSecond} per CPU-second; ` +
      `${report.throughput.decisionsPerSecondAt10kReferences} decisions/s against 10 000 references`
  )
  const out = join(import.meta.dirname, 'results')
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, 'privacy.json'), JSON.stringify(report, null, 2) + '\n')
  console.log(`wrote ${join(out, 'privacy.json')}`)
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b)
  return s[s.length >> 1]!
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
