// The Dataset view end to end, in Chromium against the real browser-mode server: a project with
// the toy ONNX generator and a small interpreter export, a dataset run launched from the view
// (live counts, and the score histograms filling in with a provisional top-% cut while it runs),
// then the result browsed — the counts, the final histogram with its threshold, the rejected
// samples sorted by uncertainty, one sample's files and record — all checked against the
// metadata.jsonl the run wrote.
import { test, expect, type Page } from '@playwright/test'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildToyGenerator } from '../../src/main/engine/onnx/toyGenerator'
import { buildInterpreterOnnx } from '../../src/main/engine/interpreter/onnxExport'
import { dimsFor, initParams } from '../../src/main/engine/interpreter/model'
import { makeHome, startServer } from './studioServer'
import { api } from './projectSetup'

interface Line {
  stem: string
  seed: number
  uncertainty: number
  kept: boolean
  reason: string
  reasons: string[]
  files: Record<string, string>
}

interface Img {
  complete: boolean
  naturalWidth: number
}

const SHOTS = process.env.TWINLIGHT_SCREENSHOTS

/** In the page: records every state the counts go through, however fast the run, as window.countsSeen = [[live?, kept, rejected], …]. */
const WATCH_COUNTS = `(() => {
  const seen = (window.countsSeen = [])
  new MutationObserver(() => {
    const el = document.querySelector('[data-testid="dataset-counts"]')
    if (!el) return
    const value = (id) => Number(el.querySelector('[data-testid="' + id + '"]')?.getAttribute('data-value') ?? NaN)
    seen.push([el.getAttribute('data-live'), value('count-kept'), value('count-rejected')])
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
})()`

/**
 * In the page: records the uncertainty histogram through the run, however fast, as
 * window.chartsSeen = [[job state, live?, samples binned, threshold labels] | [job state, null], …],
 * and marks the chart's canvas the first time it shows live scores (data-seen-live), so the final
 * chart can be told to be the same one, not a new chart drawn after a blank.
 */
const WATCH_CHARTS = `(() => {
  const seen = (window.chartsSeen = [])
  new MutationObserver(() => {
    const state = document.querySelector('[data-testid="dataset-status"]')?.getAttribute('data-state') ?? null
    const hist = document.querySelector('[data-testid="hist-uncertainty"]')
    if (!hist) return seen.push([state, null])
    const live = hist.getAttribute('data-live')
    seen.push([state, live, Number(hist.getAttribute('data-count')), hist.getAttribute('data-threshold-labels')])
    const canvas = hist.querySelector('canvas')
    if (live === 'true' && canvas && !canvas.hasAttribute('data-seen-live')) canvas.setAttribute('data-seen-live', '1')
  }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true })
})()`

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

/** An interpreter export for the toy generator's feature maps, untrained but sharp enough that its members disagree. */
async function writeInterpreter(projectDir: string, toy: ReturnType<typeof buildToyGenerator>): Promise<string> {
  const m = toy.manifest
  const layout = { maps: m.features.map((f) => ({ name: f.name, channels: f.channels, height: f.resolution, width: f.resolution })), height: m.resolution, width: m.resolution }
  const dims = dimsFor(layout, 4, 3)
  const params = initParams(dims, 7)
  for (const k of ['w1', 'w2', 'w3'] as const) params[k] = params[k].map((v) => v * 60)
  await mkdir(join(projectDir, 'models'), { recursive: true })
  await writeFile(join(projectDir, 'models', 'interpreter.onnx'), buildInterpreterOnnx(params, dims, layout, { probs: false }))
  return 'models/interpreter.onnx'
}

