import { mkdtemp, mkdir, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FaceImage } from '../../../src/main/engine/face/image'
import { privacyDecision } from '../../../src/main/engine/face/privacy'
import { identityOf, ReferenceFolderError, ReferenceIdentitySet } from '../../../src/main/engine/face/reference'
import { faceNotFound, type FaceEmbedder, type FaceEmbeddingResult } from '../../../src/main/engine/face/types'

/**
 * A stand-in embedder: the embedding is the image's mean R, G, B plus a constant (so it is
 * never zero), an all-black image has "no face". Counts its calls.
 */
class FakeEmbedder implements FaceEmbedder {
  calls = 0
  constructor(readonly id = 'fake-embedder') {}
  describe() {
    return { name: 'fake', dims: 4, needsAlignment: false, defaultThreshold: 0.99, thresholdNote: 'test' }
  }
  async embed(image: FaceImage): Promise<FaceEmbeddingResult> {
    this.calls++
    const sum = [0, 0, 0]
    const n = image.width * image.height
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) sum[c]! += image.data[i * image.channels + Math.min(c, image.channels - 1)]!
    if (sum.every((s) => s === 0)) {
      return faceNotFound(this.id, 'no face found (black image)')
    }
    const e = Float32Array.of(sum[0]! / n, sum[1]! / n, sum[2]! / n, 10)
    const norm = Math.hypot(...e)
    return {
      model: this.id,
      detected: true,
      detectorScore: 0.9,
      box: { x: 0, y: 0, width: image.width, height: image.height },
      landmarks: null,
      embedding: e.map((v) => v / norm),
      faceCount: 1
    }
  }
}

let root: string

