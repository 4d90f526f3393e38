// The editor's keyboard map, in one table that both the key handler and the shortcut
// sheet read, so the sheet can never drift from what the keys do.
//
// Number keys select classes by id (1–9 → classes 1–9, 0 → class 0, the background), as
// in CVAT and Label Studio; view commands that other tools put on 0 and 1 move to
// Shift+0 (fit) and Shift+1 (1:1), with Ctrl+0 / Ctrl+1 as aliases. Keys are matched by
// `code` for digits and brackets, so Shift and keyboard layouts do not change them.

export type ToolId = 'brush' | 'eraser' | 'fill' | 'polygon' | 'lasso' | 'picker'

export type EditorAction =
  | { type: 'tool'; tool: ToolId }
  | { type: 'class'; id: number }
  | { type: 'brush-size'; direction: 1 | -1 }
  | { type: 'brush-shape' }
  | { type: 'eraser-target' }
  | { type: 'fit' }
  | { type: 'actual-size' }
  | { type: 'zoom'; direction: 1 | -1 }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'modality'; direction: 1 | -1 }
  | { type: 'split' }
  | { type: 'outline' }
  | { type: 'opacity'; direction: 1 | -1 }
  | { type: 'prev-sample' }
  | { type: 'next-sample' }
  | { type: 'next-unannotated' }
  | { type: 'next-suggested' }
  | { type: 'toggle-done' }
  | { type: 'save' }
  | { type: 'help' }
  | { type: 'close-polygon' }
  | { type: 'cancel' }
  | { type: 'remove-vertex' }

