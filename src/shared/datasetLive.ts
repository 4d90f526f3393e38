// A make-dataset run's score distributions while it runs. The worker (workers/makeDataset.ts)
// sends the samples drawn since its previous metric point as columns of JobMetricPoint.items
// (LiveSampleBuffer); the Dataset view's store adds every point into a LiveScores, which the
// histograms read. Each sample crosses the wire once, so a tick costs what the samples since the
// last tick cost, whatever the size of the run, and metrics.jsonl holds each sample once: a view
// opened mid-run rebuilds the whole distribution from jobs.metrics. Pure: no DOM, no Node.
import { dropCount } from './dataset'
import type { JobMetricPoint } from './jobs'

/** The columns of a make-dataset metric point's items: kept is 1 or 0, identity is null without a similarity. */
export const LIVE_COLUMNS = ['seed', 'uncertainty', 'identity', 'kept'] as const

export interface LiveSample {
  seed: number
  /** The interpreter's uncertainty score. */
  score: number
  /** Max cosine similarity to a reference identity; null without the privacy filter or a face. */
  identityScore: number | null
  /** The decision so far: privacy and the absolute threshold (the top-x % drop comes at the end). */
  kept: boolean
}

type Columns = NonNullable<JobMetricPoint['items']>

/** The worker's side: samples drawn since the last metric point. */
export class LiveSampleBuffer {
  private seeds: number[] = []
  private scores: number[] = []
  private identities: Array<number | null> = []
  private kept: number[] = []

  push(sample: LiveSample): void {
    this.seeds.push(sample.seed)
    this.scores.push(sample.score)
    // JSON has no NaN or Infinity: a similarity that is not a finite number travels as "none".
    this.identities.push(sample.identityScore !== null && Number.isFinite(sample.identityScore) ? sample.identityScore : null)
    this.kept.push(sample.kept ? 1 : 0)
  }

  get size(): number {
    return this.seeds.length
  }

  /** The columns of the samples pushed since the last take (and empties the buffer); undefined when there are none. */
  take(): Columns | undefined {
    if (!this.seeds.length) return undefined
    const items: Columns = { seed: this.seeds, uncertainty: this.scores, identity: this.identities, kept: this.kept }
    this.seeds = []
    this.scores = []
    this.identities = []
    this.kept = []
    return items
  }
}

export interface ScoreItem {
  value: number | null
  kept: boolean
}

/** The view's side: every sample reported so far, one entry per seed. */
export class LiveScores {
  private readonly position = new Map<number, number>()
  private readonly scores: number[] = []
  private readonly identities: Array<number | null> = []
  private readonly kept: boolean[] = []
  private sortedCache: Float64Array | null = null
  /** Entries of items that could not be read (a damaged metrics.jsonl line), left out. */
  skipped = 0

  get size(): number {
    return this.scores.length
  }

  get hasIdentity(): boolean {
    return this.identities.some((v) => v !== null)
  }

  /**
   * Adds a metric point's items; returns how many samples changed. A seed reported again (a
   * resumed run redraws the samples of its last moments) replaces its entry. Columns of
   * different lengths, or entries without a whole seed and a finite score, are skipped.
   */
  add(items: JobMetricPoint['items']): number {
    const seed = items?.seed
    const uncertainty = items?.uncertainty
    if (!Array.isArray(seed) || !Array.isArray(uncertainty) || seed.length !== uncertainty.length) {
      if (items) this.skipped += Array.isArray(seed) ? seed.length : 1
      return 0
    }
    const identity = Array.isArray(items?.identity) && items.identity.length === seed.length ? items.identity : null
    const kept = Array.isArray(items?.kept) && items.kept.length === seed.length ? items.kept : null
    let changed = 0
    for (let i = 0; i < seed.length; i++) {
      const s = seed[i]
      const u = uncertainty[i]
      if (typeof s !== 'number' || !Number.isInteger(s) || typeof u !== 'number' || !Number.isFinite(u)) {
        this.skipped++
        continue
      }
      const id = identity?.[i]
      const at = this.position.get(s) ?? this.scores.length
      if (at === this.scores.length) this.position.set(s, at)
      this.scores[at] = u
      this.identities[at] = typeof id === 'number' && Number.isFinite(id) ? id : null
      this.kept[at] = kept ? kept[i] === 1 : true
      changed++
    }
    if (changed) this.sortedCache = null
    return changed
  }

  /** Histogram items of the uncertainty scores, kept meaning "kept so far". */
  uncertaintyItems(): ScoreItem[] {
    return this.scores.map((value, i) => ({ value, kept: this.kept[i]! }))
  }

  /** Histogram items of the identity similarities (null for samples without one). */
  identityItems(): ScoreItem[] {
    return this.identities.map((value, i) => ({ value, kept: this.kept[i]! }))
  }

  /**
   * Where the "drop the top x %" rule would cut if the run ended now: the lowest of the
   * k = floor(x · n) highest scores so far (filters.ts's rule over the n samples reported), or
   * null when it drops none yet. The final cut is decided over the whole seed range at the end,
   * so this moves while the run goes on; over every sample it is the final cut.
   */
  provisionalCut(fraction: number): number | null {
    if (!(fraction > 0) || fraction >= 1) return null
    const k = dropCount(fraction, this.scores.length)
    if (k === 0) return null
    // Sorting a copy: 100,000 scores take a few milliseconds, and a view asks a few times a second at most.
    this.sortedCache ??= Float64Array.from(this.scores).sort()
    return this.sortedCache[this.sortedCache.length - k]!
  }
}
