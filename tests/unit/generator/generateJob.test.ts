import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFile, readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SampleFileSchema, sampleIdForGenerator } from '../../../src/main/services/sampleStore'
import { GeneratorRuntime } from '../../../src/main/engine/generator/runtime'
import { recipeForSeed, resolveVector, vectorStats } from '../../../src/main/engine/generator/recipe'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { encodePng } from '../../../src/main/engine/io/png'
import { tempStudio, toyUpload, waitForJobs } from './helpers'

let studio: Awaited<ReturnType<typeof tempStudio>>
beforeAll(async () => {
  studio = await tempStudio('tl-genjob-')
})
afterAll(async () => studio.cleanup())

const TOY = { resolution: 16, noise: 'explicit' as const }

async function generateIn(name: string, count: number, truncation?: number): Promise<{ dir: string; sha256: string }> {
  const dir = await studio.project(name)
  const { attached } = await studio.backend.call('models.attachGenerator', toyUpload(TOY))
  const job = await studio.backend.call('samples.generate', { count, seedStart: 10, ...(truncation !== undefined ? { truncation } : {}), batchSize: 3 })
  expect(job.kind).toBe('generate-samples')
  await waitForJobs(studio.backend)
  const done = (await studio.backend.call('jobs.list', {})).find((j) => j.id === job.id)!
  expect(done.state, done.error ?? '').toBe('succeeded')
  return { dir, sha256: attached.ref.sha256 }
}

async function pngs(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>()
  for (const id of await readdir(join(dir, 'samples'))) {
    for (const file of await readdir(join(dir, 'samples', id))) if (file.endsWith('.png')) out.set(`${id}/${file}`, await readFile(join(dir, 'samples', id, file)))
  }
  return out
}

describe('the generate-samples job', () => {
  it('gives byte-identical PNGs across two worker runs, equal to the in-process runtime', async () => {
    const a = await generateIn('Run A', 5, 0.5)
    const b = await generateIn('Run B', 5, 0.5)
    expect(a.sha256).toBe(b.sha256)
    const first = await pngs(a.dir)
    const second = await pngs(b.dir)
    expect([...first.keys()].sort()).toEqual([...second.keys()].sort())
    expect(first.size).toBe(10)
    for (const [key, bytes] of first) expect(bytes.equals(second.get(key)!), key).toBe(true)

    // The same bytes as running the generator here.
    const toy = buildToyGenerator(TOY)
    const runtime = await GeneratorRuntime.open(toy)
    const [sample] = await runtime.run([{ seed: 12, recipe: recipeForSeed(toy.manifest, 0.5) }])
    await runtime.release()
    const id = sampleIdForGenerator(a.sha256, 12)
    expect(Buffer.from(encodePng(sample.images.rgb)).equals(first.get(`${id}/rgb.png`)!)).toBe(true)
    expect(Buffer.from(encodePng(sample.images.nir)).equals(first.get(`${id}/nir.png`)!)).toBe(true)
  })

  it('writes a sample.json that holds everything needed to regenerate the sample', async () => {
    const { dir, sha256 } = await generateIn('Recipe', 2)
    const id = sampleIdForGenerator(sha256, 11)
    const file = SampleFileSchema.parse(JSON.parse(await readFile(join(dir, 'samples', id, 'sample.json'), 'utf8')))
    expect(file).toMatchObject({
      id,
      seed: 11,
      width: 16,
      height: 16,
      modalities: ['rgb', 'nir'],
      generator: { kind: 'onnx', sha256 },
      recipe: {
        version: 1,
        truncation: 0.7,
        latent: { prior: 'normal', size: 8, sampler: 'twinlight-normal-v1', stream: 0 },
        noise: { kind: 'explicit', sampler: 'twinlight-normal-v1', inputs: [{ name: 'noise0', shape: [1, 8, 8], stream: 2 }] }
      }
    })
    const list = await studio.backend.call('samples.list', {})
    expect(list.map((s) => s.id)).toEqual([sampleIdForGenerator(sha256, 10), id])
    expect(list[1]).toMatchObject({ seed: 11, status: 'unlabeled', images: { rgb: `samples/${id}/rgb.png`, nir: `samples/${id}/nir.png` } })

    const detail = await studio.backend.call('samples.detail', { id })
    expect(detail).toMatchObject({ generatorName: 'toy', reproducible: true, truncation: 0.7, noise: { kind: 'explicit', inputs: 1 } })
    expect(detail.latent?.stats).toEqual(vectorStats(resolveVector(file.recipe!.latent, 11)))
    expect(detail.latent?.stats.size).toBe(8)
  })

  it('resumes: finished samples are skipped, unfinished ones drawn again', async () => {
    const { dir, sha256 } = await generateIn('Resume', 3)
    const unfinished = sampleIdForGenerator(sha256, 11)
    await rm(join(dir, 'samples', unfinished, 'sample.json'))
    const before = await readFile(join(dir, 'samples', unfinished, 'rgb.png'))
    const job = await studio.backend.call('samples.generate', { count: 3, seedStart: 10 })
    await waitForJobs(studio.backend)
    const done = (await studio.backend.call('jobs.list', {})).find((j) => j.id === job.id)!
    expect(done.result).toMatchObject({ written: 1, skipped: 2 })
    expect((await readFile(join(dir, 'samples', unfinished, 'rgb.png'))).equals(before)).toBe(true)
    const log = await studio.backend.call('jobs.log', { id: job.id })
    expect(log.map((l) => l.text).join('\n')).toMatch(/on the cpu provider/)
  })

  it('renderer projects still use the render-samples job', async () => {
    await studio.project('Renderer')
    const job = await studio.backend.call('samples.generate', { count: 1, seedStart: 0 })
    expect(job.kind).toBe('render-samples')
    await waitForJobs(studio.backend)
    const detail = await studio.backend.call('samples.detail', { id: 's00000000' })
    expect(detail).toMatchObject({ generatorName: 'Face renderer', truncation: null, noise: { kind: 'renderer' }, latent: { prior: 'renderer-params' } })
  })
})