export interface KeyLike {
  key: string
  code: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

/** Keys held rather than pressed. */
export const HOLD_PAN = 'Space'
export const HOLD_HIDE_MASK = 'KeyH'

/** Map a keydown to an editor action (null: not ours, let it through). */
export function resolveKey(e: KeyLike): EditorAction | null {
  const mod = e.ctrlKey || e.metaKey
  const { code, shiftKey: shift, altKey: alt } = e
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
  if (alt) return null
  if (mod) {
    if (code === 'KeyZ') return shift ? { type: 'redo' } : { type: 'undo' }
    if (code === 'KeyY' && !shift) return { type: 'redo' }
    if (code === 'KeyS' && !shift) return { type: 'save' }
    if (code === 'Digit0' || code === 'Numpad0') return { type: 'fit' }
    if (code === 'Digit1' || code === 'Numpad1') return { type: 'actual-size' }
    return null
  }
  const digit = /^(?:Digit|Numpad)([0-9])$/.exec(code)
  if (digit) {
    const n = Number(digit[1])
    if (shift) return n === 0 ? { type: 'fit' } : n === 1 ? { type: 'actual-size' } : null
    return { type: 'class', id: n }
  }
  if (key === '?' || (code === 'Slash' && shift)) return { type: 'help' }
  switch (code) {
    case 'BracketLeft':
      return { type: 'brush-size', direction: -1 }
    case 'BracketRight':
      return { type: 'brush-size', direction: 1 }
    case 'Equal':
    case 'NumpadAdd':
      return { type: 'zoom', direction: 1 }
    case 'Minus':
    case 'NumpadSubtract':
      return { type: 'zoom', direction: -1 }
    case 'Comma':
      return shift ? null : { type: 'prev-sample' }
    case 'Period':
      return shift ? null : { type: 'next-sample' }
    case 'ArrowLeft':
      return { type: 'prev-sample' }
    case 'ArrowRight':
      return { type: 'next-sample' }
    case 'Enter':
    case 'NumpadEnter':
      return { type: 'close-polygon' }
    case 'Escape':
      return { type: 'cancel' }
    case 'Backspace':
      return { type: 'remove-vertex' }
  }
  switch (key) {
    case 'b':
      return shift ? { type: 'brush-shape' } : { type: 'tool', tool: 'brush' }
    case 'e':
      return shift ? { type: 'eraser-target' } : { type: 'tool', tool: 'eraser' }
    case 'g':
    case 'f':
      return shift ? null : { type: 'tool', tool: 'fill' }
    case 'p':
      return shift ? null : { type: 'tool', tool: 'polygon' }
    case 'l':
      return shift ? null : { type: 'tool', tool: 'lasso' }
    case 'i':
      return shift ? null : { type: 'tool', tool: 'picker' }
    case 'm':
      return { type: 'modality', direction: shift ? -1 : 1 }
    case 's':
      return shift ? null : { type: 'split' }
    case 'o':
      return shift ? null : { type: 'outline' }
    case 'q':
      return { type: 'opacity', direction: -1 }
    case 'w':
      return { type: 'opacity', direction: 1 }
    case 'n':
      return shift ? { type: 'next-suggested' } : { type: 'next-unannotated' }
    case 'd':
      return shift ? null : { type: 'toggle-done' }
  }
  return null
}

export interface ShortcutGroup {
  title: string
  items: { keys: string[]; what: string }[]
}

/** The shortcut sheet (`?`). Keep in step with resolveKey above and the pointer handling. */
export const SHORTCUTS: ShortcutGroup[] = [
  {
    title: 'Tools',
    items: [
      { keys: ['B'], what: 'Brush (Shift+B: round / square)' },
      { keys: ['E'], what: 'Eraser (Shift+E: erase to unlabeled / background)' },
      { keys: ['F', 'G'], what: 'Flood fill' },
      { keys: ['P'], what: 'Polygon: click vertices, Enter or double-click closes, Backspace drops a vertex, Esc cancels' },
      { keys: ['L'], what: 'Lasso (freehand)' },
      { keys: ['I'], what: 'Eyedropper (or Alt+click with any tool)' },
      { keys: ['[', ']'], what: 'Brush size down / up' }
    ]
  },
  {
    title: 'Classes',
    items: [
      { keys: ['1', '…', '9'], what: 'Class 1–9' },
      { keys: ['0'], what: 'Class 0, the background (classes from 10 up: click them in the palette)' }
    ]
  },
  {
    title: 'View',
    items: [
      { keys: ['Wheel'], what: 'Zoom at the cursor (up to 32×)' },
      { keys: ['Space + drag', 'Middle drag'], what: 'Pan' },
      { keys: ['Shift+0', 'Ctrl+0'], what: 'Fit to window' },
      { keys: ['Shift+1', 'Ctrl+1'], what: 'Actual pixels (1:1)' },
      { keys: ['+', '−'], what: 'Zoom in / out' },
      { keys: ['M', 'Shift+M'], what: 'Next / previous modality' },
      { keys: ['S'], what: 'Split view: two modalities side by side, one mask' },
      { keys: ['H (hold)'], what: 'Hide the mask while held' },
      { keys: ['O'], what: 'Outline-only mask' },
      { keys: ['Q', 'W'], what: 'Mask opacity down / up' }
    ]
  },
  {
    title: 'Edit and samples',
    items: [
      { keys: ['Ctrl+Z'], what: 'Undo' },
      { keys: ['Ctrl+Shift+Z', 'Ctrl+Y'], what: 'Redo' },
      { keys: ['Ctrl+S'], what: 'Save now (it also saves itself within a second)' },
      { keys: [',', '←'], what: 'Previous sample' },
      { keys: ['.', '→'], what: 'Next sample' },
      { keys: ['N'], what: 'Next unannotated sample' },
      { keys: ['Shift+N'], what: 'Next suggested sample (the interpreter is least sure of it)' },
      { keys: ['D'], what: 'Mark done / in progress' },
      { keys: ['?'], what: 'This sheet' }
    ]
  }
]

/** Brush diameters for [ and ]: fine steps when small, coarser when large (1–512 px). */
export function nextBrushSize(size: number, direction: 1 | -1): number {
  const step = size < 10 ? 1 : size < 30 ? 2 : size < 60 ? 5 : size < 150 ? 10 : size < 300 ? 25 : 50
  const next = direction > 0 ? size + step : size - (size <= 10 ? 1 : size <= 30 ? 2 : size <= 60 ? 5 : size <= 150 ? 10 : size <= 300 ? 25 : 50)
  return Math.min(512, Math.max(1, next))
}
