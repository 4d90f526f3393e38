// Every layout preset, read back by a reader written from its format's documentation.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodePng } from '../../../src/main/engine/io/png'
import { makeDataset, splitOf, type DatasetLayout } from '../../../src/main/engine/dataset'
import { baseOptions, CLASSES } from './helpers'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-layouts-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const jsonl = (path: string) => readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)

async function make(layout: DatasetLayout, extra = {}) {
  const dir = join(root, layout)
  await makeDataset(baseOptions(dir, { layout, filter: { dropFraction: 0.25, maxScore: null }, valPercent: 30, ...extra }))
  return dir
}

function checkMask(path: string): void {
  const png = decodePng(readFileSync(path))
  expect(png.colorType).toBe(3)
  expect([png.width, png.height]).toEqual([64, 64])
  for (const v of png.data) expect(v < CLASSES.length || v === 255).toBe(true)
}

describe('dataset layouts', () => {
  it('twinlight (design.md): modality folders, masks, id2label, classes, metadata for every sample', async () => {
    const dir = await make('twinlight')
    expect(JSON.parse(readFileSync(join(dir, 'id2label.json'), 'utf8'))).toEqual(Object.fromEntries(CLASSES.map((c) => [String(c.id), c.name])))
    expect(JSON.parse(readFileSync(join(dir, 'classes.json'), 'utf8'))).toEqual(CLASSES)
    const rows = jsonl(join(dir, 'metadata.jsonl'))
    expect(rows.map((r) => r.seed)).toEqual(Array.from({ length: 12 }, (_, i) => 3 + i))
    expect(rows.filter((r) => !r.kept)).toHaveLength(3)
    for (const r of rows) {
      const stem = String(r.seed).padStart(8, '0')
      for (const m of ['rgb', 'nir']) expect(existsSync(join(dir, m, `${stem}.png`))).toBe(r.kept)
      if (r.kept) checkMask(join(dir, 'masks', `${stem}.png`))
    }
    expect(readdirSync(join(dir, 'masks'))).toHaveLength(9)
    expect(existsSync(join(dir, 'rejected'))).toBe(false)
    const card = readFileSync(join(dir, 'README.md'), 'utf8')
    expect(card).toContain('| kept | 9 |')
    expect(card).toContain('| rejected: uncertainty-top | 3 |')
  })

  it('hf imagefolder: data/metadata.jsonl names every image (file_name, *_file_name) relative to data/', async () => {
    const dir = await make('hf')
    const data = join(dir, 'data')
    const rows = jsonl(join(data, 'metadata.jsonl'))
    expect(rows).toHaveLength(9)
    const referenced = new Set<string>()
    for (const r of rows) {
      expect(typeof r.file_name).toBe('string')
      for (const [k, v] of Object.entries(r)) {
        if (k === 'file_name' || k.endsWith('_file_name')) {
          expect(existsSync(join(data, v as string))).toBe(true)
          referenced.add(v as string)
        }
      }
      checkMask(join(data, r.mask_file_name as string))
    }
    // imagefolder wants every image under data_dir to have a metadata row
    const images = ['rgb', 'nir', 'masks'].flatMap((f) => readdirSync(join(data, f)).map((n) => `${f}/${n}`))
    expect(new Set(images)).toEqual(referenced)
  })

  it('mmsegmentation: img_dir/ann_dir pairs per split, split by seed hash', async () => {
    const dir = await make('mmseg')
    let pairs = 0
    for (const split of ['train', 'val'] as const) {
      const imgs = existsSync(join(dir, 'img_dir', split)) ? readdirSync(join(dir, 'img_dir', split)).sort() : []
      const list = readFileSync(join(dir, 'splits', `${split}.txt`), 'utf8').split('\n').filter(Boolean)
      expect(imgs.map((n) => n.replace(/\.png$/, ''))).toEqual(list)
      for (const name of imgs) {
        expect(splitOf(Number(name.slice(0, 8)), 30)).toBe(split)
        checkMask(join(dir, 'ann_dir', split, name))
        expect(existsSync(join(dir, 'nir_dir', split, name))).toBe(true)
        expect(decodePng(readFileSync(join(dir, 'img_dir', split, name))).channels).toBe(3)
        pairs++
      }
    }
    expect(pairs).toBe(9)
  })

  it('CVAT Segmentation mask 1.1: labelmap colours decode every SegmentationClass pixel', async () => {
    const dir = await make('cvat', { keepRejected: true })
    const labelmap = readFileSync(join(dir, 'labelmap.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    const colours = new Map<string, string>()
    for (const line of labelmap) {
      const [name, rgb, parts, actions] = line.split(':')
      expect(parts).toBe('')
      expect(actions).toBe('')
      colours.set(rgb!, name!)
    }
    expect([...colours.values()]).toEqual(CLASSES.map((c) => c.name))
    const stems = readFileSync(join(dir, 'ImageSets', 'Segmentation', 'default.txt'), 'utf8').split('\n').filter(Boolean)
    expect(stems).toHaveLength(9)
    for (const stem of stems) {
      const png = decodePng(readFileSync(join(dir, 'SegmentationClass', `${stem}.png`)))
      const seen = new Set<string>()
      for (const i of png.data) seen.add(`${png.palette![i * 3]},${png.palette![i * 3 + 1]},${png.palette![i * 3 + 2]}`)
      for (const c of seen) expect(colours.has(c)).toBe(true)
      expect(existsSync(join(dir, 'JPEGImages', `${stem}.png`))).toBe(true)
    }
    expect(readdirSync(join(dir, 'rejected', 'masks'))).toHaveLength(3)
  })
})
