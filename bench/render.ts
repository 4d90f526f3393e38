// Throughput of the built-in face renderer as a data loader: samples per second on one core
// (this process's main thread), all five modalities, at 128² and 256², rendering only and
// with PNG encoding of every output (what renderDataset does per sample, minus the file
// writes). Run: npx tsx bench/render.ts   → prints a table, writes bench/results/render.json
//
// Both wall-clock and process CPU time are reported: on a shared machine the CPU figure
// (samples per CPU-second) is the one that says what a free core would deliver. It counts
// every thread of the process (GC and JIT helpers too), so it is a slight underestimate.
// BENCH_SECONDS (default 6) sets the measuring time per row.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cpus, loadavg } from 'node:os'
import { render, sampleParams, encodeSamplePngs, MODALITIES, type FaceParams } from '../src/main/engine/render'

interface Row {
  size: number
  encode: boolean
  samples: number
  wallSeconds: number
  cpuSeconds: number
  samplesPerSecond: number
  samplesPerCpuSecond: number
}

const SECONDS = Number(process.env.BENCH_SECONDS ?? 6)
// 64 different people, poses, lights and accessories, cycled
const params: FaceParams[] = Array.from({ length: 64 }, (_, i) => sampleParams(1000 + i))

function one(i: number, size: number, encode: boolean): void {
  const r = render(params[i % params.length], { size, modalities: MODALITIES })
  if (encode) encodeSamplePngs(r)
}

let warm = false

function run(size: number, encode: boolean): Row {
  // Warm-up. The first time, two rounds over all 64 parameter sets and at least 1.5 s: V8
  // keeps re-optimising while it meets new shapes of the scene (hair styles, glasses, …).
  const t0w = performance.now()
  for (let i = 0; i < (warm ? 16 : 128) || (!warm && performance.now() - t0w < 1500); i++) one(i, size, encode)
  warm = true
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < SECONDS * 1000) one(n++, size, encode)
  const wall = (performance.now() - t0) / 1000
  const c = process.cpuUsage(c0)
  const cpu = (c.user + c.system) / 1e6
  return {
    size,
    encode,
    samples: n,
    wallSeconds: round(wall),
    cpuSeconds: round(cpu),
    samplesPerSecond: round(n / wall),
    samplesPerCpuSecond: round(n / cpu)
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}

const loadBefore = loadavg().map(round)
console.log(`render benchmark: all modalities (${MODALITIES.join(', ')}), face mode, one thread; load average ${loadBefore.join(' ')}`)
const rows: Row[] = []
for (const size of [128, 256]) {
  for (const encode of [false, true]) {
    const row = run(size, encode)
    rows.push(row)
    console.log(
      `${String(size).padStart(4)}²  ${encode ? 'render+png' : 'render    '}  ${row.samplesPerSecond.toFixed(1).padStart(7)} samples/s wall   ${row.samplesPerCpuSecond.toFixed(1).padStart(7)} samples/cpu-s   (${row.samples} samples)`
    )
  }
}

const result = {
  benchmark: 'render',
  modalities: [...MODALITIES],
  mode: 'face',
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  loadAverage: loadBefore,
  loadAverageAfter: loadavg().map(round),
  date: new Date().toISOString(),
  results: rows
}
const dir = join(import.meta.dirname, 'results')
mkdirSync(dir, { recursive: true })
writeFileSync(join(dir, 'render.json'), JSON.stringify(result, null, 2) + '\n')
console.log(`wrote ${join(dir, 'render.json')}`)
