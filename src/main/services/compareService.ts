// The Compare view's backend: what each sample can show (sources), label maps for the mask
// overlays and the pixel inspector, and metrics of pairs of project images.
//
// Metrics run inline only for a handful of pairs without identity (a few SSIMs take
// milliseconds); anything larger, or anything that needs the face embedder (TensorFlow.js,
// seconds to load), runs as a `compare-metrics` job in its own worker process
// (src/main/workers/compareMetrics.ts), so the main process never blocks on a big selection.
// The job writes runs/<job-id>/compare-report.json, which `compare.report` reads back.
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import {
  ApiError,
  type CompareMetricId,
  type CompareReport,
  type CompareRow,
  type CompareSourceInfo,
  type CompareSummaryRow,
  type CompareValue
} from '../../shared/api'
import type { ProjectFile } from '../../shared/project'
import { decodePng } from '../engine/io/png'
import { imageQuality } from '../engine/metrics/quality'
import { cosineSimilarity } from '../engine/metrics/identity'
import { ConfusionMatrix } from '../engine/metrics/masks'
import { loadLabelMap, loadMetricImage } from '../engine/metrics/load'
import { defaultIdentityEmbedder, type IdentityEmbedder } from '../engine/metrics/eval'
import { buildMetricTable, tableToCsv, tableToMarkdown, type MetricRow, type PairMetricId } from '../engine/metrics/report'
import { resolveInProject } from './paths'
import { COMPARE_REPORT_FILE, type CompareMetricsInput } from './compareJob'
import type { SampleStore } from './sampleStore'

/** At most this many pairs are measured in the main process; more go to a job. */
export const INLINE_MAX_PAIRS = 4

const MASK_LABELS: Record<'groundtruth' | 'annotation', string> = { groundtruth: 'Ground truth', annotation: 'Annotation' }

/** The sources of each sample: its modalities, then the masks that exist on disk. */
export async function compareSources(projectDir: string, project: ProjectFile, samples: SampleStore, ids: string[]): Promise<Record<string, CompareSourceInfo[]>> {
  const labels = Object.fromEntries(project.modalities.map((m) => [m.id, m.label]))
  const out: Record<string, CompareSourceInfo[]> = {}
  await Promise.all(
    [...new Set(ids)].map(async (id) => {
      let file
      try {
        file = await samples.readSampleFile(id)
      } catch {
        return // gone or unfinished: no entry
      }
      const list: CompareSourceInfo[] = file.modalities.map((m) => ({ key: m, kind: 'modality', label: labels[m] ?? m, path: `samples/${id}/${m}.png`, version: file.createdAt }))
      const masks: [keyof typeof MASK_LABELS, string][] = [
        ['groundtruth', `samples/${id}/groundtruth.png`],
        ['annotation', `annotations/${id}.png`]
      ]
      for (const [mask, path] of masks) {
        const info = await stat(join(projectDir, path)).catch(() => null)
        if (info?.isFile()) list.push({ key: `mask:${mask}`, kind: 'mask', mask, label: MASK_LABELS[mask], path, version: String(Math.round(info.mtimeMs)) })
      }
      out[id] = list
    })
  )
  return out
}

/** A label-map PNG of the project as class ids. */
export async function loadProjectLabels(projectDir: string, path: string): Promise<{ width: number; height: number; labels: Uint8Array }> {
  const full = resolveInProject(projectDir, path)
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(full))
  } catch {
    throw new ApiError({ code: 'not-found', field: 'path', message: `${path} does not exist` })
  }
  try {
    const png = decodePng(bytes)
    if (png.colorType !== 3 && png.colorType !== 0) throw new Error('it is a colour image, not a palette or grey label map')
    return { width: png.width, height: png.height, labels: png.data }
  } catch (error) {
    throw new ApiError({ code: 'bad-input', field: 'path', message: `${path} is not a label map: ${(error as Error).message}` })
  }
}

/** The metrics library says pred/gt; here a pair is two images of the project. */
export function pairError(message: string): string {
  const m = /^image sizes differ: pred is (\S+), gt is (\S+)$/.exec(message)
  if (m) return `sizes differ: ${m[1]} vs ${m[2]} (the metrics need images of the same size)`
  return message
}

function wire(v: number | null | undefined): CompareValue {
  if (v === null || v === undefined || Number.isNaN(v)) return null
  if (v === Infinity) return 'Infinity'
  if (v === -Infinity) return null
  return v
}

export interface ComputeOptions {
  numClasses: number
  /** Called after each pair; may throw to stop (cancellation). */
  onProgress?: (done: number, total: number) => void
  embedder?: IdentityEmbedder | (() => Promise<IdentityEmbedder>)
}

