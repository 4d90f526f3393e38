// Dataset generation: seeds → source (generator / renderer) → interpreter (mask, uncertainty,
// score) → privacy → PNGs, streamed with at most `inFlight` samples held in memory; drawing and
// inference of the next sample overlap the encoding and writes of the current one.
//
// On disk, while it runs (datasets/<name>/.twinlight/):
//   plan.json                 every input that decides the bytes (source, predictor, privacy,
//                             classes, seed range, layout, filters); a rerun must match it
//   staging/<stem>.<key>.png  a sample's finished files (key = modality id or "mask")
//   records/<stem>.json       the sample's record, written after its files: a seed with a
//                             record is done, a seed without one is drawn again (its staged
//                             files, if any, are overwritten with the same bytes)
//   shard.json                only in a shard's folder (--shard i/n): which seeds it holds
// Every file is written atomically (temporary file + fsync + rename), so a kill at any moment
// leaves no torn file; stray temporaries are removed when a run starts.
//
// finalizeDataset then decides (filters.ts, over the WHOLE seed range), moves each staged file
// to its place in the layout (or to rejected/, or deletes it), writes the layout's index files,
// id2label.json, classes.json, metadata.jsonl in seed order and README.md last. Every step of
// finalising is idempotent, so a run killed while finalising finishes on the next run with
// the same bytes. A shard never finalises: mergeDatasets copies the shards' staged files and
// records into one folder and finalises there, which is why merged shards equal a single run.
import { existsSync } from 'node:fs'
import { copyFile, mkdir, readFile, readdir, rename, rm, rmdir } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { encodePng } from '../io/png'
import { encodeMaskPng } from '../io/masks'
import { writeFileAtomic } from '../io/atomic'
import { decide, type UncertaintyFilter } from './filters'
import { keptPath, layoutIndexFiles, rejectedPath, splitOf, stemForSeed, LAYOUTS, type DatasetLayout } from './layout'
import { datasetCard } from './card'
import type { LiveSample } from '../../../shared/datasetLive'
import type { DatasetClass, MaskPredictor, PrivacyResult, PrivacyStage, SampleSource } from './types'

export const DATASET_FORMAT = 'twinlight-dataset'
export const WORK_DIR = '.twinlight'

export interface Shard {
  /** 0-based: 0 … count − 1. */
  index: number
  count: number
}

export interface MakeDatasetOptions {
  outDir: string
  name: string
  source: SampleSource
  predictor: MaskPredictor
  privacy?: PrivacyStage | null
  classes: readonly DatasetClass[]
  seedStart: number
  count: number
  shard?: Shard | null
  layout?: DatasetLayout
  filter?: Partial<UncertaintyFilter>
  /** mmseg: percentage of samples in val (by seed hash). Default 10. */
  valPercent?: number
  /** Keep rejected samples' files in rejected/ (default false: deleted). */
  keepRejected?: boolean
  /** Samples held at once (computed, waiting to be written). Default 3. */
  inFlight?: number
  signal?: AbortSignal
  onProgress?: (progress: DatasetProgress) => void
}

export interface StageTimes {
  source: number
  predict: number
  privacy: number
  encode: number
  write: number
}

export interface DatasetProgress {
  /** Seeds of this run (shard) done, skipped ones included. */
  done: number
  total: number
  skipped: number
  /** Live counts: "kept" (so far; the top-x % drop is decided at the end) and rejections by reason. */
  counts: Record<string, number>
  /** The sample this report is for, with its scores and decision so far, when this run drew it (null for seeds skipped as already done). */
  sample: LiveSample | null
}

export interface DatasetSummary {
  outDir: string
  finalized: boolean
  seeds: number
  written: number
  skipped: number
  /** Final counts (finalised) or live counts (shard). */
  counts: Record<string, number>
  /** Milliseconds per stage, summed over the samples this run drew. */
  times: StageTimes
}

export interface DatasetPlan {
  format: typeof DATASET_FORMAT
  version: 1
  name: string
  source: unknown
  predictor: unknown
  privacy: unknown
  classes: DatasetClass[]
  modalities: string[]
  size: number
  seedStart: number
  count: number
  layout: DatasetLayout
  filter: UncertaintyFilter
  valPercent: number
  keepRejected: boolean
}

