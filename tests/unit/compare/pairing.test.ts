import { describe, it, expect, afterAll } from 'vitest'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { listImages, pairImages, textOrderDiffersFromNumeric } from '../../../src/main/engine/metrics/pairing'
import { MetricsError } from '../../../src/main/engine/metrics'
import { tempDir, writeFolder } from './helpers'

const dirs: string[] = []
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

describe('pairing by stem', () => {
  it('pairs files with the same name whatever their extension, in sorted order', () => {
    const r = pairImages(['b.png', 'a.png', 'c.jpg'], ['c.png', 'a.jpg', 'b.png'], 'stem')
    expect(r.pairs.map((p) => [p.pred, p.gt])).toEqual([
      ['a.png', 'a.jpg'],
      ['b.png', 'b.png'],
      ['c.jpg', 'c.png']
    ])
    expect(r.warnings).toEqual([])
  })

  it('names the stems that have no partner', () => {
    expect(() => pairImages(['a.png', 'b.png'], ['a.png', 'x.png'], 'stem')).toThrow(/1 pred image has no gt with the same stem \(b\.png\); 1 gt image has no pred \(x\.png\).*--pair-by order/)
  })

  it('refuses a stem twice in one folder', () => {
    expect(() => pairImages(['a.png', 'a.jpg'], ['a.png', 'b.png'], 'stem')).toThrow(/pred has two images with the stem "a" \(a\.jpg and a\.png\)/)
  })
})

describe('pairing by sorted order', () => {
  it('pairs the i-th files of both folders, like Python sorted()', () => {
    const r = pairImages(['10.png', '2.png', '1.png'], ['1.png', '10.png', '2.png'], 'order')
    expect(r.pairs.map((p) => p.pred)).toEqual(['1.png', '10.png', '2.png'])
    expect(r.pairs.map((p) => p.gt)).toEqual(['1.png', '10.png', '2.png'])
  })

  it('warns when the stems of pairs differ (CMOS-GAN style folders)', () => {
    const r = pairImages(['fake_001.png', 'fake_002.png'], ['real_001.png', 'real_002.png'], 'order')
    expect(r.pairs).toHaveLength(2)
    expect(r.warnings).toHaveLength(1)
    expect(r.warnings[0]).toMatch(/ambiguous: 2 of 2 pairs have different names \(first: pred fake_001\.png ↔ gt real_001\.png\)/)
  })

  it('warns when numbered names sort differently as text and as numbers', () => {
    expect(textOrderDiffersFromNumeric(['1.png', '2.png', '10.png'])).toBe(true)
    expect(textOrderDiffersFromNumeric(['001.png', '002.png', '010.png'])).toBe(false)
    const r = pairImages(['1.png', '2.png', '10.png'], ['1.png', '2.png', '10.png'], 'order')
    expect(r.warnings.some((w) => /sort as text \(e\.g\. 10\.png before 2\.png/.test(w))).toBe(true)
    expect(pairImages(['001.png', '002.png'], ['001.png', '002.png'], 'order').warnings).toEqual([])
  })

  it('refuses sets of different sizes, whatever the pairing', () => {
    for (const by of ['order', 'stem'] as const) {
      expect(() => pairImages(['a.png', 'b.png', 'c.png'], ['a.png', 'b.png'], by)).toThrow(MetricsError)
      expect(() => pairImages(['a.png', 'b.png', 'c.png'], ['a.png', 'b.png'], by)).toThrow(/sets of different sizes: pred has 3 images, gt has 2/)
    }
  })
})

describe('listImages', () => {
  it('lists image files in sorted order and skips the rest', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    await writeFolder(dir, ['b.png', 'a.png'], 8, 8)
    await writeFile(join(dir, 'notes.txt'), 'x')
    await writeFile(join(dir, '.hidden.png'), 'x')
    expect(await listImages(dir, 'pred')).toEqual(['a.png', 'b.png'])
  })

  it('says when a folder is missing or holds no images', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    await expect(listImages(join(dir, 'nope'), 'pred')).rejects.toThrow(/pred folder .*nope cannot be read: it does not exist/)
    await expect(listImages(dir, 'gt')).rejects.toThrow(/gt folder .* holds no images/)
  })
})