/** Measures every pair; a pair that cannot be measured gets an error in its row, not a failure. */
export async function computeCompareReport(projectDir: string, input: CompareMetricsInput, options: ComputeOptions): Promise<CompareReport> {
  const wanted = new Set(input.metrics)
  const imageMetrics = (['psnr', 'ssim', 'mae', 'rmse', 'identity'] as const).filter((m) => wanted.has(m))
  const hasImages = input.pairs.some((p) => p.kind === 'image')
  const hasMasks = input.pairs.some((p) => p.kind === 'mask')
  const columns: PairMetricId[] = [...(hasImages ? imageMetrics : []), ...(hasMasks && wanted.has('miou') ? (['miou', 'pixelAccuracy'] as const) : [])]
  const warnings: string[] = []
  if (hasMasks && !wanted.has('miou')) warnings.push('mask pairs are measured with mIoU only; add it to the metrics')

  let embedder: IdentityEmbedder | null = null
  const ownEmbedder = !options.embedder || typeof options.embedder === 'function'
  const getEmbedder = async (): Promise<IdentityEmbedder> => {
    if (!embedder) embedder = options.embedder ? (typeof options.embedder === 'function' ? await options.embedder() : options.embedder) : await defaultIdentityEmbedder()
    return embedder
  }
  const rows: MetricRow[] = []
  const errors = new Map<number, string>()
  try {
    for (let i = 0; i < input.pairs.length; i++) {
      const pair = input.pairs[i]
      const row: MetricRow = { item: pair.label ?? String(i + 1), a: pair.a, b: pair.b, values: {} }
      try {
        const a = resolveInProject(projectDir, pair.a)
        const b = resolveInProject(projectDir, pair.b)
        if (pair.kind === 'mask') {
          if (wanted.has('miou')) {
            const [ma, mb] = [await loadLabelMap(a), await loadLabelMap(b)]
            if (ma.width !== mb.width || ma.height !== mb.height) throw new Error(`mask sizes differ: A is ${ma.width}×${ma.height}, B is ${mb.width}×${mb.height}`)
            // Unlabeled (255) on either side is left out: an unpainted pixel is not a prediction.
            const ref = mb.data.slice()
            for (let p = 0; p < ref.length; p++) if (ma.data[p] === 255) ref[p] = 255
            const s = new ConfusionMatrix(options.numClasses).add(ma, { width: mb.width, height: mb.height, data: ref }).scores()
            row.values.miou = Number.isNaN(s.miou) ? null : s.miou
            row.values.pixelAccuracy = Number.isNaN(s.pixelAccuracy) ? null : s.pixelAccuracy
          }
        } else if (imageMetrics.length) {
          const [pa, pb] = [await loadMetricImage(a), await loadMetricImage(b)]
          const pixel = imageMetrics.filter((m) => m !== 'identity')
          if (pixel.length) {
            // A grey modality against an RGB one is compared in grey rather than refused.
            const grey = input.grey || pa.channels === 1 || pb.channels === 1
            if (!input.grey && pa.channels !== pb.channels) row.notes = [`compared in grey (${pa.channels} vs ${pb.channels} channels)`]
            const q = imageQuality(pa, pb, { grey, crop: input.crop ?? 0, skipSsim: !wanted.has('ssim') })
            for (const m of pixel) row.values[m] = q[m]
          }
          if (wanted.has('identity')) {
            const e = await getEmbedder()
            const [ea, eb] = [await e.embed(pa), await e.embed(pb)]
            if (ea.detected && eb.detected && ea.embedding && eb.embedding) row.values.identity = cosineSimilarity(ea.embedding, eb.embedding)
            else {
              row.values.identity = null
              row.notes = [...(row.notes ?? []), `no face found in ${[ea.detected ? null : 'A', eb.detected ? null : 'B'].filter(Boolean).join(' and ')}`]
            }
          }
        }
      } catch (error) {
        if (error instanceof ApiError && error.code === 'forbidden') throw error
        errors.set(i, pairError((error as Error).message))
        row.values = {}
      }
      rows.push(row)
      options.onProgress?.(i + 1, input.pairs.length)
    }
  } finally {
    if (embedder && ownEmbedder) await Promise.resolve((embedder as IdentityEmbedder).dispose?.()).catch(() => undefined)
  }
  if (errors.size) warnings.push(`${errors.size} of ${rows.length} pair${rows.length === 1 ? '' : 's'} could not be measured (first: ${[...errors.values()][0]})`)
  const grey = input.grey ? ['compared in grey'] : []
  const crop = input.crop ? [`${input.crop} px cropped from every side`] : []
  const table = buildMetricTable(columns, rows)
  const summary: CompareSummaryRow[] = table.summary.map((s) => ({
    metric: s.metric as CompareMetricId,
    title: s.title,
    n: s.n,
    missing: s.missing,
    mean: wire(s.mean),
    std: wire(s.std),
    min: wire(s.min),
    max: wire(s.max),
    display: s.display
  }))
  const outRows: CompareRow[] = rows.map((r, i) => ({
    label: r.item,
    a: r.a,
    b: r.b,
    kind: input.pairs[i].kind,
    values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, wire(v)])),
    ...(r.notes ? { notes: r.notes } : {}),
    ...(errors.has(i) ? { error: errors.get(i) } : {})
  }))
  return {
    metrics: columns as CompareMetricId[],
    rows: outRows,
    summary,
    warnings,
    csv: tableToCsv(table),
    markdown: tableToMarkdown(table, { title: `Compare: ${rows.length} pair${rows.length === 1 ? '' : 's'} (B is the reference)`, notes: [...grey, ...crop, ...warnings] }),
    createdAt: new Date().toISOString()
  }
}

/** Whether a request runs in the main process (a handful of pairs, no face embedder). */
export function runsInline(input: CompareMetricsInput): boolean {
  if (input.run === 'inline') return true
  if (input.run === 'job') return false
  return input.pairs.length <= INLINE_MAX_PAIRS && !input.metrics.includes('identity')
}

/** The report a finished compare-metrics job wrote. */
export async function readCompareReport(projectDir: string, jobId: string): Promise<CompareReport> {
  const path = resolveInProject(projectDir, join('runs', jobId, COMPARE_REPORT_FILE))
  if (!existsSync(path)) throw new ApiError({ code: 'not-found', field: 'jobId', message: `job ${jobId} has no compare report (it has not finished, or is not a compare-metrics job)` })
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CompareReport
  } catch (error) {
    throw new ApiError({ code: 'bad-input', message: `runs/${jobId}/${COMPARE_REPORT_FILE} cannot be read: ${(error as Error).message}` })
  }
}

/** Project-relative path of a job's report. */
export function compareReportPath(projectDir: string, jobDir: string): string {
  return relative(projectDir, join(jobDir, COMPARE_REPORT_FILE)).split('\\').join('/')
}