export interface SampleRecord {
  seed: number
  stem: string
  latent: Record<string, unknown>
  score: number
  privacy: PrivacyResult | null
  /** Staged file keys: modalities then "mask". */
  keys: string[]
}

export class DatasetError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DatasetError'
  }
}

/** The seeds of shard i/n: a contiguous block, [start + ⌊i·count/n⌋, start + ⌊(i+1)·count/n⌋). */
export function shardSeeds(seedStart: number, count: number, shard?: Shard | null): number[] {
  const n = shard?.count ?? 1
  const i = shard?.index ?? 0
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(i) || i < 0 || i >= n) throw new DatasetError(`shard must be i/n with 0 ≤ i < n, got ${i}/${n}`)
  const from = Math.floor((i * count) / n)
  const to = Math.floor(((i + 1) * count) / n)
  return Array.from({ length: to - from }, (_, k) => seedStart + from + k)
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim())
  if (!m) throw new DatasetError(`--shard takes i/n (0-based i, e.g. 0/3), got "${text}"`)
  const shard = { index: Number(m[1]), count: Number(m[2]) }
  if (shard.count < 1 || shard.index >= shard.count) throw new DatasetError(`shard ${text}: i must be 0 … n − 1`)
  return shard
}

const workPath = (outDir: string, ...parts: string[]) => join(outDir, WORK_DIR, ...parts)
const recordPath = (outDir: string, seed: number) => workPath(outDir, 'records', `${stemForSeed(seed)}.json`)
const stagedPath = (outDir: string, seed: number, key: string) => workPath(outDir, 'staging', `${stemForSeed(seed)}.${key}.png`)

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

export function planOf(options: MakeDatasetOptions): DatasetPlan {
  const layout = options.layout ?? 'twinlight'
  if (!LAYOUTS.includes(layout)) throw new DatasetError(`unknown layout "${layout}" (${LAYOUTS.join(', ')})`)
  const filter: UncertaintyFilter = { dropFraction: options.filter?.dropFraction ?? 0, maxScore: options.filter?.maxScore ?? null }
  if (!(filter.dropFraction >= 0 && filter.dropFraction < 1)) throw new DatasetError(`the uncertainty drop must be a fraction in 0 … 1, got ${filter.dropFraction}`)
  if (!Number.isInteger(options.seedStart) || options.seedStart < 0) throw new DatasetError(`the first seed must be a whole number ≥ 0`)
  if (!Number.isInteger(options.count) || options.count < 1) throw new DatasetError(`the count must be a whole number ≥ 1`)
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.name)) throw new DatasetError(`dataset name "${options.name}": letters, digits, . _ - only`)
  return {
    format: DATASET_FORMAT,
    version: 1,
    name: options.name,
    source: options.source.describe(),
    predictor: options.predictor.describe(),
    privacy: options.privacy ? options.privacy.describe() : null,
    classes: options.classes.map((c) => ({ id: c.id, name: c.name, color: c.color })),
    modalities: [...options.source.modalities],
    size: options.source.size,
    seedStart: options.seedStart,
    count: options.count,
    layout,
    filter,
    valPercent: options.valPercent ?? 10,
    keepRejected: options.keepRejected ?? false
  }
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

/** Writes plan.json, or checks that the one there is the same. */
async function claimPlan(outDir: string, plan: DatasetPlan): Promise<void> {
  const path = workPath(outDir, 'plan.json')
  if (existsSync(path)) {
    const there = await readFile(path, 'utf8')
    if (there !== json(plan)) {
      throw new DatasetError(`${outDir} holds a dataset made with other settings (see ${WORK_DIR}/plan.json); choose another name or delete it`)
    }
    return
  }
  await writeFileAtomic(path, json(plan))
}

/** Removes temporaries a killed atomic write left behind (".<name>.<pid>.<hex>.tmp"). */
async function removeTemporaries(dir: string): Promise<void> {
  let entries
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return
  }
  for (const e of entries) {
    const p = join(dir, e.name)
    if (e.isDirectory()) await removeTemporaries(p)
    else if (e.name.startsWith('.') && e.name.endsWith('.tmp')) await rm(p, { force: true })
  }
}

