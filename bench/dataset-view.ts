// The Dataset view with large datasets: how long `datasets.read` takes on a metadata.jsonl of
// 10,000 and 100,000 samples, the longest the main process's event loop is held meanwhile (the
// reader yields every few thousand lines), the size of the answer on the wire, and the
// browser's filter + sort and histogram over every record. While a run goes: what one metric
// point's tick costs the view at that many samples so far (new samples added, both live
// histograms and the provisional cut recomputed), the metrics.jsonl its points make, and
// rebuilding the live scores from it (a view opened mid-run).
//
//   npx tsx bench/dataset-view.ts   → bench/results/dataset-view.json
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readDataset } from '../src/main/services/datasetService'
import { toWire } from '../src/shared/api'
import { browseRecords, histogram } from '../src/shared/datasetBrowse'
import { LiveSampleBuffer, LiveScores } from '../src/shared/datasetLive'
import type { JobMetricPoint } from '../src/shared/jobs'
import { Rng } from '../src/main/engine/render/prng'

const HERE = dirname(fileURLToPath(import.meta.url))
const SIZES = [10_000, 100_000]

/** A finished dataset folder as the pipeline leaves it: plan.json, metadata.jsonl, README.md. */
async function writeDataset(project: string, name: string, n: number): Promise<number> {
  const dir = join(project, 'datasets', name)
  await mkdir(join(dir, '.twinlight'), { recursive: true })
  const plan = {
    format: 'twinlight-dataset',
    version: 1,
    name,
    classes: [{ id: 0, name: 'background', color: '#000000' }, { id: 1, name: 'skin', color: '#e0a98a' }],
    modalities: ['rgb', 'nir'],
    size: 256,
    seedStart: 0,
    count: n,
    layout: 'twinlight',
    filter: { dropFraction: 0.1, maxScore: null },
    valPercent: 10,
    keepRejected: true,
    privacy: { model: 'face-api', threshold: 0.94, references: 100, modality: 'rgb' }
  }
  await writeFile(join(dir, '.twinlight', 'plan.json'), JSON.stringify(plan))
  const rng = new Rng(7)
  const random = () => rng.next()
  const lines: string[] = []
  for (let seed = 0; seed < n; seed++) {
    const stem = String(seed).padStart(8, '0')
    const u = random()
    const id = 0.85 + random() * 0.12
    const reason = id > 0.94 ? 'privacy:too-similar' : u > 0.9 ? 'uncertainty-top' : 'ok'
    const kept = reason === 'ok'
    const folder = kept ? '' : 'rejected/'
    lines.push(
      JSON.stringify({
        stem,
        seed,
        latent: { generatorSha256: 'ab'.repeat(32), seed, recipe: { latent: { kind: 'normal', size: 512 }, truncation: 0.7 } },
        uncertainty: u,
        identity_score: id,
        closest_identity: `person-${seed % 100}`,
        privacy: id > 0.94 ? 'too-similar' : 'ok',
        kept,
        reason,
        reasons: kept ? [] : [reason],
        files: { rgb: `${folder}rgb/${stem}.png`, nir: `${folder}nir/${stem}.png`, mask: `${folder}masks/${stem}.png` }
      })
    )
  }
  const text = lines.join('\n') + '\n'
  await writeFile(join(dir, 'metadata.jsonl'), text)
  await writeFile(join(dir, 'README.md'), `# ${name}\n`)
  return text.length
}

/** A live run of n samples as metric points of `perPoint` new samples each, the way the worker sends them. */
function livePoints(n: number, perPoint: number): JobMetricPoint[] {
  const rng = new Rng(11)
  const buffer = new LiveSampleBuffer()
  const points: JobMetricPoint[] = []
  for (let seed = 0; seed < n; seed++) {
    const identityScore = 0.85 + rng.next() * 0.12
    buffer.push({ seed, score: rng.next(), identityScore, kept: identityScore <= 0.94 })
    if (buffer.size === perPoint || seed === n - 1) points.push({ step: seed + 1, values: { kept: 0, done: seed + 1, total: n, samplesPerSecond: 2 }, items: buffer.take() })
  }
  return points
}

/** What the Dataset view does on one tick of a running job (DatasetView.vue liveCharts + ScoreHistogram). */
function liveTick(scores: LiveScores, point: JobMetricPoint): void {
  scores.add(point.items)
  const cut = scores.provisionalCut(0.1)
  histogram(scores.uncertaintyItems(), 30, [cut])
  histogram(scores.identityItems(), 30, [0.94])
}

