import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodePng } from '../../../src/main/engine/io/png'
import { renderDataset, RenderArgumentError, FACE_CLASSES, OCULAR_CLASSES, hexToRgb, type SampleMetadata } from '../../../src/main/engine/render'

let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'twinlight-render-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('renderDataset', () => {
  it('writes the dataset layout with identity groups', async () => {
    const out = join(dir, 'faces')
    const progress: [number, number][] = []
    const summary = await renderDataset(
      { outDir: out, count: 4, size: 64, modalities: ['rgb', 'nir', 'sketch', 'depth', 'mask'], seed: 10, identities: 2, perIdentity: 2 },
      (done, total) => progress.push([done, total])
    )
    expect(summary).toMatchObject({ count: 4, size: 64, mode: 'face', identities: 2, perIdentity: 2 })
    expect(progress.map((p) => p[0])).toEqual([1, 2, 3, 4])
    expect(progress.every((p) => p[1] === 4)).toBe(true)

    const entries = (await readdir(out)).sort()
    expect(entries).toEqual(['classes.json', 'depth', 'id2label.json', 'masks', 'metadata.jsonl', 'nir', 'rgb', 'sketch'])
    const stems = ['000000', '000001', '000002', '000003']
    for (const m of ['rgb', 'nir', 'sketch', 'depth', 'masks']) {
      expect((await readdir(join(out, m))).sort()).toEqual(stems.map((s) => `${s}.png`))
    }

    const rgb = decodePng(await readFile(join(out, 'rgb', '000001.png')))
    expect([rgb.width, rgb.height, rgb.channels]).toEqual([64, 64, 3])
    const nir = decodePng(await readFile(join(out, 'nir', '000001.png')))
    expect(nir.channels).toBe(1)

    const mask = decodePng(await readFile(join(out, 'masks', '000002.png')))
    expect(mask.colorType).toBe(3)
    expect([mask.width, mask.height]).toEqual([64, 64])
    for (const c of FACE_CLASSES) expect([...mask.palette!.subarray(c.id * 3, c.id * 3 + 3)]).toEqual(hexToRgb(c.color))
    const ids = new Set(FACE_CLASSES.map((c) => c.id))
    for (const v of mask.data) expect(ids.has(v)).toBe(true)
    expect(new Set(mask.data).size).toBeGreaterThan(4)

    const id2label = JSON.parse(await readFile(join(out, 'id2label.json'), 'utf8'))
    expect(id2label['0']).toBe('background')
    expect(id2label['5']).toBe('iris')
    expect(Object.keys(id2label)).toHaveLength(FACE_CLASSES.length)
    const classes = JSON.parse(await readFile(join(out, 'classes.json'), 'utf8'))
    expect(classes[1]).toEqual({ id: 1, name: 'skin', color: FACE_CLASSES[1].color })

    const lines = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n')
    expect(lines).toHaveLength(4)
    const meta = lines.map((l) => JSON.parse(l) as SampleMetadata)
    expect(meta.map((m) => m.stem)).toEqual(stems)
    expect(meta.map((m) => m.seed)).toEqual([10, 11, 12, 13])
    expect(meta.map((m) => m.identity)).toEqual([0, 0, 1, 1])
    expect(meta[0].params.identity).toEqual(meta[1].params.identity)
    expect(meta[2].params.identity).toEqual(meta[3].params.identity)
    expect(meta[0].params.identity).not.toEqual(meta[2].params.identity)
    expect(meta[0].params.pose).not.toEqual(meta[1].params.pose)
    // no temporary files left behind
    expect(entries.some((e) => e.includes('partial') || e.endsWith('.tmp'))).toBe(false)
  })

  it('writes ocular crops with the four ocular classes', async () => {
    const out = join(dir, 'ocular')
    await renderDataset({ outDir: out, count: 1, size: 64, modalities: ['nir'], seed: 3, mode: 'ocular' })
    expect((await readdir(out)).sort()).toEqual(['classes.json', 'id2label.json', 'masks', 'metadata.jsonl', 'nir'])
    const classes = JSON.parse(await readFile(join(out, 'classes.json'), 'utf8'))
    expect(classes.map((c: { name: string }) => c.name)).toEqual(OCULAR_CLASSES.map((c) => c.name))
    const mask = decodePng(await readFile(join(out, 'masks', '000000.png')))
    for (const v of mask.data) expect(v).toBeLessThan(4)
  })

  it('rejects bad options with errors that name the problem', async () => {
    const base = { outDir: join(dir, 'bad'), count: 2, size: 64, modalities: ['rgb'], seed: 0 }
    await expect(renderDataset({ ...base, size: 0 })).rejects.toThrow(/size must be an integer from 64 to 1024/)
    await expect(renderDataset({ ...base, size: 2000 })).rejects.toThrow(RenderArgumentError)
    await expect(renderDataset({ ...base, modalities: ['rgb', 'x-ray'] })).rejects.toThrow(/unknown modality "x-ray"; valid modalities: rgb, nir, sketch, depth, mask/)
    await expect(renderDataset({ ...base, count: -1 })).rejects.toThrow(/count must be a positive integer, got -1/)
    await expect(renderDataset({ ...base, count: 2.5 })).rejects.toThrow(/count must be a positive integer/)
    await expect(renderDataset({ ...base, count: 6, identities: 2, perIdentity: 2 })).rejects.toThrow(/identities × perIdentity must equal count: 2 × 2 = 4, but count is 6/)
    await expect(renderDataset({ ...base, count: 5, identities: 2 })).rejects.toThrow(/not a multiple of identities/)
    await expect(renderDataset({ ...base, seed: -4 })).rejects.toThrow(/seed must be at least 0/)
    await expect(renderDataset({ ...base, mode: 'iris' as never })).rejects.toThrow(/mode must be/)
    // nothing was written for rejected options
    await expect(readdir(join(dir, 'bad'))).rejects.toThrow()
  })
})
