// The ONNX path: toy ONNX generator (images + feature maps) → the interpreter's ONNX export
// (engine/interpreter/onnxExport) → dataset, deterministic, scores from the ensemble; and a
// project with that generator and a training run, at fp32 and at the opt-in int8 precision.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { buildInterpreterOnnx } from '../../../src/main/engine/interpreter/onnxExport'
import { BN_EPSILON, dimsFor, initParams } from '../../../src/main/engine/interpreter/model'
import { exportMetadata, saveModel } from '../../../src/main/engine/interpreter/modelFile'
import { makeDataset, type DatasetPlan } from '../../../src/main/engine/dataset'
import { OnnxGeneratorSource, OnnxInterpreterPredictor } from '../../../src/main/engine/dataset/onnx'
import { MakeDatasetParamsSchema, openProjectStages, type MakeDatasetParams } from '../../../src/main/engine/dataset/project'
import { PROJECT_FILE, PROJECT_FOLDERS, PROJECT_TEMPLATES, projectFromTemplate } from '../../../src/shared/project'
import { CLASSES, treeHashes } from './helpers'
import { twinlight } from '../twinlightCli'

let root: string
let interpreterPath: string
/** A project with the toy generator attached and a training run "r1" of the interpreter (model + fp32 export). */
let project: string
const toy = buildToyGenerator({ resolution: 16, noise: 'seed' })
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-dataset-onnx-'))
  const m = toy.manifest
  const layout = { maps: m.features.map((f) => ({ name: f.name, channels: f.channels, height: f.resolution, width: f.resolution })), height: m.resolution, width: m.resolution }
  const dims = dimsFor(layout, 4, 3)
  const params = initParams(dims, 7)
  for (const k of ['w1', 'w2', 'w3'] as const) params[k] = params[k].map((v) => v * 60)
  interpreterPath = join(root, 'interpreter.onnx')
  await writeFile(interpreterPath, buildInterpreterOnnx(params, dims, layout, { probs: false }))

  project = join(root, 'project')
  const file = projectFromTemplate(PROJECT_TEMPLATES.find((t) => t.id === 'rgb-nir-face')!, 'P', '2026-01-01T00:00:00.000Z')
  file.generator = { kind: 'onnx', path: 'models/generators/toy/generator.onnx', sha256: createHash('sha256').update(toy.onnx).digest('hex') }
  for (const f of PROJECT_FOLDERS) await mkdir(join(project, f), { recursive: true })
  await writeFile(join(project, PROJECT_FILE), JSON.stringify(file, null, 2))
  await mkdir(join(project, 'models', 'generators', 'toy'), { recursive: true })
  await writeFile(join(project, 'models', 'generators', 'toy', 'generator.onnx'), toy.onnx)
  await writeFile(join(project, 'models', 'generators', 'toy', 'generator.json'), JSON.stringify(toy.manifest))
  const run = join(project, 'runs', 'r1', 'interpreter')
  await mkdir(run, { recursive: true })
  const model = { generatorSha256: file.generator.sha256, classes: CLASSES.slice(0, 4), layout, dims }
  await saveModel(run, { ...model, createdAt: '2026-01-01T00:00:00.000Z', config: null, params, bnEpsilon: BN_EPSILON })
  await writeFile(join(run, 'interpreter.onnx'), buildInterpreterOnnx(params, dims, layout, { metadata: exportMetadata(model, 'r1') }))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

async function run(dir: string, sessions: number) {
  const sha256 = createHash('sha256').update(toy.onnx).digest('hex')
  const source = await OnnxGeneratorSource.open({ onnx: toy.onnx, manifest: toy.manifest, sha256 })
  const predictor = await OnnxInterpreterPredictor.open(interpreterPath, 'toy-interpreter', { sessions })
  expect(predictor.concurrency).toBe(sessions)
  try {
    return await makeDataset({ outDir: dir, name: 'onnx', source, predictor, classes: CLASSES.slice(0, 4), seedStart: 0, count: 10, filter: { dropFraction: 0.2, maxScore: null } })
  } finally {
    await source.release()
    await predictor.release()
  }
}