/** Runs fn while timing how late a 1 ms timer fires: the longest stretch the event loop was held. */
async function withLoopLag<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; maxLagMs: number }> {
  let last = performance.now()
  let maxLag = 0
  const timer = setInterval(() => {
    const now = performance.now()
    maxLag = Math.max(maxLag, now - last)
    last = now
  }, 1)
  const start = performance.now()
  const value = await fn()
  const ms = performance.now() - start
  clearInterval(timer)
  maxLag = Math.max(maxLag, performance.now() - last)
  return { value, ms, maxLagMs: maxLag }
}

const project = await mkdtemp(join(tmpdir(), 'tl-bench-dataset-view-'))
const results: Record<string, unknown>[] = []
try {
  for (const n of SIZES) {
    const bytes = await writeDataset(project, `d${n}`, n)
    const read = await withLoopLag(() => readDataset(project, `d${n}`))
    const wire = JSON.stringify(toWire(read.value)).length
    const records = read.value.records
    let t = performance.now()
    browseRecords(records, 'rejected', 'uncertainty-desc')
    const filterSortMs = performance.now() - t
    t = performance.now()
    browseRecords(records, 'all', 'identity-desc')
    const sortAllMs = performance.now() - t
    t = performance.now()
    histogram(records.map((r) => ({ value: r.uncertainty, kept: r.kept })), 30, [0.9])
    histogram(records.map((r) => ({ value: r.identityScore, kept: r.kept })), 30, [0.94])
    const histogramsMs = performance.now() - t
    // Live: 50 new samples a point (100 samples/s at two points a second).
    const points = livePoints(n, 50)
    const metricsJsonl = points.map((p) => JSON.stringify(p) + '\n').join('')
    const live = new LiveScores()
    for (const point of points.slice(0, -1)) live.add(point.items)
    t = performance.now()
    liveTick(live, points[points.length - 1]!)
    const liveTickMs = performance.now() - t
    t = performance.now()
    const rebuilt = new LiveScores()
    for (const line of metricsJsonl.trim().split('\n')) rebuilt.add((JSON.parse(line) as JobMetricPoint).items)
    const liveRebuildMs = performance.now() - t
    if (rebuilt.size !== n) throw new Error(`rebuilt ${rebuilt.size} live scores of ${n}`)
    const row = {
      samples: n,
      metadataMiB: +(bytes / 2 ** 20).toFixed(1),
      readMs: Math.round(read.ms),
      maxEventLoopBlockMs: Math.round(read.maxLagMs),
      wireMiB: +(wire / 2 ** 20).toFixed(1),
      filterSortMs: Math.round(filterSortMs),
      sortAllMs: Math.round(sortAllMs),
      histogramsMs: Math.round(histogramsMs),
      liveTickMs: Math.round(liveTickMs),
      liveMetricsMiB: +(metricsJsonl.length / 2 ** 20).toFixed(1),
      liveRebuildMs: Math.round(liveRebuildMs)
    }
    results.push(row)
    console.log(
      `${n} samples (${row.metadataMiB} MiB metadata.jsonl): datasets.read ${row.readMs} ms, event loop held at most ${row.maxEventLoopBlockMs} ms, ${row.wireMiB} MiB on the wire; ` +
        `browser: rejected by uncertainty ${row.filterSortMs} ms, all by identity ${row.sortAllMs} ms, both histograms ${row.histogramsMs} ms; ` +
        `live: one tick ${row.liveTickMs} ms, metrics.jsonl ${row.liveMetricsMiB} MiB, rebuilt from it in ${row.liveRebuildMs} ms`
    )
  }
} finally {
  await rm(project, { recursive: true, force: true })
}
const out = join(HERE, 'results', 'dataset-view.json')
await mkdir(dirname(out), { recursive: true })
await writeFile(
  out,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      note: 'readMs: services/datasetService readDataset (plan + metadata.jsonl parsed and checked); maxEventLoopBlockMs: the longest a 1 ms timer was held meanwhile; wireMiB: the answer as the WebSocket sends it; the browser figures are browse.ts under Node; live*: a running job with that many samples so far, 50 new per metric point (liveTickMs: one point added, both live histograms and the provisional cut recomputed; liveMetricsMiB: the metrics.jsonl of all its points; liveRebuildMs: LiveScores rebuilt from it, as a view opened mid-run does).',
      results
    },
    null,
    2
  ) + '\n'
)
console.log(`wrote ${out}`)
