// `twinlight train-interpreter` and `twinlight eval-interpreter`: the style interpreter from the
// command line. Both run the same code as the `train-interpreter` job, in this process, and
// leave the same runs/<id>/ folder (config.json, metrics.jsonl, log.jsonl, checkpoints,
// interpreter/, eval/), so the Train view lists CLI runs too. Ctrl-C saves a checkpoint;
// `--resume <id>` continues the run. Heavy modules load when a command runs.
import { Command, InvalidArgumentError } from 'commander'
import { appendFileSync, existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { InterpreterEvalSummary, InterpreterTrainSummary } from '../../shared/interpreter'
import { createProgress } from './progress'

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}

/** Same id format as the job manager's. */
export function newRunId(): string {
  return `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`
}

interface CliContext {
  ctx: import('../services/interpreter/trainRun').TrainContext
  finish(): void
}

function cliContext(projectDir: string, runId: string, resume: boolean, label: string): CliContext {
  const jobDir = join(projectDir, 'runs', runId)
  const controller = new AbortController()
  const progress = createProgress(label)
  const tty = process.stderr.isTTY === true
  let interrupts = 0
  const onSigint = () => {
    interrupts++
    if (interrupts > 1) process.exit(130)
    process.stderr.write('\nstopping after this step (Ctrl-C again to quit at once)…\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  const ctx = {
    projectDir,
    jobDir,
    resume,
    signal: controller.signal,
    progress(fraction: number, message?: string) {
      progress.update(Math.round(fraction * 1000), 1000, message ?? '')
    },
    log(text: string, level: 'info' | 'warn' | 'error' = 'info') {
      appendFileSync(join(jobDir, 'log.jsonl'), JSON.stringify({ time: new Date().toISOString(), level, text }) + '\n')
      if (!tty || level !== 'info') process.stderr.write(`${level === 'info' ? '' : level + ': '}${text}\n`)
    },
    metrics(step: number, values: Record<string, number>) {
      appendFileSync(join(jobDir, 'metrics.jsonl'), JSON.stringify({ step, values }) + '\n')
    },
    artifact() {},
    checkCancelled() {
      if (controller.signal.aborted) throw new Error(`stopped; continue with: twinlight train-interpreter --project ${projectDir} --resume ${runId}`)
    }
  }
  return {
    ctx,
    finish() {
      progress.stop()
      process.off('SIGINT', onSigint)
    }
  }
}

function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? 'n/a' : `${(v * 100).toFixed(1)} %`
}

export function printTrain(train: InterpreterTrainSummary): void {
  console.log(`trained ${train.ensembleSize} members on ${train.samples} samples (${train.labelledPixels} labelled pixels): ${train.steps} steps, ${train.epochs.toFixed(2)} epochs, ${train.seconds.toFixed(1)} s`)
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length)
  console.log(`last batch: loss ${mean(train.loss).toFixed(4)}, accuracy ${pct(mean(train.accuracy))} (mean over members)`)
}

export function printEval(e: InterpreterEvalSummary): void {
  console.log(`${e.leaveOneOut ? 'leave-one-out' : `${e.folds}-fold`} cross-validation over ${e.samples} samples: mIoU ${pct(e.miou)}, pixel accuracy ${pct(e.pixelAccuracy)}`)
  const width = Math.max(5, ...e.classes.map((c) => c.name.length))
  console.log(`  ${'class'.padEnd(width)}  IoU       pixels`)
  for (const c of e.classes) console.log(`  ${c.name.padEnd(width)}  ${pct(c.iou).padStart(7)}  ${String(c.pixels).padStart(9)}`)
  console.log('  confusion (rows: annotation, columns: prediction):')
  for (const [i, row] of e.confusion.entries()) console.log(`  ${e.classes[i].name.padEnd(width)}  ${row.map((v) => String(v).padStart(8)).join(' ')}`)
}

