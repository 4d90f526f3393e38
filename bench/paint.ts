// Paint view benchmark: headless Chromium against the real browser-mode server, painting
// with a 64 px round brush on 1024², 4096² and 8192² masks in the Annotate view.
//
// Reports, measured in the page with performance.now():
// - pointer-move handling: the editor's pointermove handler (coalesced samples → engine
//   sweep, cursor update, scheduling the frame), p50 / p95 / max;
// - the per-frame redraw: re-colouring the dirty rectangle into the mask tiles
//   (colorizeRect + putImageData) and Konva layer.draw() of the layers that changed;
// - the interval between painted frames (raster work Chrome defers shows up here);
// - undo history memory after 200 strokes.
// At 1:1 zoom (the way people paint) and, for 8192², also zoomed to fit, drawn from the
// display pyramid (canvas/pyramid.ts, the default) and, for comparison, from the
// full-resolution tiles ('fit-full'), plus the time of one mask-layer redraw at fit both ways.
//
// BENCH_SIZES=8192 runs one size; BENCH_STROKES=50 fewer strokes.
//
// Run after a build: npx tsx bench/paint.ts   → bench/results/paint.json
// Big samples are written straight into a scratch project (sample.json + a flat PNG),
// which is what the render job would leave; nothing is added to the product UI.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import sharp from 'sharp'
import WebSocket from 'ws'
import { chromium, type Page } from '@playwright/test'
import { makeHome, startServer, type RunningServer } from '../tests/e2e/studioServer'
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../playwright.config'
import { mulberry32 } from '../src/main/engine/random/mulberry32'

const HERE = dirname(fileURLToPath(import.meta.url))
const SIZES = (process.env.BENCH_SIZES ?? '1024,4096,8192').split(',').map(Number)
const STROKES = Number(process.env.BENCH_STROKES ?? 200)
const MOVES = 40
const BRUSH = 64

interface HookHost {
  __twinlightAnnotate: {
    setAutosave(on: boolean): void
    perfStart(): void
    perfTake(): { moves: number[]; frames: number[] } | null
    setPyramid(on: boolean): void
    timeMaskRedraws(times: number): number[]
    history(): { steps: number; bytes: number } | null
    view(): { zoom: number; x: number; y: number } | null
  }
}

function stats(values: number[]): { n: number; p50: number; p95: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0
  const r = (v: number) => Number(v.toFixed(3))
  return { n: sorted.length, p50: r(at(50)), p95: r(at(95)), max: r(sorted[sorted.length - 1] ?? 0) }
}

async function api<T>(server: RunningServer, method: string, args: unknown): Promise<T> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api?token=${server.token}`)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const response = await new Promise<{ ok: boolean; result?: T; error?: { message: string } }>((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString())
      if (message.id === 1) resolve(message)
    })
    ws.send(JSON.stringify({ id: 1, method, args }))
  })
  ws.close()
  if (!response.ok) throw new Error(`${method}: ${response.error?.message}`)
  return response.result as T
}

async function writeSample(projectDir: string, id: string, size: number): Promise<void> {
  const dir = join(projectDir, 'samples', id)
  await mkdir(dir, { recursive: true })
  // A soft diagonal gradient, so the image layer is not a trivially flat colour.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="#3b4a5a"/><stop offset="1" stop-color="#c9b49a"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`
  await sharp(Buffer.from(svg), { limitInputPixels: false }).png({ compressionLevel: 1 }).toFile(join(dir, 'rgb.png'))
  await writeFile(
    join(dir, 'sample.json'),
    JSON.stringify({ id, seed: size, width: size, height: size, modalities: ['rgb'], generator: { kind: 'renderer', mode: 'face' }, createdAt: new Date().toISOString() })
  )
}

/** 40-move strokes like a fast hand: 4–24 px per move in a slowly turning direction, inside the visible part of the image. */
async function paint(page: Page, strokes: number, seed: number): Promise<void> {
  const box = (await page.getByTestId('canvas-surface').boundingBox())!
  const rnd = mulberry32(seed)
  const margin = 60
  const clampX = (v: number) => Math.min(box.x + box.width - margin, Math.max(box.x + margin, v))
  const clampY = (v: number) => Math.min(box.y + box.height - margin, Math.max(box.y + margin, v))
  for (let s = 0; s < strokes; s++) {
    await page.keyboard.press(String(s % 10))
    let x = clampX(box.x + box.width * (0.15 + 0.7 * rnd()))
    let y = clampY(box.y + box.height * (0.15 + 0.7 * rnd()))
    let angle = rnd() * 2 * Math.PI
    await page.mouse.move(Math.round(x), Math.round(y))
    await page.mouse.down()
    for (let k = 0; k < MOVES; k++) {
      angle += (rnd() - 0.5) * 0.6
      const step = 4 + rnd() * 20
      const nx = clampX(x + Math.cos(angle) * step)
      const ny = clampY(y + Math.sin(angle) * step)
      if (nx === x || ny === y) angle += Math.PI / 2
      x = nx
      y = ny
      await page.mouse.move(Math.round(x), Math.round(y))
    }
    await page.mouse.up()
  }
}

