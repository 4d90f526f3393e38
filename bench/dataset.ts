// Dataset generation throughput: samples/s end to end and per stage, and peak RSS.
//
// Run: npx tsx bench/dataset.ts [--count N] [--demo-count N] [--anchor-count N]
//      → prints, writes bench/results/dataset.json
// Every row carries the load average before/after and the process's CPU seconds per sample:
// on a shared machine the wall-clock figures move with the other jobs' load. The anchor runs
// default to 64 samples (~30 s each): on the shared dev VM the speed of the same code swings by
// ±10–20 % within a minute, and runs of 20–24 samples (~10 s) measured 1.94 to 2.43 samples/s
// back to back; 96-sample runs stayed within 2.13–2.27.
//
//  (a) renderer: the built-in face renderer at 256², RGB + NIR, exact masks (no interpreter).
//  (a′) demo generator: resources/demo-generator (64², RGB + NIR + 9 feature maps, D = 512)
//      through a random-init 10-member interpreter export with the 12 face classes: the whole
//      loop as a user of the shipped demo runs it, the generator's own cost included.
//  (b) anchor scale: synthetic 256² BiFaceGAN feature maps (14 maps, D = 4992: 512×8 at
//      4,4,8,8,16,16,32,32; 256,256 at 64; 128,128 at 128; 64,64 at 256) through the style
//      interpreter's ONNX export (engine/interpreter/onnxExport.ts, mask + uncertainty only)
//      with a 10-member ensemble and 4 classes, in onnxruntime-node on the CPU (OnnxInterpreterPredictor
//      defaults: 2 sessions of 1 thread on this 2-core VM). The "generator" hands out
//      precomputed maps (smooth random fields) and rendered faces, so the figure excludes the
//      generator's own cost. Everything else is the real pipeline: inference, score, PNG
//      encoding, atomic writes, records, finalising (metadata.jsonl, README) – with a 10 %
//      uncertainty drop.
//      Run twice: the exact fp32 export (the default) and the opt-in int8 first layer, and the
//      number of pixels whose voted class differs between the two is reported.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { render, sampleParams } from '../src/main/engine/render'
import { mulberry32 } from '../src/main/engine/random/mulberry32'
import { makeDataset, RendererSource, GroundTruthPredictor, type SampleSource, type SourceSample, type DatasetSummary } from '../src/main/engine/dataset'
import { OnnxGeneratorSource, OnnxInterpreterPredictor } from '../src/main/engine/dataset/onnx'
import { loadManifest } from '../src/shared/generator'
import { demoGeneratorFiles, sha256Hex } from '../src/main/services/generatorStore'
import { FACE_CLASSES, OCULAR_CLASSES } from '../src/shared/faceClasses'
import { bifaceganLayout, featureDim, type FeatureLayout } from '../src/main/engine/interpreter/layout'
import { dimsFor, initParams } from '../src/main/engine/interpreter/model'
import { buildInterpreterOnnx, type InterpreterPrecision } from '../src/main/engine/interpreter/onnxExport'

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

let peakRss = 0
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20)

/**
 * A stand-in for a BiFaceGAN-scale generator: feature maps and images computed once, handed out
 * for every seed (so the generator's own cost is excluded). The maps are smooth random fields, as
 * a generator's are, not independent noise per value: independent noise made even a random
 * ensemble's voted mask salt-and-pepper, which deflate compresses six times slower than any real
 * mask (30 instead of 5 ms per 256² mask PNG). The images are the built-in renderer's faces.
 */
