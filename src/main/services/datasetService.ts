// Reading finished (and unfinished) datasets for the Dataset view: datasets/<name>/ folders
// written by engine/dataset. The plan (.twinlight/plan.json) says how a dataset was made,
// metadata.jsonl holds one decision per sample. Reads only; every path goes through
// resolveInProject. A damaged file is reported by name and line, never thrown at the user as a
// crash, and never rewritten.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { z } from 'zod'
import { ApiError, DatasetNameSchema } from '../../shared/api'
import type { DatasetClassInfo, DatasetContents, DatasetInfo, DatasetRecord, DatasetThresholds } from '../../shared/dataset'
import { WORK_DIR, type DatasetPlan } from '../engine/dataset/pipeline'
import { resolveInProject } from './paths'

export const DATASETS_DIR = 'datasets'

/** Lines read between two yields to the event loop: a 100,000-line file never blocks the main process for long. */
const LINES_PER_SLICE = 2000

const PlanSchema = z.object({
  format: z.literal('twinlight-dataset'),
  name: z.string(),
  classes: z.array(z.object({ id: z.number(), name: z.string(), color: z.string() })),
  modalities: z.array(z.string()),
  size: z.number(),
  seedStart: z.number(),
  count: z.number(),
  layout: z.string(),
  filter: z.object({ dropFraction: z.number(), maxScore: z.number().nullable() }),
  keepRejected: z.boolean(),
  privacy: z.object({ threshold: z.number() }).passthrough().nullable()
})

const datasetDir = (name: string) => `${DATASETS_DIR}/${name}`

async function readPlan(projectDir: string, name: string): Promise<Pick<DatasetPlan, 'classes' | 'modalities' | 'size' | 'seedStart' | 'count' | 'layout' | 'filter' | 'keepRejected'> & { identity: number | null }> {
  const rel = `${datasetDir(name)}/${WORK_DIR}/plan.json`
  let text: string
  try {
    text = await readFile(resolveInProject(projectDir, rel), 'utf8')
  } catch {
    throw new Error(`${rel} is missing: this folder was not written by make-dataset, or its ${WORK_DIR}/ folder was deleted`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new Error(`${rel} is not valid JSON (${(error as Error).message})`)
  }
  const parsed = PlanSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new Error(`${rel}: ${issue.path.join('.') || 'file'}: ${issue.message}`)
  }
  const p = parsed.data
  return { ...p, layout: p.layout as DatasetPlan['layout'], identity: p.privacy?.threshold ?? null }
}

async function countRecords(projectDir: string, name: string): Promise<number> {
  try {
    return (await readdir(resolveInProject(projectDir, `${datasetDir(name)}/${WORK_DIR}/records`))).filter((f) => f.endsWith('.json')).length
  } catch {
    return 0
  }
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)

/**
 * One metadata.jsonl line (engine/dataset/pipeline.ts finalizeDataset) as a record, or what is
 * wrong with it. Checked by hand rather than with zod: this runs once per sample, in the main
 * process, and zod tripled the time of a 100,000-line file.
 */
export function parseMetadataLine(line: string, prefix: string): DatasetRecord | string {
  let r: Record<string, unknown>
  try {
    r = JSON.parse(line) as Record<string, unknown>
  } catch {
    return 'not valid JSON'
  }
  if (!r || typeof r !== 'object' || Array.isArray(r)) return 'not a JSON object'
  if (!isString(r.stem)) return 'stem: expected a string'
  if (!Number.isInteger(r.seed)) return 'seed: expected a whole number'
  if (!isNumber(r.uncertainty)) return 'uncertainty: expected a number'
  if (r.identity_score != null && !isNumber(r.identity_score)) return 'identity_score: expected a number or null'
  if (r.closest_identity != null && !isString(r.closest_identity)) return 'closest_identity: expected a string or null'
  if (r.privacy != null && !isString(r.privacy)) return 'privacy: expected a string or null'
  if (typeof r.kept !== 'boolean') return 'kept: expected true or false'
  if (!isString(r.reason)) return 'reason: expected a string'
  if (r.reasons != null && !(Array.isArray(r.reasons) && r.reasons.every(isString))) return 'reasons: expected a list of strings'
  const files: Record<string, string> = {}
  if (r.files != null) {
    if (typeof r.files !== 'object' || Array.isArray(r.files)) return 'files: expected an object of paths'
    for (const [key, path] of Object.entries(r.files as Record<string, unknown>)) {
      if (!isString(path)) return `files.${key}: expected a path`
      // Dataset-relative paths with ".." would leave the dataset: the line is refused, not followed.
      if (path.split(/[\\/]/).includes('..') || path.startsWith('/') || path.startsWith('\\')) return `files.${key}: "${path}" leaves the dataset folder`
      files[key] = prefix + path
    }
  }
  return {
    stem: r.stem,
    seed: r.seed as number,
    uncertainty: r.uncertainty,
    identityScore: (r.identity_score as number | null | undefined) ?? null,
    closestIdentity: (r.closest_identity as string | null | undefined) ?? null,
    privacy: (r.privacy as string | null | undefined) ?? null,
    kept: r.kept,
    reason: r.reason,
    reasons: (r.reasons as string[] | undefined) ?? [],
    files
  }
}