async function run(): Promise<void> {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS })
  const results: Record<string, unknown>[] = []
  const fitRedraws: Record<string, unknown>[] = []
  try {
    const info = await api<{ dir: string }>(server, 'project.create', { name: 'Paint bench', template: 'rgb-nir-face' })
    for (const size of SIZES) await writeSample(info.dir, `b${size}`, size)
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    const page = await context.newPage()
    page.on('pageerror', (e) => console.error('page error:', e.message))
    await page.goto(server.launchUrl)
    for (const size of SIZES) {
      const id = `b${size}`
      await page.goto(`${server.url}/#/annotate/${id}`)
      await page.reload()
      try {
        await page.getByTestId('annotate').and(page.locator('[data-ready="true"]')).waitFor({ timeout: 180_000 })
      } catch (error) {
        await page.screenshot({ path: join(HERE, 'results', `paint-${size}-failed.png`) })
        throw error
      }
      await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.setAutosave(false))
      await page.getByTestId('brush-size').fill(String(BRUSH))
      await page.getByTestId('brush-size').press('Enter')
      await page.getByTestId('brush-size').blur()
      const setPyramid = (on: boolean) => page.evaluate((v) => (globalThis as unknown as HookHost).__twinlightAnnotate.setPyramid(v), on)
      const views: [string, () => Promise<void>][] = [['1:1', () => page.keyboard.press('Shift+1')]]
      if (size === 8192) {
        views.push(['fit', () => page.keyboard.press('Shift+0')])
        views.push([
          'fit-full',
          async () => {
            await page.keyboard.press('Shift+0')
            await setPyramid(false)
          }
        ])
      }
      for (const [zoomName, setZoom] of views) {
        await setZoom()
        await page.waitForTimeout(300)
        if (zoomName.startsWith('fit')) {
          // One mask-layer redraw at fit, nothing else changing: pyramid level vs full-resolution tiles.
          const row: Record<string, unknown> = { size }
          for (const on of [false, true]) {
            await setPyramid(on)
            await page.waitForTimeout(300)
            await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.timeMaskRedraws(5))
            const times = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.timeMaskRedraws(40))
            row[on ? 'pyramidMs' : 'fullResolutionMs'] = stats(times)
          }
          await setPyramid(zoomName === 'fit')
          await page.waitForTimeout(300)
          if (zoomName === 'fit') {
            fitRedraws.push(row)
            const f = row as { fullResolutionMs: { p50: number; p95: number }; pyramidMs: { p50: number; p95: number } }
            console.log(`${String(size).padStart(5)}² fit mask-layer redraw: full-resolution tiles p50 ${f.fullResolutionMs.p50} ms p95 ${f.fullResolutionMs.p95} ms → pyramid p50 ${f.pyramidMs.p50} ms p95 ${f.pyramidMs.p95} ms`)
          }
        }
        const strokes = zoomName === '1:1' ? STROKES : Math.min(STROKES, 60)
        await paint(page, 3, 7) // warm-up (JIT, tile canvases)
        await page.waitForTimeout(200)
        await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.perfStart())
        const frameTimes: number[] = []
        // A plain string: tsx would wrap a named inner function in a helper the page lacks.
        await page.evaluate(
          'globalThis.__frameStamps = []; globalThis.__frameLoop = true; (function tick(t) { globalThis.__frameStamps.push(t); if (globalThis.__frameLoop) requestAnimationFrame(tick) })(performance.now())'
        )
        const t0 = Date.now()
        await paint(page, strokes, size + (zoomName === 'fit' ? 1 : 0))
        const wall = Date.now() - t0
        const stamps = await page.evaluate(() => {
          const g = globalThis as unknown as { __frameStamps: number[]; __frameLoop: boolean }
          g.__frameLoop = false
          return g.__frameStamps
        })
        for (let i = 1; i < stamps.length; i++) frameTimes.push(stamps[i] - stamps[i - 1])
        const perf = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.perfTake())
        const history = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.history())
        const view = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.view())
        const row = {
          size,
          zoom: zoomName,
          zoomFactor: Number((view?.zoom ?? 0).toFixed(4)),
          strokes,
          pointerMoveMs: stats(perf?.moves ?? []),
          redrawMs: stats(perf?.frames ?? []),
          frameIntervalMs: stats(frameTimes),
          historySteps: history?.steps ?? 0,
          historyMiB: Number(((history?.bytes ?? 0) / (1024 * 1024)).toFixed(2)),
          wallSeconds: Number((wall / 1000).toFixed(1))
        }
        results.push(row)
        console.log(
          `${String(size).padStart(5)}² ${zoomName.padEnd(8)} move p50 ${row.pointerMoveMs.p50} ms p95 ${row.pointerMoveMs.p95} ms max ${row.pointerMoveMs.max} ms | ` +
            `redraw p50 ${row.redrawMs.p50} ms p95 ${row.redrawMs.p95} ms | frame interval p50 ${row.frameIntervalMs.p50} ms p95 ${row.frameIntervalMs.p95} ms | ` +
            `undo ${row.historySteps} steps ${row.historyMiB} MiB`
        )
      }
    }
    await context.close()
  } finally {
    await browser.close()
    await server.stop()
  }
  const out = join(HERE, 'results', 'paint.json')
  await mkdir(dirname(out), { recursive: true })
  await writeFile(
    out,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        brush: `${BRUSH} px round`,
        movesPerStroke: MOVES,
        browser: CHROMIUM_PATH,
        note: 'pointerMoveMs: the editor pointermove handler (engine sweep + cursor + frame scheduling); redrawMs: the rAF callback (dirty rect colourised into mask tiles + pyramid update + Konva layer.draw); frameIntervalMs: time between animation frames while painting; autosave off during the run. zoom "fit" draws from the display pyramid, "fit-full" from the full-resolution tiles (before the pyramid). fitMaskRedraw: one mask-layer draw at fit with nothing changing, both ways.',
        results,
        fitMaskRedraw: fitRedraws
      },
      null,
      2
    ) + '\n'
  )
  console.log(`wrote ${out}`)
}

await run()
