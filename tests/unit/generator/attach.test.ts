import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ApiError } from '../../../src/shared/api'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { GeneratorStore, loadProjectGenerator, GeneratorChangedError } from '../../../src/main/services/generatorStore'
import { tempStudio, toyUpload } from './helpers'

let studio: Awaited<ReturnType<typeof tempStudio>>
beforeAll(async () => {
  studio = await tempStudio('tl-attach-')
})
afterAll(async () => studio.cleanup())

async function projectSnapshot(dir: string): Promise<{ file: string; generators: string[] }> {
  const generators = existsSync(join(dir, 'models', 'generators')) ? await readdir(join(dir, 'models', 'generators')) : []
  return { file: await readFile(join(dir, 'twinlight.json'), 'utf8'), generators }
}

async function attachError(args: Parameters<typeof studio.backend.call<'models.attachGenerator'>>[1]): Promise<ApiError> {
  try {
    await studio.backend.call('models.attachGenerator', args)
  } catch (error) {
    return error as ApiError
  }
  throw new Error('the attach succeeded')
}

describe('attaching a generator', () => {
  it('copies, hashes and validates it into models/, then makes it the project generator', async () => {
    const dir = await studio.project('Attach ok')
    const upload = toyUpload({ resolution: 16 })
    const { attached, project, warnings } = await studio.backend.call('models.attachGenerator', upload)
    expect(warnings).toEqual([])
    expect(attached.ref.path).toMatch(/^models\/generators\/toy-[0-9a-f]{12}\/generator\.onnx$/)
    expect(attached.ref.manifestPath).toBe(attached.ref.path.replace('generator.onnx', 'generator.json'))
    expect(attached.summary).toMatchObject({ name: 'toy', resolution: 16, truncationDefault: 0.7, noise: 'seed', featureChannels: 20 })
    expect(project.project.generator).toEqual(attached.ref)
    expect(project.project.modalities.map((m) => [m.id, m.label, m.channels])).toEqual([
      ['rgb', 'RGB', 3],
      ['nir', 'Near infrared', 1]
    ])
    // On disk: the exact bytes, the manifest, and the project file pointing at them.
    expect(Buffer.from(await readFile(join(dir, attached.ref.path))).equals(Buffer.from(upload.onnx))).toBe(true)
    const onDisk = JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8'))
    expect(onDisk.generator).toEqual(attached.ref)
    const loaded = await loadProjectGenerator(dir, attached.ref)
    expect(loaded.manifest.name).toBe('toy')
    // No temporary folder left behind; attaching the same bytes again reuses the folder.
    expect((await readdir(join(dir, 'models', 'generators'))).filter((n) => n.startsWith('.'))).toEqual([])
    const again = await studio.backend.call('models.attachGenerator', upload)
    expect(again.attached.ref).toEqual(attached.ref)
    expect(await readdir(join(dir, 'models', 'generators'))).toHaveLength(1)

    const info = await studio.backend.call('models.generators', {})
    expect(info.current.summary?.name).toBe('toy')
    expect(info.attached.map((g) => g.ref.path)).toEqual([attached.ref.path])
    expect(info.builtins.map((b) => b.id)).toEqual(expect.arrayContaining(['renderer-face', 'renderer-ocular']))
    expect(info.providers.find((p) => p.name === 'cpu')?.available).toBe(true)
    expect(info.executionProvider).toBe('cpu')
  })

  it('a corrupt ONNX file gives a clear error and leaves the project unchanged', async () => {
    const dir = await studio.project('Attach corrupt')
    const before = await projectSnapshot(dir)
    const good = toyUpload()
    const truncated = await attachError({ ...good, onnx: good.onnx.subarray(0, Math.floor(good.onnx.length / 2)) })
    expect(truncated.code).toBe('bad-input')
    expect(truncated.message).toMatch(/the ONNX file is damaged or not an ONNX model .*nothing was attached/)
    const garbage = await attachError({ ...good, onnx: new TextEncoder().encode('this is not a model at all') })
    expect(garbage.message).toContain('the ONNX file is damaged or not an ONNX model')
    const empty = await attachError({ ...good, onnx: new Uint8Array(0) })
    expect(empty.message).toContain('the ONNX file is empty')
    expect(await projectSnapshot(dir)).toEqual(before)
    expect(studio.backend.projects.current?.project.generator).toEqual({ kind: 'renderer', mode: 'face' })
  })

  it('a manifest that names a feature output the graph lacks is refused, naming the tensor', async () => {
    const dir = await studio.project('Attach mismatch')
    const before = await projectSnapshot(dir)
    const toy = buildToyGenerator()
    const manifest = { ...toy.manifest, features: [...toy.manifest.features, { name: 'b16.conv1', channels: 8, resolution: 16 }] }
    const onnx = new Uint8Array(toy.onnx)
    const error = await attachError({ source: 'upload', onnx, manifest: JSON.stringify(manifest) })
    expect(error.code).toBe('bad-input')
    expect(error.field).toBe('manifest')
    expect(error.message).toContain('feature output "b16.conv1" is not an output of the graph')
    // A wrong channel count and an invalid manifest are refused the same way.
    const channels = { ...toy.manifest, modalities: [{ ...toy.manifest.modalities[0], channels: 1 }, toy.manifest.modalities[1]] }
    expect((await attachError({ source: 'upload', onnx, manifest: JSON.stringify(channels) })).message).toContain('modality "rgb" output "rgb" has 3 channels in the graph, the manifest says 1')
    expect((await attachError({ source: 'upload', onnx, manifest: '{"format": "twinlight-generator"' })).message).toContain('generator.json is not valid JSON')
    expect(await projectSnapshot(dir)).toEqual(before)
  })

  it('accepts paths on the backend machine (remote box), without quoting unreadable files', async () => {
    const dir = await studio.project('Attach paths')
    const toy = buildToyGenerator({ resolution: 16, name: 'from disk' })
    const folder = join(studio.root, 'exports')
    await mkdir(folder, { recursive: true })
    await writeFile(join(folder, 'g.onnx'), toy.onnx)
    await writeFile(join(folder, 'g.json'), JSON.stringify(toy.manifest))
    await writeFile(join(folder, 'secret.json'), 'root:x:0:0:secret-content')
    const { attached } = await studio.backend.call('models.attachGenerator', { source: 'path', onnxPath: join(folder, 'g.onnx'), manifestPath: join(folder, 'g.json') })
    expect(attached.ref.path).toMatch(/^models\/generators\/from-disk-/)
    expect(attached.originalName).toBe('g.onnx')
    const leak = await attachError({ source: 'path', onnxPath: join(folder, 'g.onnx'), manifestPath: join(folder, 'secret.json') })
    expect(leak.message).toBe('generator.json is not valid JSON')
    expect((await attachError({ source: 'path', onnxPath: join(folder, 'g.json'), manifestPath: join(folder, 'g.json') })).message).toContain('must end in .onnx')
    expect((await attachError({ source: 'path', onnxPath: join(folder, 'none.onnx'), manifestPath: join(folder, 'g.json') })).code).toBe('not-found')
    expect(JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8')).generator).toEqual(attached.ref)
  })

  it('switches between the built-in renderer and attached generators', async () => {
    const dir = await studio.project('Switch')
    const first = (await studio.backend.call('models.attachGenerator', toyUpload({ name: 'one' }))).attached
    await studio.backend.call('models.attachGenerator', toyUpload({ name: 'two', weightSeed: 2 }))
    let project = await studio.backend.call('models.useGenerator', { kind: 'builtin', id: 'renderer-ocular' })
    expect(project.project.generator).toEqual({ kind: 'renderer', mode: 'ocular' })
    expect(project.project.modalities.map((m) => m.id)).toEqual(['rgb', 'nir'])
    project = await studio.backend.call('models.useGenerator', { kind: 'attached', path: first.ref.path })
    expect(project.project.generator).toEqual(first.ref)
    await expect(studio.backend.call('models.useGenerator', { kind: 'attached', path: 'models/generators/nope/generator.onnx' })).rejects.toThrow('no attached generator')
    expect((await new GeneratorStore(dir).list()).map((g) => g.summary.name).sort()).toEqual(['one', 'two'])
  })

  it('a generator file changed after attaching is refused at load time', async () => {
    const dir = await studio.project('Changed')
    const { attached } = await studio.backend.call('models.attachGenerator', toyUpload())
    await writeFile(join(dir, attached.ref.path), buildToyGenerator({ weightSeed: 5 }).onnx)
    await expect(loadProjectGenerator(dir, attached.ref)).rejects.toThrow(GeneratorChangedError)
    await expect(loadProjectGenerator(dir, attached.ref)).rejects.toThrow('changed since it was attached')
  })

  it('stores the execution provider setting per machine', async () => {
    await studio.project('Provider')
    const result = await studio.backend.call('models.setExecutionProvider', { provider: 'auto' })
    expect(result.executionProvider).toBe('auto')
    expect((await studio.backend.call('models.generators', {})).executionProvider).toBe('auto')
    await studio.backend.call('models.setExecutionProvider', { provider: 'cpu' })
    await expect(studio.backend.call('models.setExecutionProvider', { provider: 'tpu' as 'cpu' })).rejects.toThrow('provider')
  })
})
