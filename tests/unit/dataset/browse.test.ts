import { describe, it, expect } from 'vitest'
import type { DatasetRecord } from '../../../src/shared/dataset'
import { liveCounts } from '../../../src/shared/dataset'
import { browseRecords, formatRate, formatScore, histogram, matchesFilter, rejectionReasons } from '../../../src/shared/datasetBrowse'

function rec(seed: number, uncertainty: number, identityScore: number | null, reason = 'ok'): DatasetRecord {
  const kept = reason === 'ok'
  return { stem: String(seed).padStart(8, '0'), seed, uncertainty, identityScore, closestIdentity: null, privacy: null, kept, reason, reasons: kept ? [] : [reason], files: {} }
}

const records = [rec(0, 0.2, 0.5), rec(1, 0.9, null, 'uncertainty-top'), rec(2, 0.2, 0.95, 'privacy:too-similar'), rec(3, 0.7, 0.1), rec(4, 0.95, 0.99, 'privacy:too-similar')]
const seeds = (list: DatasetRecord[]) => list.map((r) => r.seed)

describe('dataset browser', () => {
  it('filters by kept, rejected and one reason', () => {
    expect(seeds(browseRecords(records, 'all', 'seed'))).toEqual([0, 1, 2, 3, 4])
    expect(seeds(browseRecords(records, 'kept', 'seed'))).toEqual([0, 3])
    expect(seeds(browseRecords(records, 'rejected', 'seed'))).toEqual([1, 2, 4])
    expect(seeds(browseRecords(records, 'reason:privacy:too-similar', 'seed'))).toEqual([2, 4])
    expect(matchesFilter(records[0]!, 'reason:ok')).toBe(false)
    expect(rejectionReasons(records)).toEqual([
      { reason: 'privacy:too-similar', count: 2 },
      { reason: 'uncertainty-top', count: 1 }
    ])
  })

  it('sorts by uncertainty and identity similarity, ties by seed, missing similarities last', () => {
    expect(seeds(browseRecords(records, 'all', 'uncertainty-desc'))).toEqual([4, 1, 3, 0, 2])
    expect(seeds(browseRecords(records, 'all', 'uncertainty-asc'))).toEqual([0, 2, 3, 1, 4])
    expect(seeds(browseRecords(records, 'all', 'identity-desc'))).toEqual([4, 2, 0, 3, 1])
    expect(seeds(browseRecords(records, 'all', 'identity-asc'))).toEqual([3, 0, 2, 4, 1])
    // The input is not reordered.
    expect(seeds(records)).toEqual([0, 1, 2, 3, 4])
  })

  it('bins values over their range and the thresholds, counting the kept ones apart', () => {
    const h = histogram(records.map((r) => ({ value: r.uncertainty, kept: r.kept })), 4, [1.0])
    expect(h.n).toBe(5)
    expect(h.min).toBeCloseTo(0.2)
    expect(h.max).toBe(1.0)
    expect(h.width).toBeCloseTo(0.2)
    expect(h.all).toEqual([2, 0, 1, 2])
    expect(h.kept).toEqual([1, 0, 1, 0])
    expect(h.all.reduce((a, b) => a + b)).toBe(h.n)
    const ids = histogram(records.map((r) => ({ value: r.identityScore, kept: r.kept })), 10)
    expect(ids.n).toBe(4)
    const flat = histogram([{ value: 0, kept: true }, { value: 0, kept: false }], 5)
    expect(flat.all.reduce((a, b) => a + b)).toBe(2)
    expect(flat.max).toBeGreaterThan(flat.min)
    expect(histogram([], 5).n).toBe(0)
  })

  it('reads the decision counts out of a metric point and formats rates and scores', () => {
    expect(liveCounts({ kept: 7, 'privacy:no-face': 2, samplesPerSecond: 3.5, done: 9, total: 20 })).toEqual({ kept: 7, 'privacy:no-face': 2 })
    expect(formatRate(12.34)).toBe('12.3 samples/s')
    expect(formatRate(0.25)).toBe('4.0 s/sample')
    expect(formatRate(0)).toBe('–')
    expect(formatScore(0.5)).toBe('0.5')
    expect(formatScore(0.12345)).toBe('0.1235')
    expect(formatScore(10)).toBe('10')
    expect(formatScore(null)).toBe('–')
  })
})
