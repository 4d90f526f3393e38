#!/usr/bin/env node
// The `twinlight` command. Every command has --help; long work shows a progress bar on a TTY.
import { Command, InvalidArgumentError } from 'commander'
import { serve } from './serve'
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

  return program
}

buildProgram()
  .parseAsync(process.argv)
  .catch((error: Error) => {
    console.error(`twinlight: ${error.message}`)
    process.exit(1)
  })
