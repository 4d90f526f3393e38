// Metric tables: one row per pair, a summary per metric (mean ± population std through
// summarize), and their CSV / Markdown / plain-text forms. Shared by `twinlight eval` and the
// Compare view's metrics panel, so both write the same formats.
//
// Formats:
//  - CSV: header `item,a,b,<metric ids>`, one row per pair, then rows `mean` and `std`.
//    Numbers are written in full precision; +∞ (PSNR of identical images) is `inf` (Python's
//    float() and pandas read it), a value that does not apply (no face found) is empty.
//  - Markdown: a summary table (Metric | Mean ± std | Min | Max | N) and a per-pair table,
//    with ∞ shown as "∞".
//  - JSON (toJsonSafe): +∞ → "Infinity", −∞ → "-Infinity", NaN → null (JSON has no such numbers;
//    Python's float("Infinity") and JS Number("Infinity") read them back).
import { formatMetric, summarize, type Summary } from './summary'

export const PAIR_METRICS = ['psnr', 'ssim', 'mae', 'rmse', 'mse', 'identity', 'miou', 'pixelAccuracy'] as const
export type PairMetricId = (typeof PAIR_METRICS)[number]

export interface MetricInfo {
  id: PairMetricId
  /** Column title. */
  label: string
  unit: string
  digits: number
  higherIsBetter: boolean
}

export const METRIC_INFO: Record<PairMetricId, MetricInfo> = {
  psnr: { id: 'psnr', label: 'PSNR', unit: 'dB', digits: 2, higherIsBetter: true },
  ssim: { id: 'ssim', label: 'SSIM', unit: '', digits: 4, higherIsBetter: true },
  mae: { id: 'mae', label: 'MAE', unit: '', digits: 3, higherIsBetter: false },
  rmse: { id: 'rmse', label: 'RMSE', unit: '', digits: 3, higherIsBetter: false },
  mse: { id: 'mse', label: 'MSE', unit: '', digits: 2, higherIsBetter: false },
  identity: { id: 'identity', label: 'Identity cosine', unit: '', digits: 4, higherIsBetter: true },
  miou: { id: 'miou', label: 'mIoU', unit: '', digits: 4, higherIsBetter: true },
  pixelAccuracy: { id: 'pixelAccuracy', label: 'Pixel accuracy', unit: '', digits: 4, higherIsBetter: true }
}

export function metricTitle(id: PairMetricId): string {
  const info = METRIC_INFO[id]
  return info.unit ? `${info.label} (${info.unit})` : info.label
}

/** One pair's values; null = the metric does not apply to this pair (e.g. no face found). */
export type PairValues = Partial<Record<PairMetricId, number | null>>

export interface MetricRow {
  /** Pair label: a stem, a sample id, "3". */
  item: string
  a: string
  b: string
  values: PairValues
  /** Why some values are missing, in words. */
  notes?: string[]
}

export interface MetricSummaryRow {
  metric: PairMetricId
  title: string
  /** Pairs with a value. */
  n: number
  /** Pairs where the metric did not apply. */
  missing: number
  mean: number
  std: number
  min: number
  max: number
  /** Values that are +∞ (identical images for PSNR). */
  infinite: number
  /** Mean and std of the finite values. */
  finiteMean: number
  finiteStd: number
  /** "31.20 ± 2.10", "∞", or "∞ (3 of 12 identical; 31.20 ± 2.10 over the rest)". */
  display: string
}

export interface MetricTable {
  metrics: PairMetricId[]
  rows: MetricRow[]
  summary: MetricSummaryRow[]
}

/** The "mean ± std" text of a summary, with the identical-pairs note when some values are +∞. */
export function describeSummary(s: Summary, digits: number): string {
  if (s.posInfCount > 0 && s.negInfCount === 0) {
    if (s.finite.n === 0) return '∞'
    return `∞ (${s.posInfCount} of ${s.n} identical; ${formatMetric(s.finite.mean, digits)} ± ${formatMetric(s.finite.std, digits)} over the rest)`
  }
  if (!Number.isFinite(s.mean)) return formatMetric(s.mean, digits)
  return `${formatMetric(s.mean, digits)} ± ${formatMetric(s.std, digits)}`
}

