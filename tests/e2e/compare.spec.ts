// The Compare view end to end, in Chromium against the real browser-mode server: a 64² RGB +
// NIR project with six rendered samples and the same seeds from a 32² ONNX toy generator; two
// samples side by side, every mode, zoom and pan kept in sync across the panes (read from the
// panes' data-transform), the pixel inspector, next/previous and swap from the keyboard, the
// per-item metrics, selection metrics as a job with a CSV export, and a PNG sheet download.
import { test, expect, type Page } from '@playwright/test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { makeHome, startServer } from './studioServer'
import { allJobsDone, api } from './projectSetup'
import { buildToyGenerator } from '../../src/main/engine/onnx/toyGenerator'
import { decodePng } from '../../src/main/engine/io/png'

const SHOTS = process.env.TWINLIGHT_SCREENSHOTS // set to a folder to keep screenshots of the view

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

interface Transform {
  scale: number
  x: number
  y: number
}

async function transforms(page: Page): Promise<Transform[]> {
  const attrs = await page.locator('[data-testid^="compare-pane-"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-transform') ?? ''))
  return attrs.map((a) => JSON.parse(a) as Transform)
}

async function centre(page: Page, testId: string): Promise<{ x: number; y: number }> {
  const box = (await page.getByTestId(testId).getByTestId('compare-canvas').boundingBox())!
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 }
}

