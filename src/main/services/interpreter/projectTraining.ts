// Training from a project: the annotated samples, their masks and the generator's features,
// handed to runInterpreterTraining. Shared by the job worker and the CLI.
import { TrainInterpreterParamsSchema, type TrainInterpreterParams } from '../../../shared/interpreter'
import { initTf } from '../../engine/tf/backend'
import { readProject } from '../projectStore'
import { releaseFeatureRuntimes } from '../generatorFeatures'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { checkClasses, checkGenerator, InterpreterInputError, loadAnnotatedSamples, ProjectFeatureSource } from './projectData'
import { predictUnannotated } from './predict'
import { RUN_CONFIG, runInterpreterTraining, type RunConfigFile, type TrainContext, type TrainRunResult } from './trainRun'

export async function trainFromProject(ctx: TrainContext, rawParams: unknown): Promise<TrainRunResult> {
  const params: TrainInterpreterParams = TrainInterpreterParamsSchema.parse(rawParams ?? {})
  const { project } = await readProject(ctx.projectDir)
  const samples = await loadAnnotatedSamples(ctx.projectDir, project.classes, params.samples)
  ctx.progress(0, 'opening the generator')
  try {
    const source = await ProjectFeatureSource.open(ctx.projectDir, samples.map((s) => s.id), params.features)
    const tf = await initTf()
    const runId = ctx.jobDir.split(/[\\/]/).pop() ?? ''
    return await runInterpreterTraining(ctx, {
      config: params.config,
      classes: project.classes,
      samples,
      source,
      generator: { sha256: source.generatorSha256, path: source.generatorPath },
      tf,
      // Model in the loop: the unannotated samples' masks, shown in the Gallery.
      predict: async (progress) => {
        await predictUnannotated({ projectDir: ctx.projectDir, progress, log: (text, level) => ctx.log(text, level), checkCancelled: () => ctx.checkCancelled(), artifact: (path) => ctx.artifact(path) }, tf.tf, runId)
      }
    })
  } finally {
    await releaseFeatureRuntimes()
  }
}

/**
 * k-fold cross-validation of an existing run (same configuration, samples and features; the
 * samples' current masks). Rewrites runs/<id>/eval/.
 */
export async function evaluateProjectRun(ctx: TrainContext, options: { folds?: number } = {}): Promise<TrainRunResult> {
  const runId = ctx.jobDir.split(/[\\/]/).pop() ?? ''
  let run: RunConfigFile
  try {
    run = JSON.parse(await readFile(join(ctx.jobDir, RUN_CONFIG), 'utf8'))
  } catch {
    throw new InterpreterInputError(`runs/${runId} is not an interpreter run (no ${RUN_CONFIG})`)
  }
  if (run.kind !== 'train-interpreter') throw new InterpreterInputError(`runs/${runId} is a ${String(run.kind)} run, not an interpreter run`)
  const { project } = await readProject(ctx.projectDir)
  checkClasses(run.classes, project.classes, runId)
  const config = { ...run.config, folds: options.folds ?? (run.config.folds > 0 ? run.config.folds : 5) }
  const samples = await loadAnnotatedSamples(ctx.projectDir, project.classes, run.samples)
  try {
    const source = await ProjectFeatureSource.open(ctx.projectDir, samples.map((s) => s.id), run.layout.maps.map((m) => m.name))
    if (run.generator) checkGenerator({ generatorSha256: run.generator.sha256, generatorPath: run.generator.path }, { sha256: source.generatorSha256, path: source.generatorPath }, runId)
    const tf = await initTf()
    return await runInterpreterTraining(ctx, {
      config,
      classes: project.classes,
      samples,
      source,
      generator: { sha256: source.generatorSha256, path: source.generatorPath },
      tf,
      mode: 'evaluate'
    })
  } finally {
    await releaseFeatureRuntimes()
  }
}
