// Import and export of a selection's masks through the backend: files in a folder on disk,
// matched back to samples by stem, with a per-file report of what was imported, refused
// (saying what was found), unmatched or skipped.
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { rm, mkdir, writeFile, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { StudioBackend } from '../../../src/main/services/backend'
import { decodePng, encodePng } from '../../../src/main/engine/io/png'
import { decodeNpy, encodeNpy } from '../../../src/main/engine/io/masks'
import type { ClassDef } from '../../../src/shared/project'
import { projectFixture, refusal, type ProjectFixture } from './projectFixture'

const W = 6
const H = 4
let fixture: ProjectFixture
let root: string
let backend: StudioBackend
let dir: string
let classes: ClassDef[]

const maskOf = (seed: number) => Uint8Array.from({ length: W * H }, (_, i) => ((i + seed) % 4 === 0 ? 255 : (i * seed) % 10))

beforeEach(async () => {
  fixture = await projectFixture('Selection', ['a1', 'a2', 'a3', 'b1'], W, H)
  ;({ root, backend, dir, classes } = fixture)
  await backend.call('annotations.save', { sampleId: 'a1', width: W, height: H, labels: maskOf(1) })
  await backend.call('annotations.save', { sampleId: 'a2', width: W, height: H, labels: maskOf(2) })
})
afterEach(() => fixture.dispose())

async function savedMask(id: string): Promise<number[] | null> {
  const mask = await backend.call('annotations.load', { sampleId: id })
  return mask ? [...mask.labels] : null
}

describe('annotations.exportSelection', () => {
  it('writes one file per annotated sample, the class table, and lists samples without a mask', async () => {
    const report = await backend.call('annotations.exportSelection', { sampleIds: ['a1', 'a2', 'a3'], format: 'npy' })
    expect(report.dir.startsWith(join(dir, 'exports', 'masks-npy-'))).toBe(true)
    expect(report.files).toEqual(['a1.npy', 'a2.npy'])
    expect(report.missing).toEqual(['a3'])
    expect((await readdir(report.dir)).sort()).toEqual(['a1.npy', 'a2.npy', 'classes.json', 'id2label.json'])
    const a2 = decodeNpy(await readFile(join(report.dir, 'a2.npy')))
    expect([a2.width, a2.height, ...a2.labels]).toEqual([W, H, ...maskOf(2)])
    expect(JSON.parse(await readFile(join(report.dir, 'classes.json'), 'utf8'))).toEqual(classes.map((c) => ({ id: c.id, name: c.name, color: c.color })))

    const png = await backend.call('annotations.exportSelection', { sampleIds: ['a1'], format: 'png', dir: join(root, 'out', 'index') })
    expect(png.dir).toBe(join(root, 'out', 'index'))
    const decoded = decodePng(await readFile(join(png.dir, 'a1.png')))
    expect([decoded.colorType, ...decoded.data]).toEqual([3, ...maskOf(1)])
  })

  it('refuses a folder that is not empty or not absolute, so nothing is overwritten', async () => {
    const used = join(root, 'used')
    await mkdir(used)
    await writeFile(join(used, 'keep.txt'), 'mine')
    await expect(backend.call('annotations.exportSelection', { sampleIds: ['a1'], format: 'png', dir: used })).rejects.toThrow(/is not empty/)
    await expect(backend.call('annotations.exportSelection', { sampleIds: ['a1'], format: 'png', dir: 'relative/x' })).rejects.toThrow(/absolute path/)
    expect(await readFile(join(used, 'keep.txt'), 'utf8')).toBe('mine')
  })
})

describe('annotations.importFiles', () => {
  it('round-trips an exported colour folder and reports every file', async () => {
    const exported = await backend.call('annotations.exportSelection', { sampleIds: ['a1', 'a2'], format: 'colour' })
    expect(exported.files).toEqual(['a1_colour.png', 'a2_colour.png'])
    // Clear a1 so the import has somewhere to go; a2 keeps its mask and is skipped.
    await backend.call('annotations.save', { sampleId: 'a1', width: W, height: H, labels: new Uint8Array(W * H).fill(255) })
    await rm(join(dir, 'annotations', 'a1.png'))
    const report = await backend.call('annotations.importFiles', { source: { kind: 'folder', dir: exported.dir } })
    expect(report.files.map((f) => [f.file, f.sampleId, f.status, f.format])).toEqual([
      ['a1_colour.png', 'a1', 'imported', 'colour'],
      ['a2_colour.png', 'a2', 'skipped', 'colour']
    ])
    expect(report.files[1].message).toBe('a2 already has a mask; choose "replace" to overwrite it')
    expect(await savedMask('a1')).toEqual([...maskOf(1)])
  })

  it('refuses wrong sizes, values outside the class set and unmapped colours, saying what was found; leaves unmatched files alone', async () => {
    const good = maskOf(3)
    const bad = maskOf(3)
    bad[5] = 42
    const rgb = new Uint8Array(W * H * 3)
    rgb.fill(0)
    rgb.set([0x12, 0x34, 0x56], 0)
    const files = [
      { name: 'a3.npy', bytes: encodeNpy(good, H, W) },
      { name: 'b1.npy', bytes: encodeNpy(bad, H, W) },
      { name: 'a2_mask.npy', bytes: encodeNpy(new Uint8Array(9), 3, 3) },
      { name: 'a1_colour.png', bytes: encodePng({ width: W, height: H, channels: 3, data: rgb }) },
      { name: 'zz9.npy', bytes: encodeNpy(good, H, W) }
    ]
    const report = await backend.call('annotations.importFiles', { source: { kind: 'upload', files }, existing: 'replace' })
    const byFile = Object.fromEntries(report.files.map((f) => [f.file, f]))
    expect(byFile['a3.npy'].status).toBe('imported')
    expect(byFile['b1.npy']).toMatchObject({ status: 'refused', message: 'value 42 is not a class (0–9) or 255 (1 pixel)' })
    expect(byFile['a2_mask.npy']).toMatchObject({ sampleId: 'a2', status: 'refused', message: 'mask is 3×3, the sample is 6×4' })
    expect(byFile['a1_colour.png'].status).toBe('refused')
    expect(byFile['a1_colour.png'].message).toContain('1 colour matches no class: #123456 (1 px)')
    expect(byFile['zz9.npy']).toMatchObject({ sampleId: null, status: 'unmatched', message: 'no sample has this name' })
    expect([report.imported, report.refused, report.unmatched, report.skipped]).toEqual([1, 3, 1, 0])
    // Only the imported file changed anything.
    expect(await savedMask('a3')).toEqual([...good])
    expect(await savedMask('b1')).toBeNull()
    expect(await savedMask('a1')).toEqual([...maskOf(1)])
    expect(await savedMask('a2')).toEqual([...maskOf(2)])
  })

  it('matches only the selection, writes nothing on a dry run, and replaces masks only when asked', async () => {
    const files = [
      { name: 'a1.npy', bytes: encodeNpy(maskOf(7), H, W) },
      { name: 'b1.npy', bytes: encodeNpy(maskOf(8), H, W) },
      { name: 'b1.png', bytes: encodeNpy(maskOf(8), H, W) }
    ]
    const dry = await backend.call('annotations.importFiles', { source: { kind: 'upload', files }, sampleIds: ['a1', 'b1'], existing: 'replace', dryRun: true, format: 'npy' })
    expect(dry.files.map((f) => f.status)).toEqual(['imported', 'imported', 'refused'])
    expect(dry.files[2].message).toBe('b1.npy was already matched to b1')
    expect(await savedMask('a1')).toEqual([...maskOf(1)])
    expect(await savedMask('b1')).toBeNull()

    const scoped = await backend.call('annotations.importFiles', { source: { kind: 'upload', files: files.slice(0, 2) }, sampleIds: ['b1'], existing: 'replace' })
    expect(scoped.files.map((f) => [f.status, f.message])).toEqual([
      ['unmatched', 'its sample is not in the selection'],
      ['imported', '6×4 .npy']
    ])
    expect(await savedMask('b1')).toEqual([...maskOf(8)])
    expect(await savedMask('a1')).toEqual([...maskOf(1)])
    await backend.call('annotations.importFiles', { source: { kind: 'upload', files: files.slice(0, 1) }, existing: 'replace' })
    expect(await savedMask('a1')).toEqual([...maskOf(7)])
  })

  it('refuses a folder that cannot be read', async () => {
    expect(await refusal(backend.call('annotations.importFiles', { source: { kind: 'folder', dir: join(root, 'nope') } }))).toContain('is not a folder that can be read')
  })
})
