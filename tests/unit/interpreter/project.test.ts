// The interpreter in a real project: a toy ONNX generator, samples, masks; the
// `train-interpreter` job in its worker, runs listing, predictions, and the guard rails (no
// annotated sample, changed classes, another generator) with their messages.
import { runTwinlight } from '../twinlightCli'
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { decodePng } from '../../../src/main/engine/io/png'
import { initTf } from '../../../src/main/engine/tf/backend'
import { releaseFeatureRuntimes } from '../../../src/main/services/generatorFeatures'
import { predictProjectSample } from '../../../src/main/services/interpreter/predict'
import { trainFromProject } from '../../../src/main/services/interpreter/projectTraining'
import { checkClasses, checkGenerator, loadAnnotatedSamples } from '../../../src/main/services/interpreter/projectData'
import { tempStudio, toyUpload, waitForJobs } from '../generator/helpers'
import { fakeContext } from './helpers'

let studio: Awaited<ReturnType<typeof tempStudio>>
let dir: string
let ids: string[]

beforeAll(async () => {
  studio = await tempStudio('tl-interp-')
  dir = await studio.project('Interpreter')
  await studio.backend.call('models.attachGenerator', toyUpload({ resolution: 16 }))
  await studio.backend.call('samples.generate', { count: 4, seedStart: 0 })
  await waitForJobs(studio.backend)
  ids = (await studio.backend.call('samples.list', {})).map((s) => s.id)
})
afterAll(async () => {
  await releaseFeatureRuntimes()
  await studio.cleanup()
})

/** Three classes from the red channel of the sample's RGB image, top rows left unlabelled. */
async function annotate(id: string): Promise<void> {
  const rgb = decodePng(await readFile(join(dir, 'samples', id, 'rgb.png')))
  const labels = new Uint8Array(256)
  for (let p = 0; p < 256; p++) labels[p] = p < 32 ? 255 : rgb.data[p * 3] < 100 ? 0 : rgb.data[p * 3] < 160 ? 1 : 2
  await studio.backend.call('annotations.save', { sampleId: id, width: 16, height: 16, labels, status: 'done' })
}