export function registerInterpreterCommands(program: Command): void {
  program
    .command('train-interpreter')
    .description("train the style interpreter (pixel classifier ensemble on the generator's features) on the project's annotated samples, then cross-validate it")
    .requiredOption('--project <dir>', 'project folder')
    .option('--config <file>', 'JSON: an interpreter config ({ ensembleSize, learningRate, batchSize, stop, sampling, folds, seed }) or job params ({ config, samples, features })')
    .option('--samples <ids>', 'comma-separated sample ids to train on (default: every annotated sample)')
    .option('--folds <k>', 'k-fold cross-validation after training (0 = none)', integer(0, 50))
    .option('--resume <run>', 'continue the run runs/<run> from its checkpoint')
    .option('--backend <name>', 'TensorFlow.js backend: auto, tensorflow-gpu, tensorflow, wasm, cpu (TWINLIGHT_TF_BACKEND overrides)')
    .action(async (options: { project: string; config?: string; samples?: string; folds?: number; resume?: string; backend?: string }) => {
      const projectDir = resolve(options.project)
      if (!existsSync(join(projectDir, 'twinlight.json'))) throw new InvalidArgumentError(`${projectDir} is not a Twinlight project (no twinlight.json)`)
      const { TrainInterpreterParamsSchema } = await import('../../shared/interpreter')
      const { formatIssues } = await import('../../shared/zodIssues')
      const { initTf, parseTfBackendKind } = await import('../engine/tf/backend')
      const { trainFromProject } = await import('../services/interpreter/projectTraining')
      let raw: Record<string, unknown> = {}
      if (options.resume) {
        const path = join(projectDir, 'runs', options.resume, 'config.json')
        const run = JSON.parse(await readFile(path, 'utf8').catch(() => {
          throw new Error(`runs/${options.resume} has no config.json: nothing to resume`)
        }))
        raw = { config: run.config, samples: run.samples, features: run.layout?.maps?.map((m: { name: string }) => m.name) }
      } else if (options.config) {
        const text = await readFile(resolve(options.config), 'utf8').catch((error: Error) => {
          throw new Error(`cannot read the config ${options.config}: ${error.message}`)
        })
        let parsed: unknown
        try {
          parsed = JSON.parse(text)
        } catch (error) {
          throw new Error(`${options.config} is not valid JSON: ${(error as Error).message}`)
        }
        raw = parsed && typeof parsed === 'object' && 'config' in parsed ? (parsed as Record<string, unknown>) : { config: parsed }
      }
      if (!options.resume) {
        if (options.samples) raw.samples = options.samples.split(',').map((s) => s.trim()).filter(Boolean)
        if (options.folds !== undefined) raw.config = { ...((raw.config as object) ?? {}), folds: options.folds }
      }
      const parsed = TrainInterpreterParamsSchema.safeParse(raw)
      if (!parsed.success) throw new Error(`invalid interpreter config: ${formatIssues(parsed.error)}`)
      await initTf({ force: parseTfBackendKind(options.backend, '--backend') ?? undefined })
      const runId = options.resume ?? newRunId()
      await mkdir(join(projectDir, 'runs', runId), { recursive: true })
      console.log(`run runs/${runId}`)
      const { ctx, finish } = cliContext(projectDir, runId, options.resume !== undefined, 'train')
      let result
      try {
        result = await trainFromProject(ctx, parsed.data)
      } finally {
        finish()
      }
      if (result.train) printTrain(result.train)
      if (result.eval) printEval(result.eval)
      console.log(`model: runs/${runId}/interpreter/model.json, ONNX: runs/${runId}/interpreter/interpreter.onnx`)
    })

  program
    .command('eval-interpreter')
    .description('k-fold cross-validate an interpreter run again (its configuration and samples, the current masks); writes runs/<run>/eval/')
    .requiredOption('--project <dir>', 'project folder')
    .requiredOption('--run <id>', 'the run (a folder in runs/)')
    .option('--folds <k>', 'number of folds (default: the run\'s, or 5; leave-one-out below k samples)', integer(2, 50))
    .option('--backend <name>', 'TensorFlow.js backend: auto, tensorflow-gpu, tensorflow, wasm, cpu')
    .action(async (options: { project: string; run: string; folds?: number; backend?: string }) => {
      const projectDir = resolve(options.project)
      if (!existsSync(join(projectDir, 'runs', options.run, 'config.json'))) throw new InvalidArgumentError(`no interpreter run "${options.run}" in ${projectDir}/runs`)
      const { initTf, parseTfBackendKind } = await import('../engine/tf/backend')
      const { evaluateProjectRun } = await import('../services/interpreter/projectTraining')
      await initTf({ force: parseTfBackendKind(options.backend, '--backend') ?? undefined })
      const { ctx, finish } = cliContext(projectDir, options.run, false, 'eval')
      let result
      try {
        result = await evaluateProjectRun(ctx, { folds: options.folds })
      } finally {
        finish()
      }
      if (result.eval) printEval(result.eval)
      else console.log('nothing to evaluate: cross-validation needs at least 2 annotated samples')
      console.log(`side-by-side images: runs/${options.run}/eval/`)
    })
}