/** Parses metadata.jsonl; lines that do not read are reported (line number and why) and left out. */
export async function parseMetadata(text: string, name: string): Promise<{ records: DatasetRecord[]; problems: string[] }> {
  const records: DatasetRecord[] = []
  const problems: string[] = []
  const prefix = `${datasetDir(name)}/`
  const lines = text.split('\n')
  for (let index = 0; index < lines.length; index++) {
    if (index > 0 && index % LINES_PER_SLICE === 0) await new Promise((resolve) => setImmediate(resolve))
    const line = lines[index]!
    if (!line.trim()) continue
    const parsed = parseMetadataLine(line, prefix)
    if (typeof parsed === 'string') problems.push(`metadata.jsonl line ${index + 1}: ${parsed}`)
    else records.push(parsed)
  }
  return { records, problems }
}

/** The lowest score dropped by the top-fraction rule (engine/dataset/filters.ts), or null. */
export function topCutoff(records: readonly DatasetRecord[]): number | null {
  let cutoff: number | null = null
  for (const r of records) if (r.reasons.includes('uncertainty-top') && (cutoff === null || r.uncertainty < cutoff)) cutoff = r.uncertainty
  return cutoff
}

function countDecisions(records: readonly DatasetRecord[]): Record<string, number> {
  const counts: Record<string, number> = { kept: 0 }
  for (const r of records) {
    const key = r.kept ? 'kept' : r.reason
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

async function readDatasetFiles(projectDir: string, name: string): Promise<{ info: DatasetInfo; classes: DatasetClassInfo[]; records: DatasetRecord[]; problems: string[] }> {
  const dir = datasetDir(name)
  const root = resolveInProject(projectDir, dir)
  if (!existsSync(root)) throw new ApiError({ code: 'not-found', field: 'name', message: `no dataset "${name}" in ${DATASETS_DIR}/` })
  const metadataPath = resolveInProject(projectDir, `${dir}/metadata.jsonl`)
  const finished = existsSync(metadataPath) && existsSync(resolveInProject(projectDir, `${dir}/README.md`))
  const empty: DatasetThresholds = { dropFraction: 0, maxScore: null, topCutoff: null, identity: null }
  const info: DatasetInfo = { name, dir, state: finished ? 'finished' : 'incomplete', layout: '?', modalities: [], size: 0, seedStart: 0, count: 0, keepRejected: false, done: 0, counts: null, thresholds: empty, problem: null }
  let classes: DatasetClassInfo[] = []
  try {
    const plan = await readPlan(projectDir, name)
    Object.assign(info, { layout: plan.layout, modalities: plan.modalities, size: plan.size, seedStart: plan.seedStart, count: plan.count, keepRejected: plan.keepRejected })
    info.thresholds = { dropFraction: plan.filter.dropFraction, maxScore: plan.filter.maxScore, topCutoff: null, identity: plan.identity }
    classes = plan.classes
  } catch (error) {
    info.problem = (error as Error).message
  }
  let records: DatasetRecord[] = []
  let problems: string[] = []
  if (finished) {
    ;({ records, problems } = await parseMetadata(await readFile(metadataPath, 'utf8'), name))
    info.done = records.length
    info.counts = countDecisions(records)
    info.thresholds.topCutoff = topCutoff(records)
    if (!info.count) info.count = records.length
  } else {
    info.done = await countRecords(projectDir, name)
  }
  return { info, classes, records, problems }
}

/** Every dataset folder under datasets/, by name. */
export async function listDatasets(projectDir: string): Promise<DatasetInfo[]> {
  let names: string[]
  try {
    const entries = await readdir(resolveInProject(projectDir, DATASETS_DIR), { withFileTypes: true })
    names = entries.filter((e) => e.isDirectory() && DatasetNameSchema.safeParse(e.name).success).map((e) => e.name)
  } catch {
    return []
  }
  const out: DatasetInfo[] = []
  for (const name of names.sort()) {
    try {
      out.push((await readDatasetFiles(projectDir, name)).info)
    } catch (error) {
      out.push({ name, dir: datasetDir(name), state: 'incomplete', layout: '?', modalities: [], size: 0, seedStart: 0, count: 0, keepRejected: false, done: 0, counts: null, thresholds: { dropFraction: 0, maxScore: null, topCutoff: null, identity: null }, problem: (error as Error).message })
    }
  }
  return out
}

export async function readDataset(projectDir: string, name: string): Promise<DatasetContents> {
  return readDatasetFiles(projectDir, name)
}

/** The whole metadata.jsonl line of one sample (latent included), by stem. */
export async function readDatasetRecord(projectDir: string, name: string, stem: string): Promise<{ line: number; record: Record<string, unknown> }> {
  const path = resolveInProject(projectDir, `${datasetDir(name)}/metadata.jsonl`)
  if (!existsSync(path)) throw new ApiError({ code: 'not-found', field: 'name', message: `dataset "${name}" has no metadata.jsonl yet (not finished)` })
  const lines = (await readFile(path, 'utf8')).split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.includes(`"${stem}"`)) continue
    try {
      const record = JSON.parse(lines[i]!) as Record<string, unknown>
      if (record.stem === stem) return { line: i + 1, record }
    } catch {
      /* a damaged line: datasets.read reports it */
    }
  }
  throw new ApiError({ code: 'not-found', field: 'stem', message: `dataset "${name}" has no sample "${stem}"` })
}
