// Dataset generation: see pipeline.ts (streaming, resume, shards), layout.ts (presets),
// filters.ts (the uncertainty rule), sources.ts / onnx.ts (sources and mask predictors).
export * from './types'
export * from './filters'
export * from './layout'
export * from './pipeline'
export * from './sources'
export { datasetCard } from './card'
