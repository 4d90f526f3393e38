// Shared set-up of the generator-training tests: tf on wasm (the backend a laptop without
// tfjs-node gets) and tiny configs that train in about a second per step.
import { initTf, type Tf } from '../../../src/main/engine/tf/backend'
import { parseGanConfig, type GanConfig, type GanConfigInput } from '../../../src/main/engine/gan'
import { TINY_SIZES } from './tinyPreset'

let tfPromise: Promise<Tf> | null = null

export function setupTf(): Promise<Tf> {
  tfPromise ??= initTf({ force: 'wasm' }).then((init) => init.tf)
  return tfPromise
}

/** An 8² (or 16²) RGB + NIR generator with a few channels; adversarial + L1, R1 every 2 steps. */
export function tinyConfig(overrides: Partial<GanConfigInput> = {}): GanConfig {
  return parseGanConfig({
    ...TINY_SIZES,
    name: 'tiny',
    modalities: [
      { id: 'rgb', channels: 3, ganWeight: 1 },
      { id: 'nir', channels: 1, ganWeight: 0.1 }
    ],
    conditional: true,
    inputFromW: true,
    loss: { adversarial: 1, recon: 1, r1Gamma: 1, r1Interval: 2 },
    steps: 3,
    seed: 7,
    checkpointEvery: 2,
    previewEvery: 2,
    metricsEvery: 1,
    ...overrides
  })
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let d = 0
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i] - b[i])
    if (Number.isNaN(v)) return Infinity
    d = Math.max(d, v)
  }
  return d
}
