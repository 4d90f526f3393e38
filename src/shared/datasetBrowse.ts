// The Dataset view's browsing as pure functions (no DOM, no Vue, no Node), so they are
// unit-tested and benchmarked directly: filtering and sorting the metadata.jsonl records,
// histogram binning, and the labels of the pipeline's decisions.
import type { DatasetRecord } from './dataset'

/** 'all', 'kept', 'rejected', or one rejection reason as `reason:<reason>`. */
export type RecordFilter = 'all' | 'kept' | 'rejected' | `reason:${string}`

export const RECORD_SORTS = ['seed', 'uncertainty-desc', 'uncertainty-asc', 'identity-desc', 'identity-asc'] as const
export type RecordSort = (typeof RECORD_SORTS)[number]

export const SORT_LABELS: Record<RecordSort, string> = {
  seed: 'seed',
  'uncertainty-desc': 'uncertainty ↓',
  'uncertainty-asc': 'uncertainty ↑',
  'identity-desc': 'identity similarity ↓',
  'identity-asc': 'identity similarity ↑'
}

/** Readable names of the pipeline's decisions (engine/dataset/filters.ts, engine/face privacyDecision): [full, short (tiles)]. */
const REASON_LABELS: Record<string, [string, string]> = {
  ok: ['kept', 'kept'],
  kept: ['kept', 'kept'],
  'uncertainty-top': ['most uncertain', 'top uncertain'],
  'uncertainty-threshold': ['over max uncertainty', 'over max'],
  'privacy:too-similar': ['too similar to a real face', 'too similar'],
  'privacy:no-face': ['no face found', 'no face'],
  'privacy:low-detector-score': ['low face-detector score', 'low detector']
}

export function reasonLabel(reason: string, short = false): string {
  return REASON_LABELS[reason]?.[short ? 1 : 0] ?? reason
}

export function matchesFilter(record: DatasetRecord, filter: RecordFilter): boolean {
  if (filter === 'all') return true
  if (filter === 'kept') return record.kept
  if (filter === 'rejected') return !record.kept
  return !record.kept && record.reason === filter.slice('reason:'.length)
}

/** Records shown, in order. Ties (and missing identity scores, always last) fall back to seed order. */
export function browseRecords(records: readonly DatasetRecord[], filter: RecordFilter, sort: RecordSort): DatasetRecord[] {
  const shown = records.filter((r) => matchesFilter(r, filter))
  const bySeed = (a: DatasetRecord, b: DatasetRecord) => a.seed - b.seed
  const nullsLast = (a: number | null, b: number | null, dir: 1 | -1) => (a === null ? (b === null ? 0 : 1) : b === null ? -1 : dir * (a - b))
  switch (sort) {
    case 'seed':
      return shown.sort(bySeed)
    case 'uncertainty-desc':
      return shown.sort((a, b) => b.uncertainty - a.uncertainty || bySeed(a, b))
    case 'uncertainty-asc':
      return shown.sort((a, b) => a.uncertainty - b.uncertainty || bySeed(a, b))
    case 'identity-desc':
      return shown.sort((a, b) => nullsLast(a.identityScore, b.identityScore, -1) || bySeed(a, b))
    case 'identity-asc':
      return shown.sort((a, b) => nullsLast(a.identityScore, b.identityScore, 1) || bySeed(a, b))
  }
}

/** Rejection reasons present, most frequent first. */
export function rejectionReasons(records: readonly DatasetRecord[]): Array<{ reason: string; count: number }> {
  const counts = new Map<string, number>()
  for (const r of records) if (!r.kept) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1)
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1))
}

export interface Histogram {
  /** Left edges of the bins; bin i is [edges[i], edges[i] + width), the last one closed. */
  edges: number[]
  width: number
  /** Count of all values per bin, and of the kept ones. */
  all: number[]
  kept: number[]
  /** Values binned (non-null, finite). */
  n: number
  min: number
  max: number
}

/**
 * Equal-width bins over [min, max] of the values and the thresholds (so a threshold line is
 * always on the chart). A single distinct value gets one bin of width 1 % of it (or 0.01).
 */
export function histogram(items: ReadonlyArray<{ value: number | null; kept: boolean }>, bins: number, thresholds: ReadonlyArray<number | null> = []): Histogram {
  const values = items.filter((i): i is { value: number; kept: boolean } => i.value !== null && Number.isFinite(i.value))
  const marks = thresholds.filter((t): t is number => t !== null && Number.isFinite(t))
  const all = [...values.map((v) => v.value), ...marks]
  if (!all.length) return { edges: [], width: 0, all: [], kept: [], n: 0, min: 0, max: 0 }
  // Loops, not Math.min(...all): spreading 100,000+ arguments overflows the stack.
  let min = Infinity
  let max = -Infinity
  for (const v of all) {
    if (v < min) min = v
    if (v > max) max = v
  }
  if (max === min) {
    const pad = Math.abs(min) * 0.01 || 0.01
    min -= pad
    max += pad
  }
  const count = Math.max(1, Math.floor(bins))
  const width = (max - min) / count
  const out: Histogram = { edges: Array.from({ length: count }, (_, i) => min + i * width), width, all: new Array<number>(count).fill(0), kept: new Array<number>(count).fill(0), n: values.length, min, max }
  for (const { value, kept } of values) {
    const i = Math.min(count - 1, Math.floor((value - min) / width))
    out.all[i]++
    if (kept) out.kept[i]++
  }
  return out
}

/** "12.5 samples/s", "48 s/sample" for slow runs. */
export function formatRate(samplesPerSecond: number | null | undefined): string {
  if (samplesPerSecond == null || !Number.isFinite(samplesPerSecond) || samplesPerSecond <= 0) return '–'
  if (samplesPerSecond >= 1) return `${samplesPerSecond.toFixed(samplesPerSecond >= 100 ? 0 : 1)} samples/s`
  return `${(1 / samplesPerSecond).toFixed(1)} s/sample`
}

/** A score for display: 4 significant digits, "–" for none. */
export function formatScore(value: number | null | undefined): string {
  if (value == null || !Number.isFinite(value)) return '–'
  return Math.abs(value) >= 1000 || (value !== 0 && Math.abs(value) < 0.001) ? value.toExponential(2) : value.toPrecision(4).replace(/\.?0+$/, '')
}
