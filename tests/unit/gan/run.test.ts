// Run folders (config.json with the backend, previews, checkpoints, export, resume) and the
// errors a damaged checkpoint or a bad config gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Tf } from '../../../src/main/engine/tf/backend'
import { getTfBackendRecord } from '../../../src/main/engine/tf/backend'
import {
  GanCheckpointError,
  GanConfigError,
  GanRunCancelled,
  GanTrainer,
  decodeCheckpoint,
  encodeCheckpoint,
  exportRunCheckpoint,
  listCheckpoints,
  openDataSource,
  parseGanConfig,
  parseGanConfigText,
  presetConfig,
  readCheckpoint,
  runGanTraining,
  GAN_PRESET_NAMES
} from '../../../src/main/engine/gan'
import { loadManifest } from '../../../src/shared/generator'
import { decodePng } from '../../../src/main/engine/io/png'
import { setupTf, tinyConfig } from './helpers'

let tf: Tf
let dir: string

beforeAll(async () => {
  tf = await setupTf()
  dir = await mkdtemp(join(tmpdir(), 'tl-gan-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('training runs', () => {
  it('writes config.json (with the backend), previews, checkpoints and the export; resumes; cancels with a checkpoint', async () => {
    const runDir = join(dir, 'run')
    const config = tinyConfig({ steps: 2, loss: { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2 } })
    const artifacts: string[] = []
    const first = await runGanTraining({ tf, backend: getTfBackendRecord(), runDir, config, writeMetrics: true, onArtifact: (p) => artifacts.push(p) })
    expect(first).toMatchObject({ step: 2, finished: true })
    const record = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'))
    expect(record.backend.backend).toBe('wasm')
    expect(record.sessions[0].backend.description).toMatch(/WebAssembly/)
    expect(record.config.steps).toBe(2)
    expect((await readdir(join(runDir, 'previews'))).sort()).toEqual(['step-00000000.png', 'step-00000002.png'])
    const preview = decodePng(await readFile(join(runDir, 'previews', 'step-00000002.png')))
    expect(preview.channels).toBe(3)
    expect(artifacts).toContain('export/generator.onnx')
    const manifest = loadManifest(await readFile(join(runDir, 'export', 'generator.json'), 'utf8'))
    expect(manifest.ok).toBe(true)
    expect((await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2)

    // A run folder with checkpoints is not silently restarted.
    await expect(runGanTraining({ tf, backend: null, runDir, config })).rejects.toThrow(/already holds checkpoints/)

    // Train the finished run longer (resume with a larger step count).
    const controller = new AbortController()
    await expect(
      runGanTraining({
        tf,
        backend: getTfBackendRecord(),
        runDir,
        resume: true,
        steps: 4,
        signal: controller.signal,
        onProgress: (step) => {
          if (step === 3) controller.abort()
        }
      })
    ).rejects.toBeInstanceOf(GanRunCancelled)
    expect((await listCheckpoints(runDir)).map((c) => c.step)).toContain(3)
    const resumed = await runGanTraining({ tf, backend: getTfBackendRecord(), runDir, resume: true })
    expect(resumed).toMatchObject({ step: 4, finished: true })
    expect(JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8')).sessions).toHaveLength(3)

    const again = await exportRunCheckpoint(tf, runDir)
    expect(again.step).toBe(4)
  })

  it('refuses to resume a folder without checkpoints', async () => {
    await expect(runGanTraining({ tf, backend: null, runDir: join(dir, 'empty'), resume: true })).rejects.toThrow(/nothing to resume/)
  })
})

describe('damaged checkpoints and bad configs', () => {
  it('reports a damaged checkpoint clearly', async () => {
    const config = tinyConfig({ loss: { adversarial: 0, recon: 1, r1Gamma: 1, r1Interval: 2 } })
    const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
    const bytes = encodeCheckpoint(trainer.checkpointContents())
    trainer.dispose()
    expect(decodeCheckpoint(bytes).header.step).toBe(0)

    const flipped = bytes.slice()
    flipped[flipped.length - 5] ^= 0x40
    expect(() => decodeCheckpoint(flipped, 'checkpoint x.ckpt')).toThrow(/checkpoint x\.ckpt is damaged.*checksum does not match/)
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 100))).toThrow(GanCheckpointError)
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 100))).toThrow(/truncated/)
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not": "a checkpoint"}'))).toThrow(/wrong magic bytes/)
    expect(() => decodeCheckpoint(new Uint8Array(3))).toThrow(/only 3 bytes/)

    const path = join(dir, 'broken.ckpt')
    await writeFile(path, flipped)
    await expect(readCheckpoint(path)).rejects.toThrow(/broken\.ckpt is damaged/)
    await expect(readCheckpoint(join(dir, 'missing.ckpt'))).rejects.toThrow(/cannot read checkpoint/)

    // A checkpoint whose tensors do not fit its config.
    const decoded = decodeCheckpoint(bytes)
    decoded.tensors.delete('G/b8.conv1.weight')
    expect(() => GanTrainer.fromCheckpoint(tf, decoded, null)).toThrow(/lacks G parameter "b8\.conv1\.weight"/)
  })

  it('names the offending field of a bad config', () => {
    expect(() => parseGanConfig({ resolution: 48, modalities: [{ id: 'rgb', channels: 3 }], steps: 1 })).toThrow(/resolution: must be a power of two/)
    expect(() => parseGanConfig({ resolution: 64, modalities: [{ id: 'rgb', channels: 2 }], steps: 1 })).toThrow(/modalities\[0\]\.channels/)
    expect(() => parseGanConfig({ resolution: 64, modalities: [{ id: 'rgb', channels: 3 }], steps: 1, loss: { recon: 1 } })).toThrow(/loss\.recon: the L1 reconstruction loss needs conditional mode/)
    expect(() => parseGanConfig({ resolution: 64, modalities: [{ id: 'rgb', channels: 3 }], steps: 1, lr: 3 })).toThrow(GanConfigError)
    expect(() => parseGanConfigText('{ resolution: 64', 'my.json')).toThrow(/my\.json is not valid JSON/)
    expect(() => presetConfig('huge')).toThrow(/unknown preset "huge"/)
    for (const name of GAN_PRESET_NAMES) expect(presetConfig(name).preset).toBe(name)
  })

  it('rejects modalities the renderer cannot draw', async () => {
    const config = tinyConfig({ modalities: [{ id: 'thermal', channels: 1, ganWeight: 1, reconWeight: 1 }] })
    await expect(openDataSource(config)).rejects.toThrow(/cannot draw modality "thermal"/)
    const nirAsRgb = tinyConfig({ modalities: [{ id: 'nir', channels: 3, ganWeight: 1, reconWeight: 1 }] })
    await expect(openDataSource(nirAsRgb)).rejects.toThrow(/"nir" has 1 channel/)
  })
})
