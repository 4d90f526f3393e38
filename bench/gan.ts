// Generator training and inference benchmark.
//
//   npx tsx bench/gan.ts [--quick] [--max-seconds S]
//
// 1. Time per training step at 64² (the demo preset: conditional, L1) and 128² (the
//    conditional-128 preset: L1 + adversarial with one D per modality and R1), for every
//    TensorFlow.js backend this installation can run (tfjs-node / tfjs-node-gpu when installed,
//    wasm, cpu). Wall and process-CPU seconds are both reported: on a shared machine the CPU
//    figure is what an idle one would take.
// 2. Images/s of the exported demo-architecture generator in onnxruntime-node against the same
//    network in tfjs (G forward, same batch).
// Prints a table and writes bench/results/gan.json. Never a timed assertion (see design.md).
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { initTf, toBackendRecord } from '../src/main/engine/tf/backend'
import { GanTrainer, exportGeneratorOnnx, generatorForward, openDataSource, presetConfig, sampleInputs, type GanConfig } from '../src/main/engine/gan'

const quick = process.argv.includes('--quick')
const maxIndex = process.argv.indexOf('--max-seconds')
/** Per (backend, resolution): stop timing after this many seconds. */
const budget = maxIndex > 0 ? Number(process.argv[maxIndex + 1]) : quick ? 30 : 120

const init = await initTf()
const tf = init.tf
const candidates = ['tensorflow', 'wasm', 'cpu'].filter((b) => tf.findBackendFactory(b) !== null)
// Native backends (optional dependencies) that could not be loaded are named with the reason.
const notInstalled = init.skipped.map((s) => ({ backend: s.backend, note: `skipped: ${s.reason}` }))
for (const s of notInstalled) console.log(`train step  ${s.backend.padEnd(10)} ${s.note.split('\n')[0].slice(0, 140)}`)

interface StepResult {
  backend: string
  resolution: number
  preset: string
  batchSize: number
  steps: number
  msPerStepWall: number | null
  msPerStepCpu: number | null
  note?: string
}

async function timeSteps(backend: string, config: GanConfig): Promise<StepResult> {
  await tf.setBackend(backend)
  const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
  const base = { backend, resolution: config.resolution, preset: config.preset ?? '', batchSize: config.batchSize }
  try {
    const started = performance.now()
    await trainer.trainStep() // warm-up (kernel set-up, first renders)
    const warm = (performance.now() - started) / 1000
    if (warm > 3 * budget) return { ...base, steps: 0, msPerStepWall: null, msPerStepCpu: null, note: `the warm-up step took ${warm.toFixed(0)} s; not timed further` }
    const wall: number[] = []
    const cpu: number[] = []
    const t0 = performance.now()
    // At least 2 timed steps; more while the budget lasts. Step 0 (warm-up) is the R1 step of
    // adversarial presets, so timed steps are plain ones.
    while (wall.length < 2 || (wall.length < (quick ? 3 : 8) && (performance.now() - t0) / 1000 < budget)) {
      const m = await trainer.trainStep()
      wall.push(m.sec_per_step * 1000)
      cpu.push(m.cpu_sec_per_step * 1000)
    }
    const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]
    return { ...base, steps: wall.length, msPerStepWall: +median(wall).toFixed(1), msPerStepCpu: +median(cpu).toFixed(1) }
  } finally {
    trainer.dispose()
  }
}

const stepConfigs = [
  presetConfig('demo', { data: { source: 'renderer', seedStart: 1_000_000, count: 64, cacheSize: 64 } }),
  presetConfig('conditional-128', { data: { source: 'renderer', seedStart: 1_000_000, count: 64, cacheSize: 64 } })
]
const steps: StepResult[] = []
for (const backend of candidates) {
  let previous: StepResult | null = null
  for (const config of stepConfigs) {
    // A backend too slow at 64² (plain-JS cpu) is not tried at 128² (≥ 4× the work).
    if (previous && (previous.msPerStepWall === null || previous.msPerStepWall > budget * 1000)) {
      const note = `skipped: a 64² step already takes ${previous.msPerStepWall === null ? 'too long' : `${(previous.msPerStepWall / 1000).toFixed(0)} s`}`
      steps.push({ backend, resolution: config.resolution, preset: config.preset ?? '', batchSize: config.batchSize, steps: 0, msPerStepWall: null, msPerStepCpu: null, note })
      console.log(`train step  ${backend.padEnd(10)} ${String(config.resolution).padStart(3)}²: ${note}`)
      continue
    }
    const r = await timeSteps(backend, config)
    previous = r
    steps.push(r)
    console.log(
      `train step  ${backend.padEnd(10)} ${String(config.resolution).padStart(3)}² batch ${config.batchSize}: ` +
        (r.msPerStepWall === null ? r.note : `${r.msPerStepWall} ms wall, ${r.msPerStepCpu} ms CPU (${r.steps} steps)`)
    )
  }
}

