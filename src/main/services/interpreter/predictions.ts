// Model in the loop: the masks a trained interpreter predicts for the project's unannotated
// samples, stored under the run that made them:
//
//   runs/<id>/predictions/<sample>.png              voted mask, 8-bit palette PNG like annotations/
//                                                   (value = class id; background and 255 carry
//                                                   alpha 0 in tRNS, so browsers show it as an overlay)
//   runs/<id>/predictions/<sample>.uncertainty.png  per-pixel JS divergence, grey, 0…255 over [0, ln K]
//   runs/<id>/predictions/scores.json               run, generator, classes, and per sample its
//                                                   image score (mean of the top 10 % uncertainties)
//
// Every file is written atomically, the PNGs before their scores.json entry, so an entry always
// has its mask. Predictions belong to a run and a generator: when the project's generator or its
// class list changes, they are stale and not shown as current (currentPredictions).
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { SampleInfo } from '../../../shared/api'
import type { InterpreterPredictionsInfo } from '../../../shared/interpreter'
import type { ProjectFile } from '../../../shared/project'
import { writeFileAtomic, writeJsonAtomic } from '../../engine/io/atomic'
import { maskPalette } from '../../engine/io/masks'
import { decodePng, encodeIndexedPng, encodePng } from '../../engine/io/png'
import type { Prediction } from '../../engine/interpreter/inference'

export const PREDICTIONS_DIR = 'predictions'
export const SCORES_FILE = 'scores.json'

export interface PredictionScoresFile {
  format: 'twinlight-predictions'
  version: 1
  runId: string
  /** When the run was created (orders runs: the newest run's predictions are the current ones). */
  runCreatedAt: string
  generatorSha256: string | null
  classes: { id: number; name: string }[]
  width: number
  height: number
  updatedAt: string
  /** Per sample: the image score (nats) and when it was predicted. */
  samples: Record<string, { score: number; at: string }>
}

export function predictionMaskPath(runId: string, sampleId: string): string {
  return `runs/${runId}/${PREDICTIONS_DIR}/${sampleId}.png`
}

export function predictionUncertaintyPath(runId: string, sampleId: string): string {
  return `runs/${runId}/${PREDICTIONS_DIR}/${sampleId}.uncertainty.png`
}

export async function readPredictionScores(runDir: string): Promise<PredictionScoresFile | null> {
  try {
    const file = JSON.parse(await readFile(join(runDir, PREDICTIONS_DIR, SCORES_FILE), 'utf8')) as PredictionScoresFile
    return file.format === 'twinlight-predictions' && file.version === 1 && file.samples && typeof file.samples === 'object' ? file : null
  } catch {
    return null
  }
}

/** Per-pixel uncertainty (nats) to bytes over [0, ln K], as interpreter.predict reports it. */
export function quantizeUncertainty(values: Float32Array, K: number): { bytes: Uint8Array; max: number } {
  const max = Math.log(Math.max(2, K))
  const bytes = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round((values[i] / max) * 255)))
  return { bytes, max }
}

/** The voted mask as a palette PNG whose background (0) and unlabelled (255) entries are transparent. */
export function encodePredictionPng(mask: Uint8Array, width: number, height: number, classes: ReadonlyArray<{ id: number; name: string; color: string }>): Uint8Array {
  const alpha = new Uint8Array(256).fill(0)
  for (const c of classes) if (c.id !== 0) alpha[c.id] = 255
  return encodeIndexedPng({ width, height, indices: mask, palette: maskPalette(classes), alpha })
}

export interface WritePredictionsInput {
  /** Absolute runs/<id>. */
  runDir: string
  runId: string
  runCreatedAt: string
  generatorSha256: string | null
  classes: ReadonlyArray<{ id: number; name: string; color: string }>
  width: number
  height: number
  /** Samples to predict, in order; those already in scores.json (with their mask) are skipped. */
  sampleIds: readonly string[]
  predict(sampleId: string): Promise<Prediction>
  progress(done: number, total: number): void
  checkCancelled(): void
  /** Milliseconds between scores.json writes (default 2000; always written at the end). */
  flushIntervalMs?: number
}

