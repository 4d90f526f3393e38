// The sample list index behind samples.list (a Gallery refresh must not read 10,000 files).
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SampleStore, sampleIdForGenerator, sampleIdForSeed } from '../../../src/main/services/sampleStore'
import { AnnotationStore } from '../../../src/main/services/annotationStore'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tl-samples-'))
  await mkdir(join(dir, 'samples'), { recursive: true })
})
afterEach(async () => rm(dir, { recursive: true, force: true }))

async function writeSample(seed: number, finished = true): Promise<string> {
  const id = sampleIdForSeed(seed)
  await mkdir(join(dir, 'samples', id), { recursive: true })
  await writeFile(join(dir, 'samples', id, 'rgb.png'), 'png')
  if (finished) {
    await writeFile(
      join(dir, 'samples', id, 'sample.json'),
      JSON.stringify({ id, seed, width: 8, height: 8, modalities: ['rgb'], generator: { kind: 'renderer', mode: 'face' }, createdAt: 'then' })
    )
  }
  return id
}

const store = () => new SampleStore(dir, new AnnotationStore(dir))
const waitForCache = async () => {
  for (let i = 0; i < 60 && !existsSync(join(dir, '.cache', 'samples-index.json')); i++) await new Promise((r) => setTimeout(r, 100))
}

describe('SampleStore.list', () => {
  it('lists finished samples in id order, picks up new ones, drops deleted ones', async () => {
    for (let seed = 0; seed < 300; seed++) await writeSample(seed)
    await writeSample(300, false) // unfinished: no sample.json yet
    const samples = store()
    let list = await samples.list()
    expect(list).toHaveLength(300)
    expect(list[0]).toMatchObject({ id: 's00000000', status: 'unlabeled', images: { rgb: 'samples/s00000000/rgb.png' } })
    expect(list.map((s) => s.seed)).toEqual(Array.from({ length: 300 }, (_, i) => i))

    await writeSample(300) // finished now
    await writeSample(1000)
    await rm(join(dir, 'samples', 's00000005'), { recursive: true })
    await samples.delete(['s00000006'])
    await mkdir(join(dir, 'annotations'), { recursive: true })
    await writeFile(join(dir, 'annotations', 'status.json'), JSON.stringify({ s00000001: 'done', s00000002: 'in-progress' }))
    list = await samples.list()
    expect(list).toHaveLength(300)
    expect(list.some((s) => s.id === 's00000005' || s.id === 's00000006')).toBe(false)
    expect(list.at(-1)!.id).toBe('s00001000')
    expect(list.find((s) => s.id === 's00000001')!.status).toBe('done')
    expect(list.find((s) => s.id === 's00000002')!.status).toBe('in-progress')
  })

  it('opens from the saved index without reading every sample.json, and survives a damaged index', async () => {
    for (let seed = 0; seed < 20; seed++) await writeSample(seed)
    expect(await store().list()).toHaveLength(20)
    await waitForCache()
    expect(existsSync(join(dir, '.cache', 'samples-index.json'))).toBe(true)
    // A sample.json that became unreadable is still listed from the index (it is not re-read)...
    await writeFile(join(dir, 'samples', 's00000003', 'sample.json'), 'not json')
    expect((await store().list()).map((s) => s.id)).toContain('s00000003')
    // ...but a folder that is gone is not, and a damaged index just means reading the folders.
    await rm(join(dir, 'samples', 's00000004'), { recursive: true })
    await writeFile(join(dir, '.cache', 'samples-index.json'), '{"version": 1, "samples": [')
    const list = await store().list()
    expect(list.map((s) => s.id)).not.toContain('s00000004')
    expect(list.map((s) => s.id)).not.toContain('s00000003')
    expect(list).toHaveLength(18)
  })

  it('gives ONNX samples generator-tagged ids in seed order', () => {
    const sha = 'ab'.repeat(32)
    expect(sampleIdForGenerator(sha, 7)).toBe('gabababab-00000007')
    expect([sampleIdForGenerator(sha, 10), sampleIdForGenerator(sha, 9)].sort()).toEqual([sampleIdForGenerator(sha, 9), sampleIdForGenerator(sha, 10)])
  })
})
