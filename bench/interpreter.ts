// Benchmark of the style interpreter: Twinlight's engine against an in-repo naive reference
// that follows DatasetGAN's procedure (materialised per-pixel features, batch 64, members one
// after another, the epoch-4 plateau stop rule).
//
//   npx tsx bench/interpreter.ts [--quick] [--only anchor|quality] [--naive-minutes 20]
//                                [--tw '{"batchSize":4096,...}'] [--synthetic-quality]
//                                [--part twinlight|naive]   (one side, the other kept; anchor: twinlight only)
//                                [--seeds 0,1,2]            (quality: one run per training seed)
//
// 1. Anchor scale: 8 samples at 256², the 14 BiFaceGAN feature maps (D = 4992), 4 classes, 10
//    members. Wall time, peak RSS (each run in a fresh child process, process.resourceUsage()
//    .maxRSS) and training-set accuracy. The naive reference is capped (--naive-minutes); when
//    the cap cuts it short its total time is projected from its measured step time and the
//    fewest steps the reference stop rule allows, and labelled as a projection.
// 2. Quality: 16 samples with exact ground-truth masks, 5-fold cross-validated mIoU of both,
//    and their wall times. With --seeds, each side runs once per training seed (initialisation
//    and pixel order; the samples stay seeds 0–15) and reports the mean and the range; runs of
//    other seeds with the same configuration are kept from the results file, so the sides and
//    seeds can be measured in separate sessions. resources/demo-generator (64², D = 512): seeds 0–15 drawn as the
//    studio draws them, annotated with the renderer's exact masks of the same parameters (the
//    generator's condition), all 12 face classes. Without it (or with --synthetic-quality) the
//    synthetic generator at a reduced size.
// Features and masks come from the fixed-seed synthetic generator
// (src/main/engine/interpreter/synthetic.ts). Results go to bench/results/interpreter.json.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { REFERENCE_INTERPRETER_CONFIG, InterpreterConfigSchema, type InterpreterConfig } from '../src/shared/interpreter'

const HERE = dirname(fileURLToPath(import.meta.url))
const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}

// ------------------------------------------------------------------------------ scales

interface Scale {
  name: string
  resolution: number
  channelDivisor: number
  samples: number
  classes: number
  ensemble: number
}

const quick = flag('quick')
const ANCHOR: Scale = quick
  ? { name: 'anchor (quick: 64², channels ÷ 4)', resolution: 64, channelDivisor: 4, samples: 8, classes: 4, ensemble: 10 }
  : { name: 'anchor: 8 × 256², BiFaceGAN layout (D = 4992), 4 classes, 10 members', resolution: 256, channelDivisor: 1, samples: 8, classes: 4, ensemble: 10 }
const DEMO = existsSync(join(HERE, '..', 'resources', 'demo-generator', 'generator.onnx')) && !flag('synthetic-quality')
const QUALITY: Scale = DEMO
  ? quick
    ? { name: 'quality (quick): demo generator, 16 × 64² (D = 512), 12 face classes from the renderer, 3 members', resolution: 64, channelDivisor: 1, samples: 16, classes: 12, ensemble: 3 }
    : { name: 'quality: demo generator, 16 × 64² (D = 512), 12 face classes from the renderer, 10 members', resolution: 64, channelDivisor: 1, samples: 16, classes: 12, ensemble: 10 }
  : quick
    ? { name: 'quality (quick: 16 × 32², channels ÷ 8, 3 members)', resolution: 32, channelDivisor: 8, samples: 16, classes: 4, ensemble: 3 }
    : { name: 'quality: 16 × 32², BiFaceGAN layout 4²–32² with channels ÷ 4 (D = 1024), 4 classes, 10 members', resolution: 32, channelDivisor: 4, samples: 16, classes: 4, ensemble: 10 }

/** Twinlight's configuration in the bench: the product defaults unless --tw overrides. */
function twinlightConfig(scale: Scale): InterpreterConfig {
  const override = option('tw') ? JSON.parse(option('tw')!) : {}
  return InterpreterConfigSchema.parse({ ensembleSize: scale.ensemble, folds: 0, ...override })
}
function referenceConfig(scale: Scale): InterpreterConfig {
  return InterpreterConfigSchema.parse({ ...REFERENCE_INTERPRETER_CONFIG, ensembleSize: scale.ensemble, folds: 0, gemm: 'tfjs' })
}

