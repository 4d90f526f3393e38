// `twinlight train-generator`: train a dual-branch generator from a preset or a config file,
// resume a run, export to ONNX. Heavy modules (TensorFlow.js) are imported when the command
// runs, so `twinlight --help` stays fast.
import { Command, InvalidArgumentError } from 'commander'
import { copyFile, mkdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createProgress } from './progress'

interface TrainOptions {
  config?: string
  preset?: string
  resume?: string
  out?: string
  backend?: string
  steps?: number
  maxMinutes?: number
  exportTo?: string
}

function positiveNumber(value: string): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number')
  return n
}

function positiveInteger(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1')
  return n
}

/** A JSON object of top-level config fields that override a preset. */
function parseOverrides(text: string, path: string): Record<string, unknown> {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`)
  }
  // The merged config is validated by presetConfig (zod), which names any bad field.
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${path} must hold a JSON object of config fields`)
  return raw as Record<string, unknown>
}

export function registerTrainGenerator(program: Command): void {
  program
    .command('train-generator')
    .description('train a dual-branch (RGB + NIR …) generator with TensorFlow.js and export it to ONNX + generator.json')
    .option('--config <file>', 'training config (JSON; see src/shared/ganConfig.ts); with --preset, top-level fields that override the preset')
    .option('--preset <name>', 'start from a preset: demo, unconditional-64, conditional-128')
    .option('--resume <run>', 'continue the run in this folder from its newest checkpoint')
    .option('--out <dir>', 'run folder for a new run (default runs/<preset or config name>-<time>)')
    .option('--backend <name>', 'TensorFlow.js backend: auto, tensorflow-gpu, tensorflow, wasm, cpu (TWINLIGHT_TF_BACKEND overrides)')
    .option('--steps <n>', 'total training steps (overrides the config; with --resume, trains a run longer)', positiveInteger)
    .option('--max-minutes <m>', 'stop after this many minutes, with a checkpoint and an export', positiveNumber)
    .option('--export-to <dir>', 'also copy the exported generator.onnx + generator.json into this folder')
    .action(async (options: TrainOptions) => {
      await trainGeneratorCommand(options)
    })
}

async function trainGeneratorCommand(options: TrainOptions): Promise<void> {
  const sources = [options.config, options.preset, options.resume].filter((v) => v !== undefined).length
  // --preset with --config: the preset with the file's top-level fields overriding it (what the
  // Models view sends for a preset whose form was edited).
  const presetWithOverrides = sources === 2 && options.preset !== undefined && options.config !== undefined
  if (sources !== 1 && !presetWithOverrides) {
    throw new InvalidArgumentError('give exactly one of --config FILE, --preset NAME (optionally with --config FILE of overrides) or --resume RUN')
  }
  const gan = await import('../engine/gan')
  const { initTf, parseTfBackendKind, getTfBackendRecord } = await import('../engine/tf/backend')

  let config: import('../engine/gan').GanConfig | undefined
  let runDir: string
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')
  if (options.resume) {
    runDir = resolve(options.resume)
  } else {
    let text: string | null = null
    const path = options.config !== undefined ? resolve(options.config) : null
    if (path) {
      try {
        text = await readFile(path, 'utf8')
      } catch (error) {
        throw new Error(`cannot read the config ${path}: ${(error as Error).message}`)
      }
    }
    if (options.preset && path && text !== null) config = gan.presetConfig(options.preset, parseOverrides(text, path) as Partial<import('../engine/gan').GanConfigInput>)
    else if (options.preset) config = gan.presetConfig(options.preset)
    else config = gan.parseGanConfigText(text!, path!)
    if (options.steps) config = { ...config, steps: options.steps }
    runDir = resolve(options.out ?? join('runs', `${options.preset ?? 'generator'}-${stamp}`))
  }

  const backendChoice = options.backend ?? (config?.backend !== 'auto' ? config?.backend : undefined)
  const force = parseTfBackendKind(backendChoice, '--backend') ?? undefined
  const init = await initTf({ force })
  console.log(`TensorFlow.js backend: ${init.backend} — ${init.description}`)
  console.log(`run folder: ${runDir}`)

  const progress = createProgress('train')
  const controller = new AbortController()
  const onSigint = (): void => {
    console.error('\nstopping: saving a checkpoint (press Ctrl-C again to quit at once)')
    controller.abort()
    process.once('SIGINT', () => process.exit(130))
  }
  process.once('SIGINT', onSigint)
  let result
  try {
    result = await gan.runGanTraining({
      tf: init.tf,
      backend: getTfBackendRecord(),
      runDir,
      config,
      resume: options.resume !== undefined,
      steps: options.resume !== undefined ? options.steps : undefined,
      maxSeconds: options.maxMinutes !== undefined ? options.maxMinutes * 60 : undefined,
      signal: controller.signal,
      writeMetrics: true,
      log: (text) => {
        progress.stop()
        console.log(text)
      },
      onProgress: (step, total, note) => progress.update(step, total, note)
    })
  } catch (error) {
    progress.stop()
    if (error instanceof gan.GanRunCancelled) {
      console.log(`stopped; resume with: twinlight train-generator --resume ${runDir}`)
      process.exitCode = 130
      return
    }
    throw error
  } finally {
    progress.stop()
    process.removeListener('SIGINT', onSigint)
  }
  console.log(
    `${result.finished ? 'finished' : 'stopped'} at step ${result.step}/${result.steps}: ${result.stepsPerSecond.toFixed(3)} steps/s this session, ` +
      `${(result.trainSeconds / 60).toFixed(1)} min of training in total`
  )
  if (result.exported) {
    console.log(`exported ${result.exported.onnx} (${(result.exported.bytes / 1e6).toFixed(2)} MB) and ${result.exported.manifest}`)
    if (options.exportTo) {
      const dir = resolve(options.exportTo)
      await mkdir(dir, { recursive: true })
      await copyFile(result.exported.onnx, join(dir, 'generator.onnx'))
      await copyFile(result.exported.manifest, join(dir, 'generator.json'))
      console.log(`copied the generator to ${dir}`)
    }
  }
}
