// The Train view end to end, in Chromium against the real browser-mode server: a project with
// the toy ONNX generator, three annotated samples (of five), a tiny ensemble trained from the
// form; the loss and accuracy curves fill in while it runs, then the cross-validation results
// and the side-by-side images appear. Model in the loop: the two unannotated samples show
// predicted masks in the Gallery, "most uncertain first" puts them first, "Annotate suggested"
// opens the editor on the most uncertain one, and "From prediction" fills its mask (one undo step).
import { test, expect, type Page } from '@playwright/test'
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { buildToyGenerator } from '../../src/main/engine/onnx/toyGenerator'
import { decodePng, encodeIndexedPng } from '../../src/main/engine/io/png'
import { makeHome, startServer } from './studioServer'

interface Img {
  complete: boolean
  naturalWidth: number
}

const SHOTS = process.env.TWINLIGHT_SCREENSHOTS

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

/** Masks painted "by hand" on the first `count` samples: three classes from the red channel, the top rows left unlabelled. */
async function annotate(projectDir: string, count: number): Promise<string[]> {
  const ids = (await readdir(join(projectDir, 'samples'))).filter((d) => !d.startsWith('.')).sort().slice(0, count)
  await mkdir(join(projectDir, 'annotations'), { recursive: true })
  const palette = new Uint8Array(256 * 3)
  palette.set([0, 0, 0, 224, 169, 138, 107, 63, 29])
  palette.set([128, 128, 128], 255 * 3)
  const status: Record<string, string> = {}
  for (const id of ids) {
    const rgb = decodePng(await readFile(join(projectDir, 'samples', id, 'rgb.png')))
    const indices = new Uint8Array(rgb.width * rgb.height)
    for (let p = 0; p < indices.length; p++) {
      const r = rgb.data[p * 3]
      indices[p] = p < rgb.width * 4 ? 255 : r < 110 ? 0 : r < 150 ? 1 : 2
    }
    await writeFile(join(projectDir, 'annotations', `${id}.png`), encodeIndexedPng({ width: rgb.width, height: rgb.height, indices, palette }))
    status[id] = 'done'
  }
  await writeFile(join(projectDir, 'annotations', 'status.json'), JSON.stringify(status))
  return ids
}