// ------------------------------------------------------------------------------ child side

interface ChildSpec {
  task: 'anchor-twinlight' | 'anchor-naive' | 'quality-twinlight' | 'quality-naive'
  scale: Scale
  config: InterpreterConfig
  capSeconds?: number
  /** Quality on resources/demo-generator (features from the ONNX graph, the renderer's exact masks). */
  demo?: boolean
}

/**
 * The quality set on the demo generator: seeds 0…n−1 drawn as the studio draws them
 * (recipeForSeed: the condition is the renderer's parameter vector sampleParams(seed)), every
 * feature map the manifest lists, and the renderer's exact mask of the same parameters as the
 * annotation (face classes, every pixel labelled). Maps are rounded to float16 like the
 * project's feature cache.
 */
async function demoGeneratorBank(n: number) {
  const { FeatureBank, roundMapsToHalf } = await import('../src/main/engine/interpreter/features')
  const { GeneratorRuntime } = await import('../src/main/engine/generator/runtime')
  const { recipeForSeed } = await import('../src/main/engine/generator/recipe')
  const { renderSample } = await import('../src/main/engine/render')
  const { GeneratorManifestSchema } = await import('../src/shared/generator')
  const dir = join(HERE, '..', 'resources', 'demo-generator')
  const manifest = GeneratorManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'generator.json'), 'utf8')))
  const runtime = await GeneratorRuntime.open({ onnx: readFileSync(join(dir, 'generator.onnx')), manifest }, { setting: 'cpu' })
  const size = manifest.modalities[0].resolution
  const layout = {
    height: size,
    width: size,
    maps: manifest.features.map((f) => ({ name: f.name, channels: f.channels, height: f.resolution, width: f.resolution }))
  }
  const bank = new FeatureBank(layout)
  try {
    for (let seed = 0; seed < n; seed++) {
      const [sample] = await runtime.run([{ seed, recipe: recipeForSeed(manifest) }], { images: false, features: true })
      const maps = roundMapsToHalf(layout.maps.map((m) => sample.features[m.name].data))
      const truth = renderSample(seed, size, ['mask'], 'face').mask!
      bank.add(`seed-${seed}`, maps, truth)
    }
  } finally {
    await runtime.release()
  }
  return bank
}

/**
 * The trained ensemble's ONNX export in fp32 (exact) and with the opt-in int8 first layer, run in
 * onnxruntime on held-out samples of the synthetic source: the share of voted pixels int8
 * changes, each export's pixel error against the source's masks, and the largest change of an
 * image's uncertainty score.
 */
async function int8Agreement(
  params: import('../src/main/engine/interpreter/model').EnsembleParams,
  dims: import('../src/main/engine/interpreter/model').EnsembleDims,
  source: import('../src/main/engine/interpreter/synthetic').SyntheticSource
): Promise<Record<string, number>> {
  const ort = await import('onnxruntime-node')
  const { buildInterpreterOnnx } = await import('../src/main/engine/interpreter/onnxExport')
  const { imageScore } = await import('../src/main/engine/interpreter/voting')
  const { SyntheticSource } = await import('../src/main/engine/interpreter/synthetic')
  const layout = source.layout
  const fp32 = await ort.InferenceSession.create(buildInterpreterOnnx(params, dims, layout, { probs: false }))
  const int8 = await ort.InferenceSession.create(buildInterpreterOnnx(params, dims, layout, { probs: false, precision: 'int8' }))
  let pixels = 0
  let changed = 0
  let wrongFp32 = 0
  let wrongInt8 = 0
  let maxScoreChange = 0
  // ids past the training samples' (SyntheticSource.ids(8) are 0…7)
  for (const id of SyntheticSource.ids(6, 100)) {
    const maps = await source.load(id)
    const truth = source.mask(maps)
    const feeds = Object.fromEntries(layout.maps.map((m, i) => [m.name, new ort.Tensor('float32', maps[i], [1, m.channels, m.height, m.width])]))
    const a = await fp32.run(feeds)
    const b = await int8.run(feeds)
    const ma = a.mask.data as Uint8Array
    const mb = b.mask.data as Uint8Array
    for (let p = 0; p < truth.length; p++) {
      pixels++
      if (ma[p] !== mb[p]) changed++
      if (ma[p] !== truth[p]) wrongFp32++
      if (mb[p] !== truth[p]) wrongInt8++
    }
    maxScoreChange = Math.max(maxScoreChange, Math.abs(imageScore(a.uncertainty.data as Float32Array) - imageScore(b.uncertainty.data as Float32Array)))
  }
  await fp32.release()
  await int8.release()
  return { samples: 6, pixels, changedShare: changed / pixels, errorFp32: wrongFp32 / pixels, errorInt8: wrongInt8 / pixels, maxScoreChange }
}

