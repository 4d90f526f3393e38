// Prediction with a trained interpreter for project samples (model-in-the-loop): the voted
// mask and the per-pixel JS uncertainty. Runs in workers only: the one-shot interpreter.predict
// worker (workers/interpreterPredict.ts), and the prediction phase of a training run or a
// `predict-interpreter` job (predictUnannotated, stored by predictions.ts).
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InterpreterPrediction } from '../../../shared/interpreter'
import { predictSample, type Prediction } from '../../engine/interpreter/inference'
import { loadModel, type InterpreterModelMeta } from '../../engine/interpreter/modelFile'
import type { Tf } from '../../engine/tf/types'
import { computeFeatures } from '../generatorFeatures'
import { readProject } from '../projectStore'
import { annotatedSampleIds, checkClasses, checkGenerator, InterpreterInputError, readSampleFile } from './projectData'
import { PREDICTIONS_DIR, quantizeUncertainty, SCORES_FILE, writePredictions } from './predictions'
import { MODEL_DIR, RUN_CONFIG, type RunConfigFile } from './trainRun'

export interface ProjectPredictor {
  meta: InterpreterModelMeta
  predict(sampleId: string): Promise<Prediction>
}

/** Loads a run's interpreter and checks it against the project's classes (once) and each sample's generator and size. */
export async function openProjectPredictor(tf: Tf, projectDir: string, runId: string): Promise<ProjectPredictor> {
  const model = await loadModel(join(projectDir, 'runs', runId, MODEL_DIR))
  const { meta, params } = model
  const { project } = await readProject(projectDir)
  checkClasses(meta.classes, project.classes, runId)
  const generatorPath = typeof meta.training?.generatorPath === 'string' ? meta.training.generatorPath : null
  const layout = meta.layout
  return {
    meta,
    async predict(sampleId) {
      const sample = await readSampleFile(projectDir, sampleId)
      if (sample.generator.kind !== 'onnx') throw new InterpreterInputError(`sample "${sampleId}" was drawn by the built-in renderer, which has no feature maps`)
      checkGenerator({ generatorSha256: meta.generatorSha256, generatorPath }, { sha256: sample.generator.sha256, path: sample.generator.path }, runId)
      if (sample.width !== layout.width || sample.height !== layout.height) {
        throw new InterpreterInputError(`sample "${sampleId}" is ${sample.width}×${sample.height}; interpreter ${runId} works at ${layout.width}×${layout.height}`)
      }
      const f = await computeFeatures(projectDir, sampleId, { names: layout.maps.map((m) => m.name) })
      const maps = layout.maps.map((m) => {
        const map = f.features.get(m.name)
        if (!map || map.shape[1] !== m.channels || map.shape[2] !== m.height || map.shape[3] !== m.width) {
          throw new InterpreterInputError(`feature "${m.name}" of the generator does not have the shape interpreter ${runId} was trained on (${m.channels}×${m.height}×${m.width})`)
        }
        return map.data
      })
      return predictSample(tf, params, meta.dims, layout, maps)
    }
  }
}

export async function predictProjectSample(tf: Tf, projectDir: string, runId: string, sampleId: string): Promise<InterpreterPrediction> {
  const predictor = await openProjectPredictor(tf, projectDir, runId)
  const pred = await predictor.predict(sampleId)
  const { layout, dims } = predictor.meta
  const { bytes, max } = quantizeUncertainty(pred.uncertainty, dims.K)
  return { runId, sampleId, width: layout.width, height: layout.height, labels: pred.mask, uncertainty: bytes, uncertaintyMax: max, score: pred.score }
}

/**
 * The samples a run can predict: not annotated, drawn by the generator the interpreter was
 * trained for, at its size. Sorted by id.
 */
export async function predictableSampleIds(projectDir: string, meta: Pick<InterpreterModelMeta, 'generatorSha256' | 'layout'>): Promise<{ ids: string[]; otherGenerator: number }> {
  const annotated = new Set(await annotatedSampleIds(projectDir))
  let entries: string[] = []
  try {
    entries = await readdir(join(projectDir, 'samples'))
  } catch {
    return { ids: [], otherGenerator: 0 }
  }
  const ids: string[] = []
  let otherGenerator = 0
  for (const id of entries.sort()) {
    if (annotated.has(id)) continue
    const sample = await readSampleFile(projectDir, id).catch(() => null)
    if (!sample) continue
    const fits = sample.generator.kind === 'onnx' && (!meta.generatorSha256 || sample.generator.sha256 === meta.generatorSha256) && sample.width === meta.layout.width && sample.height === meta.layout.height
    if (fits) ids.push(id)
    else otherGenerator++
  }
  return { ids, otherGenerator }
}

export interface PredictContext {
  projectDir: string
  progress(fraction: number, message?: string): void
  log(text: string, level?: 'info' | 'warn' | 'error'): void
  checkCancelled(): void
  /** Told the project-relative scores.json once every prediction is stored (the backend then refreshes the Gallery). */
  artifact?(projectRelativePath: string): void
}

/** Predicts every unannotated sample with run `runId` into runs/<id>/predictions/ (samples done before are kept). */
export async function predictUnannotated(ctx: PredictContext, tf: Tf, runId: string): Promise<{ predicted: number; kept: number; skipped: number }> {
  const runDir = join(ctx.projectDir, 'runs', runId)
  const predictor = await openProjectPredictor(tf, ctx.projectDir, runId)
  const { project } = await readProject(ctx.projectDir)
  const run = JSON.parse(await readFile(join(runDir, RUN_CONFIG), 'utf8').catch(() => '{}')) as Partial<RunConfigFile>
  const { ids, otherGenerator } = await predictableSampleIds(ctx.projectDir, predictor.meta)
  if (otherGenerator > 0) ctx.log(`${otherGenerator} unannotated sample(s) come from another generator or size and are not predicted`, 'warn')
  const result = await writePredictions({
    runDir,
    runId,
    runCreatedAt: run.createdAt ?? predictor.meta.createdAt,
    generatorSha256: predictor.meta.generatorSha256,
    classes: project.classes,
    width: predictor.meta.layout.width,
    height: predictor.meta.layout.height,
    sampleIds: ids,
    predict: (id) => predictor.predict(id),
    progress: (done, total) => ctx.progress(total ? done / total : 1, `predicting unannotated samples ${done}/${total}`),
    checkCancelled: () => ctx.checkCancelled()
  })
  ctx.artifact?.(`runs/${runId}/${PREDICTIONS_DIR}/${SCORES_FILE}`)
  ctx.log(`predictions: ${result.predicted} unannotated sample(s) predicted${result.kept ? `, ${result.kept} kept from before` : ''}`)
  return { ...result, skipped: otherGenerator }
}