describe('interpreter in a project', () => {
  it('refuses to train without annotated samples, saying what to do', async () => {
    const ctx = fakeContext(dir, join(dir, 'runs', 'none'), false)
    await expect(trainFromProject(ctx, {})).rejects.toThrow(/no annotated samples: paint at least one mask/)
    const { project } = (await studio.backend.call('project.current', {}))!
    await expect(loadAnnotatedSamples(dir, project.classes)).rejects.toThrow(/no annotated samples/)
    await expect(studio.backend.call('interpreter.predictAll', {})).rejects.toThrow(/no trained interpreter yet: train one in the Train view first/)
    expect(await studio.backend.call('interpreter.predictions', {})).toBeNull()
  })

  it('trains in the job worker, lists the run with its cross-validation, and predicts', async () => {
    for (const id of ids.slice(0, 3)) await annotate(id)
    const job = await studio.backend.call('jobs.start', {
      kind: 'train-interpreter',
      params: { config: { ensembleSize: 2, batchSize: 128, learningRate: 3e-3, stop: { kind: 'epochs', epochs: 2 }, folds: 3, gemm: 'tfjs' } }
    })
    expect(job.title).toMatch(/Train interpreter \(2 members, 2 epochs, 3-fold CV\)/)
    await waitForJobs(studio.backend, 120_000)
    const done = (await studio.backend.call('jobs.list', {})).find((j) => j.id === job.id)!
    expect(done.state, done.error ?? '').toBe('succeeded')
    const metrics = await studio.backend.call('jobs.metrics', { id: job.id })
    expect(metrics.some((m) => 'loss/m1' in m.values && 'acc/m0' in m.values)).toBe(true)

    const runs = await studio.backend.call('interpreter.runs', {})
    expect(runs).toHaveLength(1)
    const run = runs[0]
    expect(run).toMatchObject({ id: job.id, state: 'succeeded', modelReady: true, samples: ids.slice(0, 3) })
    expect(run.eval).toMatchObject({ folds: 3, leaveOneOut: true, samples: 3 })
    expect(run.eval!.perSample).toHaveLength(3)
    expect(run.train!.steps).toBeGreaterThan(0)
    const config = JSON.parse(await readFile(join(dir, run.dir, 'config.json'), 'utf8'))
    expect(config.tf.backend).toBeTruthy()
    expect(config.generator.sha256).toBe(run.generatorSha256)

    const viaApi = await studio.backend.call('interpreter.predict', { sampleId: ids[3] })
    expect(viaApi).toMatchObject({ runId: job.id, sampleId: ids[3], width: 16, height: 16 })
    expect(viaApi.labels).toHaveLength(256)
    expect(Math.max(...viaApi.labels)).toBeLessThan(10)
    expect(viaApi.uncertaintyMax).toBeCloseTo(Math.log(10), 6)

    // Model in the loop: the job predicted the one unannotated sample, and the Gallery lists it as predicted.
    expect(await studio.backend.call('interpreter.predictions', {})).toMatchObject({ runId: job.id, count: 1, stale: null })
    const listed = await studio.backend.call('samples.list', {})
    expect(listed.filter((s) => s.status === 'predicted').map((s) => s.id)).toEqual([ids[3]])
    const predicted = listed.find((s) => s.id === ids[3])!
    expect(predicted.prediction).toMatchObject({ runId: job.id, mask: `runs/${job.id}/predictions/${ids[3]}.png` })
    expect(predicted.prediction!.uncertainty).toBeGreaterThanOrEqual(0)
    expect(listed.find((s) => s.id === ids[0])!.status).toBe('done')
    // The stored mask is the model's prediction: the same as computing it again in the worker.
    const { tf } = await initTf()
    const fresh = await predictProjectSample(tf, dir, job.id, ids[3])
    expect([...decodePng(await readFile(join(dir, predicted.prediction!.mask))).data]).toEqual([...fresh.labels])
    expect(predicted.prediction!.uncertainty).toBeCloseTo(fresh.score, 6)

    // A sample drawn after training is predicted by a predict-interpreter job; the first prediction is kept.
    const before = await readFile(join(dir, predicted.prediction!.mask))
    await studio.backend.call('samples.generate', { count: 1, seedStart: 100 })
    await waitForJobs(studio.backend)
    const fresh2 = (await studio.backend.call('samples.list', {})).find((s) => !ids.includes(s.id))!
    expect(fresh2.status).toBe('unlabeled')
    const predictJob = await studio.backend.call('interpreter.predictAll', {})
    expect(predictJob.title).toBe(`Predict unannotated samples with interpreter ${job.id}`)
    await waitForJobs(studio.backend, 60_000)
    const after = await studio.backend.call('samples.list', {})
    expect(after.find((s) => s.id === fresh2.id)).toMatchObject({ status: 'predicted', prediction: { runId: job.id } })
    expect((await studio.backend.call('interpreter.predictions', {}))!.count).toBe(2)
    expect(Buffer.compare(before, await readFile(join(dir, predicted.prediction!.mask)))).toBe(0)
    await studio.backend.call('samples.delete', { ids: [fresh2.id] })
  })

  it('refuses a changed class list and a sample of another generator, naming both sides', async () => {
    const { tf } = await initTf()
    const runId = (await studio.backend.call('interpreter.runs', {}))[0].id
    const before = (await studio.backend.call('project.current', {}))!.project.classes
    await studio.backend.call('project.update', { classes: [...before, { id: before.length, name: 'glasses', color: '#123456' }] })
    await expect(predictProjectSample(tf, dir, runId, ids[0])).rejects.toThrow(/classes changed since interpreter .* was trained \(trained on: 0 background, .*9 mouth interior; now: .*10 glasses\)/)
    // Its stored predictions are stale now: reported as such, and no sample shows them.
    expect((await studio.backend.call('interpreter.predictions', {}))!.stale).toMatch(/classes changed since run/)
    expect((await studio.backend.call('samples.list', {})).some((s) => s.status === 'predicted' || s.prediction)).toBe(false)
    await expect(studio.backend.call('interpreter.predict', { sampleId: ids[3] })).rejects.toThrow(/classes changed since interpreter/)
    await studio.backend.call('project.update', { classes: before })
    expect((await studio.backend.call('samples.list', {})).find((s) => s.id === ids[3])!.status).toBe('predicted')

    const other = await studio.backend.call('models.attachGenerator', toyUpload({ resolution: 16, weightSeed: 2, name: 'toy-2' }))
    await studio.backend.call('samples.generate', { count: 1, seedStart: 0 })
    await waitForJobs(studio.backend)
    const foreign = (await studio.backend.call('samples.list', {})).find((s) => !ids.includes(s.id))!
    // The project's generator changed: the predictions made for the first one are stale.
    expect((await studio.backend.call('interpreter.predictions', {}))!.stale).toMatch(/generator changed since run/)
    expect((await studio.backend.call('samples.list', {})).some((s) => s.prediction)).toBe(false)
    const original = (await studio.backend.call('interpreter.run', { id: runId })).generatorSha256!
    const message = await predictProjectSample(tf, dir, runId, foreign.id).then(
      () => '',
      (e: Error) => e.message
    )
    expect(message).toContain(`(sha256 ${original.slice(0, 12)}…)`)
    expect(message).toContain(`(sha256 ${other.attached.ref.sha256.slice(0, 12)}…)`)
    expect(message).toMatch(/was trained on the features of generator .* but these samples come from generator/)
    expect(() => checkGenerator({ generatorSha256: 'a'.repeat(64) }, { sha256: 'b'.repeat(64), path: 'models/x.onnx' }, 'r1')).toThrow(/aaaaaaaaaaaa…\).*models\/x\.onnx \(sha256 bbbbbbbbbbbb…\)/)
    expect(() => checkClasses([{ id: 0, name: 'background' }], [{ id: 0, name: 'bg' }], 'r1')).toThrow(/trained on: 0 background; now: 0 bg/)
  })
})