async function child(spec: ChildSpec): Promise<Record<string, unknown>> {
  const { initTf, toBackendRecord } = await import('../src/main/engine/tf/backend')
  const { bifaceganLayout } = await import('../src/main/engine/interpreter/layout')
  const { SyntheticSource } = await import('../src/main/engine/interpreter/synthetic')
  const { FeatureBank, roundMapsToHalf } = await import('../src/main/engine/interpreter/features')
  const { InterpreterTrainer } = await import('../src/main/engine/interpreter/trainer')
  const { predictSample } = await import('../src/main/engine/interpreter/inference')
  const { createGemm } = await import('../src/main/engine/interpreter/gemm')
  const { materialize, trainNaive } = await import('../src/main/engine/interpreter/naiveTrainer')
  const { makeFolds, trainingIds, bankImageMaps } = await import('../src/main/engine/interpreter/evaluate')
  const { ConfusionMatrix } = await import('../src/main/engine/metrics')
  const { stepsPerEpochFor } = await import('../src/main/engine/interpreter/trainer')

  const init = await initTf({ force: 'wasm' })
  const tf = init.tf
  const s = spec.scale
  const t0 = performance.now()
  let bank: InstanceType<typeof FeatureBank>
  let synthetic: InstanceType<typeof SyntheticSource> | null = null
  if (spec.demo) {
    bank = await demoGeneratorBank(s.samples)
  } else {
    const layout = bifaceganLayout({ resolution: s.resolution, channelDivisor: s.channelDivisor })
    const source = new SyntheticSource(layout, { numClasses: s.classes, seed: 11 })
    synthetic = source
    bank = new FeatureBank(layout)
    // The synthetic generator's float32 maps are garbage once banked; collect them so that peak RSS
    // measures the training, not how lazily V8 frees the generator's output (--expose-gc below).
    const gc = (globalThis as { gc?: () => void }).gc
    for (const id of SyntheticSource.ids(s.samples)) {
      const maps = roundMapsToHalf(await source.load(id))
      bank.add(id, maps, source.mask(maps))
      gc?.()
    }
  }
  const layout = bank.layout
  const dataSeconds = (performance.now() - t0) / 1000
  const out: Record<string, unknown> = { task: spec.task, dataSeconds, bankMiB: bank.bytes / 2 ** 20, tf: toBackendRecord(init) }

  const score = (params: import('../src/main/engine/interpreter/model').EnsembleParams, dims: import('../src/main/engine/interpreter/model').EnsembleDims, ids: readonly string[]) => {
    const cm = new ConfusionMatrix(s.classes)
    for (const id of ids) {
      const im = bank.images.find((i) => i.id === id)!
      cm.add(predictSample(tf, params, dims, layout, bankImageMaps(bank, im)).mask, im.labels)
    }
    return cm
  }

  const trainTwinlight = async (b: InstanceType<typeof FeatureBank>) => {
    const gemm = await createGemm(spec.config.gemm === 'tfjs' ? 'tfjs' : 'onnxruntime', tf)
    const trainer = new InterpreterTrainer(tf, b, s.classes, spec.config, { gemm })
    while (!trainer.done) await trainer.step()
    const timings = Object.fromEntries(Object.entries(trainer.timings).map(([k, v]) => [k, Math.round(v) / 1000]))
    const result = { params: trainer.params, dims: trainer.dims, steps: trainer.state.step, epochs: trainer.state.epoch + trainer.state.stepInEpoch / trainer.stepsPerEpoch, strategies: trainer.strategies.map((x) => `${x.group.width}²:${x.strategy}`), timings }
    await trainer.dispose()
    await gemm.dispose()
    return result
  }

  if (spec.task === 'anchor-twinlight') {
    const t1 = performance.now()
    const r = await trainTwinlight(bank)
    out.trainSeconds = (performance.now() - t1) / 1000
    out.trainMaxRssMiB = process.resourceUsage().maxRSS / 1024
    Object.assign(out, { steps: r.steps, epochs: r.epochs, strategies: r.strategies, timings: r.timings })
    const t2 = performance.now()
    const sc = score(r.params, r.dims, bank.images.map((i) => i.id)).scores()
    Object.assign(out, { trainAccuracy: sc.pixelAccuracy, trainMiou: sc.miou, evalSeconds: (performance.now() - t2) / 1000 })
    if (synthetic) out.int8 = await int8Agreement(r.params, r.dims, synthetic)
  } else if (spec.task === 'anchor-naive') {
    const t1 = performance.now()
    const full = materializeFull(bank)
    const set = materialize(bank, { float32: full })
    out.materializeSeconds = (performance.now() - t1) / 1000
    out.materializedGiB = set.bytes / 2 ** 30
    out.float32Copy = full
    out.referenceWouldHoldGiB = (set.half.reduce((a, x) => a + x.length, 0) * 6) / 2 ** 30
    const t2 = performance.now()
    const r = trainNaive(tf, set, layout, s.classes, { ...spec.config, maxSeconds: spec.capSeconds })
    out.trainSeconds = (performance.now() - t2) / 1000
    out.trainMaxRssMiB = process.resourceUsage().maxRSS / 1024
    const labelled = bank.images.reduce((a, im) => a + im.labels.filter((v) => v !== 255).length, 0)
    const spe = stepsPerEpochFor(labelled, 64)
    const stop = spec.config.stop
    const minSteps = stop.kind === 'plateau' ? Math.ceil(stop.minEpochs * spe) + stop.patience + 1 : stop.kind === 'steps' ? stop.steps : Math.round(stop.epochs * spe)
    Object.assign(out, { capped: r.capped, stepsPerMember: r.steps, membersFinished: r.membersFinished, msPerStep: r.msPerStep, stepsPerEpoch: spe, minStepsPerMember: minSteps })
    if (r.capped) {
      out.projectedTrainSeconds = (r.msPerStep * minSteps * s.ensemble) / 1000
      out.projectedTotalSeconds = (out.materializeSeconds as number) + (out.projectedTrainSeconds as number)
    } else {
      const sc = score(r.params, r.dims, bank.images.map((i) => i.id)).scores()
      Object.assign(out, { trainAccuracy: sc.pixelAccuracy, trainMiou: sc.miou, steps: r.steps })
    }
  } else {
    // k-fold cross-validation.
    const ids = bank.images.map((i) => i.id)
    const plan = makeFolds(ids, 5, 0)
    const cm = new ConfusionMatrix(s.classes)
    const t1 = performance.now()
    const cpu0 = process.cpuUsage()
    const folds: unknown[] = []
    for (const held of plan.folds) {
      const train = bank.subset(trainingIds(ids, held))
      const tf0 = performance.now()
      let params
      let dims
      let steps: number | number[]
      if (spec.task === 'quality-twinlight') {
        const r = await trainTwinlight(train)
        params = r.params
        dims = r.dims
        steps = r.steps
      } else {
        const set = materialize(train, { float32: true })
        const r = trainNaive(tf, set, layout, s.classes, spec.config)
        params = r.params
        dims = r.dims
        steps = r.steps
      }
      const part = score(params, dims, held)
      cm.merge(part)
      folds.push({ heldOut: held, miou: part.scores().miou, seconds: (performance.now() - tf0) / 1000, steps })
    }
    const sc = cm.scores()
    // CPU time too: on a shared, loaded machine the wall time depends on the neighbours.
    const cpu = process.cpuUsage(cpu0)
    Object.assign(out, { seconds: (performance.now() - t1) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, miou: sc.miou, pixelAccuracy: sc.pixelAccuracy, iou: sc.iou, folds })
  }
  out.maxRssMiB = process.resourceUsage().maxRSS / 1024
  return out
}

