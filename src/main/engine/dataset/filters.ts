// The uncertainty filter. Exact rule (documented in the dataset card and docs):
//
//   N  = number of samples in the dataset's whole seed range (all shards together), every
//        sample takes part whatever the other filters decided about it;
//   k  = floor(x · N), where x · N is first rounded to 6 decimals (so 0.29 · 100 gives 29,
//        not 28 from 28.999999999999996);
//   the k samples with the HIGHEST scores are dropped ("uncertainty-top"); samples are
//        ranked by score descending, ties broken by seed ascending (of two equal scores the
//        smaller seed is dropped first), so the choice is a function of (seed, score) only;
//   independently, a sample whose score is strictly greater than the absolute threshold is
//        dropped ("uncertainty-threshold").
//
// A sample's `reasons` lists every filter that rejected it in the order privacy,
// uncertainty-threshold, uncertainty-top; `reason` is the first one, or "ok".

import { dropCount } from '../../../shared/dataset'

export interface UncertaintyFilter {
  /** Fraction 0..1 of the most uncertain samples to drop (0 = off). */
  dropFraction: number
  /** Drop samples whose score is > this (null = off). */
  maxScore: number | null
}

// k = floor(x · N) lives in shared/dataset.ts: the Dataset view draws a run's provisional cut with it.
export { dropCount }

/** Seeds dropped as the top fraction, for (seed, score) pairs. */
export function topUncertain(items: ReadonlyArray<{ seed: number; score: number }>, fraction: number): Set<number> {
  const k = dropCount(fraction, items.length)
  const ranked = [...items].sort((a, b) => b.score - a.score || a.seed - b.seed)
  return new Set(ranked.slice(0, k).map((r) => r.seed))
}

export interface FilterInput {
  seed: number
  score: number
  privacy: { kept: boolean; reason: string } | null
}

export interface Decision {
  kept: boolean
  reason: string
  reasons: string[]
}

export function decide(items: readonly FilterInput[], filter: UncertaintyFilter): Map<number, Decision> {
  const top = filter.dropFraction > 0 ? topUncertain(items, filter.dropFraction) : new Set<number>()
  const out = new Map<number, Decision>()
  for (const item of items) {
    const reasons: string[] = []
    if (item.privacy && !item.privacy.kept) reasons.push(`privacy:${item.privacy.reason}`)
    if (filter.maxScore !== null && item.score > filter.maxScore) reasons.push('uncertainty-threshold')
    if (top.has(item.seed)) reasons.push('uncertainty-top')
    out.set(item.seed, { kept: reasons.length === 0, reason: reasons[0] ?? 'ok', reasons })
  }
  return out
}