class SyntheticFeatureSource implements SampleSource {
  readonly size: number
  readonly modalities = ['rgb', 'nir']
  private readonly maps: SourceSample['features']
  private readonly faces: Array<{ rgb: Uint8Array; nir: Uint8Array }>
  constructor(layout: FeatureLayout) {
    this.size = layout.height
    const uniform = mulberry32(12345)
    const rnd = () => uniform() * 2 - 1 // in [-1, 1)
    this.maps = {}
    for (const m of layout.maps) {
      // per channel: three plane waves of up to 1.5 periods across the map, plus 10 % noise
      const data = new Float32Array(m.channels * m.height * m.width)
      for (let c = 0; c < m.channels; c++) {
        const waves = Array.from({ length: 3 }, () => [rnd() * 3 * Math.PI, rnd() * 3 * Math.PI, rnd() * Math.PI])
        for (let y = 0; y < m.height; y++)
          for (let x = 0; x < m.width; x++) {
            let v = 0.1 * rnd()
            for (const [fx, fy, phase] of waves) v += Math.cos((fx * x) / m.width + (fy * y) / m.height + phase) / 3
            data[(c * m.height + y) * m.width + x] = v
          }
      }
      this.maps[m.name] = { data, shape: [1, m.channels, m.height, m.width] }
    }
    this.faces = [1, 2, 3, 4].map((seed) => {
      const r = render(sampleParams(seed), { size: this.size, modalities: ['rgb', 'nir'] })
      return { rgb: r.rgb!, nir: r.nir! }
    })
  }
  describe() {
    return { kind: 'test' as const, name: 'synthetic BiFaceGAN 256² features' }
  }
  async sample(seed: number): Promise<SourceSample> {
    const face = this.faces[seed % this.faces.length]
    return {
      seed,
      images: { rgb: { width: this.size, height: this.size, channels: 3, data: face.rgb }, nir: { width: this.size, height: this.size, channels: 1, data: face.nir } },
      features: this.maps,
      latent: { seed }
    }
  }
}

const load = () => loadavg().map((v) => +v.toFixed(2))

/** Wall time, CPU time and load average around a run. */
async function measured<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; cpuSeconds: number; loadBefore: number[]; loadAfter: number[] }> {
  const loadBefore = load()
  const cpu = process.cpuUsage()
  const t = performance.now()
  const result = await run()
  const seconds = (performance.now() - t) / 1000
  const used = process.cpuUsage(cpu)
  return { result, seconds, cpuSeconds: (used.user + used.system) / 1e6, loadBefore, loadAfter: load() }
}

/**
 * One row of results. Stage times are busy time summed over a stage's calls; the interpreter's
 * `sessions` infer that many samples at once, so its stage throughput is `sessions` times what
 * its summed time alone gives.
 */
function figures(label: string, count: number, m: { result: DatasetSummary; seconds: number; cpuSeconds: number; loadBefore: number[]; loadAfter: number[] }, extra: Record<string, unknown> = {}, sessions = 1) {
  const { result: s, seconds } = m
  const per = (ms: number, parallel = 1) => (ms > 0 ? +((parallel * count) / (ms / 1000)).toFixed(2) : null)
  const row = {
    label,
    ...extra,
    count,
    seconds: +seconds.toFixed(2),
    samplesPerSecond: +(count / seconds).toFixed(2),
    cpuSecondsPerSample: +(m.cpuSeconds / count).toFixed(2),
    loadAverage1m: { before: m.loadBefore[0], after: m.loadAfter[0] },
    stageSamplesPerSecond: { source: per(s.times.source), interpreter: per(s.times.predict, sessions), encode: per(s.times.encode), write: per(s.times.write) },
    stageMsPerSample: Object.fromEntries(Object.entries(s.times).map(([k, v]) => [k, +(v / count).toFixed(1)])),
    counts: s.counts,
    peakRssMiB: Math.round(peakRss / 2 ** 20)
  }
  console.log(JSON.stringify(row, null, 2))
  return row
}

