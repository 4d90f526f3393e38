// Shrinking a preset for tests (no TensorFlow.js import, so the end-to-end specs can use it too).
import type { GanConfigInput } from '../../../src/shared/ganConfig'

/**
 * The sizes of the tests' tiny generators: 8², a few channels, batches of 2 drawn from 6
 * rendered faces. Shared by TINY_PRESET_OVERRIDES and helpers.ts's tinyConfig.
 */
export const TINY_SIZES = {
  resolution: 8,
  latentSize: 4,
  wDim: 8,
  mappingLayers: 1,
  channelBase: 32,
  channelMax: 8,
  discriminator: { channelBase: 32, channelMax: 8, mbstd: true, cmapDim: 4 },
  batchSize: 2,
  data: { source: 'renderer', seedStart: 500, count: 6, cacheSize: 6 },
  previewSeeds: [0, 1]
} satisfies Partial<GanConfigInput>

/**
 * Top-level overrides that shrink any preset to TINY_SIZES while keeping what makes the preset
 * itself (modalities, conditional or not, the losses and their weights, R1, EMA, the
 * optimiser): a run of 2 steps exercises the preset's whole config path in seconds.
 */
export const TINY_PRESET_OVERRIDES = {
  ...TINY_SIZES,
  steps: 2,
  checkpointEvery: 1,
  previewEvery: 1,
  metricsEvery: 1,
  backend: 'wasm'
} satisfies Partial<GanConfigInput>