/** The float32 copy of the reference (its DataLoader's FloatTensor) only when it fits in free memory with room to spare. */
function materializeFull(bank: { images: { labels: Uint8Array }[]; dim: number }): boolean {
  const need = bank.images.reduce((a, im) => a + im.labels.length, 0) * bank.dim * 6
  return freemem() > need + 1.5 * 2 ** 30
}

// ------------------------------------------------------------------------------ parent side

function runChild(spec: ChildSpec): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const proc = spawn(process.execPath, ['--import', 'tsx', '--expose-gc', '--max-old-space-size=8192', fileURLToPath(import.meta.url), '--child', JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    proc.on('exit', (code) => {
      const line = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0 || !line.startsWith('{')) return reject(new Error(`${spec.task} exited with ${code}: ${stdout.slice(-2000)}`))
      const result = JSON.parse(line) as Record<string, unknown>
      result.processSeconds = (performance.now() - started) / 1000
      resolve(result)
    })
  })
}

interface QualityRun {
  seed: number
  miou: number
  pixelAccuracy: number
  seconds: number
  cpuSeconds: number
  [key: string]: unknown
}

/** One side of the quality comparison: its configuration (seed aside), every run, and their means. */
interface QualitySummary {
  config: InterpreterConfig
  runs: QualityRun[]
  miou: number
  miouRange: [number, number]
  pixelAccuracy: number
  seconds: number
  cpuSeconds: number
}

