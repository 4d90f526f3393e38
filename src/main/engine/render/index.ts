// Twinlight's built-in data source: a parametric multimodal face renderer.
// See params.ts (the model and its prior), classes.ts (mask classes), render.ts (rasteriser)
// and dataset.ts (dataset writer).
export * from './params'
export * from './classes'
export { render, MODALITIES, MIN_SIZE, MAX_SIZE, RenderArgumentError, validateModalities, validateSize } from './render'
export type { Modality, RenderOptions, RenderResult } from './render'
export { renderDataset, renderSample, encodeSamplePngs, sampleStem } from './dataset'
export type { RenderDatasetOptions, RenderDatasetSummary, SampleMetadata } from './dataset'
