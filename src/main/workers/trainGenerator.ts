// Job worker for generator training (kind 'train-generator') and for exporting a run's newest
// checkpoint to ONNX (kind 'export-generator'). The run folder is the job's own folder,
// runs/<job id>/ (config.json with the backend, checkpoints/, previews/, export/); resuming the
// job continues from its newest checkpoint with the same PRNG state.
import { isAbsolute, join, relative, resolve } from 'node:path'
import { runWorker, type JobContext } from './runtime'
import { ExportGeneratorParamsSchema, TrainGeneratorParamsSchema } from '../../shared/ganConfig'

/** Project-relative path of a file under the run folder, with forward slashes. */
function projectPath(ctx: JobContext, runDir: string, file: string): string {
  return relative(ctx.projectDir, join(runDir, file)).split('\\').join('/')
}

async function exportJob(ctx: JobContext): Promise<unknown> {
  const { runId } = ExportGeneratorParamsSchema.parse(ctx.params)
  const { initTf } = await import('../engine/tf/backend')
  const { exportRunCheckpoint } = await import('../engine/gan/run')
  const { tf, description } = await initTf()
  ctx.log(`exporting the newest checkpoint of run ${runId} (TensorFlow.js on ${description})`)
  const runDir = join(ctx.projectDir, 'runs', runId)
  ctx.progress(0.1, 'loading the checkpoint')
  const exported = await exportRunCheckpoint(tf, runDir, (p) => ctx.artifact(projectPath(ctx, runDir, p)))
  ctx.progress(1, `exported step ${exported.step}`)
  return { runId, step: exported.step, onnx: projectPath(ctx, runDir, 'export/generator.onnx'), manifest: projectPath(ctx, runDir, 'export/generator.json'), bytes: exported.bytes }
}

async function trainJob(ctx: JobContext): Promise<unknown> {
  const { config: parsed } = TrainGeneratorParamsSchema.parse(ctx.params)
  let config = parsed
  if (config.data.source === 'folder' && !isAbsolute(config.data.path)) {
    config = { ...config, data: { ...config.data, path: resolve(ctx.projectDir, config.data.path) } }
  }
  const { initTf, getTfBackendRecord } = await import('../engine/tf/backend')
  const { runGanTraining } = await import('../engine/gan/run')
  const { latestCheckpoint } = await import('../engine/gan/checkpoint')
  const init = await initTf({ force: config.backend === 'auto' ? undefined : config.backend })
  ctx.log(`TensorFlow.js backend: ${init.backend} (${init.description})`)
  const resume = ctx.resume && (await latestCheckpoint(ctx.jobDir)) !== null
  if (ctx.resume && !resume) ctx.log('no checkpoint yet: starting from the beginning', 'warn')
  const result = await runGanTraining({
    tf: init.tf,
    backend: getTfBackendRecord(),
    runDir: ctx.jobDir,
    config,
    resume,
    signal: ctx.signal,
    log: (text, level) => ctx.log(text, level),
    onProgress: (step, total, note) => ctx.progress(step / total, `step ${step}/${total}${note ? ` · ${note}` : ''}`),
    onMetrics: (step, values) => ctx.metrics(step, values),
    // Checkpoints are internal (resume); previews, config.json and the export are reported.
    onArtifact: (p) => {
      if (!p.startsWith('checkpoints')) ctx.artifact(projectPath(ctx, ctx.jobDir, p))
    }
  })
  return {
    backend: init.backend,
    step: result.step,
    steps: result.steps,
    finished: result.finished,
    stepsPerSecond: result.stepsPerSecond,
    trainSeconds: result.trainSeconds,
    onnx: result.exported ? projectPath(ctx, ctx.jobDir, 'export/generator.onnx') : null,
    manifest: result.exported ? projectPath(ctx, ctx.jobDir, 'export/generator.json') : null
  }
}

runWorker(async (ctx) => {
  const params = ctx.params as { runId?: unknown } | null
  return params && typeof params === 'object' && 'runId' in params ? exportJob(ctx) : trainJob(ctx)
})