// ---- inference: ONNX (onnxruntime-node, CPU EP) vs the same network in tfjs
const config = presetConfig('demo', { data: { source: 'renderer', seedStart: 1_000_000, count: 8, cacheSize: 8 } })
await tf.setBackend(candidates.includes('tensorflow') ? 'tensorflow' : 'wasm')
const trainer = await GanTrainer.create(tf, config, await openDataSource(config))
const weights = trainer.weights('G_ema')
const buffers = trainer.generatorBuffers()
const exported = exportGeneratorOnnx({ config, weights, buffers })
const batch = 8
const seeds = Array.from({ length: batch }, (_, i) => i)
const inputs = sampleInputs(config, trainer.arch, seeds, trainer.conditionSize)
const session = await ort.InferenceSession.create(exported.onnx, { executionProviders: ['cpu'] })
const feeds: Record<string, ort.Tensor> = {
  z: new ort.Tensor('float32', inputs.z, [batch, config.latentSize]),
  psi: new ort.Tensor('float32', Float32Array.of(1), []),
  c: new ort.Tensor('float32', inputs.c!, [batch, trainer.conditionSize])
}
trainer.arch.layers.forEach((l, i) => (feeds[`noise.${l.name}`] = new ort.Tensor('float32', inputs.noise[i], [batch, 1, l.res, l.res])))

async function imagesPerSecond(run: () => Promise<void> | void): Promise<number> {
  await run()
  let n = 0
  const t0 = performance.now()
  while (performance.now() - t0 < (quick ? 3000 : 8000) || n < 3) {
    await run()
    n++
  }
  return (n * batch) / ((performance.now() - t0) / 1000)
}
const onnxIps = await imagesPerSecond(async () => {
  await session.run(feeds)
})
const inference: Record<string, number> = { onnxruntime: +onnxIps.toFixed(1) }
console.log(`inference   onnxruntime-node (cpu)  ${R(config)}² batch ${batch}: ${onnxIps.toFixed(1)} images/s (${(exported.onnx.length / 1e6).toFixed(2)} MB model)`)
for (const backend of candidates) {
  await tf.setBackend(backend)
  const p: Record<string, ReturnType<typeof tf.tensor>> = {}
  for (const [k, w] of weights) p[k] = tf.tensor(w.data, w.shape)
  const bufs = {
    wAvg: tf.tensor1d(buffers.wAvg),
    condMean: tf.tensor1d(buffers.condMean!),
    condInvStd: tf.tensor1d(buffers.condStd!.map((s) => 1 / s))
  }
  const ips = await imagesPerSecond(() => {
    tf.tidy(() => {
      const out = generatorForward(
        tf,
        p,
        bufs,
        config,
        {
          z: tf.tensor2d(inputs.z, [batch, config.latentSize]),
          c: tf.tensor2d(inputs.c!, [batch, trainer.conditionSize]),
          noise: trainer.arch.layers.map((l, i) => tf.tensor4d(inputs.noise[i], [batch, l.res, l.res, 1]))
        },
        trainer.arch
      )
      for (const t of Object.values(out.images)) t.dataSync()
    })
  })
  inference[`tfjs-${backend}`] = +ips.toFixed(1)
  console.log(`inference   tfjs ${backend.padEnd(18)} ${R(config)}² batch ${batch}: ${ips.toFixed(1)} images/s`)
  Object.values(p).forEach((t) => t.dispose())
  Object.values(bufs).forEach((t) => t.dispose())
}
trainer.dispose()

function R(c: GanConfig): number {
  return c.resolution
}

const results = {
  benchmark: 'gan',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model.trim(), node: process.version, loadavg1: +loadavg()[0].toFixed(2) },
  tf: toBackendRecord(init),
  backends: candidates,
  skippedBackends: notInstalled,
  quick,
  trainStep: steps,
  inference: { resolution: config.resolution, batch, modelBytes: exported.onnx.length, imagesPerSecond: inference }
}
await mkdir(join('bench', 'results'), { recursive: true })
await writeFile(join('bench', 'results', 'gan.json'), JSON.stringify(results, null, 2) + '\n')
console.log('wrote bench/results/gan.json')