async function main() {
  const root = await mkdtemp(join(tmpdir(), 'tl-bench-dataset-'))
  const results: unknown[] = []
  try {
    // (a) renderer
    const count = arg('--count', 40)
    peakRss = 0
    const renderer = await measured(() =>
      makeDataset({
        outDir: join(root, 'renderer'),
        name: 'bench-renderer',
        source: new RendererSource({ size: 256, modalities: ['rgb', 'nir'], classCount: 10 }),
        predictor: new GroundTruthPredictor(),
        classes: FACE_CLASSES.slice(0, 10).map((c) => ({ ...c })),
        seedStart: 0,
        count
      })
    )
    results.push(figures('renderer 256², rgb+nir, exact masks', count, renderer))

    // (a′) demo generator
    const demoFiles = demoGeneratorFiles()
    if (!demoFiles) throw new Error('the demo generator is not installed (resources/demo-generator)')
    const loaded = loadManifest(readFileSync(demoFiles.manifest, 'utf8'))
    if (!loaded.ok) throw new Error(`${demoFiles.manifest}: ${loaded.error}`)
    const demoOnnx = readFileSync(demoFiles.onnx)
    const demoSource = await OnnxGeneratorSource.open({ onnx: demoOnnx, manifest: loaded.manifest, sha256: sha256Hex(demoOnnx) })
    try {
      const first = await demoSource.sample(0)
      const size = demoSource.size
      const demoLayout: FeatureLayout = { height: size, width: size, maps: Object.entries(first.features!).map(([name, f]) => ({ name, channels: f.shape[1], height: f.shape[2], width: f.shape[3] })) }
      const demoDims = dimsFor(demoLayout, FACE_CLASSES.length, 10)
      const demoPath = join(root, 'interpreter-demo.onnx')
      await writeFile(demoPath, buildInterpreterOnnx(initParams(demoDims, 1), demoDims, demoLayout, { probs: false }))
      const demoPredictor = await OnnxInterpreterPredictor.open(demoPath, `random 10-member ensemble, D = ${featureDim(demoLayout)}, K = ${FACE_CLASSES.length}`)
      await demoPredictor.predict(first) // the sessions' warm-up run
      const demoCount = arg('--demo-count', 64)
      peakRss = 0
      const demo = await measured(() =>
        makeDataset({ outDir: join(root, 'demo'), name: 'bench-demo', source: demoSource, predictor: demoPredictor, classes: FACE_CLASSES.map((c) => ({ ...c })), seedStart: 0, count: demoCount, filter: { dropFraction: 0.1 } })
      )
      results.push(figures(`demo generator ${size}², D = ${featureDim(demoLayout)}, 10 members, K = ${FACE_CLASSES.length} (generator included)`, demoCount, demo, { sessions: demoPredictor.concurrency }, demoPredictor.concurrency))
      await demoPredictor.release()
    } finally {
      await demoSource.release()
    }

    // (b) anchor scale
    const layout = bifaceganLayout()
    if (featureDim(layout) !== 4992 || layout.maps.length !== 14) throw new Error('unexpected layout')
    const dims = dimsFor(layout, 4, 10)
    const params = initParams(dims, 1)
    const anchorCount = arg('--anchor-count', 64)
    const source = new SyntheticFeatureSource(layout)
    const masks: Partial<Record<InterpreterPrecision, Uint8Array>> = {}
    for (const precision of ['fp32', 'int8'] as const) {
      const onnxPath = join(root, `interpreter-${precision}.onnx`)
      await writeFile(onnxPath, buildInterpreterOnnx(params, dims, layout, { probs: false, precision }))
      const predictor = await OnnxInterpreterPredictor.open(onnxPath, `random 10-member ensemble, D = 4992, K = 4, ${precision}`)
      masks[precision] = (await predictor.predict(await source.sample(0))).mask // also the session's warm-up run
      peakRss = 0
      const anchor = await measured(() =>
        makeDataset({
          outDir: join(root, `anchor-${precision}`),
          name: 'bench-anchor',
          source,
          predictor,
          classes: OCULAR_CLASSES.map((c) => ({ ...c })),
          seedStart: 0,
          count: anchorCount,
          filter: { dropFraction: 0.1 }
        })
      )
      results.push(figures(`anchor: 256², D = 4992, 10 members, K = 4 (generator excluded), ${precision}`, anchorCount, anchor, { precision, sessions: predictor.concurrency }, predictor.concurrency))
      await predictor.release()
    }
    let changed = 0
    for (let p = 0; p < masks.fp32!.length; p++) if (masks.fp32![p] !== masks.int8![p]) changed++
    const votes = { pixels: masks.fp32!.length, changedByInt8: changed, share: +(changed / masks.fp32!.length).toFixed(5), note: 'random-init ensemble (tiny logit margins): a pessimistic case for int8' }
    console.log('voted pixels that differ, int8 vs fp32:', JSON.stringify(votes))
    results.push({ label: 'int8 vs fp32 votes on the anchor sample', ...votes })
  } finally {
    clearInterval(rssTimer)
    await rm(root, { recursive: true, force: true })
  }
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true })
  writeFileSync(join(import.meta.dirname, 'results', 'dataset.json'), JSON.stringify({ cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, results }, null, 2) + '\n')
  process.exit(0)
}

void main()
