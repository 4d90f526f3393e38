// One interpreter training run, as the `train-interpreter` job (workers/trainInterpreter.ts)
// and `twinlight train-interpreter` execute it. Everything lives in runs/<id>/:
//
//   config.json                the configuration, samples, classes, generator, feature layout,
//                              TensorFlow.js backend record
//   metrics.jsonl, log.jsonl   appended by the job manager (or the CLI)
//   checkpoints/latest.ckpt    the phase in progress (parameters, Adam state, trainer state)
//   interpreter/model.json|bin the trained ensemble;  interpreter/interpreter.onnx its ONNX export
//   train.json                 training summary
//   eval/fold-<f>.json, eval/<sample>.png, eval/summary.json   k-fold cross-validation
//
// Phases: 'final' (the model on every annotated sample), then 'fold-0' … 'fold-(k−1)'. A
// finished phase is recognised by its output file, the phase in progress by the checkpoint, so
// resuming continues the same run where it stopped (bit-identical to an uninterrupted run: the
// pixel order is a function of seed and epoch, and the checkpoint holds the complete state).
import { existsSync } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { InterpreterConfigSchema, type EvalSampleResult, type InterpreterConfig, type InterpreterEvalSummary, type InterpreterTrainSummary } from '../../../shared/interpreter'
import type { ClassDef } from '../../../shared/project'
import { writeFileAtomic, writeJsonAtomic } from '../../engine/io/atomic'
import { ConfusionMatrix, maskMetrics } from '../../engine/metrics'
import { fillBank, type FeatureBank, type FeatureSource } from '../../engine/interpreter/features'
import { bankImageMaps, makeFolds, sideBySide, trainingIds } from '../../engine/interpreter/evaluate'
import { predictSample } from '../../engine/interpreter/inference'
import { describeLayout } from '../../engine/interpreter/layout'
import { BN_EPSILON } from '../../engine/interpreter/model'
import { exportMetadata, readCheckpoint, saveModel, writeCheckpoint } from '../../engine/interpreter/modelFile'
import { buildInterpreterOnnx } from '../../engine/interpreter/onnxExport'
import { InterpreterTrainer, estimateSteps, type TrainerSnapshot } from '../../engine/interpreter/trainer'
import { createGemm, type GemmEngine } from '../../engine/interpreter/gemm'
import { toBackendRecord, type TfInit } from '../../engine/tf/backend'

export interface TrainContext {
  projectDir: string
  /** Absolute path of runs/<id>. */
  jobDir: string
  resume: boolean
  signal: AbortSignal
  progress(fraction: number, message?: string): void
  log(text: string, level?: 'info' | 'warn' | 'error'): void
  metrics(step: number, values: Record<string, number>): void
  artifact(projectRelativePath: string): void
  checkCancelled(): void
}

export interface TrainRunInput {
  config: InterpreterConfig
  classes: ReadonlyArray<Pick<ClassDef, 'id' | 'name' | 'color'>>
  samples: ReadonlyArray<{ id: string; labels: Uint8Array }>
  source: FeatureSource
  generator: { sha256: string; path: string } | null
  tf: TfInit
  /**
   * 'train' (default): the final model, then cross-validation, resumable.
   * 'evaluate': cross-validation only, on an existing run (eval/ is rewritten; no checkpoints).
   */
  mode?: 'train' | 'evaluate'
  /** Seconds between checkpoints (default 30). */
  checkpointSeconds?: number
  /**
   * Milliseconds between metric reports (default 150): the curves need a few points a second,
   * not one per step. Tests set 0 so that what they see does not depend on the machine's speed.
   */
  metricsIntervalMs?: number
  /**
   * Model in the loop: run after the final model is saved (also when a resumed run finds it
   * done), before cross-validation, so predictions show while the folds train. A failure is
   * logged and does not fail the run.
   */
  predict?: (progress: (fraction: number, message?: string) => void) => Promise<void>
  /** Test hook: told which samples each fold trains on. */
  onFold?: (fold: number, train: readonly string[], heldOut: readonly string[]) => void
}

export interface TrainRunResult {
  train: InterpreterTrainSummary | null
  eval: InterpreterEvalSummary | null
}

export const RUN_CONFIG = 'config.json'
export const CHECKPOINT = join('checkpoints', 'latest.ckpt')
export const MODEL_DIR = 'interpreter'
export const ONNX_FILE = join('interpreter', 'interpreter.onnx')
export const TRAIN_SUMMARY = 'train.json'
export const EVAL_DIR = 'eval'