describe('twinlight train-interpreter / eval-interpreter', () => {
  const run = (...args: string[]) => runTwinlight(args, { timeoutMs: 120_000 })

  it('trains from a config file in a run folder the Train view lists, and cross-validates it again', async () => {
    const { writeFile } = await import('node:fs/promises')
    const configPath = join(dir, 'interp.json')
    await writeFile(configPath, JSON.stringify({ ensembleSize: 2, batchSize: 128, stop: { kind: 'steps', steps: 12 }, folds: 0, gemm: 'tfjs' }))
    const bad = await run('train-interpreter', '--project', dir, '--config', configPath, '--folds', '99')
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/--folds.*expected a whole number from 0 to 50/)

    const trained = await run('train-interpreter', '--project', dir, '--config', configPath)
    expect(trained.code, trained.stderr).toBe(0)
    expect(trained.stdout).toMatch(/trained 2 members on 3 samples .*: 12 steps/)
    const runId = /run runs\/(\S+)/.exec(trained.stdout)![1]
    const listed = await studio.backend.call('interpreter.run', { id: runId })
    expect(listed).toMatchObject({ modelReady: true, state: 'succeeded', eval: null })
    const lines = (await readFile(join(dir, 'runs', runId, 'metrics.jsonl'), 'utf8')).trim().split('\n')
    expect(JSON.parse(lines.at(-1)!).step).toBe(12)

    const evaluated = await run('eval-interpreter', '--project', dir, '--run', runId, '--folds', '3')
    expect(evaluated.code, evaluated.stderr).toBe(0)
    expect(evaluated.stdout).toMatch(/leave-one-out cross-validation over 3 samples: mIoU \d+\.\d %/)
    expect((await studio.backend.call('interpreter.run', { id: runId })).eval?.folds).toBe(3)
  })
})
