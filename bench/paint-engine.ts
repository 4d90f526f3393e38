// Paint engine benchmark: engine time of one pointer move (strokeTo) with a 64 px round
// brush on 1024², 4096² and 8192² maps, the commit cost of a stroke (endStroke), and
// history memory after 200 strokes. Run: npx tsx bench/paint-engine.ts
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PaintEngine } from '../src/renderer/src/canvas/index'
import { mulberry32 } from '../src/main/engine/random/mulberry32'

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const round = (v: number, digits = 4): number => Number(v.toFixed(digits))

interface SizeResult {
  size: number
  moves: number
  strokeToMs: { p50: number; p95: number; max: number }
  endStrokeMs: { p50: number; p95: number }
  historyMiB200Strokes: number
  undoSteps: number
}

/**
 * 200 strokes of 40 pointer moves each, like a fast hand: each move 4–24 px in a slowly
 * turning direction (coalesced pointer samples at 60–120 Hz).
 */
function run(size: number, seed: number): SizeResult {
  const e = new PaintEngine(size, size)
  const rnd = mulberry32(seed)
  const moves: number[] = []
  const commits: number[] = []
  for (let s = 0; s < 200; s++) {
    let x = size * (0.1 + 0.8 * rnd())
    let y = size * (0.1 + 0.8 * rnd())
    let angle = rnd() * 2 * Math.PI
    e.beginStroke({ kind: 'brush', classId: s % 10, diameter: 64, shape: 'round' }, x, y)
    for (let k = 0; k < 40; k++) {
      angle += (rnd() - 0.5) * 0.6
      const step = 4 + rnd() * 20
      x = Math.min(size - 1, Math.max(0, x + Math.cos(angle) * step))
      y = Math.min(size - 1, Math.max(0, y + Math.sin(angle) * step))
      const t0 = performance.now()
      e.strokeTo(x, y)
      moves.push(performance.now() - t0)
    }
    const t1 = performance.now()
    e.endStroke()
    commits.push(performance.now() - t1)
  }
  // The first strokes include JIT warm-up; report steady state.
  const m = moves.slice(400).sort((a, b) => a - b)
  const c = commits.slice(10).sort((a, b) => a - b)
  return {
    size,
    moves: m.length,
    strokeToMs: { p50: round(percentile(m, 50)), p95: round(percentile(m, 95)), max: round(m[m.length - 1]) },
    endStrokeMs: { p50: round(percentile(c, 50)), p95: round(percentile(c, 95)) },
    historyMiB200Strokes: round(e.historyBytes / 1024 / 1024, 3),
    undoSteps: e.undoSteps
  }
}

// Warm the JIT on a small map first.
run(512, 99)
const results = [1024, 4096, 8192].map((size, i) => run(size, i + 1))
for (const r of results) {
  console.log(
    `${r.size}²: strokeTo 64 px p50 ${r.strokeToMs.p50} ms, p95 ${r.strokeToMs.p95} ms (max ${r.strokeToMs.max}); ` +
      `endStroke p50 ${r.endStrokeMs.p50} ms, p95 ${r.endStrokeMs.p95} ms; history after 200 strokes ${r.historyMiB200Strokes} MiB (${r.undoSteps} steps)`
  )
}
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'paint-engine.json')
mkdirSync(dirname(out), { recursive: true })
writeFileSync(
  out,
  JSON.stringify({ node: process.version, date: new Date().toISOString(), brush: { diameter: 64, shape: 'round' }, strokes: 200, movesPerStroke: 40, results }, null, 2) + '\n'
)
console.log(`wrote ${out}`)