test('train a tiny interpreter ensemble on three annotated samples, watch the curves, read the results', async ({ page }) => {
  test.setTimeout(240_000)
  const dirs = await makeHome()
  const server = await startServer(dirs)
  try {
    await page.goto(server.launchUrl)
    await page.getByTestId('create-name').fill('Train journey')
    await page.getByTestId('create-submit').click()
    await expect(page).toHaveURL(/#\/gallery$/)

    const toy = buildToyGenerator({ resolution: 32 })
    await page.getByTestId('nav-models').click()
    await page.getByTestId('attach-onnx').setInputFiles({ name: 'toy.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(toy.onnx) })
    await page.getByTestId('attach-manifest').setInputFiles({ name: 'generator.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(toy.manifest)) })
    await page.getByTestId('attach-submit').click()
    await expect(page.getByTestId('current-generator-name')).toHaveText('toy')

    await page.getByTestId('nav-gallery').click()
    await page.getByTestId('generate-count').fill('5')
    await page.getByTestId('generate-seed').fill('0')
    await page.getByTestId('generate-submit').click()
    await expect(page.getByTestId('sample-count')).toHaveText('5 samples', { timeout: 60_000 })

    const projectDir = join(dirs.projects, 'train-journey')
    const ids = await annotate(projectDir, 3)
    expect(ids).toHaveLength(3)
    const unannotated = (await readdir(join(projectDir, 'samples'))).filter((d) => !d.startsWith('.') && !ids.includes(d)).sort()
    expect(unannotated).toHaveLength(2)

    await page.getByTestId('nav-train').click()
    await expect(page.getByTestId('train-view')).toBeVisible()
    await expect(page.getByTestId('train-view')).toContainText('3 annotated samples')
    // The form validates as you type.
    await page.getByTestId('cfg-ensemble').fill('0')
    await expect(page.getByTestId('cfg-error')).toContainText('ensembleSize')
    await expect(page.getByTestId('train-start')).toBeDisabled()
    await page.getByTestId('cfg-ensemble').fill('3')
    await page.getByTestId('cfg-stop').selectOption('steps')
    await page.getByTestId('cfg-steps').fill('40')
    await page.getByTestId('cfg-batch').fill('256')
    await page.getByTestId('cfg-lr').fill('0.003')
    await page.getByTestId('cfg-folds').fill('3')
    await expect(page.getByTestId('cfg-error')).toHaveCount(0)
    await page.getByTestId('train-start').click()

    // Curves move while it trains: the loss chart gets points, then more points.
    const loss = page.getByTestId('chart-loss')
    await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThan(0)
    const first = Number(await loss.getAttribute('data-points'))
    await expect.poll(async () => Number(await loss.getAttribute('data-points')), { timeout: 120_000 }).toBeGreaterThan(first)
    await expect(loss.locator('canvas')).toHaveCount(1)
    await expect(page.getByTestId('chart-acc').locator('canvas')).toHaveCount(1)
    await shot(page, 'train-running')

    await expect(page.getByTestId('run-status')).toHaveAttribute('data-state', 'succeeded', { timeout: 180_000 })
    await expect(page.getByTestId('run-train-summary')).toContainText('3 members')
    await expect(page.getByTestId('run-train-summary')).toContainText('40 steps')
    const results = page.getByTestId('eval-results')
    await expect(results).toBeVisible({ timeout: 30_000 })
    await expect(page.getByTestId('eval-miou')).toHaveText(/\d+\.\d %/)
    await expect(page.getByTestId('eval-iou')).toContainText('background')
    await expect(page.getByTestId('eval-confusion').locator('tbody tr')).not.toHaveCount(0)
    const images = page.getByTestId('eval-sample').locator('img')
    await expect(images).toHaveCount(3)
    for (let i = 0; i < 3; i++) {
      await expect.poll(() => images.nth(i).evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth > 0)).toBe(true)
    }
    await expect(page.getByTestId('chart-folds').locator('canvas')).toHaveCount(1)
    await expect(page.getByTestId('run-predictions')).toContainText('Predicted 2 unannotated samples')
    await shot(page, 'train-results')
    await results.scrollIntoViewIfNeeded()
    await shot(page, 'train-results-eval')

    // Model in the loop: the Gallery shows the unannotated samples' predicted masks.
    const runId = (await readdir(join(projectDir, 'runs'))).find((d) => existsSync(join(projectDir, 'runs', d, 'predictions', 'scores.json')))!
    expect(runId).toBeTruthy()
    await page.getByTestId('nav-gallery').click()
    await expect(page.getByTestId('predictions-info')).toContainText('predicted 2 samples')
    for (const id of unannotated) {
      const tile = page.getByTestId(`tile-${id}`)
      await expect(tile).toHaveAttribute('data-status', 'predicted')
      await expect(tile.getByTestId('tile-status')).toHaveText('predicted')
      await expect(tile.getByTestId('tile-uncertainty')).toHaveText(/^u \d+\.\d{3}$/)
      const overlay = tile.getByTestId('tile-prediction').first()
      expect(decodeURIComponent((await overlay.getAttribute('src')) ?? '')).toContain(`runs/${runId}/predictions/${id}.png`)
      await expect.poll(() => overlay.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth === 32)).toBe(true)
    }
    for (const id of ids) {
      await expect(page.getByTestId(`tile-${id}`)).toHaveAttribute('data-status', 'done')
      await expect(page.getByTestId(`tile-${id}`).getByTestId('tile-prediction')).toHaveCount(0)
    }
    // Suggest next: the most uncertain unannotated sample first.
    const scores = JSON.parse(await readFile(join(projectDir, 'runs', runId, 'predictions', 'scores.json'), 'utf8')) as { samples: Record<string, { score: number }> }
    const byUncertainty = [...unannotated].sort((a, b) => scores.samples[b].score - scores.samples[a].score || a.localeCompare(b))
    await page.getByTestId('sample-order').selectOption('suggested')
    const order = await page.locator('[role="option"][data-testid^="tile-"]').evaluateAll((els) => els.map((el) => ({ id: el.getAttribute('data-testid')!.slice(5), y: el.getBoundingClientRect().top, x: el.getBoundingClientRect().left })))
    const shown = order.sort((a, b) => a.y - b.y || a.x - b.x).map((o) => o.id)
    expect(shown.slice(0, 2)).toEqual(byUncertainty)
    await shot(page, 'gallery-predictions')
    // The detail view shows the predicted mask over the image and the uncertainty map.
    await page.getByTestId(`open-${byUncertainty[0]}`).click()
    for (const testid of ['detail-prediction', 'detail-uncertainty']) {
      const img = page.getByTestId(testid).locator('img').last()
      await expect.poll(() => img.evaluate((el) => (el as unknown as Img).complete && (el as unknown as Img).naturalWidth === 32)).toBe(true)
    }
    await shot(page, 'detail-prediction')
    await page.getByTestId('nav-gallery').click()

    // The editor opens on the most uncertain sample; "From prediction" fills its mask as one undo step.
    await page.getByTestId('annotate-suggested').click()
    const editor = page.getByTestId('annotate')
    await expect(editor).toHaveAttribute('data-sample', byUncertainty[0])
    await expect(editor).toHaveAttribute('data-ready', 'true')
    await page.getByTestId('start-from-prediction').click()
    await expect(editor).toHaveAttribute('data-undo-steps', '1')
    await expect(editor).toHaveAttribute('data-save-state', 'saved', { timeout: 20_000 })
    const predicted = decodePng(await readFile(join(projectDir, 'runs', runId, 'predictions', `${byUncertainty[0]}.png`)))
    await expect.poll(async () => [...decodePng(await readFile(join(projectDir, 'annotations', `${byUncertainty[0]}.png`))).data].join(',')).toBe([...predicted.data].join(','))
    await shot(page, 'annotate-from-prediction')
    // Now the sample has labels: taking the prediction again asks first.
    await page.getByTestId('start-from-prediction').click()
    await expect(page.getByTestId('confirm-dialog')).toContainText('Replace this mask with the prediction?')
    await page.getByTestId('confirm-cancel').click()
    await expect(page.getByTestId('confirm-dialog')).toHaveCount(0)
    await expect(editor).toHaveAttribute('data-undo-steps', '1')
    // Next suggested skips the open sample: the other unannotated one.
    await page.getByTestId('next-suggested').click()
    await expect(editor).toHaveAttribute('data-sample', byUncertainty[1])
  } finally {
    await server.stop()
  }
})
