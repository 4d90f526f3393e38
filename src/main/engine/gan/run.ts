// A training run in a folder: what the CLI (`twinlight train-generator`) and the job worker
// (workers/trainGenerator.ts) both drive.
//
//   <runDir>/config.json                  the config, the backend of every session, timings
//   <runDir>/metrics.jsonl                (CLI only; the job manager writes it for jobs)
//   <runDir>/checkpoints/step-XXXXXXXX.ckpt
//   <runDir>/previews/step-XXXXXXXX.png   fixed seeds, every modality (+ renderer reference)
//   <runDir>/export/generator.onnx, generator.json
// Cancelling (signal) saves a checkpoint first, so the run resumes where it stopped.
import { appendFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TfBackendRecord } from '../tf/backend'
import type { Tf } from '../tf/types'
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic'
import { inspectOnnx } from '../onnx/inspect'
import { assertManifestMatchesGraph } from '../onnx/manifest'
import { checkpointFileName, latestCheckpoint, listCheckpoints, readCheckpoint, writeCheckpoint, GanCheckpointError } from './checkpoint'
import { parseGanConfig, type GanConfig } from './config'
import { openDataSource } from './data'
import { exportGeneratorOnnx } from './export'
import { previewPng, renderReference } from './preview'
import { GanTrainer, type StepMetrics } from './trainer'

export class GanRunCancelled extends Error {
  constructor() {
    super('cancelled')
    this.name = 'GanRunCancelled'
  }
}

export interface GanRunOptions {
  tf: Tf
  backend: TfBackendRecord | null
  runDir: string
  /** Config of a new run (ignored when resuming: the checkpoint's config is used). */
  config?: GanConfig
  /** Continue from the newest checkpoint in runDir. */
  resume?: boolean
  /** Total steps when resuming (to train a finished run longer); default: the stored config's. */
  steps?: number
  /** Stop (with a checkpoint and an export) after this many seconds of this session. */
  maxSeconds?: number
  signal?: AbortSignal
  /** Write metrics.jsonl here (the job manager writes its own for jobs). */
  writeMetrics?: boolean
  /** Export to ONNX when the run reaches its last step (default true). */
  exportAtEnd?: boolean
  log?: (text: string, level?: 'info' | 'warn' | 'error') => void
  onProgress?: (step: number, total: number, note: string) => void
  onMetrics?: (step: number, values: Record<string, number>) => void
  /** A file written under runDir (path relative to runDir). */
  onArtifact?: (relativePath: string) => void
}

export interface GanRunResult {
  step: number
  steps: number
  finished: boolean
  trainSeconds: number
  sessionSeconds: number
  stepsPerSecond: number
  exported: { onnx: string; manifest: string; bytes: number } | null
  lastCheckpoint: string | null
}

interface RunRecord {
  config: GanConfig
  createdAt: string
  sessions: { startedAt: string; fromStep: number; backend: TfBackendRecord | null; host: { platform: string; cpus: number } }[]
}

async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  try {
    return JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')) as RunRecord
  } catch {
    return null
  }
}

const yieldToEvents = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