const withoutSeed = (c: InterpreterConfig) => JSON.stringify({ ...c, seed: undefined })

/** The runs of a stored side that used `config` (any seed); none when the configuration changed. */
function sideRuns(stored: unknown, config: InterpreterConfig): QualityRun[] {
  const s = stored as Partial<QualitySummary> | undefined
  if (!s?.config || withoutSeed(s.config) !== withoutSeed(config)) return []
  // Results written before --seeds existed hold a single run at the top level.
  return s.runs ?? (typeof (s as { miou?: unknown }).miou === 'number' ? [{ ...(s as unknown as QualityRun), seed: s.config.seed }] : [])
}

function summariseRuns(config: InterpreterConfig, runs: QualityRun[]): QualitySummary {
  const sorted = [...runs].sort((a, b) => a.seed - b.seed)
  const mean = (f: (r: QualityRun) => number) => sorted.reduce((a, r) => a + f(r), 0) / sorted.length
  const mious = sorted.map((r) => r.miou)
  return {
    config: { ...config, seed: sorted[0].seed },
    runs: sorted,
    miou: mean((r) => r.miou),
    miouRange: [Math.min(...mious), Math.max(...mious)],
    pixelAccuracy: mean((r) => r.pixelAccuracy),
    seconds: mean((r) => r.seconds),
    cpuSeconds: mean((r) => r.cpuSeconds)
  }
}

const fmt = (v: unknown, digits = 1) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : String(v))
const pct = (v: unknown) => (typeof v === 'number' ? `${(v * 100).toFixed(2)} %` : 'n/a')

