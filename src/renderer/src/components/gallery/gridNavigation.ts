// Selection and keyboard navigation of the Gallery grid, as pure functions (no DOM, no Vue) so
// they are unit-tested directly. Indices are positions in the filtered list the grid shows.

export interface ClickModifiers {
  /** Ctrl (Cmd on macOS): toggle one sample, keep the rest. */
  toggle: boolean
  /** Shift: select the range from the anchor to here. */
  range: boolean
}

export interface SelectionState {
  selected: Set<string>
  /** Where Shift ranges start: the last sample clicked (or toggled) without Shift. */
  anchor: number | null
}

/** File-manager style clicks: plain click selects one, Ctrl toggles, Shift selects a range (Ctrl+Shift adds it). */
export function clickSelect(state: SelectionState, ids: readonly string[], index: number, mods: ClickModifiers): SelectionState {
  const id = ids[index]
  if (id === undefined) return state
  if (mods.range && state.anchor !== null) {
    const base = mods.toggle ? new Set(state.selected) : new Set<string>()
    for (const rangeId of rangeIds(ids, state.anchor, index)) base.add(rangeId)
    return { selected: base, anchor: state.anchor }
  }
  if (mods.toggle) {
    const next = new Set(state.selected)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    return { selected: next, anchor: index }
  }
  return { selected: new Set([id]), anchor: index }
}

export function rangeIds(ids: readonly string[], from: number, to: number): string[] {
  const lo = Math.max(0, Math.min(from, to))
  const hi = Math.min(ids.length - 1, Math.max(from, to))
  return ids.slice(lo, hi + 1)
}

/** The focus index after a navigation key, or null when the key does not move the focus. */
export function moveFocus(index: number, key: string, columns: number, count: number, pageRows: number): number | null {
  if (count === 0) return null
  const cols = Math.max(1, columns)
  let next: number
  switch (key) {
    case 'ArrowRight':
      next = index + 1
      break
    case 'ArrowLeft':
      next = index - 1
      break
    case 'ArrowDown':
      next = index + cols
      if (next >= count) next = Math.floor(index / cols) === Math.floor((count - 1) / cols) ? index : count - 1 // last row: stay; else the last sample
      break
    case 'ArrowUp':
      next = index - cols
      if (next < 0) next = index
      break
    case 'PageDown':
      next = Math.min(count - 1, index + cols * Math.max(1, pageRows))
      break
    case 'PageUp':
      next = Math.max(0, index - cols * Math.max(1, pageRows))
      break
    case 'Home':
      next = 0
      break
    case 'End':
      next = count - 1
      break
    default:
      return null
  }
  return Math.max(0, Math.min(count - 1, next))
}

/** Row range to render for a virtualised grid (with `overscan` extra rows each side). */
export function visibleRows(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 2): { first: number; last: number } {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan)
  const last = Math.min(rowCount, Math.ceil((scrollTop + viewportHeight) / rowHeight) + overscan)
  return { first, last: Math.max(first, last) }
}

/** The scrollTop that brings the span [top, bottom) fully into view with `margin` around it (unchanged when it already is). */
export function scrollIntoSpan(top: number, bottom: number, scrollTop: number, viewportHeight: number, margin: number): number {
  if (top - margin < scrollTop) return Math.max(0, top - margin)
  if (bottom + margin > scrollTop + viewportHeight) return Math.max(0, bottom + margin - viewportHeight)
  return scrollTop
}