export async function runGanTraining(options: GanRunOptions): Promise<GanRunResult> {
  const { tf, runDir } = options
  const log = options.log ?? (() => undefined)
  await mkdir(runDir, { recursive: true })
  let trainer: GanTrainer
  const latest = await latestCheckpoint(runDir)
  if (options.resume) {
    if (!latest) throw new GanCheckpointError(`nothing to resume: ${join(runDir, 'checkpoints')} holds no checkpoint`)
    const contents = await readCheckpoint(latest)
    const stored = contents.header.config
    const config = parseGanConfig(options.steps !== undefined ? { ...stored, steps: options.steps } : stored, `the config stored in ${latest}`)
    const data = await openDataSource(config)
    trainer = GanTrainer.fromCheckpoint(tf, { header: { ...contents.header, config }, tensors: contents.tensors }, data)
    log(`resumed from ${latest} at step ${trainer.step}`)
  } else {
    if (latest) throw new GanCheckpointError(`${runDir} already holds checkpoints; resume it or choose another folder`)
    if (!options.config) throw new Error('a new run needs a config')
    const data = await openDataSource(options.config)
    trainer = await GanTrainer.create(tf, options.config, data)
    log(`new run: ${data.description}`)
  }
  const config = trainer.config

  // config.json: the config and, per session, the backend in use.
  const record: RunRecord = (await readRunRecord(runDir)) ?? { config, createdAt: new Date().toISOString(), sessions: [] }
  record.config = config
  record.sessions.push({
    startedAt: new Date().toISOString(),
    fromStep: trainer.step,
    backend: options.backend,
    host: { platform: process.platform, cpus: (await import('node:os')).cpus().length }
  })
  await writeJsonAtomic(join(runDir, 'config.json'), { ...record, backend: options.backend })
  options.onArtifact?.('config.json')

  const reference = config.conditional ? renderReference(config.previewSeeds, config.modalities, config.resolution) : null
  const writePreview = async (): Promise<void> => {
    const samples = trainer.sample(config.previewSeeds)
    const rel = join('previews', checkpointFileName(trainer.step).replace('.ckpt', '.png'))
    await writeFileAtomic(join(runDir, rel), previewPng(samples, config.modalities, reference, config.resolution < 64 ? 2 : 1))
    options.onArtifact?.(rel)
  }
  let lastCheckpoint: string | null = latest
  const checkpoint = async (): Promise<void> => {
    lastCheckpoint = await writeCheckpoint(runDir, trainer.checkpointContents(), config.keepCheckpoints)
    options.onArtifact?.(join('checkpoints', checkpointFileName(trainer.step)))
  }

  const sessionStart = performance.now()
  const startStep = trainer.step
  const total = config.steps
  let windowStart = performance.now()
  let windowSteps = 0
  const sums: Record<string, number> = {}
  const counts: Record<string, number> = {}
  let finished = false
  try {
    if (trainer.step === 0) await writePreview()
    while (trainer.step < total) {
      if (options.signal?.aborted) throw new GanRunCancelled()
      if (options.maxSeconds !== undefined && (performance.now() - sessionStart) / 1000 >= options.maxSeconds) {
        log(`time budget of ${options.maxSeconds} s reached at step ${trainer.step}`)
        break
      }
      const metrics: StepMetrics = await trainer.trainStep()
      windowSteps++
      for (const [k, v] of Object.entries(metrics)) {
        if (!Number.isFinite(v)) throw new Error(`training diverged at step ${trainer.step}: ${k} = ${v}`)
        sums[k] = (sums[k] ?? 0) + v
        counts[k] = (counts[k] ?? 0) + 1
      }
      const step = trainer.step
      if (step % config.metricsEvery === 0 || step === total) {
        const seconds = (performance.now() - windowStart) / 1000
        const values: Record<string, number> = {}
        for (const k of Object.keys(sums)) values[k] = sums[k] / counts[k]
        values.steps_per_s = windowSteps / Math.max(1e-9, seconds)
        values.images_per_s = (windowSteps * config.batchSize) / Math.max(1e-9, seconds)
        options.onMetrics?.(step, values)
        if (options.writeMetrics) await appendFile(join(runDir, 'metrics.jsonl'), JSON.stringify({ step, values }) + '\n')
        for (const k of Object.keys(sums)) {
          delete sums[k]
          delete counts[k]
        }
        windowStart = performance.now()
        windowSteps = 0
        const main = values.g_loss !== undefined ? `G ${values.g_loss.toFixed(3)}` : ''
        options.onProgress?.(step, total, `${main} · ${values.steps_per_s.toFixed(2)} steps/s`)
      } else {
        options.onProgress?.(step, total, '')
      }
      if (step % config.previewEvery === 0) await writePreview()
      if (step % config.checkpointEvery === 0) await checkpoint()
      await yieldToEvents()
    }
    finished = trainer.step >= total
  } catch (error) {
    if (error instanceof GanRunCancelled && trainer.step > startStep) {
      await checkpoint()
      log(`cancelled at step ${trainer.step}; checkpoint saved, resume to continue`)
    }
    trainer.dispose()
    throw error
  }
  // Stopped by the budget or finished: make sure the last state is on disk.
  const listed = await listCheckpoints(runDir)
  if (listed.length === 0 || listed[listed.length - 1].step !== trainer.step) await checkpoint()
  if (trainer.step % config.previewEvery !== 0) await writePreview()
  let exported: GanRunResult['exported'] = null
  if (options.exportAtEnd ?? true) exported = await exportTrainer(trainer, runDir, options.onArtifact)
  const sessionSeconds = (performance.now() - sessionStart) / 1000
  const result: GanRunResult = {
    step: trainer.step,
    steps: total,
    finished,
    trainSeconds: trainer.trainSeconds,
    sessionSeconds,
    stepsPerSecond: (trainer.step - startStep) / Math.max(1e-9, sessionSeconds),
    exported,
    lastCheckpoint
  }
  trainer.dispose()
  return result
}

/** Write export/generator.onnx + generator.json from G_ema; validated against the graph. */
export async function exportTrainer(
  trainer: GanTrainer,
  runDir: string,
  onArtifact?: (relativePath: string) => void
): Promise<{ onnx: string; manifest: string; bytes: number }> {
  const exported = exportGeneratorOnnx({
    config: trainer.config,
    weights: trainer.weights('G_ema'),
    buffers: trainer.generatorBuffers(),
    metadata: { 'twinlight.step': String(trainer.step), 'twinlight.imagesSeen': String(trainer.imagesSeen) }
  })
  assertManifestMatchesGraph(exported.manifest, inspectOnnx(exported.onnx))
  const onnx = join(runDir, 'export', 'generator.onnx')
  const manifest = join(runDir, 'export', 'generator.json')
  await writeFileAtomic(onnx, exported.onnx)
  await writeJsonAtomic(manifest, exported.manifest)
  onArtifact?.(join('export', 'generator.onnx'))
  onArtifact?.(join('export', 'generator.json'))
  return { onnx, manifest, bytes: exported.onnx.length }
}

/** Export the newest checkpoint of a run folder (e.g. a cancelled run) without training data. */
export async function exportRunCheckpoint(tf: Tf, runDir: string, onArtifact?: (relativePath: string) => void): Promise<{ onnx: string; manifest: string; bytes: number; step: number }> {
  const latest = await latestCheckpoint(runDir)
  if (!latest) throw new GanCheckpointError(`${runDir} has no checkpoint to export`)
  const contents = await readCheckpoint(latest)
  const config = parseGanConfig(contents.header.config, `the config stored in ${latest}`)
  const trainer = GanTrainer.fromCheckpoint(tf, { header: { ...contents.header, config }, tensors: contents.tensors }, null)
  try {
    return { ...(await exportTrainer(trainer, runDir, onArtifact)), step: trainer.step }
  } finally {
    trainer.dispose()
  }
}