async function solid(path: string, rgb: [number, number, number], format: 'png' | 'jpeg' = 'png'): Promise<void> {
  const img = sharp({ create: { width: 16, height: 16, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  await writeFile(path, await (format === 'png' ? img.png() : img.jpeg()).toBuffer())
}

async function folder(name: string): Promise<string> {
  const dir = join(root, name)
  await mkdir(dir, { recursive: true })
  return dir
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'twinlight-face-refs-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('identity grouping rules', () => {
  it('uses the top-level sub-folder, else a name prefix before _ or -, else the file', () => {
    expect(identityOf('alice/001.jpg')).toBe('alice')
    expect(identityOf('alice/2019/x_1.png')).toBe('alice')
    expect(identityOf('bob_001.jpg')).toBe('bob')
    expect(identityOf('n000002-0001.jpg')).toBe('n000002')
    expect(identityOf('00042.png')).toBe('00042')
    expect(identityOf('_odd.png')).toBe('_odd')
    expect(identityOf('bob_001.jpg', 'file')).toBe('bob_001')
    expect(identityOf('alice/x_1.png', 'prefix')).toBe('x')
    expect(identityOf('bob_001.jpg', 'folder')).toBe('bob_001')
  })
})

describe('ReferenceIdentitySet.build', () => {
  it('groups a folder by the rules, caches embeddings and reuses them without embedding again', async () => {
    const dir = await folder('grouped')
    await mkdir(join(dir, 'alice'))
    await mkdir(join(dir, 'bob'))
    await solid(join(dir, 'alice', '1.png'), [200, 10, 10])
    await solid(join(dir, 'alice', '2.jpg'), [190, 20, 10], 'jpeg')
    await solid(join(dir, 'bob', 'a.png'), [10, 200, 10])
    await solid(join(dir, 'carol_01.png'), [10, 10, 200])
    await solid(join(dir, 'carol_02.png'), [20, 10, 190])
    await solid(join(dir, '00042.png'), [120, 120, 120])
    await solid(join(dir, 'black.png'), [0, 0, 0])
    await writeFile(join(dir, 'notes.txt'), 'not an image')
    await writeFile(join(dir, '.DS_Store'), 'hidden')
    const cache = join(root, 'cache-grouped')

    const embedder = new FakeEmbedder()
    const progress: number[] = []
    const set = await ReferenceIdentitySet.build({ folder: dir, embedder, cacheDir: cache, onProgress: (p) => progress.push(p.done) })
    expect(embedder.calls).toBe(7)
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect([...set.identities()]).toEqual([
      ['00042', 1],
      ['alice', 2],
      ['bob', 1],
      ['carol', 2]
    ])
    expect(set.size).toBe(6)
    expect(set.report).toMatchObject({ images: 7, embedded: 7, fromCache: 0, usable: 6, identities: 4, ignored: 1, unreadable: [] })
    expect(set.report?.noFace).toEqual([{ file: 'black.png', reason: 'no face found (black image)' }])
    expect(set.report?.cache.status).toBe('created')
    const files = await readdir(cache)
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(1)
    expect(files.filter((f) => f.endsWith('.f32'))).toHaveLength(1)

    // Second build: everything from the cache, no embedding at all, same set.
    const again = new FakeEmbedder()
    const set2 = await ReferenceIdentitySet.build({ folder: dir, embedder: again, cacheDir: cache })
    expect(again.calls).toBe(0)
    expect(set2.report).toMatchObject({ embedded: 0, fromCache: 7, usable: 6, cache: { status: 'reused' } })
    expect(set2.report?.noFace).toHaveLength(1)
    expect(Array.from(set2.matrix)).toEqual(Array.from(set.matrix))
    expect(set2.entries.map((e) => e.file)).toEqual(set.entries.map((e) => e.file))

    // A changed file (new mtime) and a new file are embedded again; the rest come from the cache.
    await solid(join(dir, 'bob', 'a.png'), [15, 190, 15])
    await utimes(join(dir, 'bob', 'a.png'), new Date(), new Date(Date.now() + 5000))
    await solid(join(dir, 'bob', 'b.png'), [12, 180, 12])
    const third = new FakeEmbedder()
    const set3 = await ReferenceIdentitySet.build({ folder: dir, embedder: third, cacheDir: cache })
    expect(third.calls).toBe(2)
    expect(set3.report).toMatchObject({ embedded: 2, fromCache: 6, usable: 7, cache: { status: 'updated' } })
    expect((await readdir(cache)).filter((f) => f.endsWith('.f32'))).toHaveLength(1)

    // Another model id does not use this model's cache.
    const other = new FakeEmbedder('other-model')
    await ReferenceIdentitySet.build({ folder: dir, embedder: other, cacheDir: cache })
    expect(other.calls).toBe(8)

    // A decision against the built set names the closest reference file.
    const probe = await new FakeEmbedder().embed({ width: 1, height: 1, channels: 3, data: Uint8Array.of(195, 15, 10) })
    const d = privacyDecision(probe, set3, { threshold: 0.999, noFace: 'reject' })
    expect(d.kept).toBe(false)
    expect(d.closestReference?.identity).toBe('alice')
  })

  it('ignores a damaged cache and rebuilds it', async () => {
    const dir = await folder('damaged-cache')
    await solid(join(dir, 'x_1.png'), [100, 50, 25])
    const cache = join(root, 'cache-damaged')
    await ReferenceIdentitySet.build({ folder: dir, embedder: new FakeEmbedder(), cacheDir: cache })
    const index = (await readdir(cache)).find((f) => f.endsWith('.json'))!
    await writeFile(join(cache, index), '{ not json')
    const embedder = new FakeEmbedder()
    const set = await ReferenceIdentitySet.build({ folder: dir, embedder, cacheDir: cache })
    expect(embedder.calls).toBe(1)
    expect(set.report?.cache.status).toBe('created')
    expect(set.report?.cache.note).toMatch(/could not be read/)
    // the binary does not match the index → rebuilt as well
    const bin = (await readdir(cache)).find((f) => f.endsWith('.f32'))!
    await writeFile(join(cache, bin), Buffer.alloc(3))
    const e2 = new FakeEmbedder()
    const set2 = await ReferenceIdentitySet.build({ folder: dir, embedder: e2, cacheDir: cache })
    expect(e2.calls).toBe(1)
    expect(set2.report?.cache.note).toMatch(/binary/)
  })

  it('reports corrupt files and skips them, or fails on them when asked', async () => {
    const dir = await folder('corrupt')
    await solid(join(dir, 'good.png'), [90, 60, 30])
    const jpeg = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#884422' } }).jpeg().toBuffer()
    const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#224488' } }).png().toBuffer()
    await writeFile(join(dir, 'broken.jpg'), jpeg.subarray(0, jpeg.length >> 1))
    await writeFile(join(dir, 'broken.png'), png.subarray(0, png.length - 20))
    const set = await ReferenceIdentitySet.build({ folder: dir, embedder: new FakeEmbedder() })
    expect(set.size).toBe(1)
    expect(set.report?.unreadable.map((u) => u.file)).toEqual(['broken.jpg', 'broken.png'])
    expect(set.report?.unreadable[0]!.error).toMatch(/premature end of JPEG/i)
    expect(set.report?.unreadable[1]!.error).toMatch(/png/i)
    expect(set.report?.cache.status).toBe('off')

    const err = await ReferenceIdentitySet.build({ folder: dir, embedder: new FakeEmbedder(), onUnreadable: 'fail' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ReferenceFolderError)
    expect((err as ReferenceFolderError).code).toBe('unreadable-image')
    expect((err as Error).message).toMatch(/broken\.jpg/)
  })

  it('fails clearly when no image is usable, naming the files', async () => {
    const dir = await folder('unusable')
    await writeFile(join(dir, 'fake.jpg'), 'this is text, not a JPEG')
    await solid(join(dir, 'black.png'), [0, 0, 0])
    const err = (await ReferenceIdentitySet.build({ folder: dir, embedder: new FakeEmbedder() }).catch((e: unknown) => e)) as ReferenceFolderError
    expect(err).toBeInstanceOf(ReferenceFolderError)
    expect(err.code).toBe('no-usable-images')
    expect(err.message).toMatch(/fake\.jpg/)
    expect(err.message).toMatch(/black\.png/)
    expect(err.message).toMatch(/no detectable face/)
    expect(err.files.sort()).toEqual(['black.png', 'fake.jpg'])
  })

  it('rejects an empty folder, a folder of non-images, a missing folder and a file', async () => {
    const empty = await folder('empty')
    const build = (f: string): Promise<ReferenceFolderError> =>
      ReferenceIdentitySet.build({ folder: f, embedder: new FakeEmbedder() }).then(
        () => {
          throw new Error('expected the build to fail')
        },
        (e: unknown) => e as ReferenceFolderError
      )

    const e1 = await build(empty)
    expect(e1).toBeInstanceOf(ReferenceFolderError)
    expect(e1.code).toBe('no-images')
    expect(e1.message).toMatch(/is empty/)

    const texts = await folder('texts')
    await writeFile(join(texts, 'a.txt'), 'a')
    await writeFile(join(texts, 'b.csv'), 'b')
    await writeFile(join(texts, 'scan.bmp'), 'BM')
    const e2 = await build(texts)
    expect(e2.code).toBe('no-images')
    expect(e2.message).toMatch(/3 file\(s\).*a\.txt.*none with an image extension/)
    expect(e2.message).toMatch(/\.bmp.*convert them to PNG/)

    const e3 = await build(join(root, 'does-not-exist'))
    expect(e3.code).toBe('not-found')

    const file = join(root, 'plain-file.png')
    await solid(file, [1, 2, 3])
    const e4 = await build(file)
    expect(e4.code).toBe('not-a-folder')
  })

  it('stores little-endian float32 rows and a JSON index', async () => {
    const dir = await folder('format')
    await solid(join(dir, 'p_1.png'), [30, 60, 90])
    const cache = join(root, 'cache-format')
    const set = await ReferenceIdentitySet.build({ folder: dir, embedder: new FakeEmbedder(), cacheDir: cache })
    const files = await readdir(cache)
    const index = JSON.parse(await readFile(join(cache, files.find((f) => f.endsWith('.json'))!), 'utf8'))
    expect(index).toMatchObject({ schema: 'twinlight.face-reference-cache/1', modelId: 'fake-embedder', dims: 4, rows: 1 })
    expect(index.entries[0]).toMatchObject({ file: 'p_1.png', row: 0 })
    const bin = await readFile(join(cache, index.binary))
    expect(bin.byteLength).toBe(16)
    expect(bin.readFloatLE(12)).toBeCloseTo(set.embedding(0)[3]!, 6)
  })
})