test('compare two samples: modes, synced zoom and pan, inspector, metrics and a PNG sheet', async ({ page }) => {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  try {
    // Six 64² renderer samples (seeds 0–5), then the same seeds 0–2 from the 32² toy generator.
    await api(server, 'project.create', { name: 'Compare journey', template: 'rgb-nir-face' })
    await api(server, 'project.update', { settings: { sampleSize: 64 } })
    await api(server, 'samples.generate', { count: 6, seedStart: 0 })
    await allJobsDone(server)
    const toy = buildToyGenerator({ resolution: 32, noise: 'explicit' })
    await api(server, 'models.attachGenerator', { source: 'upload', onnx: toy.onnx, manifest: JSON.stringify(toy.manifest), fileName: 'toy.onnx' })
    await api(server, 'samples.generate', { count: 3, seedStart: 0 })
    await allJobsDone(server)
    const ids = (await api<{ id: string }[]>(server, 'samples.list', {})).map((s) => s.id)
    const toyId = ids.find((id) => id.startsWith('g'))!
    const toyFamily = toyId.slice(0, 9)

    await page.goto(server.launchUrl)
    await expect(page.getByTestId('status-project')).not.toHaveText('No project')
    await page.getByTestId('nav-compare').click()
    await expect(page.getByTestId('compare-view')).toBeVisible()

    // Pane A opens on the first renderer sample's RGB, pane B on its NIR.
    const paneA = page.getByTestId('compare-pane-0')
    const paneB = page.getByTestId('compare-pane-1')
    await expect(paneA).toHaveAttribute('data-sample', 's00000000')
    await expect(paneA).toHaveAttribute('data-source', 'rgb')
    await expect(paneB).toHaveAttribute('data-source', 'nir')
    await expect(paneA).toHaveAttribute('data-loaded', 'true')
    await expect(paneB).toHaveAttribute('data-loaded', 'true')
    await expect(page.getByTestId('compare-position')).toHaveText('seed 0 · 1/6')

    // Open a second sample in pane B: s00000001, RGB. The item's metrics follow.
    await page.getByTestId('pane-1-sample').selectOption('s00000001')
    await page.getByTestId('pane-1-source').selectOption('rgb')
    await expect(paneB).toHaveAttribute('data-sample', 's00000001')
    await expect(paneB).toHaveAttribute('data-loaded', 'true')
    await expect(page.getByTestId('item-psnr')).toHaveText(/^\d+\.\d\d$/)
    await expect(page.getByTestId('item-ssim')).toHaveText(/^-?\d\.\d{4}$/)
    await shot(page, 'compare-side')

    // Side by side: both panes start fitted with the same transform.
    let t = await transforms(page)
    expect(t).toHaveLength(2)
    expect(t[1]).toEqual(t[0])
    const fitted = t[0]

    // Wheel zoom at the cursor over pane A: both panes zoom the same.
    const a = await centre(page, 'compare-pane-0')
    await page.mouse.move(a.x + 20, a.y + 10)
    await page.mouse.wheel(0, -400)
    await expect.poll(async () => (await transforms(page))[0].scale).toBeGreaterThan(fitted.scale * 1.5)
    t = await transforms(page)
    expect(t[1]).toEqual(t[0])

    // Drag-pan in pane B: pane A follows.
    const b = await centre(page, 'compare-pane-1')
    await page.mouse.move(b.x, b.y)
    await page.mouse.down()
    await page.mouse.move(b.x - 40, b.y + 25, { steps: 5 })
    await page.mouse.up()
    const panned = await transforms(page)
    expect(panned[0].x).toBeCloseTo(t[0].x - 40, 0)
    expect(panned[0].y).toBeCloseTo(t[0].y + 25, 0)
    expect(panned[1]).toEqual(panned[0])

    // Pixel inspector: every pane's value at the crosshair.
    await page.mouse.move(b.x, b.y)
    await expect(page.getByTestId('inspector-position')).toHaveText(/^x \d+, y \d+$/)
    await expect(page.getByTestId('inspector-row-0')).toContainText(/RGB \d+ \d+ \d+/)
    await expect(page.getByTestId('inspector-row-1')).toContainText(/RGB \d+ \d+ \d+/)

    // Unlocked (L), a zoom moves one pane only; locking again aligns them on pane A.
    await page.keyboard.press('l')
    await expect(page.getByTestId('compare-sync')).toHaveAttribute('aria-pressed', 'false')
    await page.mouse.move(a.x, a.y)
    await page.mouse.wheel(0, -200)
    await expect.poll(async () => (await transforms(page))[0].scale).toBeGreaterThan(panned[0].scale * 1.1)
    t = await transforms(page)
    expect(t[1]).toEqual(panned[1])
    await page.keyboard.press('l')
    await expect.poll(async () => {
      const now = await transforms(page)
      return JSON.stringify(now[1]) === JSON.stringify(now[0])
    }).toBe(true)

    // Fit (F) goes back to the fitted view on both.
    await page.keyboard.press('f')
    await expect.poll(async () => (await transforms(page))[0]).toEqual(fitted)

    // Modes: one combined view each, with their controls.
    await page.getByTestId('mode-swipe').click()
    await expect(page.getByTestId('compare-viewer')).toHaveAttribute('data-mode', 'swipe')
    await expect(page.locator('[data-testid^="compare-pane-"]')).toHaveCount(1)
    await page.getByTestId('swipe-orientation').click()
    await expect(page.getByTestId('swipe-orientation')).toContainText('horizontal')
    await shot(page, 'compare-swipe')
    await page.getByTestId('mode-blend').click()
    await page.getByTestId('blend-opacity').fill('0.3')
    await expect(page.getByTestId('compare-viewer')).toHaveAttribute('data-mode', 'blend')
    await page.getByTestId('mode-flicker').click()
    await expect(page.getByTestId('flicker-rate')).toHaveValue('2')
    await page.getByTestId('mode-diff').click()
    await expect(page.getByTestId('compare-colorbar')).toBeVisible()
    await expect(page.getByTestId('compare-colorbar')).toContainText('|A − B|')
    await shot(page, 'compare-diff')
    // The combined view zooms too, and side by side comes back with that zoom on both panes.
    const d = await centre(page, 'compare-pane-0')
    await page.mouse.move(d.x, d.y)
    await page.mouse.wheel(0, -300)
    await page.keyboard.press('1')
    await expect(page.getByTestId('compare-viewer')).toHaveAttribute('data-mode', 'side')
    await expect(page.locator('[data-testid^="compare-pane-"]')).toHaveCount(2)
    t = await transforms(page)
    expect(t[1]).toEqual(t[0])
    await page.keyboard.press('f')

    // Keyboard: next item moves every pane to seed 1 (B goes from seed 1 to seed 2), swap exchanges A and B.
    await page.keyboard.press('ArrowRight')
    await expect(page.getByTestId('compare-position')).toHaveText('seed 1 · 2/6')
    await expect(paneA).toHaveAttribute('data-sample', 's00000001')
    await expect(paneB).toHaveAttribute('data-sample', 's00000001')
    await page.getByTestId('pane-1-source').selectOption('nir')
    await page.keyboard.press('s')
    await expect(paneA).toHaveAttribute('data-source', 'nir')
    await expect(paneB).toHaveAttribute('data-source', 'rgb')
    await page.keyboard.press('s')

    // The same seed from the ONNX generator in pane B (32², drawn over A's 64² grid).
    await page.getByTestId('pane-1-family').selectOption(toyFamily)
    await expect(paneB).toHaveAttribute('data-sample', `${toyFamily}-00000001`)
    await expect(paneB).toHaveAttribute('data-loaded', 'true')
    await page.keyboard.press('ArrowLeft')
    await expect(paneB).toHaveAttribute('data-sample', `${toyFamily}-00000000`)
    await expect(paneA).toHaveAttribute('data-sample', 's00000000')

    // The renderer's ground truth as a mask overlay on A; the inspector names the class.
    await page.getByTestId('pane-0-overlay').selectOption('mask:groundtruth')
    await page.mouse.move(a.x, a.y)
    await expect(page.getByTestId('inspector-row-0')).toContainText(/mask \d+ · \w+/)
    await shot(page, 'compare-overlay')

    // A third pane joins the sync; in two-image modes B can be any pane.
    await page.getByTestId('compare-add-pane').click()
    await expect(page.locator('[data-testid^="compare-pane-"]')).toHaveCount(3)
    await expect(page.getByTestId('compare-pane-2')).toHaveAttribute('data-loaded', 'true')
    await page.getByTestId('pane-2-gamma').fill('2')
    await page.mouse.move(a.x, a.y)
    await page.mouse.wheel(0, -200)
    await expect.poll(async () => new Set((await transforms(page)).map((x) => JSON.stringify(x))).size).toBe(1)
    await shot(page, 'compare-three')
    await page.getByTestId('mode-blend').click()
    await page.getByTestId('compare-pair-b').selectOption('2')
    await expect(page.getByTestId('pane-controls-2')).toBeVisible()
    await page.keyboard.press('1')
    await page.getByTestId('pane-2-remove').click()
    await expect(page.locator('[data-testid^="compare-pane-"]')).toHaveCount(2)
    await page.keyboard.press('f')

    // Help popover.
    await page.keyboard.press('?')
    await expect(page.getByTestId('compare-help')).toContainText('lock / unlock')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('compare-help')).toHaveCount(0)

    // Selection metrics: 6 seeds × (B vs A) → more than a handful of pairs, so a job; then CSV.
    await page.getByTestId('pane-1-family').selectOption('s')
    await page.getByTestId('pane-1-source').selectOption('nir')
    await page.getByTestId('selection-compute').click()
    await expect(page.getByTestId('summary-psnr')).toContainText(/\d+\.\d\d ± \d+\.\d\d/, { timeout: 60_000 })
    await expect(page.getByTestId('summary-psnr')).toContainText('6')
    const jobs = await api<{ kind: string; state: string }[]>(server, 'jobs.list', {})
    expect(jobs.some((j) => j.kind === 'compare-metrics' && j.state === 'succeeded')).toBe(true)
    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()])
    expect(csv.suggestedFilename()).toMatch(/^compare-metrics-.*\.csv$/)
    const csvText = await readFile((await csv.path())!, 'utf8')
    expect(csvText.split('\n')[0]).toBe('item,a,b,psnr,ssim,mae,rmse')
    expect(csvText.split('\n').filter(Boolean)).toHaveLength(1 + 6 + 2)

    // Grid of seeds and the PNG sheet.
    await page.getByTestId('grid-columns').selectOption('4')
    await page.getByTestId('compare-grid-toggle').click()
    await expect(page.getByTestId('grid-row-0').locator('canvas')).toHaveCount(4)
    await expect(page.getByTestId('compare-grid')).toHaveAttribute('data-loading', 'false')
    await shot(page, 'compare-grid')
    const [sheet] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-sheet').click()])
    expect(sheet.suggestedFilename()).toBe('compare-sheet-seed0.png')
    const png = decodePng(new Uint8Array(await readFile((await sheet.path())!)))
    // 2 rows × 4 columns of 128 px cells (64² upscaled ×2) plus labels and margins.
    expect(png.width).toBeGreaterThan(4 * 128)
    expect(png.height).toBeGreaterThan(2 * 128)

    // A small window keeps everything reachable.
    await page.getByTestId('compare-grid-toggle').click()
    await page.setViewportSize({ width: 900, height: 620 })
    await expect(paneA).toHaveAttribute('data-loaded', 'true')
    await shot(page, 'compare-small')
  } finally {
    await server.stop()
  }
})