function countInto(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

export async function makeDataset(options: MakeDatasetOptions): Promise<DatasetSummary> {
  const plan = planOf(options)
  const { outDir, source, predictor, privacy } = options
  const seeds = shardSeeds(plan.seedStart, plan.count, options.shard)
  await mkdir(workPath(outDir, 'records'), { recursive: true })
  await mkdir(workPath(outDir, 'staging'), { recursive: true })
  await claimPlan(outDir, plan)
  await removeTemporaries(outDir)
  if (options.shard) {
    const shardPath = workPath(outDir, 'shard.json')
    const shardInfo = json({ index: options.shard.index, count: options.shard.count, seeds: seeds.length ? [seeds[0], seeds[seeds.length - 1]] : [] })
    if (existsSync(shardPath) && (await readFile(shardPath, 'utf8')) !== shardInfo) throw new DatasetError(`${outDir} holds another shard`)
    await writeFileAtomic(shardPath, shardInfo)
  } else if (existsSync(workPath(outDir, 'shard.json'))) {
    throw new DatasetError(`${outDir} holds a shard; merge shards with merge-datasets`)
  }

  const times: StageTimes = { source: 0, predict: 0, privacy: 0, encode: 0, write: 0 }
  const counts: Record<string, number> = {}
  const inFlight = Math.max(1, options.inFlight ?? 3)
  const pending: Promise<void>[] = []
  let done = 0
  let skipped = 0
  let written = 0
  const report = (sample: LiveSample | null) => options.onProgress?.({ done, total: seeds.length, skipped, counts: { ...counts }, sample })
  const liveFilter = { dropFraction: 0, maxScore: plan.filter.maxScore }

  // Overlapped stages: while sample i is encoded and written (this thread, async IO), the next
  // ones are drawn and their masks inferred (the interpreter's sessions run on their own threads,
  // see inferenceThread.ts). The source and the privacy stage see one sample at a time, in seed
  // order; inference runs for up to predictor.concurrency samples at once, and a prediction that
  // settles starts the next sample at once, even while an earlier seed is still being inferred
  // (sessions finish out of order; waiting for the earlier seed left a core idle). Samples are
  // written in seed order: at most one more sample than the predictor's concurrency is computed
  // ahead of the writer, plus at most `inFlight` samples waiting to be written.
  const todo: number[] = []
  for (const seed of seeds) {
    if (existsSync(recordPath(outDir, seed))) {
      skipped++
      done++
      report(null)
    } else todo.push(seed)
  }
  // each stage's turn: the previous sample's call to it has settled
  let sourceTurn: Promise<unknown> = Promise.resolve()
  let privacyTurn: Promise<unknown> = Promise.resolve()
  const lookahead = Math.max(1, Math.floor(predictor.concurrency ?? 1))
  let predicting = 0
  let started = 0
  const compute = (seed: number) => {
    const sampled = sourceTurn.then(async () => {
      const t = performance.now()
      const sample = await source.sample(seed)
      times.source += performance.now() - t
      return sample
    })
    sourceTurn = sampled.catch(() => undefined)
    const predicted = sampled.then(async (sample) => {
      const t = performance.now()
      const prediction = await predictor.predict(sample)
      // (with several predictions at once this adds up their times: busy time, not wall time)
      times.predict += performance.now() - t
      return prediction
    })
    void predicted.then(settled, settled)
    const computed = Promise.all([sampled, predicted, privacyTurn]).then(async ([sample, prediction]) => {
      const t = performance.now()
      const privacyResult = privacy ? await privacy.check(sample) : null
      times.privacy += performance.now() - t
      // the feature maps (~60 MiB at BiFaceGAN scale) are not needed past this point
      return { seed, sample: { ...sample, features: undefined }, prediction, privacyResult }
    })
    privacyTurn = computed.catch(() => undefined)
    computed.catch(() => undefined) // awaited in turn below; this only keeps it from counting as unhandled meanwhile
    return computed
  }
  const computing: Array<ReturnType<typeof compute>> = []
  // (only the writer below empties `computing`: if it stops on an error, at most lookahead + 1
  // samples are started after it)
  const startComputing = () => {
    while (predicting < lookahead && computing.length <= lookahead && started < todo.length && !options.signal?.aborted) {
      predicting++
      computing.push(compute(todo[started++]))
    }
  }
  function settled() {
    predicting--
    startComputing()
  }
  startComputing()
  while (computing.length > 0) {
    const { seed, sample, prediction, privacyResult } = await computing.shift()!
    startComputing()
    const t = performance.now()
    const files: Array<[string, Uint8Array]> = plan.modalities.map((m) => {
      const image = sample.images[m]
      if (!image) throw new DatasetError(`the source gave no "${m}" image for seed ${seed}`)
      return [m, encodePng(image)]
    })
    files.push(['mask', encodeMaskPng(prediction.mask, plan.size, plan.size, plan.classes)])
    times.encode += performance.now() - t
    const record: SampleRecord = {
      seed,
      stem: stemForSeed(seed),
      latent: sample.latent,
      score: prediction.score,
      privacy: privacyResult,
      keys: files.map(([k]) => k)
    }
    const write = (async () => {
      const w = performance.now()
      for (const [key, bytes] of files) await writeFileAtomic(stagedPath(outDir, seed, key), bytes)
      await writeFileAtomic(recordPath(outDir, seed), json(record))
      times.write += performance.now() - w
      written++
      done++
      const d = decide([{ seed, score: record.score, privacy: record.privacy }], liveFilter).get(seed)!
      countInto(counts, d.kept ? 'kept' : d.reason)
      report({ seed, score: record.score, identityScore: record.privacy?.identityScore ?? null, kept: d.kept })
    })()
    write.catch(() => undefined)
    pending.push(write)
    if (pending.length >= inFlight) await pending.shift()
  }
  for (const p of pending) await p
  if (options.signal?.aborted) return { outDir, finalized: false, seeds: seeds.length, written, skipped, counts, times }
  if (options.shard) return { outDir, finalized: false, seeds: seeds.length, written, skipped, counts, times }
  const final = await finalizeDataset(outDir)
  return { outDir, finalized: true, seeds: seeds.length, written, skipped, counts: final.counts, times }
}

/** Moves src to dest, replacing it (same file system: rename). */
async function place(src: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true })
  await rename(src, dest)
}

