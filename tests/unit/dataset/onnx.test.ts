// The ONNX path: toy ONNX generator (images + feature maps) → the interpreter's ONNX export
// (engine/interpreter/onnxExport) → dataset, deterministic, scores from the ensemble.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'
import { buildInterpreterOnnx } from '../../../src/main/engine/interpreter/onnxExport'
import { dimsFor, initParams } from '../../../src/main/engine/interpreter/model'
import { makeDataset } from '../../../src/main/engine/dataset'
import { OnnxGeneratorSource, OnnxInterpreterPredictor } from '../../../src/main/engine/dataset/onnx'
import { CLASSES, treeHashes } from './helpers'

let root: string
let interpreterPath: string
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