describe('dataset from an ONNX generator and the interpreter export', () => {
  it('writes masks voted by the ensemble, records its scores, and is byte-identical run to run and with two sessions', async () => {
    const a = await run(join(root, 'a'), 1)
    expect(a.counts).toEqual({ kept: 8, 'uncertainty-top': 2 })
    const rows = (await readFile(join(root, 'a', 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { uncertainty: number; kept: boolean; latent: { recipe: unknown } })
    const scores = rows.map((r) => r.uncertainty)
    expect(Math.max(...scores)).toBeGreaterThan(0)
    expect(rows[0]!.latent.recipe).toBeTruthy()
    const droppedMin = Math.min(...rows.filter((r) => !r.kept).map((r) => r.uncertainty))
    const keptMax = Math.max(...rows.filter((r) => r.kept).map((r) => r.uncertainty))
    expect(droppedMin).toBeGreaterThanOrEqual(keptMax)
    await run(join(root, 'b'), 1)
    expect(await treeHashes(join(root, 'b'))).toEqual(await treeHashes(join(root, 'a')))
    // two sessions infer two samples at once: the same bytes
    await run(join(root, 'c'), 2)
    expect(await treeHashes(join(root, 'c'))).toEqual(await treeHashes(join(root, 'a')))
  })

  it("leaves the caller's feature arrays usable: the same sample twice, at once and again, gives the same prediction", async () => {
    const sha256 = createHash('sha256').update(toy.onnx).digest('hex')
    const source = await OnnxGeneratorSource.open({ onnx: toy.onnx, manifest: toy.manifest, sha256 })
    const predictor = await OnnxInterpreterPredictor.open(interpreterPath, 'toy-interpreter', { sessions: 2 })
    try {
      const sample = await source.sample(3)
      const copies = Object.fromEntries(Object.entries(sample.features!).map(([k, f]) => [k, Float32Array.from(f.data)]))
      const [p, q] = await Promise.all([predictor.predict(sample), predictor.predict(sample)])
      const r = await predictor.predict(sample)
      for (const [k, f] of Object.entries(sample.features!)) expect(f.data).toEqual(copies[k])
      expect(q.mask).toEqual(p.mask)
      expect(r.mask).toEqual(p.mask)
      expect(r.uncertainty).toEqual(p.uncertainty)
    } finally {
      await source.release()
      await predictor.release()
    }
  })

  it('names the problem when the file is not an interpreter export or a feature map is missing', async () => {
    const generatorPath = join(root, 'generator.onnx')
    await writeFile(generatorPath, toy.onnx)
    await expect(OnnxInterpreterPredictor.open(generatorPath)).rejects.toThrow(/not a Twinlight interpreter export \(no "mask" output\)/)
    const predictor = await OnnxInterpreterPredictor.open(interpreterPath, 'toy-interpreter')
    try {
      const [first] = predictor.inputNames
      await expect(predictor.predict({ seed: 0, images: {}, features: {}, latent: {} })).rejects.toThrow(`the interpreter needs feature map "${first}", which the generator did not give`)
    } finally {
      await predictor.release()
    }
  })
})

describe('dataset from a project with an ONNX generator and a training run, at fp32 or int8', () => {
  async function make(dir: string, over: Partial<MakeDatasetParams>) {
    const stages = await openProjectStages(project, MakeDatasetParamsSchema.parse({ name: 'p', count: 6, seedStart: 0, uncertaintyDrop: 0.2, interpreter: 'r1', outDir: join(root, dir), ...over }))
    try {
      await makeDataset(stages.options)
    } finally {
      await stages.release()
    }
    return JSON.parse(await readFile(join(root, dir, '.twinlight', 'plan.json'), 'utf8')) as DatasetPlan
  }

  it('int8 builds the export from the run once (cached beside the fp32 one), is byte-identical run to run, and is recorded as int8', async () => {
    const a = await make('int8-a', { interpreterPrecision: 'int8' })
    const cached = await readFile(join(project, 'runs', 'r1', 'interpreter', 'interpreter-int8.onnx'))
    await make('int8-b', { interpreterPrecision: 'int8' })
    expect(await treeHashes(join(root, 'int8-b'))).toEqual(await treeHashes(join(root, 'int8-a')))
    expect(await readFile(join(project, 'runs', 'r1', 'interpreter', 'interpreter-int8.onnx'))).toEqual(cached)
    expect(a.predictor).toEqual({ kind: 'onnx-interpreter', name: 'r1', sha256: createHash('sha256').update(cached).digest('hex'), precision: 'int8' })
    expect(await readFile(join(root, 'int8-a', 'README.md'), 'utf8')).toContain('precision int8')
    // The CLI's --precision: the same dataset.
    const cli = await twinlight('make-dataset', '--project', project, '--count', '6', '--name', 'p', '--uncertainty-drop', '0.2', '--interpreter', 'r1', '--precision', 'int8', '--out', join(root, 'int8-cli'))
    expect(cli.code, cli.stderr).toBe(0)
    expect(await treeHashes(join(root, 'int8-cli'))).toEqual(await treeHashes(join(root, 'int8-a')))

    const fp32 = await make('fp32', {})
    const exported = await readFile(join(project, 'runs', 'r1', 'interpreter', 'interpreter.onnx'))
    // (fp32 is not written into the plan: plans of datasets begun before precision was recorded still match)
    expect(fp32.predictor).toEqual({ kind: 'onnx-interpreter', name: 'r1', sha256: createHash('sha256').update(exported).digest('hex') })
    // The plan check refuses to continue a dataset at the other precision.
    await expect(make('int8-a', { interpreterPrecision: 'fp32' })).rejects.toThrow(/made with other settings/)
  }, 60_000)

  it('refuses int8 with an .onnx path: it needs a training run id', async () => {
    await expect(make('path', { interpreter: 'runs/r1/interpreter/interpreter.onnx', interpreterPrecision: 'int8' })).rejects.toThrow(
      'int8 needs a training run id: "runs/r1/interpreter/interpreter.onnx" is not a run'
    )
    const atFp32 = await make('path', { interpreter: 'runs/r1/interpreter/interpreter.onnx' })
    expect(atFp32.predictor).toMatchObject({ kind: 'onnx-interpreter', name: 'runs/r1/interpreter/interpreter.onnx' })
    expect(atFp32.predictor).not.toHaveProperty('precision')
    const cli = await twinlight('make-dataset', '--project', project, '--count', '1', '--interpreter', 'r1', '--precision', 'int4')
    expect(cli.code).not.toBe(0)
    expect(cli.stderr).toMatch(/interpreterPrecision: .*"fp32"\|"int8"/)
  }, 60_000)
})
