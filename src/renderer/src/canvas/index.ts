// The mask editor's painting engine (framework-free: no DOM, Vue or Konva).
export {
  PaintEngine,
  UNLABELED,
  BACKGROUND,
  type BrushTool,
  type EraserTool,
  type LassoTool,
  type StrokeTool,
  type Preserve,
  type SimilarityLimit,
  type ChangeReason,
  type ChangeEvent,
  type HistoryEvent,
  type PaintEvents,
  type PaintEngineOptions,
  type MapSnapshot
} from './engine'
export { type Rect, unionRect, rectContains } from './rect'
export { type BrushShape, type FillRule, MIN_DIAMETER, MAX_DIAMETER, sweepBrush, polygonSpans, stampOrigin } from './rasterize'
export { DEFAULT_HISTORY_MAX_BYTES, DEFAULT_HISTORY_MAX_STEPS, type HistoryLimits } from './history'
export { makeColorLut, colorizeRect, type ColorLut } from './colorize'
export { LabelPyramid, MIN_LEVEL_SIZE, type PyramidLevel } from './pyramid'
export { Emitter, type Listener } from '../../../shared/emitter'