/** Predicts and stores the samples' masks (resumable: finished samples are kept). Returns how many were predicted now. */
export async function writePredictions(input: WritePredictionsInput): Promise<{ predicted: number; kept: number }> {
  const dir = join(input.runDir, PREDICTIONS_DIR)
  await mkdir(dir, { recursive: true })
  const previous = await readPredictionScores(input.runDir)
  const sameSet = previous && previous.runId === input.runId && previous.generatorSha256 === input.generatorSha256 && sameClasses(previous.classes, input.classes)
  const file: PredictionScoresFile = {
    format: 'twinlight-predictions',
    version: 1,
    runId: input.runId,
    runCreatedAt: input.runCreatedAt,
    generatorSha256: input.generatorSha256,
    classes: input.classes.map((c) => ({ id: c.id, name: c.name })),
    width: input.width,
    height: input.height,
    updatedAt: new Date().toISOString(),
    samples: sameSet ? { ...previous.samples } : {}
  }
  const todo = input.sampleIds.filter((id) => !(file.samples[id] && existsSync(join(dir, `${id}.png`))))
  const kept = input.sampleIds.length - todo.length
  const flushMs = input.flushIntervalMs ?? 2000
  const flush = async () => {
    file.updatedAt = new Date().toISOString()
    await writeJsonAtomic(join(dir, SCORES_FILE), file)
  }
  let lastFlush = Date.now()
  let predicted = 0
  input.progress(kept, input.sampleIds.length)
  try {
    for (const id of todo) {
      input.checkCancelled()
      const p = await input.predict(id)
      await writeFileAtomic(join(dir, `${id}.png`), encodePredictionPng(p.mask, input.width, input.height, input.classes))
      await writeFileAtomic(join(dir, `${id}.uncertainty.png`), encodePng({ width: input.width, height: input.height, channels: 1, data: quantizeUncertainty(p.uncertainty, input.classes.length).bytes }))
      file.samples[id] = { score: p.score, at: new Date().toISOString() }
      predicted++
      input.progress(kept + predicted, input.sampleIds.length)
      if (Date.now() - lastFlush >= flushMs) {
        await flush()
        lastFlush = Date.now()
      }
    }
  } finally {
    // Also when cancelled or failed: what is done stays done.
    await flush()
  }
  return { predicted, kept }
}

function sameClasses(a: ReadonlyArray<{ id: number; name: string }>, b: ReadonlyArray<{ id: number; name: string }>): boolean {
  return a.length === b.length && a.every((c, i) => c.id === b[i].id && c.name === b[i].name)
}

/** Why a prediction set does not fit the project as it is now, or null when it does. */
export function predictionStaleness(file: Pick<PredictionScoresFile, 'runId' | 'generatorSha256' | 'classes'>, project: Pick<ProjectFile, 'classes' | 'generator'>): string | null {
  if (!sameClasses(file.classes, project.classes)) return `the project's classes changed since run ${file.runId} was trained`
  const generator = project.generator
  if (generator.kind !== 'onnx') return `run ${file.runId} was trained for an ONNX generator; the project now uses the built-in renderer`
  if (file.generatorSha256 !== generator.sha256) return `the project's generator changed since run ${file.runId} was trained`
  return null
}

export interface PredictionSet {
  info: InterpreterPredictionsInfo
  /** Score per predicted sample (only when the set is current). */
  scores: Map<string, number>
}

/**
 * The predictions of the newest run that has any, and whether they are current. Stale
 * predictions are reported (with the reason) but carry no scores, so nothing shows them.
 */
export async function currentPredictions(projectDir: string, project: Pick<ProjectFile, 'classes' | 'generator'>): Promise<PredictionSet | null> {
  let entries: string[]
  try {
    entries = await readdir(join(projectDir, 'runs'))
  } catch {
    return null
  }
  let newest: PredictionScoresFile | null = null
  for (const id of entries) {
    const file = await readPredictionScores(join(projectDir, 'runs', id))
    if (!file || file.runId !== id) continue
    if (!newest || file.runCreatedAt > newest.runCreatedAt || (file.runCreatedAt === newest.runCreatedAt && file.runId > newest.runId)) newest = file
  }
  if (!newest) return null
  const stale = predictionStaleness(newest, project)
  const count = Object.keys(newest.samples).length
  return {
    info: { runId: newest.runId, count, updatedAt: newest.updatedAt, stale },
    scores: stale ? new Map() : new Map(Object.entries(newest.samples).map(([id, s]) => [id, s.score]))
  }
}

/**
 * Adds the current predictions to the Gallery's sample list: `prediction` on every predicted
 * sample, and status 'predicted' on those that are not annotated.
 */
export function applyPredictions(samples: SampleInfo[], set: PredictionSet | null): SampleInfo[] {
  if (!set || set.scores.size === 0) return samples
  const runId = set.info.runId
  return samples.map((s) => {
    const score = set.scores.get(s.id)
    if (score === undefined) return s
    return {
      ...s,
      status: s.status === 'unlabeled' ? 'predicted' : s.status,
      prediction: { runId, mask: predictionMaskPath(runId, s.id), uncertaintyMap: predictionUncertaintyPath(runId, s.id), uncertainty: score }
    }
  })
}

/** A stored prediction as interpreter.predict returns it, or null when there is none. */
export async function readStoredPrediction(projectDir: string, set: PredictionSet | null, sampleId: string, runId?: string): Promise<{ labels: Uint8Array; uncertainty: Uint8Array; width: number; height: number; score: number; runId: string } | null> {
  if (!set || (runId && runId !== set.info.runId)) return null
  const score = set.scores.get(sampleId)
  if (score === undefined) return null
  try {
    const mask = decodePng(await readFile(join(projectDir, predictionMaskPath(set.info.runId, sampleId))))
    const unc = decodePng(await readFile(join(projectDir, predictionUncertaintyPath(set.info.runId, sampleId))))
    if (mask.channels !== 1 || unc.channels !== 1 || mask.width !== unc.width || mask.height !== unc.height) return null
    return { labels: mask.data, uncertainty: unc.data, width: mask.width, height: mask.height, score, runId: set.info.runId }
  } catch {
    return null
  }
}