export interface RunConfigFile {
  kind: 'train-interpreter'
  runId: string
  createdAt: string
  config: InterpreterConfig
  samples: string[]
  classes: { id: number; name: string; color: string }[]
  generator: { sha256: string; path: string } | null
  layout: FeatureSource['layout']
  labelledPixels: number
  tf: ReturnType<typeof toBackendRecord>
}

interface CheckpointExtra {
  phase: string
}

function relative(ctx: TrainContext, path: string): string {
  const rel = path.startsWith(ctx.projectDir) ? path.slice(ctx.projectDir.length).replace(/^[\\/]+/, '') : path
  return rel.split('\\').join('/')
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

export async function runInterpreterTraining(ctx: TrainContext, input: TrainRunInput): Promise<TrainRunResult> {
  const started = Date.now()
  const { config, tf } = input
  const runId = ctx.jobDir.split(/[\\/]/).pop() ?? 'run'
  const evaluateOnly = input.mode === 'evaluate'
  const resume = ctx.resume && !evaluateOnly
  await mkdir(join(ctx.jobDir, 'checkpoints'), { recursive: true })
  if (evaluateOnly) await rm(join(ctx.jobDir, EVAL_DIR), { recursive: true, force: true })
  const labelledPixels = input.samples.reduce((s, x) => s + x.labels.reduce((a, v) => a + (v !== 255 ? 1 : 0), 0), 0)

  // config.json (kept from the first start when resuming).
  const configPath = join(ctx.jobDir, RUN_CONFIG)
  if (evaluateOnly) {
    // The run's config.json stays as it is.
  } else if (!resume || !existsSync(configPath)) {
    const file: RunConfigFile = {
      kind: 'train-interpreter',
      runId,
      createdAt: new Date().toISOString(),
      config,
      samples: input.samples.map((s) => s.id),
      classes: input.classes.map((c) => ({ id: c.id, name: c.name, color: c.color })),
      generator: input.generator,
      layout: input.source.layout,
      labelledPixels,
      tf: toBackendRecord(tf)
    }
    await writeJsonAtomic(configPath, file)
  } else {
    const previous = JSON.parse(await readFile(configPath, 'utf8')) as RunConfigFile
    const same = JSON.stringify(previous.config) === JSON.stringify(config) && JSON.stringify(previous.samples) === JSON.stringify(input.samples.map((s) => s.id))
    if (!same) throw new Error(`run ${runId} was started with another configuration or other samples; it cannot be resumed with these (start a new run)`)
  }
  ctx.log(`${input.samples.length} annotated samples, ${labelledPixels} labelled pixels, ${describeLayout(input.source.layout)}; TensorFlow.js on ${tf.description}`)

  // Features: native resolutions, float16, never per pixel.
  ctx.progress(0, 'reading features')
  const bank = await fillBank(input.source, input.samples, (done, total) => ctx.progress(0, `reading features ${done}/${total}`))
  ctx.log(`features of ${bank.images.length} samples held as float16 at native resolution: ${(bank.bytes / 2 ** 20).toFixed(1)} MiB`)
  ctx.checkCancelled()

  // Phases and their weights (expected steps).
  const ids = input.samples.map((s) => s.id)
  const plan = config.folds > 0 ? makeFolds(ids, config.folds, config.seed) : { k: 0, leaveOneOut: false, folds: [] as string[][] }
  if (config.folds > 0 && plan.k === 0) ctx.log('cross-validation needs at least 2 annotated samples; skipped', 'warn')
  const labelledOf = new Map(input.samples.map((s) => [s.id, s.labels.reduce((a, v) => a + (v !== 255 ? 1 : 0), 0)]))
  const phases: { name: string; weight: number; fold: number | null }[] = []
  if (!evaluateOnly) phases.push({ name: 'final', weight: estimateSteps(labelledPixels, config), fold: null })
  plan.folds.forEach((held, f) => {
    const pixels = trainingIds(ids, held).reduce((s, id) => s + labelledOf.get(id)!, 0)
    phases.push({ name: `fold-${f}`, weight: estimateSteps(pixels, config) * 1.05, fold: f })
  })
  // The prediction step after the final model counts as a tenth of its training.
  const predictWeight = input.predict && !evaluateOnly ? phases[0].weight * 0.1 : 0
  const totalWeight = phases.reduce((s, p) => s + p.weight, 0) + predictWeight
  let doneWeight = 0

  const checkpoint = resume ? await readCheckpoint(join(ctx.jobDir, CHECKPOINT)) : null
  const resumePhase = (checkpoint?.header.extra as CheckpointExtra | undefined)?.phase
  let train: InterpreterTrainSummary | null = null
  const gemm = await openGemm(ctx, config, input.tf)
  const predictStep = async () => {
    if (!predictWeight || !input.predict) return
    const base = doneWeight
    try {
      await input.predict((fraction, message) => ctx.progress((base + fraction * predictWeight) / totalWeight, message))
    } catch (error) {
      if (ctx.signal.aborted) throw error
      ctx.log(`predicting the unannotated samples failed: ${(error as Error).message}`, 'warn')
    }
    doneWeight += predictWeight
  }

  try {
    for (const phase of phases) {
      const finishedFile = phase.fold === null ? join(ctx.jobDir, MODEL_DIR, 'model.json') : join(ctx.jobDir, EVAL_DIR, `fold-${phase.fold}.json`)
      if (resume && existsSync(finishedFile)) {
        if (phase.fold === null && existsSync(join(ctx.jobDir, TRAIN_SUMMARY))) train = JSON.parse(await readFile(join(ctx.jobDir, TRAIN_SUMMARY), 'utf8'))
        doneWeight += phase.weight
        ctx.log(`${phase.name}: already done`)
        if (phase.fold === null) await predictStep()
        continue
      }
      const snapshot = checkpoint && resumePhase === phase.name ? checkpoint.snapshot : undefined
      if (snapshot) ctx.log(`${phase.name}: resuming from the checkpoint at step ${snapshot.state.step} (epoch ${snapshot.state.epoch})`)
      const fold = phase.fold
      const trainIds = fold === null ? ids : trainingIds(ids, plan.folds[fold])
      if (fold !== null) input.onFold?.(fold, trainIds, plan.folds[fold])
      const phaseBank = fold === null ? bank : bank.subset(trainIds)
      const base = doneWeight
      const result = await trainPhase(ctx, input, gemm, phaseBank, phase.name, snapshot, (fraction, message) => ctx.progress((base + fraction * phase.weight) / totalWeight, message), fold === null ? 'final' : 'fold', !evaluateOnly)
      doneWeight += phase.weight
      if (fold === null) {
        train = result.summary
        const dir = join(ctx.jobDir, MODEL_DIR)
        await mkdir(dir, { recursive: true })
        const onnx = buildInterpreterOnnx(result.trainer.params, result.trainer.dims, bank.layout, {
          metadata: exportMetadata({ generatorSha256: input.generator?.sha256 ?? null, classes: input.classes }, runId)
        })
        await writeFileAtomic(join(ctx.jobDir, ONNX_FILE), onnx)
        await writeJsonAtomic(join(ctx.jobDir, TRAIN_SUMMARY), train)
        await saveModel(dir, {
          createdAt: new Date().toISOString(),
          generatorSha256: input.generator?.sha256 ?? null,
          classes: input.classes.map((c) => ({ id: c.id, name: c.name })),
          layout: bank.layout,
          dims: result.trainer.dims,
          config,
          params: result.trainer.params,
          bnEpsilon: BN_EPSILON,
          training: { ...train, runId, sampleIds: ids, generatorPath: input.generator?.path ?? null }
        })
        ctx.artifact(relative(ctx, join(dir, 'model.json')))
        ctx.artifact(relative(ctx, join(ctx.jobDir, ONNX_FILE)))
        ctx.log(`model saved: ${train.steps} steps, ${train.epochs.toFixed(2)} epochs in ${train.seconds.toFixed(1)} s`)
        await result.trainer.dispose()
        await predictStep()
        continue
      }
      await evaluateFold(ctx, input, bank, fold, plan.folds[fold], trainIds, result)
      await result.trainer.dispose()
    }
  } finally {
    await gemm.dispose()
  }

  let evalSummary: InterpreterEvalSummary | null = null
  if (plan.k > 0) {
    evalSummary = await summarizeFolds(ctx, input, plan.k, plan.leaveOneOut, ids.length, Date.now() - started)
    ctx.artifact(relative(ctx, join(ctx.jobDir, EVAL_DIR, 'summary.json')))
    ctx.log(`cross-validation (${plan.leaveOneOut ? 'leave-one-out' : `${plan.k}-fold`}): mIoU ${fmt(evalSummary.miou)}, pixel accuracy ${fmt(evalSummary.pixelAccuracy)}`)
  }
  ctx.progress(1, 'done')
  return { train, eval: evalSummary }
}

function fmt(v: number | null): string {
  return v === null ? 'n/a' : (v * 100).toFixed(1) + ' %'
}

/** The GEMM engine a config asks for ('auto': onnxruntime when it loads, else TensorFlow.js). */
async function openGemm(ctx: TrainContext, config: InterpreterConfig, tf: TfInit): Promise<GemmEngine> {
  if (config.gemm === 'tfjs') return createGemm('tfjs', tf.tf)
  try {
    const engine = await createGemm('onnxruntime', tf.tf)
    ctx.log('first-layer products in onnxruntime (MLAS); the rest in TensorFlow.js')
    return engine
  } catch (error) {
    if (config.gemm === 'onnxruntime') throw error
    ctx.log(`onnxruntime is not available (${(error as Error).message}); using TensorFlow.js for every product`, 'warn')
    return createGemm('tfjs', tf.tf)
  }
}

async function trainPhase(
  ctx: TrainContext,
  input: TrainRunInput,
  gemm: GemmEngine,
  bank: FeatureBank,
  phase: string,
  snapshot: TrainerSnapshot | undefined,
  progress: (fraction: number, message: string) => void,
  kind: 'final' | 'fold',
  checkpoints: boolean
): Promise<{ trainer: InterpreterTrainer; summary: InterpreterTrainSummary }> {
  const started = Date.now()
  const trainer = new InterpreterTrainer(input.tf.tf, bank, input.classes.length, input.config, { resume: snapshot, gemm })
  const strategies = trainer.strategies.map((s) => `${s.group.width}²:${s.strategy}`).join(', ')
  ctx.log(`${phase}: ${bank.images.length} samples, ${trainer.labelledPixels} labelled pixels, ${trainer.stepsPerEpoch} steps per epoch; first layer ${strategies}`)
  const ckptPath = join(ctx.jobDir, CHECKPOINT)
  const save = () => writeCheckpoint(ckptPath, trainer.dims, trainer.snapshot(), { phase } satisfies CheckpointExtra)
  let lastCheckpoint = Date.now()
  let lastMetrics = 0
  const everySeconds = input.checkpointSeconds ?? 30
  const metricsIntervalMs = input.metricsIntervalMs ?? 150
  while (!trainer.done) {
    const r = await trainer.step()
    const now = Date.now()
    if (r.done || now - lastMetrics >= metricsIntervalMs) {
      lastMetrics = now
      const values: Record<string, number> = {}
      const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length
      if (kind === 'final') {
        r.loss.forEach((v, i) => (values[`loss/m${i}`] = v))
        r.acc.forEach((v, i) => (values[`acc/m${i}`] = v))
        values['loss/mean'] = mean(r.loss)
        values['acc/mean'] = mean(r.acc)
        values.epoch = r.epoch + r.stepInEpoch / r.stepsPerEpoch
      } else {
        values[`${phase}/loss`] = mean(r.loss)
        values[`${phase}/acc`] = mean(r.acc)
      }
      ctx.metrics(r.step, values)
      const epochs = r.epoch + r.stepInEpoch / r.stepsPerEpoch
      progress(r.progress, `${phase === 'final' ? 'training' : `cross-validation ${phase}`}: step ${r.step}, epoch ${epochs.toFixed(2)}, loss ${mean(r.loss).toFixed(4)}`)
    }
    await tick()
    if (ctx.signal.aborted) {
      if (checkpoints) {
        await save()
        ctx.log(`${phase}: checkpoint saved at step ${r.step}; resume the job to continue`)
      }
      ctx.checkCancelled()
    }
    if (checkpoints && !trainer.done && now - lastCheckpoint >= everySeconds * 1000) {
      await save()
      lastCheckpoint = Date.now()
    }
  }
  const st = trainer.state
  const summary: InterpreterTrainSummary = {
    samples: bank.images.length,
    labelledPixels: trainer.labelledPixels,
    ensembleSize: trainer.dims.M,
    epochs: st.epoch + st.stepInEpoch / trainer.stepsPerEpoch,
    steps: st.step,
    seconds: (Date.now() - started) / 1000,
    loss: st.members.map((m) => m.loss),
    accuracy: st.members.map((m) => m.acc),
    trainAccuracy: null
  }
  return { trainer, summary }
}

interface FoldFile {
  fold: number
  heldOut: string[]
  trained: string[]
  confusion: number[]
  perSample: EvalSampleResult[]
  steps: number
  seconds: number
}

async function evaluateFold(
  ctx: TrainContext,
  input: TrainRunInput,
  bank: FeatureBank,
  fold: number,
  heldOut: readonly string[],
  trained: readonly string[],
  result: { trainer: InterpreterTrainer; summary: InterpreterTrainSummary }
): Promise<void> {
  const K = input.classes.length
  const cm = new ConfusionMatrix(K)
  const perSample: EvalSampleResult[] = []
  const dir = join(ctx.jobDir, EVAL_DIR)
  await mkdir(dir, { recursive: true })
  for (const id of heldOut) {
    ctx.checkCancelled()
    const image = bank.images.find((im) => im.id === id)!
    const pred = predictSample(input.tf.tf, result.trainer.params, result.trainer.dims, bank.layout, bankImageMaps(bank, image))
    cm.add(pred.mask, image.labels)
    const s = maskMetrics(pred.mask, image.labels, K)
    const png = join(dir, `${id}.png`)
    await writeFileAtomic(png, sideBySide({ width: bank.layout.width, height: bank.layout.height, annotation: image.labels, prediction: pred.mask, uncertainty: pred.uncertainty, colors: input.classes.map((c) => c.color) }))
    perSample.push({ sampleId: id, fold, miou: nanToNull(s.miou), pixelAccuracy: nanToNull(s.pixelAccuracy), uncertainty: pred.score, image: relative(ctx, png) })
    await tick()
  }
  const file: FoldFile = { fold, heldOut: [...heldOut], trained: [...trained], confusion: Array.from(cm.counts), perSample, steps: result.summary.steps, seconds: result.summary.seconds }
  await writeJsonAtomic(join(dir, `fold-${fold}.json`), file)
  const sc = cm.scores()
  ctx.log(`fold ${fold + 1}: held out ${heldOut.join(', ')}; mIoU ${fmt(nanToNull(sc.miou))}, pixel accuracy ${fmt(nanToNull(sc.pixelAccuracy))}`)
}

function nanToNull(v: number): number | null {
  return Number.isFinite(v) ? v : null
}

async function summarizeFolds(ctx: TrainContext, input: TrainRunInput, k: number, leaveOneOut: boolean, samples: number, ms: number): Promise<InterpreterEvalSummary> {
  const K = input.classes.length
  const cm = new ConfusionMatrix(K)
  const perSample: EvalSampleResult[] = []
  for (let f = 0; f < k; f++) {
    const file = JSON.parse(await readFile(join(ctx.jobDir, EVAL_DIR, `fold-${f}.json`), 'utf8')) as FoldFile
    const part = new ConfusionMatrix(K)
    part.counts.set(file.confusion)
    cm.merge(part)
    perSample.push(...file.perSample)
  }
  const s = cm.scores()
  const confusion = Array.from({ length: K }, (_, g) => Array.from({ length: K }, (_, p) => cm.get(g, p)))
  const summary: InterpreterEvalSummary = {
    folds: k,
    leaveOneOut,
    samples,
    classes: input.classes.map((c, i) => ({ id: c.id, name: c.name, iou: nanToNull(s.iou[i]), pixels: confusion[i].reduce((a, b) => a + b, 0) })),
    miou: nanToNull(s.miou),
    pixelAccuracy: nanToNull(s.pixelAccuracy),
    confusion,
    perSample: perSample.sort((a, b) => a.sampleId.localeCompare(b.sampleId)),
    seconds: ms / 1000,
    finishedAt: new Date().toISOString()
  }
  await writeJsonAtomic(join(ctx.jobDir, EVAL_DIR, 'summary.json'), summary)
  return summary
}

/** Parses a config object (CLI --config files, job params) with the schema's defaults. */
export function parseInterpreterConfig(raw: unknown): InterpreterConfig {
  return InterpreterConfigSchema.parse(raw ?? {})
}