async function parent(): Promise<void> {
  const only = option('only')
  const naiveMinutes = Number(option('naive-minutes') ?? (quick ? 3 : 20))
  const demo = DEMO
  const resultsPath = join(HERE, 'results', quick ? 'interpreter-quick.json' : 'interpreter.json')
  // --only runs update their part of an existing results file.
  const previous: Record<string, unknown> = only && existsSync(resultsPath) ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {}
  const results: Record<string, unknown> = {
    ...previous,
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, totalMemGiB: totalmem() / 2 ** 30, loadavg1AtStart: loadavg()[0], node: process.version },
    quick,
    note: 'Anchor: synthetic generator (src/main/engine/interpreter/synthetic.ts). ' + (demo ? 'Quality: resources/demo-generator with the renderer\'s exact masks.' : 'Quality: synthetic generator too (resources/demo-generator is missing or --synthetic-quality).')
  }
  const save = () => {
    results.loadavg1AtEnd = loadavg()[0]
    mkdirSync(dirname(resultsPath), { recursive: true })
    writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n')
    return resultsPath
  }

  if (!only || only === 'anchor') {
    console.log(`\n== ${ANCHOR.name}`)
    const tw = await runChild({ task: 'anchor-twinlight', scale: ANCHOR, config: twinlightConfig(ANCHOR) })
    console.log(`Twinlight: train ${fmt(tw.trainSeconds)} s (${tw.steps} steps, ${fmt(tw.epochs, 2)} epochs), peak RSS ${fmt(tw.trainMaxRssMiB, 0)} MiB while training (${fmt(tw.maxRssMiB, 0)} MiB with the evaluation), training-set accuracy ${pct(tw.trainAccuracy)} (mIoU ${pct(tw.trainMiou)}), process ${fmt(tw.processSeconds)} s`)
    const q = tw.int8 as Record<string, number> | undefined
    if (q) console.log(`int8 first layer (the trained ensemble's export, ${q.samples} held-out samples): ${pct(q.changedShare)} of voted pixels differ from fp32; pixel error fp32 ${pct(q.errorFp32)}, int8 ${pct(q.errorInt8)}; largest change of an image score ${q.maxScoreChange.toExponential(2)}`)
    results.anchor = { scale: ANCHOR, twinlight: { config: twinlightConfig(ANCHOR), ...tw } }
    save()
    // --part twinlight keeps the naive side from the results file (it takes 20+ minutes and does
    // not depend on Twinlight's code or defaults).
    const kept = (previous.anchor as { scale?: unknown; naive?: Record<string, unknown> } | undefined)
    const reuse = option('part') === 'twinlight' && kept?.naive && JSON.stringify(kept.scale) === JSON.stringify(ANCHOR)
    const nv = reuse ? kept.naive! : await runChild({ task: 'anchor-naive', scale: ANCHOR, config: referenceConfig(ANCHOR), capSeconds: naiveMinutes * 60 })
    const naiveSeconds = nv.capped ? (nv.projectedTotalSeconds as number) : (nv.materializeSeconds as number) + (nv.trainSeconds as number)
    console.log(
      (reuse ? `naive reference (kept from ${kept.naive!.measuredAt ?? 'the results file'}): ` : 'naive reference: ') +
        `materialise ${fmt(nv.materializeSeconds)} s (${fmt(nv.materializedGiB, 2)} GiB${nv.float32Copy ? ', float16 + float32' : ', float16 only; the float32 copy did not fit'}), ` +
        (nv.capped
          ? `capped after ${fmt(nv.trainSeconds)} s at ${fmt(nv.msPerStep, 1)} ms/step; PROJECTED total ${fmt(naiveSeconds / 60)} min for ≥ ${nv.minStepsPerMember} steps × ${ANCHOR.ensemble} members`
          : `train ${fmt(nv.trainSeconds)} s, training-set accuracy ${pct(nv.trainAccuracy)}`) +
        `, peak RSS ${fmt(nv.trainMaxRssMiB, 0)} MiB while training`
    )
    const twSeconds = tw.trainSeconds as number
    ;(results.anchor as Record<string, unknown>).naive = { config: referenceConfig(ANCHOR), ...nv, wallSeconds: naiveSeconds, wallIsProjection: nv.capped, measuredAt: nv.measuredAt ?? (reuse ? previous.date : results.date) }
    ;(results.anchor as Record<string, unknown>).ratios = {
      memory: (nv.trainMaxRssMiB as number) / (tw.trainMaxRssMiB as number),
      memoryVsReferenceFootprint: ((nv.referenceWouldHoldGiB as number) * 1024) / (tw.trainMaxRssMiB as number),
      time: naiveSeconds / twSeconds,
      timeIsProjection: nv.capped
    }
    console.log(
      `→ peak memory ${fmt((nv.trainMaxRssMiB as number) / (tw.trainMaxRssMiB as number))}× lower than the naive run (${fmt(((nv.referenceWouldHoldGiB as number) * 1024) / (tw.trainMaxRssMiB as number))}× below the reference's float16 + float32 features alone), time ${fmt(naiveSeconds / twSeconds)}× faster${nv.capped ? ' (against the projection)' : ''}`
    )
    save()
  }

  if (!only || only === 'quality') {
    // --part twinlight|naive runs one side (the other is kept from the results file), so the two
    // can run one after another in separate sessions on a busy machine.
    const part = option('part')
    console.log(`\n== ${QUALITY.name}`)
    const sameScale = (q: unknown) => !!q && JSON.stringify((q as { scale?: unknown }).scale) === JSON.stringify(QUALITY)
    const quality: Record<string, unknown> = part && sameScale(previous.quality) ? { ...(previous.quality as Record<string, unknown>) } : { scale: QUALITY }
    results.quality = quality
    const seeds = (option('seeds') ?? '0').split(',').map(Number)
    if (seeds.some((x) => !Number.isInteger(x) || x < 0)) throw new Error('--seeds takes non-negative integers, e.g. --seeds 0,1,2')
    for (const side of ['twinlight', 'naive'] as const) {
      if (part && part !== side) continue
      const base = side === 'twinlight' ? twinlightConfig(QUALITY) : referenceConfig(QUALITY)
      const kept = sideRuns(quality[side], base).filter((r) => !seeds.includes(r.seed))
      for (const seed of seeds) {
        const r = await runChild({ task: side === 'twinlight' ? 'quality-twinlight' : 'quality-naive', scale: QUALITY, config: { ...base, seed }, demo })
        console.log(`${side === 'twinlight' ? 'Twinlight' : 'naive reference'}, seed ${seed}: 5-fold mIoU ${pct(r.miou)}, pixel accuracy ${pct(r.pixelAccuracy)}, ${fmt(r.seconds)} s (${fmt(r.cpuSeconds)} CPU-s)`)
        kept.push({ ...(r as unknown as QualityRun), seed })
        quality[side] = summariseRuns(base, kept)
        save()
      }
    }
    // The other side may have finished meanwhile in another process: take it from the file.
    const onDisk = existsSync(resultsPath) ? (JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>) : {}
    if (part && sameScale(onDisk.quality)) {
      const other = part === 'naive' ? 'twinlight' : 'naive'
      const theirs = (onDisk.quality as Record<string, unknown>)[other]
      if (theirs) quality[other] = theirs
    }
    const tw = quality.twinlight as QualitySummary | undefined
    const nv = quality.naive as QualitySummary | undefined
    if (tw?.runs && nv?.runs) {
      quality.deltaMiouPoints = (tw.miou - nv.miou) * 100
      quality.timeRatio = nv.seconds / tw.seconds
      quality.cpuTimeRatio = nv.cpuSeconds / tw.cpuSeconds
      const range = (x: QualitySummary) => `${pct(x.miou)} (${x.runs.length} seed${x.runs.length > 1 ? 's' : ''}, ${pct(x.miouRange[0])}–${pct(x.miouRange[1])})`
      console.log(`Twinlight ${range(tw)} vs reference ${range(nv)}`)
      console.log(`→ mean mIoU ${fmt((tw.miou - nv.miou) * 100, 2)} points vs the reference, ${fmt(nv.seconds / tw.seconds)}× faster (${fmt(nv.cpuSeconds / tw.cpuSeconds)}× less CPU time)`)
    }
  }
  console.log(`\nwrote ${save()}`)
}

if (flag('child')) {
  const spec = JSON.parse(option('child')!) as ChildSpec
  child(spec).then(
    (r) => {
      process.stdout.write('\n' + JSON.stringify(r) + '\n')
      process.exit(0)
    },
    (error: Error) => {
      console.error(error.stack ?? error.message)
      process.exit(1)
    }
  )
} else {
  await parent()
}
