// The 'train-generator' and 'export-generator' jobs through the studio backend and a real
// worker process: metrics events, previews and the export as artifacts, the backend recorded in
// config.json, and "use as project generator" (attach the export).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TrainGeneratorParamsSchema } from '../../../src/shared/ganConfig'
import { tempStudio, waitForJobs } from '../generator/helpers'
import { tinyConfig } from './helpers'

let studio: Awaited<ReturnType<typeof tempStudio>>
beforeAll(async () => {
  studio = await tempStudio('tl-ganjob-')
})
afterAll(async () => studio.cleanup())

describe('train-generator job parameters', () => {
  it('resolves a preset with overrides, or a whole config, and names what is wrong', () => {
    const p = TrainGeneratorParamsSchema.parse({ preset: 'demo', config: { steps: 7 } })
    expect(p.config).toMatchObject({ preset: 'demo', steps: 7, resolution: 64, conditional: true })
    expect(TrainGeneratorParamsSchema.parse({ config: tinyConfig() }).config.resolution).toBe(8)
    const bad = TrainGeneratorParamsSchema.safeParse({ preset: 'nope' })
    expect(bad.success).toBe(false)
    expect(bad.error?.issues[0].message).toMatch(/unknown preset "nope"/)
    const badConfig = TrainGeneratorParamsSchema.safeParse({ config: { resolution: 64 } })
    expect(badConfig.error?.issues[0].path).toEqual(['config', 'modalities'])
    const badOverride = TrainGeneratorParamsSchema.safeParse({ preset: 'demo', config: { resolution: 48 } })
    expect(badOverride.error?.issues[0].path).toEqual(['config'])
    expect(badOverride.error?.issues[0].message).toMatch(/preset demo: resolution: must be a power of two/)
  })
})

describe('the train-generator job', () => {
  it('trains in a worker, streams metrics, exports, and attaches as the project generator', async () => {
    const dir = await studio.project('GAN')
    const metrics: number[] = []
    const off = studio.backend.events.on('event', (event) => {
      if (event.type === 'job.metrics') metrics.push(event.point.step)
    })
    const config = tinyConfig({ steps: 2, backend: 'wasm' })
    const job = await studio.backend.call('jobs.start', { kind: 'train-generator', params: { config } })
    expect(job.title).toMatch(/Train generator tiny \(rgb \+ nir, 8², 2 steps\)/)
    await waitForJobs(studio.backend, 120_000)
    off()
    const done = (await studio.backend.call('jobs.list', {})).find((j) => j.id === job.id)!
    expect(done.state, done.error ?? '').toBe('succeeded')
    expect(metrics).toEqual([1, 2])
    expect(done.artifacts).toContain(`runs/${job.id}/export/generator.onnx`)
    expect(done.artifacts.some((a) => a.startsWith(`runs/${job.id}/previews/`))).toBe(true)
    expect(done.artifacts.some((a) => a.includes('checkpoints'))).toBe(false)
    const record = JSON.parse(await readFile(join(dir, 'runs', job.id, 'config.json'), 'utf8'))
    expect(record.backend.backend).toBe('wasm')
    const log = await studio.backend.call('jobs.log', { id: job.id })
    expect(log.some((l) => /^TensorFlow\.js backend: wasm/.test(l.text))).toBe(true)

    // Export the newest checkpoint again (what "use as project generator" does for a stopped run).
    const exportJob = await studio.backend.call('jobs.start', { kind: 'export-generator', params: { runId: job.id } })
    await waitForJobs(studio.backend, 60_000)
    const exported = (await studio.backend.call('jobs.list', {})).find((j) => j.id === exportJob.id)!
    expect(exported.state, exported.error ?? '').toBe('succeeded')
    const result = exported.result as { onnx: string; manifest: string; step: number }
    expect(result.step).toBe(2)

    const attached = await studio.backend.call('models.attachGenerator', { source: 'path', onnxPath: join(dir, result.onnx), manifestPath: join(dir, result.manifest) })
    expect(attached.project.project.generator.kind).toBe('onnx')
    expect(attached.attached.summary.modalities.map((m) => m.id)).toEqual(['rgb', 'nir'])
    expect(attached.attached.summary.features.length).toBe(3)
  })
})
