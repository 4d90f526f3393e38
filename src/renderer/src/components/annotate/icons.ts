// Small stroke icons for the editor's tool strip (24×24 viewBox SVG path data).
import type { ToolId } from '../../canvas/view/keymap'

export const TOOL_ICONS: Record<ToolId, string> = {
  brush: 'M4 20c2.5 0 4-1.5 4-3.5S9.5 13 11 13l1.5 1.5M11 13l8.5-8.5a1.6 1.6 0 0 1 2.3 2.3L13.3 15.3',
  eraser: 'M8 20h12M5.5 14.5 14 6a2 2 0 0 1 2.8 0l2.7 2.7a2 2 0 0 1 0 2.8L11 20H8.5l-3-3a1.8 1.8 0 0 1 0-2.5ZM9 11l5.5 5.5',
  fill: 'M5 12 12 5l7 7-7 7-7-7ZM5 12h14M20 16s1.5 2 1.5 3a1.5 1.5 0 0 1-3 0c0-1 1.5-3 1.5-3Z',
  polygon: 'M5 18 4 8l8-5 8 6-3 10H5ZM4 8h0M12 3h0M20 9h0M17 19h0M5 18h0',
  lasso: 'M7.5 15.5C4.5 14.5 3 12.6 3 10.5 3 6.9 7 4 12 4s9 2.9 9 6.5S17 17 12 17c-1.2 0-2.4-.2-3.4-.5M8.6 16.5c0 1.7-1 3.5-2.6 3.5',
  picker: 'M14.5 4.5a2.1 2.1 0 0 1 3 0l2 2a2.1 2.1 0 0 1 0 3l-2 2-5-5 2-2ZM12.5 6.5 5 14v3l-1 3 3-1h3l7.5-7.5'
}

export const TOOL_LABELS: Record<ToolId, { name: string; key: string }> = {
  brush: { name: 'Brush', key: 'B' },
  eraser: { name: 'Eraser', key: 'E' },
  fill: { name: 'Flood fill', key: 'F' },
  polygon: { name: 'Polygon', key: 'P' },
  lasso: { name: 'Lasso', key: 'L' },
  picker: { name: 'Eyedropper', key: 'I' }
}
