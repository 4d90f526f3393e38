// `twinlight make-dataset` and `twinlight merge-datasets` (engine/dataset).
import { Command, InvalidArgumentError } from 'commander'
import { resolve } from 'node:path'
import { createProgress } from './progress'
import { formatIssues } from '../../shared/zodIssues'

function number(min: number, max: number, integer = false) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) throw new InvalidArgumentError(`expected a ${integer ? 'whole ' : ''}number from ${min} to ${max}`)
    return n
  }
}

interface MakeOptions {
  project: string
  count: number
  seed: number
  name: string
  layout: string
  uncertaintyDrop: number
  maxScore?: number
  interpreter?: string
  precision: string
  privacyRef?: string
  privacyModel?: string
  threshold?: number
  whenNoFace: string
  privacyModality: string
  shard?: string
  out?: string
  valPercent: number
  keepRejected?: boolean
  truncation?: number
}

export function registerDatasetCommands(program: Command): void {
  program
    .command('make-dataset')
    .description('generate a labelled, filtered dataset from a project (resumable: run the same command again to continue)')
    .requiredOption('--project <dir>', 'project folder')
    .requiredOption('--count <n>', 'number of seeds (the whole range, all shards together)', number(1, 100_000_000, true))
    .option('--seed <k>', 'first seed; the range is seed … seed + count − 1', number(0, 2 ** 31 - 1, true), 0)
    .option('--name <name>', 'dataset name (datasets/<name> in the project)', 'dataset')
    .option('--layout <preset>', 'twinlight, hf (Hugging Face imagefolder), mmseg or cvat', 'twinlight')
    .option('--uncertainty-drop <x>', 'drop the fraction x of the most uncertain samples (0 … < 1)', number(0, 0.999999), 0)
    .option('--max-score <t>', 'also drop samples whose uncertainty score is above t', number(0, 100))
    .option('--interpreter <run|path>', "interpreter ONNX export: a training run id or a path (ONNX generators); the renderer uses its exact masks")
    .option('--precision <p>', "interpreter arithmetic: fp32 (the exact ensemble vote) or int8 (first layer quantised: faster, ~0.04 % of voted pixels differ; needs a run id)", 'fp32')
    .option('--privacy-ref <dir>', 'folder of real reference faces: reject samples too similar to any of them')
    .option('--privacy-model <manifest>', "face model manifest (JSON); default face-api's model")
    .option('--threshold <t>', "privacy cosine threshold (default: the model's calibrated one)", number(-1, 1))
    .option('--when-no-face <policy>', 'reject or keep samples with no detectable face', 'reject')
    .option('--privacy-modality <id>', 'modality the privacy filter reads', 'rgb')
    .option('--shard <i/n>', 'do the i-th of n contiguous blocks of the seed range (0-based); merge with merge-datasets')
    .option('--out <dir>', 'output folder (default datasets/<name>, a shard datasets/<name>.shard-<i>-of-<n>)')
    .option('--val-percent <p>', 'mmseg: percentage of samples in val (by seed hash)', number(0, 100, true), 10)
    .option('--keep-rejected', 'keep rejected samples in rejected/')
    .option('--truncation <psi>', 'ψ for ONNX generators', number(0, 2))
    .action(async (o: MakeOptions) => {
      const [{ makeDataset, parseShard }, { MakeDatasetParamsSchema, openProjectStages }] = await Promise.all([import('../engine/dataset/pipeline'), import('../engine/dataset/project')])
      const projectDir = resolve(o.project)
      const parsed = MakeDatasetParamsSchema.safeParse({
        name: o.name,
        count: o.count,
        seedStart: o.seed,
        layout: o.layout,
        uncertaintyDrop: o.uncertaintyDrop,
        maxScore: o.maxScore ?? null,
        interpreter: o.interpreter ?? null,
        interpreterPrecision: o.precision,
        privacy: o.privacyRef ? { reference: o.privacyRef, model: o.privacyModel ?? null, threshold: o.threshold ?? null, noFace: o.whenNoFace, modality: o.privacyModality } : null,
        shard: o.shard ? parseShard(o.shard) : null,
        outDir: o.out ? resolve(o.out) : null,
        valPercent: o.valPercent,
        keepRejected: Boolean(o.keepRejected),
        truncation: o.truncation ?? null
      })
      if (!parsed.success) throw new Error(formatIssues(parsed.error))
      const stages = await openProjectStages(projectDir, parsed.data, (t) => console.error(t))
      const progress = createProgress('make-dataset')
      const started = Date.now()
      try {
        const summary = await makeDataset({
          ...stages.options,
          onProgress: (p) => progress.update(p.done, p.total, `kept ${p.counts.kept ?? 0}${Object.entries(p.counts).filter(([k]) => k !== 'kept').map(([k, v]) => `, ${k} ${v}`).join('')}`)
        }).finally(() => progress.stop())
        const s = (Date.now() - started) / 1000
        console.log(`${summary.finalized ? 'dataset' : 'shard'} ${summary.outDir}: ${summary.written} samples drawn (${summary.skipped} already there) in ${s.toFixed(1)} s; ${Object.entries(summary.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`)
        if (!summary.finalized) console.log('merge the shards with: twinlight merge-datasets OUT SHARD...')
      } finally {
        await stages.release()
      }
    })

  program
    .command('merge-datasets')
    .description('combine the shards of one make-dataset run (all --shard i/n folders) into OUT and finalise it')
    .argument('<out>', 'output dataset folder')
    .argument('<shards...>', 'shard folders')
    .action(async (out: string, shards: string[]) => {
      const { mergeDatasets } = await import('../engine/dataset/pipeline')
      const progress = createProgress('merge')
      const summary = await mergeDatasets(resolve(out), shards.map((s) => resolve(s)), (d, t) => progress.update(d, t)).finally(() => progress.stop())
      console.log(`merged ${shards.length} shards into ${resolve(out)}: kept ${summary.kept}, rejected ${summary.rejected}`)
    })
}