export function summarizeMetric(metric: PairMetricId, rows: readonly MetricRow[]): MetricSummaryRow {
  const values: number[] = []
  let missing = 0
  for (const r of rows) {
    const v = r.values[metric]
    if (v === null || v === undefined || Number.isNaN(v)) missing++
    else values.push(v)
  }
  const title = metricTitle(metric)
  if (values.length === 0) {
    return { metric, title, n: 0, missing, mean: NaN, std: NaN, min: NaN, max: NaN, infinite: 0, finiteMean: NaN, finiteStd: NaN, display: '—' }
  }
  const s = summarize(values)
  return {
    metric,
    title,
    n: s.n,
    missing,
    mean: s.mean,
    std: s.std,
    min: s.min,
    max: s.max,
    infinite: s.posInfCount,
    finiteMean: s.finite.mean,
    finiteStd: s.finite.std,
    display: describeSummary(s, METRIC_INFO[metric].digits)
  }
}

export function buildMetricTable(metrics: readonly PairMetricId[], rows: MetricRow[]): MetricTable {
  return { metrics: [...metrics], rows, summary: metrics.map((m) => summarizeMetric(m, rows)) }
}

// ---------------------------------------------------------------- formats

function csvNumber(v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return ''
  if (v === Infinity) return 'inf'
  if (v === -Infinity) return '-inf'
  return String(v)
}

export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function tableToCsv(table: MetricTable): string {
  const lines = [['item', 'a', 'b', ...table.metrics].join(',')]
  for (const r of table.rows) lines.push([csvField(r.item), csvField(r.a), csvField(r.b), ...table.metrics.map((m) => csvNumber(r.values[m]))].join(','))
  lines.push(['mean', '', '', ...table.summary.map((s) => csvNumber(s.n ? s.mean : NaN))].join(','))
  lines.push(['std', '', '', ...table.summary.map((s) => csvNumber(s.n ? s.std : NaN))].join(','))
  return lines.join('\n') + '\n'
}

const mdCell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

export function formatValue(metric: PairMetricId, v: number | null | undefined): string {
  if (v === null || v === undefined) return '—'
  return formatMetric(v, METRIC_INFO[metric].digits)
}

export interface MarkdownOptions {
  title?: string
  /** Lines written under the title (settings, warnings). */
  notes?: string[]
  /** Leave out the per-pair table. */
  summaryOnly?: boolean
}

export function tableToMarkdown(table: MetricTable, options: MarkdownOptions = {}): string {
  const out: string[] = []
  if (options.title) out.push(`## ${mdCell(options.title)}`, '')
  for (const note of options.notes ?? []) out.push(`- ${note}`)
  if (options.notes?.length) out.push('')
  out.push('| Metric | Mean ± std | Min | Max | N |', '| --- | ---: | ---: | ---: | ---: |')
  for (const s of table.summary) {
    const d = METRIC_INFO[s.metric].digits
    out.push(`| ${s.title} | ${mdCell(s.display)} | ${s.n ? formatMetric(s.min, d) : '—'} | ${s.n ? formatMetric(s.max, d) : '—'} | ${s.n}${s.missing ? ` (${s.missing} n/a)` : ''} |`)
  }
  if (!options.summaryOnly && table.rows.length) {
    out.push('', `| Item | A | B | ${table.metrics.map(metricTitle).join(' | ')} |`, `| --- | --- | --- | ${table.metrics.map(() => '---:').join(' | ')} |`)
    for (const r of table.rows) out.push(`| ${mdCell(r.item)} | ${mdCell(r.a)} | ${mdCell(r.b)} | ${table.metrics.map((m) => formatValue(m, r.values[m])).join(' | ')} |`)
  }
  return out.join('\n') + '\n'
}

/** Fixed-width text table for a terminal. */
export function textTable(header: string[], rows: string[][], align: ('left' | 'right')[] = []): string {
  const width = header.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)))
  const pad = (s: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, width[i] - [...s].length))
    return align[i] === 'right' ? fill + s : s + fill
  }
  const line = (r: string[]) => r.map((c, i) => pad(c, i)).join('  ').trimEnd()
  return [line(header), width.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function summaryToText(table: MetricTable): string {
  return textTable(
    ['Metric', 'Mean ± std', 'Min', 'Max', 'N'],
    table.summary.map((s) => {
      const d = METRIC_INFO[s.metric].digits
      return [s.title, s.display, s.n ? formatMetric(s.min, d) : '—', s.n ? formatMetric(s.max, d) : '—', `${s.n}${s.missing ? ` (${s.missing} n/a)` : ''}`]
    }),
    ['left', 'left', 'right', 'right', 'right']
  )
}

/** A copy of `value` that JSON.stringify writes without losing infinities (see the header). */
export function toJsonSafe(value: unknown): unknown {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null
    if (value === Infinity) return 'Infinity'
    if (value === -Infinity) return '-Infinity'
    return value
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>, (v) => toJsonSafe(v))
  if (Array.isArray(value)) return value.map(toJsonSafe)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJsonSafe(v)
    return out
  }
  return value
}
