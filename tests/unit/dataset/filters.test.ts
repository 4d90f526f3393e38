import { describe, expect, it } from 'vitest'
import { decide, dropCount, topUncertain } from '../../../src/main/engine/dataset'

describe('uncertainty and privacy filters', () => {
  it('k = floor(x·N) with x·N rounded to 6 decimals', () => {
    expect(dropCount(0.1, 30)).toBe(3)
    expect(dropCount(0.29, 100)).toBe(29)
    expect(dropCount(0.1, 9)).toBe(0)
    expect(dropCount(0.15, 10)).toBe(1)
    expect(dropCount(0, 100)).toBe(0)
  })

  it('drops the highest scores, ties by smaller seed first', () => {
    const items = [
      { seed: 5, score: 0.2 },
      { seed: 1, score: 0.9 },
      { seed: 3, score: 0.5 },
      { seed: 2, score: 0.5 },
      { seed: 4, score: 0.1 }
    ]
    expect([...topUncertain(items, 0.4)].sort()).toEqual([1, 2])
    expect([...topUncertain(items, 0.6)].sort()).toEqual([1, 2, 3])
  })

  it('records every reason, privacy first, and the absolute threshold is strict', () => {
    const d = decide(
      [
        { seed: 0, score: 0.9, privacy: { kept: false, reason: 'too-similar' } },
        { seed: 1, score: 0.5, privacy: { kept: true, reason: 'ok' } },
        { seed: 2, score: 0.6, privacy: null },
        { seed: 3, score: 0.1, privacy: { kept: false, reason: 'no-face' } }
      ],
      { dropFraction: 0.25, maxScore: 0.5 }
    )
    expect(d.get(0)).toEqual({ kept: false, reason: 'privacy:too-similar', reasons: ['privacy:too-similar', 'uncertainty-threshold', 'uncertainty-top'] })
    expect(d.get(1)).toEqual({ kept: true, reason: 'ok', reasons: [] })
    expect(d.get(2)).toEqual({ kept: false, reason: 'uncertainty-threshold', reasons: ['uncertainty-threshold'] })
    expect(d.get(3)!.reason).toBe('privacy:no-face')
  })
})
