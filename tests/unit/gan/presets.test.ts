// Every preset through the path the Models view takes (job params: a preset plus top-level
// overrides, resolved by TrainGeneratorParamsSchema, then the same runGanTraining the worker
// runs), shrunk to 8²: it trains with the preset's own losses, writes previews and checkpoints,
// and resumes. The full sizes are timed by bench/gan.ts, not here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tf } from '../../../src/main/engine/tf/backend'
import { getTfBackendRecord } from '../../../src/main/engine/tf/backend'
import { GAN_PRESETS, GAN_PRESET_NAMES, TrainGeneratorParamsSchema, listCheckpoints, runGanTraining } from '../../../src/main/engine/gan'
import { setupTf } from './helpers'
import { TINY_PRESET_OVERRIDES } from './tinyPreset'

let tf: Tf
let dir: string

beforeAll(async () => {
  tf = await setupTf()
  dir = await mkdtemp(join(tmpdir(), 'tl-gan-presets-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.each(GAN_PRESET_NAMES)('preset %s (shrunk to 8²)', (name) => {
  it('trains with its own losses, previews, checkpoints and resumes', async () => {
    const { config } = TrainGeneratorParamsSchema.parse({ preset: name, config: TINY_PRESET_OVERRIDES })
    const preset = GAN_PRESETS[name]
    // The preset's identity survives the shrinking.
    expect(config.preset).toBe(name)
    expect(config.conditional).toBe(preset.conditional)
    expect(config.loss).toMatchObject(preset.loss)
    expect(config.modalities.map((m) => [m.id, m.ganWeight])).toEqual(preset.modalities.map((m) => [m.id, m.ganWeight]))

    const runDir = join(dir, name)
    const seen: Record<string, number>[] = []
    const first = await runGanTraining({ tf, backend: getTfBackendRecord(), runDir, config, onMetrics: (_, v) => seen.push(v) })
    expect(first).toMatchObject({ step: 2, finished: true })
    expect(seen).toHaveLength(2)
    const adversarial = preset.loss.adversarial > 0
    for (const v of seen) {
      for (const [k, x] of Object.entries(v)) expect(Number.isFinite(x), k).toBe(true)
      expect('d_loss_rgb' in v && 'd_loss_nir' in v, 'one D per modality').toBe(adversarial)
      expect('g_l1_rgb' in v).toBe(preset.loss.recon > 0)
    }
    expect(await readdir(join(runDir, 'previews'))).toEqual(['step-00000000.png', 'step-00000001.png', 'step-00000002.png'])
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([1, 2])

    const resumed = await runGanTraining({ tf, backend: getTfBackendRecord(), runDir, resume: true, steps: 3, exportAtEnd: false })
    expect(resumed).toMatchObject({ step: 3, finished: true })
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toEqual([2, 3])
  })
})
