// The Models view's generator training panel end to end, in Chromium against the real
// browser-mode server and the real training worker (TensorFlow.js on wasm): a tiny custom config
// (the conditional-128 preset at 16²: RGB + NIR, L1 + adversarial) is started from the panel; the G and D loss curves and a
// preview grid appear with the backend in use; the run is cancelled (with a checkpoint), resumed
// (the curves go on from where they stopped), cancelled again, and "use as project generator"
// exports the newest checkpoint to ONNX and attaches it, so the Gallery draws samples from it.
import { test, expect, type Locator, type Page } from '@playwright/test'
import { join } from 'node:path'
import { GAN_PRESETS } from '../../src/shared/ganConfig'
import { TINY_PRESET_OVERRIDES } from '../unit/gan/tinyPreset'
import { makeHome, startServer } from './studioServer'

const SHOTS = process.env.TWINLIGHT_SCREENSHOTS

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

const points = async (chart: Locator): Promise<number> => Number((await chart.getAttribute('data-points')) ?? 0)

// The conditional-128 preset (L1 + adversarial, one D per modality) shrunk to 16²: a step takes a
// fraction of a second; 400 steps keep the run going until the test cancels it.
const TINY_CONFIG = {
  ...GAN_PRESETS['conditional-128'],
  ...TINY_PRESET_OVERRIDES,
  name: 'e2e tiny generator',
  resolution: 16,
  steps: 400,
  previewSeeds: [0, 1, 2, 3],
  previewEvery: 2,
  checkpointEvery: 2
}

test('train a tiny generator from the Models view: curves, preview, cancel, resume, use as project generator', async ({ page }) => {
  test.setTimeout(240_000)
  const dirs = await makeHome()
  const server = await startServer(dirs)
  try {
    await page.goto(server.launchUrl)
    await page.getByTestId('create-name').fill('Models journey')
    await page.getByTestId('create-submit').click()
    await expect(page).toHaveURL(/#\/gallery$/)

    await page.getByTestId('nav-models').click()
    const panel = page.getByTestId('generator-training')
    await expect(panel).toBeVisible()
    await page.getByTestId('training-preset').selectOption('custom')
    // A bad config is refused with the offending field named, and nothing starts.
    await page.getByTestId('training-json').fill(JSON.stringify({ ...TINY_CONFIG, resolution: 48 }))
    await page.getByTestId('training-start').click()
    await expect(panel.locator('.error')).toContainText('resolution')
    await expect(page.getByTestId('training-run')).toHaveCount(0)

    await page.getByTestId('training-json').fill(JSON.stringify(TINY_CONFIG, null, 2))
    await page.getByTestId('training-start').click()
    const detail = page.getByTestId('training-detail')
    await expect(detail).toHaveAttribute('data-state', 'running', { timeout: 30_000 })

    // Live curves for G and for the discriminators, a preview grid, the backend and the speed.
    const gChart = page.getByTestId('training-chart-g')
    const dChart = page.getByTestId('training-chart-d')
    await expect.poll(() => points(gChart), { timeout: 120_000 }).toBeGreaterThanOrEqual(4)
    await expect(gChart.locator('canvas')).toHaveCount(1)
    await expect(dChart.locator('canvas')).toHaveCount(1)
    await expect(dChart).toContainText('d_loss_rgb')
    await expect(dChart).toContainText('d_loss_nir')
    await expect(gChart).toContainText('g_l1_rgb')
    const preview = page.getByTestId('training-preview')
    await expect(preview).toBeVisible()
    await expect.poll(() => preview.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0)
    await expect(page.getByTestId('training-backend-in-use')).toContainText('backend: wasm')
    await expect(page.getByTestId('status-tf-backend')).toContainText('TensorFlow.js: wasm')
    await expect(page.getByTestId('training-speed')).toHaveText(/\d+\.\d\d steps\/s/)
    await detail.scrollIntoViewIfNeeded()
    await shot(page, 'models-training')

    // Cancel: a checkpoint is saved, the run can be resumed.
    await page.getByTestId('training-cancel').click()
    await expect(detail).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 })
    const atCancel = await points(gChart)
    await expect(page.getByTestId('training-resume')).toBeVisible()
    await page.getByTestId('training-resume').click()
    await expect(detail).toHaveAttribute('data-state', 'running', { timeout: 30_000 })
    // The resumed run continues the same curves.
    await expect.poll(() => points(gChart), { timeout: 120_000 }).toBeGreaterThan(atCancel + 2)
    await page.getByTestId('training-cancel').click()
    await expect(detail).toHaveAttribute('data-state', 'cancelled', { timeout: 60_000 })
    await shot(page, 'models-resumed-cancelled')

    // Use as project generator: the newest checkpoint is exported to ONNX and attached.
    await page.getByTestId('training-use').click()
    await expect(page.getByTestId('current-generator-name')).toHaveText('e2e tiny generator', { timeout: 90_000 })

    // The Gallery draws samples from it.
    await page.getByTestId('nav-gallery').click()
    await page.getByTestId('generate-count').fill('2')
    await page.getByTestId('generate-seed').fill('0')
    await page.getByTestId('generate-submit').click()
    await expect(page.getByTestId('sample-count')).toHaveText('2 samples', { timeout: 60_000 })
    await shot(page, 'models-gallery-from-trained')
  } finally {
    await server.stop()
  }
})
