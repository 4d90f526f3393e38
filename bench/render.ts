// Throughput of the built-in face renderer as a data loader: samples per second on one core
// (this process's main thread), all five modalities, face mode, at 128² and 256². Three
// figures per size: rendering only (the target: at least 200/s at 128²), PNG encoding
// of every output alone (pako, what `twinlight render` adds per sample before the file
// writes), and both together. Run: npx tsx bench/render.ts → prints a table, writes
// bench/results/render.json
//
// Both wall-clock and process CPU time are reported: on a shared machine the CPU figure
// (samples per CPU-second) is the one that says what a free core would deliver. It counts
// every thread of the process (GC and JIT helpers too), so it is a slight underestimate. Each
// figure is the median of BENCH_ROUNDS rounds (default 7) of BENCH_SECONDS each (default 2),
// the kinds of work interleaved round by round so that a change of load on the machine hits
// them alike; the load average is recorded before and after.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { render, sampleParams, encodeSamplePngs, MODALITIES, type FaceParams, type RenderResult } from '../src/main/engine/render'

type Work = 'render' | 'png' | 'render+png'

interface Round {
  samples: number
  wallSeconds: number
  cpuSeconds: number
}

interface Row {
  size: number
  work: Work
  rounds: number
  samples: number
  /** Medians over the rounds. */
  samplesPerSecond: number
  samplesPerCpuSecond: number
  /** CPU milliseconds per sample (median). */
  cpuMsPerSample: number
  /** Slowest and fastest round, samples per CPU-second. */
  minPerCpuSecond: number
  maxPerCpuSecond: number
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const WORKS: Work[] = ['render', 'png', 'render+png']
// 64 different people, poses, lights and accessories, cycled
const params: FaceParams[] = Array.from({ length: 64 }, (_, i) => sampleParams(1000 + i))

function renderOne(i: number, size: number): RenderResult {
  return render(params[i % params.length], { size, modalities: MODALITIES })
}

/** One round of `work` for about SECONDS. png encodes outputs rendered beforehand (rendered). */
function round(work: Work, size: number, rendered: RenderResult[]): Round {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < SECONDS * 1000) {
    if (work === 'png') encodeSamplePngs(rendered[n % rendered.length])
    else {
      const r = renderOne(n, size)
      if (work === 'render+png') encodeSamplePngs(r)
    }
    n++
  }
  const wall = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  return { samples: n, wallSeconds: wall, cpuSeconds: (c.user + c.system) / 1e6 }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
}

function round2(x: number): number {
  return Math.round(x * 100) / 100
}

function rowOf(size: number, work: Work, rounds: Round[]): Row {
  const perCpu = rounds.map((r) => r.samples / r.cpuSeconds)
  const perWall = rounds.map((r) => r.samples / r.wallSeconds)
  const msPer = rounds.map((r) => (1000 * r.cpuSeconds) / r.samples)
  return {
    size,
    work,
    rounds: rounds.length,
    samples: rounds.reduce((a, r) => a + r.samples, 0),
    samplesPerSecond: round2(median(perWall)),
    samplesPerCpuSecond: round2(median(perCpu)),
    cpuMsPerSample: round2(median(msPer)),
    minPerCpuSecond: round2(Math.min(...perCpu)),
    maxPerCpuSecond: round2(Math.max(...perCpu))
  }
}

const loadBefore = loadavg().map(round2)
console.log(`render benchmark: all modalities (${MODALITIES.join(', ')}), face mode, one thread; ${ROUNDS} rounds of ${SECONDS} s per figure; load average ${loadBefore.join(' ')}`)
const rows: Row[] = []
for (const size of [128, 256]) {
  // Warm-up: two rounds over all 64 parameter sets and at least 1.5 s (V8 keeps re-optimising
  // while it meets new shapes of the scene: hair styles, glasses, …), and the PNG encoder.
  const rendered: RenderResult[] = []
  const t0 = performance.now()
  for (let i = 0; i < 128 || performance.now() - t0 < 1500; i++) {
    const r = renderOne(i, size)
    if (i < params.length) rendered.push(r)
    encodeSamplePngs(r)
  }
  const rounds = new Map<Work, Round[]>(WORKS.map((w) => [w, []]))
  for (let k = 0; k < ROUNDS; k++) for (const w of WORKS) rounds.get(w)!.push(round(w, size, rendered))
  for (const w of WORKS) {
    const row = rowOf(size, w, rounds.get(w)!)
    rows.push(row)
    console.log(
      `${String(size).padStart(4)}²  ${w.padEnd(10)}  ${row.samplesPerSecond.toFixed(1).padStart(7)} samples/s wall   ${row.samplesPerCpuSecond.toFixed(1).padStart(7)} samples/cpu-s (rounds ${row.minPerCpuSecond.toFixed(0)}–${row.maxPerCpuSecond.toFixed(0)})   ${row.cpuMsPerSample.toFixed(2).padStart(6)} cpu-ms/sample`
    )
  }
}
const loadAfter = loadavg().map(round2)
console.log(`load average after: ${loadAfter.join(' ')}`)

const result = {
  benchmark: 'render',
  modalities: [...MODALITIES],
  mode: 'face',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  roundSeconds: SECONDS,
  loadAverage: loadBefore,
  loadAverageAfter: loadAfter,
  date: new Date().toISOString(),
  results: rows
}
const dir = join(import.meta.dirname, 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'render.json'), JSON.stringify(result, null, 2) + '\n')
console.log(`wrote ${join(dir, 'render.json')}`)
