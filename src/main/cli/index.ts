#!/usr/bin/env node
// The `twinlight` command. Every command has --help; long work shows a progress bar on a TTY.
import { Command, InvalidArgumentError } from 'commander'
import { resolve } from 'node:path'
import { serve } from './serve'
import { createProgress } from './progress'
import { registerTrainGenerator } from './trainGenerator'
import { registerEval } from './eval'
import { registerInterpreterCommands } from './interpreter'
import { registerDatasetCommands } from './dataset'
import { renderDataset, MODALITIES } from '../engine/render'
import { APP_VERSION } from '../version'

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}

export function buildProgram(): Command {
  const program = new Command()
  program.name('twinlight').description('Twinlight Studio: cross-modality face data').version(APP_VERSION).showHelpAfterError()

  program
    .command('serve')
    .description('run the studio in browser mode (loopback only by default; prints the URL with its token)')
    .option('--port <n>', 'port to listen on (0 picks a free one)', integer(0, 65535), 0)
    .option('--host <address>', 'address to bind; keep 127.0.0.1 unless you tunnel to it', '127.0.0.1')
    .option('--project <dir>', 'project folder to open')
    .option('--demo', 'open the demo project (created on first use)')
    .option('--no-open', 'do not open a browser')
    .action(async (options: { port: number; host: string; project?: string; demo?: boolean; open: boolean }) => {
      await serve(options)
    })

  program
    .command('render')
    .description('render a paired dataset from the built-in parametric face renderer (one folder per modality, masks, metadata.jsonl, id2label.json)')
    .requiredOption('--out <dir>', 'output folder')
    .requiredOption('--count <n>', 'number of samples', integer(1, 10_000_000))
    .option('--size <px>', 'image side, 64 to 1024', integer(64, 1024), 256)
    .option('--modalities <list>', `comma-separated, of ${MODALITIES.filter((m) => m !== 'mask').join(', ')} (masks are always written)`, 'rgb,nir,sketch,depth')
    .option('--seed <k>', 'first seed; sample i uses seed + i', integer(0, 2 ** 31 - 1), 0)
    .option('--identities <m>', 'number of people (identity-labelled sets)', integer(1, 10_000_000))
    .option('--per-identity <p>', 'samples per person (count must equal identities × per-identity)', integer(1, 10_000_000))
    .option('--mode <mode>', 'face, or ocular (a crop around one eye, 4 classes)', 'face')
    .action(async (options: { out: string; count: number; size: number; modalities: string; seed: number; identities?: number; perIdentity?: number; mode: string }) => {
      if (options.mode !== 'face' && options.mode !== 'ocular') throw new InvalidArgumentError(`--mode must be face or ocular, not "${options.mode}"`)
      const progress = createProgress('render')
      const started = Date.now()
      const summary = await renderDataset(
        {
          outDir: resolve(options.out),
          count: options.count,
          size: options.size,
          modalities: options.modalities.split(',').map((m) => m.trim()).filter(Boolean),
          seed: options.seed,
          identities: options.identities,
          perIdentity: options.perIdentity,
          mode: options.mode
        },
        (done, total) => progress.update(done, total)
      ).finally(() => progress.stop())
      const seconds = (Date.now() - started) / 1000
      console.log(`wrote ${summary.count} samples (${summary.modalities.join(', ')}, ${summary.size}²) to ${summary.outDir} in ${seconds.toFixed(1)} s`)
    })

  registerTrainGenerator(program)
  registerEval(program)
  registerInterpreterCommands(program)
  registerDatasetCommands(program)

  return program
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: Error) => {
    console.error(`twinlight: ${error.message}`)
    process.exit(1)
  })
