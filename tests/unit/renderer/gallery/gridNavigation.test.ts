import { describe, it, expect } from 'vitest'
import { clickSelect, moveFocus, rangeIds, scrollIntoSpan, visibleRows } from '../../../../src/renderer/src/components/gallery/gridNavigation'

const ids = Array.from({ length: 10 }, (_, i) => `s${i}`)
const none = { selected: new Set<string>(), anchor: null }

describe('Gallery selection', () => {
  it('click selects one, Ctrl-click toggles, Shift-click selects the range from the anchor', () => {
    let state = clickSelect(none, ids, 2, { toggle: false, range: false })
    expect([...state.selected]).toEqual(['s2'])
    state = clickSelect(state, ids, 5, { toggle: true, range: false })
    expect([...state.selected].sort()).toEqual(['s2', 's5'])
    expect(state.anchor).toBe(5)
    state = clickSelect(state, ids, 5, { toggle: true, range: false })
    expect([...state.selected]).toEqual(['s2'])
    state = clickSelect({ selected: new Set(['s0']), anchor: 3 }, ids, 6, { toggle: false, range: true })
    expect([...state.selected]).toEqual(['s3', 's4', 's5', 's6'])
    state = clickSelect({ selected: new Set(['s0']), anchor: 3 }, ids, 1, { toggle: true, range: true })
    expect([...state.selected].sort()).toEqual(['s0', 's1', 's2', 's3'])
    expect(rangeIds(ids, 8, 20)).toEqual(['s8', 's9'])
  })

  it('moves the focus with arrows, pages, Home and End, within the grid', () => {
    // 10 samples in rows of 4: 0 1 2 3 / 4 5 6 7 / 8 9
    expect(moveFocus(0, 'ArrowRight', 4, 10, 2)).toBe(1)
    expect(moveFocus(0, 'ArrowLeft', 4, 10, 2)).toBe(0)
    expect(moveFocus(1, 'ArrowDown', 4, 10, 2)).toBe(5)
    expect(moveFocus(6, 'ArrowDown', 4, 10, 2)).toBe(9) // no sample below: the last one
    expect(moveFocus(9, 'ArrowDown', 4, 10, 2)).toBe(9) // last row: stays
    expect(moveFocus(5, 'ArrowUp', 4, 10, 2)).toBe(1)
    expect(moveFocus(1, 'ArrowUp', 4, 10, 2)).toBe(1)
    expect(moveFocus(0, 'PageDown', 4, 10, 2)).toBe(8)
    expect(moveFocus(9, 'PageUp', 4, 10, 1)).toBe(5)
    expect(moveFocus(4, 'Home', 4, 10, 2)).toBe(0)
    expect(moveFocus(4, 'End', 4, 10, 2)).toBe(9)
    expect(moveFocus(4, 'x', 4, 10, 2)).toBeNull()
    expect(moveFocus(0, 'ArrowRight', 4, 0, 2)).toBeNull()
  })

  it('renders only the rows in view, and scrolls a row into view', () => {
    expect(visibleRows(0, 600, 180, 2500)).toEqual({ first: 0, last: 6 })
    expect(visibleRows(180 * 1000, 600, 180, 2500)).toEqual({ first: 998, last: 1006 })
    expect(visibleRows(180 * 2499, 600, 180, 2500)).toEqual({ first: 2497, last: 2500 })
    expect(scrollIntoSpan(1000, 1170, 0, 600, 10)).toBe(580)
    expect(scrollIntoSpan(100, 270, 500, 600, 10)).toBe(90)
    expect(scrollIntoSpan(600, 770, 500, 600, 10)).toBe(500)
  })
})
