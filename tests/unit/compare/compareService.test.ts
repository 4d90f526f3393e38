// The Compare view's backend through the real StudioBackend: sources, label maps, metrics
// inline for a few pairs and as a compare-metrics job (a real worker process) for more.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StudioBackend } from '../../../src/main/services/backend'
import { runsInline, INLINE_MAX_PAIRS } from '../../../src/main/services/compareService'
import type { CompareReport, StudioEvent } from '../../../src/shared/api'
import type { JobInfo } from '../../../src/shared/jobs'
import { CompareMetricsInputSchema } from '../../../src/shared/api'
import { tempDir, writeImage, writeMask } from './helpers'

let root: string
let backend: StudioBackend
let projectDir: string

async function addSample(id: string, seed: number, size = 24): Promise<void> {
  const dir = join(projectDir, 'samples', id)
  await mkdir(dir, { recursive: true })
  await writeImage(join(dir, 'rgb.png'), size, size, 3, seed)
  await writeImage(join(dir, 'nir.png'), size, size, 1, seed + 1)
  await writeMask(join(dir, 'groundtruth.png'), size, size, (x) => (x < size / 2 ? 0 : 1))
  await writeFile(join(dir, 'sample.json'), JSON.stringify({ id, seed, width: size, height: size, modalities: ['rgb', 'nir'], generator: { kind: 'renderer', mode: 'face' }, createdAt: '2026-01-01T00:00:00.000Z' }))
}

beforeAll(async () => {
  root = await tempDir('tl-compare-api-')
  process.env.TWINLIGHT_HOME = join(root, 'home')
  process.env.TWINLIGHT_PROJECTS_HOME = join(root, 'projects')
  backend = new StudioBackend({ mode: 'browser', version: 'test' })
  projectDir = (await backend.call('project.create', { name: 'Compare', template: 'rgb-nir-face' })).dir
  for (let s = 1; s <= 6; s++) await addSample(`s0000000${s}`, s)
  await writeMask(join(projectDir, 'annotations', 's00000001.png'), 24, 24, (x, y) => (y < 4 ? 255 : x < 10 ? 0 : 1))
})
afterAll(async () => {
  await backend.shutdown()
  await rm(root, { recursive: true, force: true })
})