test('make a dataset from the view, follow its counts, browse rejected samples by uncertainty with the histogram threshold', async ({ page }) => {
  test.setTimeout(240_000)
  const dirs = await makeHome()
  const server = await startServer(dirs)
  try {
    // Set-up through the API (the Gallery and Models specs cover doing it by hand).
    const { dir: projectDir } = await api<{ dir: string }>(server, 'project.create', { name: 'Dataset journey', template: 'rgb-nir-face' })
    const toy = buildToyGenerator({ resolution: 32 })
    await api(server, 'models.attachGenerator', { source: 'upload', onnx: toy.onnx, manifest: JSON.stringify(toy.manifest), fileName: 'toy.onnx' })
    const interpreter = await writeInterpreter(projectDir, toy)
    await page.goto(server.launchUrl)

    // Configure: the form validates with the job's schema as you type.
    await page.getByTestId('nav-dataset').click()
    await expect(page.getByTestId('dataset-form')).toBeVisible()
    await page.getByTestId('dataset-name').fill('bad name')
    await expect(page.getByTestId('dataset-form-error')).toContainText('name')
    await expect(page.getByTestId('dataset-start')).toBeDisabled()
    await page.getByTestId('dataset-name').fill('journey')
    await page.getByTestId('dataset-count').fill('48')
    await page.getByTestId('dataset-seed').fill('0')
    await page.getByTestId('dataset-drop').fill('25')
    await page.getByTestId('dataset-interpreter').fill(interpreter)
    // int8 is built from a training run's model: an .onnx path is refused, fp32 (the default) takes it.
    const precision = page.getByTestId('dataset-precision')
    await expect(precision).toHaveValue('fp32')
    await precision.selectOption('int8')
    await expect(page.getByTestId('dataset-form-error')).toContainText('int8 needs a training run id')
    await shot(page, 'dataset-form-int8')
    await precision.selectOption('fp32')
    await expect(page.getByTestId('dataset-keep-rejected')).toBeChecked()
    await expect(page.getByTestId('dataset-form-error')).toHaveCount(0)
    await page.evaluate(WATCH_COUNTS)
    await page.evaluate(WATCH_CHARTS)
    await page.getByTestId('dataset-start').click()

    // Live: the run appears with its counts and its score histogram while it runs, then finishes.
    const status = page.getByTestId('dataset-status')
    await expect(status).toBeVisible()
    await expect(page.getByTestId('dataset-item-journey')).toBeVisible()
    await expect.poll(async () => Number(await page.getByTestId('count-kept').getAttribute('data-value')), { timeout: 120_000 }).toBeGreaterThan(0)
    type ChartSeen = [string | null, string | null, number?, string?]
    const chartsSeen = async () => (await page.evaluate('window.chartsSeen')) as ChartSeen[]
    const liveWhileRunning = (seen: ChartSeen[]) => seen.filter(([state, live, n]) => state === 'running' && live === 'true' && n! > 0)
    await expect.poll(async () => liveWhileRunning(await chartsSeen()).length, { timeout: 120_000 }).toBeGreaterThan(0)
    await shot(page, 'dataset-running')
    await expect(status).toHaveAttribute('data-state', 'succeeded', { timeout: 120_000 })

    // What the run wrote, read from disk.
    const lines = (await readFile(join(projectDir, 'datasets', 'journey', 'metadata.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line)
    expect(lines).toHaveLength(48)
    const kept = lines.filter((l) => l.kept)
    const rejected = lines.filter((l) => !l.kept)
    const top = lines.filter((l) => l.reasons.includes('uncertainty-top'))
    expect(top.length).toBe(12) // floor(0.25 · 48)
    expect(new Set(lines.map((l) => l.uncertainty)).size).toBeGreaterThan(1)

    await expect(page.getByTestId('dataset-counts')).toHaveAttribute('data-live', 'false')
    await expect(page.getByTestId('count-kept')).toHaveAttribute('data-value', String(kept.length))
    await expect(page.getByTestId('count-rejected')).toHaveAttribute('data-value', String(rejected.length))
    await expect(page.getByTestId('count-uncertainty-top')).toHaveAttribute('data-value', String(top.length))
    // While it ran, the counts were live (before the top-% drop): some samples in, never more than there are.
    const seen = (await page.evaluate('window.countsSeen')) as Array<[string | null, number, number]>
    const live = seen.filter(([isLive, k, r]) => isLive === 'true' && k + r > 0)
    expect(live.length).toBeGreaterThan(0)
    for (const [, k, r] of live) expect(k + r).toBeLessThanOrEqual(lines.length)

    // The final histogram bins every sample, the kept ones apart, and draws the top-% cutoff: the lowest score dropped.
    const hist = page.getByTestId('hist-uncertainty')
    await expect(hist).toHaveAttribute('data-live', 'false')
    await expect(hist).toHaveAttribute('data-count', String(lines.length))
    await expect(hist).toHaveAttribute('data-kept', String(kept.length))
    await expect(hist.locator('canvas')).toHaveCount(1)
    const cutoff = Math.min(...top.map((l) => l.uncertainty))
    expect(Number(await hist.getAttribute('data-thresholds'))).toBe(cutoff)
    await expect(hist).toHaveAttribute('data-threshold-labels', 'top 25.0 %')
    // While the run went, the histogram showed the samples so far (never more than the run has),
    // with the top-25 % cut drawn as provisional once it dropped any (from 4 samples on); then the
    // same chart took the final figures: its canvas is the one that showed the live scores, and
    // the histogram never left the page in between.
    const charts = await chartsSeen()
    const liveSeen = charts.filter(([, live]) => live === 'true')
    expect(liveWhileRunning(charts).length).toBeGreaterThan(0)
    for (const [, , n, labels] of liveSeen) {
      expect(n).toBeLessThanOrEqual(lines.length)
      expect(labels).toBe(n! >= 4 ? 'top 25.0 % (provisional)' : '')
    }
    expect(liveSeen.map(([, , n]) => n)).toEqual([...liveSeen.map(([, , n]) => n!)].sort((a, b) => a - b))
    const firstLive = charts.findIndex(([, live]) => live === 'true')
    expect(charts.slice(firstLive).filter(([, live]) => live === null)).toEqual([])
    await expect(hist.locator('canvas')).toHaveAttribute('data-seen-live', '1')
    expect(Math.max(...kept.map((l) => l.uncertainty))).toBeLessThanOrEqual(cutoff)
    await expect(page.getByTestId('hist-identity-none')).toContainText('no privacy filter')
    await expect(page.getByTestId('browse-count')).toHaveText(`${lines.length} samples`)
    await shot(page, 'dataset-finished')

    // Browse: rejected only, most uncertain first.
    await page.getByTestId('browse-filter').selectOption('rejected')
    await page.getByTestId('browse-sort').selectOption('uncertainty-desc')
    await expect(page.getByTestId('browse-count')).toHaveText(`${rejected.length} samples`)
    const expected = [...rejected].sort((a, b) => b.uncertainty - a.uncertainty || a.seed - b.seed).map((l) => l.stem)
    const grid = page.getByTestId('dataset-grid')
    await expect(grid).toHaveAttribute('data-count', String(rejected.length))
    const tiles = grid.locator('[data-testid^="dataset-tile-"]')
    await expect(tiles).toHaveCount(rejected.length) // few enough that every tile is in view
    const shownStems = await tiles.evaluateAll((els) =>
      els
        .map((el) => ({ stem: el.getAttribute('data-testid')!.slice('dataset-tile-'.length), y: el.getBoundingClientRect().top, x: el.getBoundingClientRect().left }))
        .sort((a, b) => a.y - b.y || a.x - b.x)
        .map((t) => t.stem)
    )
    expect(shownStems).toEqual(expected)
    for (const t of await tiles.all()) await expect(t).toHaveAttribute('data-kept', 'false')

    // Open the most uncertain sample: its files come from rejected/, its record from metadata.jsonl.
    const first = rejected.find((l) => l.stem === expected[0])!
    await page.getByTestId(`dataset-tile-${first.stem}`).click()
    const detail = page.getByTestId('dataset-detail')
    await expect(detail).toHaveAttribute('data-stem', first.stem)
    await expect(page.getByTestId('detail-decision')).toHaveText('rejected')
    await expect(page.getByTestId('detail-reason')).toContainText(first.reason)
    expect(first.files.rgb).toBe(`rejected/rgb/${first.stem}.png`)
    const image = page.getByTestId('detail-image-rgb')
    await expect(image).toHaveAttribute('src', /rejected%2Frgb%2F|rejected\/rgb\//)
    await expect.poll(() => image.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0)).toBe(true)
    await expect.poll(() => page.getByTestId('detail-mask').evaluate((el) => (el as unknown as Img).naturalWidth)).toBe(32)
    await expect(detail.getByTestId('mask-overlay').first()).toBeVisible()
    await detail.locator('summary').click()
    const json = JSON.parse(await page.getByTestId('detail-json').innerText()) as Line
    expect(json.uncertainty).toBe(first.uncertainty)
    expect(json.seed).toBe(first.seed)
    await shot(page, 'dataset-detail')

    // Mask opacity 0 hides the overlays.
    await page.getByTestId('browse-opacity').fill('0')
    await expect(grid.getByTestId('mask-overlay')).toHaveCount(0)
    await page.getByTestId('browse-opacity').fill('0.6')
    await page.getByTestId('browse-filter').selectOption('kept')
    await expect(page.getByTestId('browse-count')).toHaveText(`${kept.length} samples`)
  } finally {
    await server.stop()
  }
})