export interface FinalizeSummary {
  counts: Record<string, number>
  kept: number
  rejected: number
}

export async function finalizeDataset(outDir: string): Promise<FinalizeSummary> {
  const plan = await readJson<DatasetPlan>(workPath(outDir, 'plan.json'))
  await removeTemporaries(outDir)
  const records: SampleRecord[] = []
  const missing: number[] = []
  for (let seed = plan.seedStart; seed < plan.seedStart + plan.count; seed++) {
    const p = recordPath(outDir, seed)
    if (!existsSync(p)) missing.push(seed)
    else records.push(await readJson<SampleRecord>(p))
  }
  if (missing.length) throw new DatasetError(`${missing.length} seeds have no sample yet (first: ${missing[0]}); run the missing shards first`)
  const decisions = decide(
    records.map((r) => ({ seed: r.seed, score: r.score, privacy: r.privacy })),
    plan.filter
  )
  const counts: Record<string, number> = { kept: 0 }
  const lines: string[] = []
  const kept: Array<{ seed: number; score: number; identityScore: number | null }> = []
  for (const r of records) {
    const d = decisions.get(r.seed)!
    countInto(counts, d.kept ? 'kept' : d.reason)
    const paths: Record<string, string> = {}
    for (const key of r.keys) {
      const dest = d.kept ? keptPath(plan.layout, key, r.seed, plan.modalities, plan.valPercent) : plan.keepRejected ? rejectedPath(key, r.seed) : null
      const staged = stagedPath(outDir, r.seed, key)
      if (existsSync(staged)) {
        if (dest) await place(staged, join(outDir, dest))
        else await rm(staged, { force: true })
      } else if (dest && !existsSync(join(outDir, dest))) {
        throw new DatasetError(`the ${key} file of seed ${r.seed} is missing (neither staged nor at ${dest})`)
      }
      if (dest) paths[key] = dest
    }
    const identityScore = r.privacy?.identityScore ?? null
    if (d.kept) kept.push({ seed: r.seed, score: r.score, identityScore })
    lines.push(
      JSON.stringify({
        stem: r.stem,
        seed: r.seed,
        latent: r.latent,
        uncertainty: r.score,
        identity_score: identityScore,
        closest_identity: r.privacy?.closestIdentity ?? null,
        privacy: r.privacy ? r.privacy.reason : null,
        kept: d.kept,
        reason: d.reason,
        reasons: d.reasons,
        ...(plan.layout === 'mmseg' && d.kept ? { split: splitOf(r.seed, plan.valPercent) } : {}),
        files: paths
      })
    )
  }
  for (const [path, text] of layoutIndexFiles(plan.layout, kept, plan.classes, plan.modalities, plan.valPercent)) await writeFileAtomic(join(outDir, path), text)
  const id2label: Record<string, string> = {}
  for (const c of plan.classes) id2label[String(c.id)] = c.name
  await writeFileAtomic(join(outDir, 'id2label.json'), json(id2label))
  await writeFileAtomic(join(outDir, 'classes.json'), json(plan.classes))
  await writeFileAtomic(join(outDir, 'metadata.jsonl'), lines.map((l) => l + '\n').join(''))
  await rmdir(workPath(outDir, 'staging')).catch(() => undefined)
  const rejected = records.length - kept.length
  await writeFileAtomic(join(outDir, 'README.md'), datasetCard(plan, counts, kept.length, rejected))
  return { counts, kept: kept.length, rejected }
}