describe('compare.*', () => {
  it('lists the sources of samples: modalities, then the masks on disk', async () => {
    const sources = await backend.call('compare.sources', { sampleIds: ['s00000001', 's00000002', 'nope'] })
    expect(Object.keys(sources).sort()).toEqual(['s00000001', 's00000002'])
    expect(sources.s00000001.map((s) => s.key)).toEqual(['rgb', 'nir', 'mask:groundtruth', 'mask:annotation'])
    expect(sources.s00000002.map((s) => s.key)).toEqual(['rgb', 'nir', 'mask:groundtruth'])
    expect(sources.s00000001[2]).toMatchObject({ kind: 'mask', mask: 'groundtruth', label: 'Ground truth', path: 'samples/s00000001/groundtruth.png' })
    expect(sources.s00000001[0]).toMatchObject({ kind: 'modality', path: 'samples/s00000001/rgb.png', label: expect.any(String) })
  })

  it('reads label maps as class ids and refuses colour images and paths outside the project', async () => {
    const gt = await backend.call('compare.labels', { path: 'samples/s00000001/groundtruth.png' })
    expect(gt.width).toBe(24)
    expect(gt.labels[0]).toBe(0)
    expect(gt.labels[23]).toBe(1)
    await expect(backend.call('compare.labels', { path: 'samples/s00000001/rgb.png' })).rejects.toThrow(/is not a label map: it is a colour image/)
    await expect(backend.call('compare.labels', { path: '../outside.png' })).rejects.toThrow(/refused/)
  })

  it('measures a few pairs at once: identical → ∞ on the wire, RGB vs grey in grey, masks with mIoU', async () => {
    const result = await backend.call('compare.metrics', {
      pairs: [
        { a: 'samples/s00000001/rgb.png', b: 'samples/s00000001/rgb.png', label: 'same' },
        { a: 'samples/s00000001/nir.png', b: 'samples/s00000001/rgb.png', label: 'nir-rgb' },
        { a: 'annotations/s00000001.png', b: 'samples/s00000001/groundtruth.png', label: 'masks', kind: 'mask' }
      ],
      metrics: ['psnr', 'ssim', 'mae', 'miou']
    })
    expect(result.kind).toBe('report')
    const report = (result as { report: CompareReport }).report
    expect(report.metrics).toEqual(['psnr', 'ssim', 'mae', 'miou', 'pixelAccuracy'])
    expect(report.rows[0].values).toEqual({ psnr: 'Infinity', ssim: 1, mae: 0 })
    expect(report.rows[1].notes).toEqual(['compared in grey (1 vs 3 channels)'])
    expect(typeof report.rows[1].values.psnr).toBe('number')
    expect(report.rows[2].error).toBeUndefined()
    // Annotation: rows 4..23 counted, class 0 for x < 10 (gt: x < 12).
    expect(report.rows[2].values.miou).toBeCloseTo((10 / 12 + 12 / 14) / 2, 10)
    const psnr = report.summary.find((s) => s.metric === 'psnr')!
    expect(psnr).toMatchObject({ n: 2, mean: 'Infinity', missing: 1 })
    expect(psnr.display).toMatch(/^∞ \(1 of 2 identical; /)
    expect(report.csv.split('\n')[0]).toBe('item,a,b,psnr,ssim,mae,miou,pixelAccuracy')
    expect(report.csv.split('\n')[1]).toBe('same,samples/s00000001/rgb.png,samples/s00000001/rgb.png,inf,1,0,,')
    expect(report.markdown).toContain('| PSNR (dB) | ∞ (1 of 2 identical;')
  })

  it('a pair that cannot be measured gets an error row, not a failed call', async () => {
    await mkdir(join(projectDir, 'samples', 'odd'), { recursive: true })
    await writeImage(join(projectDir, 'samples', 'odd', 'rgb.png'), 48, 48)
    const result = await backend.call('compare.metrics', {
      pairs: [
        { a: 'samples/odd/rgb.png', b: 'samples/s00000001/rgb.png' },
        { a: 'samples/s00000002/rgb.png', b: 'samples/s00000001/rgb.png' }
      ],
      metrics: ['psnr']
    })
    const report = (result as { report: CompareReport }).report
    expect(report.rows[0].error).toBe('sizes differ: 48×48×3 vs 24×24×3 (the metrics need images of the same size)')
    expect(report.rows[1].error).toBeUndefined()
    expect(report.summary[0]).toMatchObject({ n: 1, missing: 1 })
    expect(report.warnings[0]).toMatch(/1 of 2 pairs could not be measured/)
    await expect(backend.call('compare.metrics', { pairs: [{ a: '/etc/passwd', b: 'samples/s00000001/rgb.png' }], metrics: ['psnr'] })).rejects.toThrow(/absolute paths are not allowed/)
  })

  it('decides between inline and a job', () => {
    const input = (n: number, metrics: ('psnr' | 'identity')[] = ['psnr'], run?: 'inline' | 'job') =>
      CompareMetricsInputSchema.parse({ pairs: Array.from({ length: n }, () => ({ a: 'x.png', b: 'y.png' })), metrics, ...(run ? { run } : {}) })
    expect(runsInline(input(INLINE_MAX_PAIRS))).toBe(true)
    expect(runsInline(input(INLINE_MAX_PAIRS + 1))).toBe(false)
    expect(runsInline(input(1, ['identity']))).toBe(false)
    expect(runsInline(input(50, ['psnr'], 'inline'))).toBe(true)
    expect(runsInline(input(1, ['psnr'], 'job'))).toBe(false)
  })

  it('a larger selection runs as a compare-metrics job whose report compare.report reads', async () => {
    const pairs = Array.from({ length: 6 }, (_, i) => ({ a: `samples/s0000000${i + 1}/nir.png`, b: `samples/s0000000${i + 1}/rgb.png`, label: `s0000000${i + 1}` }))
    const result = await backend.call('compare.metrics', { pairs, metrics: ['psnr', 'ssim'], grey: true })
    expect(result.kind).toBe('job')
    const job = (result as { job: JobInfo }).job
    expect(job.kind).toBe('compare-metrics')
    expect(job.title).toBe('Compare metrics: 6 pairs (psnr, ssim)')
    const finished = await new Promise<JobInfo>((resolve) => {
      const off = backend.events.on('event', (event: StudioEvent) => {
        if (event.type === 'job.updated' && event.job.id === job.id && ['succeeded', 'failed', 'cancelled'].includes(event.job.state)) {
          off()
          resolve(event.job)
        }
      })
    })
    expect(finished.state, finished.error ?? '').toBe('succeeded')
    expect(finished.artifacts).toEqual([`runs/${job.id}/compare-report.json`])
    const report = await backend.call('compare.report', { jobId: job.id })
    expect(report.rows).toHaveLength(6)
    expect(report.rows.every((r) => typeof r.values.psnr === 'number' && typeof r.values.ssim === 'number')).toBe(true)
    expect(report.summary.map((s) => s.metric)).toEqual(['psnr', 'ssim'])
    await expect(backend.call('compare.report', { jobId: 'nojob' })).rejects.toThrow(/job nojob has no compare report/)
  }, 60_000)
})