async function copyAtomic(src: string, dest: string): Promise<void> {
  await mkdir(dirname(dest), { recursive: true })
  const temp = join(dirname(dest), `.merge.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  await copyFile(src, temp)
  await rename(temp, dest)
}

/**
 * Combines shard folders (made with the same settings and --shard i/n) into outDir and
 * finalises it. Shards are copied, not moved; rerunning a merge that was killed finishes it.
 */
export async function mergeDatasets(outDir: string, shardDirs: readonly string[], onProgress?: (done: number, total: number) => void): Promise<FinalizeSummary> {
  if (shardDirs.length === 0) throw new DatasetError('merge-datasets needs at least one shard')
  let planText: string | null = null
  for (const dir of shardDirs) {
    const p = workPath(dir, 'plan.json')
    if (!existsSync(p)) throw new DatasetError(`${dir} is not a dataset shard (no ${WORK_DIR}/plan.json)`)
    const text = await readFile(p, 'utf8')
    if (planText !== null && text !== planText) throw new DatasetError(`${dir} was made with other settings than ${shardDirs[0]}; shards must share every setting`)
    planText = text
  }
  await mkdir(workPath(outDir, 'records'), { recursive: true })
  await mkdir(workPath(outDir, 'staging'), { recursive: true })
  const outPlan = workPath(outDir, 'plan.json')
  if (existsSync(outPlan) && (await readFile(outPlan, 'utf8')) !== planText) throw new DatasetError(`${outDir} holds a dataset made with other settings`)
  if (!existsSync(outPlan)) await writeFileAtomic(outPlan, planText!)
  let done = 0
  const names = await Promise.all(shardDirs.map((d) => readdir(workPath(d, 'records'))))
  const total = names.reduce((s, n) => s + n.length, 0)
  for (let i = 0; i < shardDirs.length; i++) {
    for (const name of names[i]!.sort()) {
      if (!name.endsWith('.json')) continue
      const dest = join(outDir, WORK_DIR, 'records', name)
      if (!existsSync(dest)) {
        const record = await readJson<SampleRecord>(join(shardDirs[i]!, WORK_DIR, 'records', name))
        for (const key of record.keys) await copyAtomic(stagedPath(shardDirs[i]!, record.seed, key), stagedPath(outDir, record.seed, key))
        await copyAtomic(join(shardDirs[i]!, WORK_DIR, 'records', name), dest)
      }
      onProgress?.(++done, total)
    }
  }
  return finalizeDataset(outDir)
}
