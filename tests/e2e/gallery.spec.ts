// The Gallery end to end, in Chromium against the real browser-mode server: attach an ONNX
// generator in Models, generate 12 samples, watch them arrive, open one, navigate and select with
// mouse and keyboard, delete with a confirmation, and send two to Annotate; then a project of
// 10,000 samples stays virtualised and scrolls to its end.
import { test, expect, type Page } from '@playwright/test'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildToyGenerator } from '../../src/main/engine/onnx/toyGenerator'
import { encodePng } from '../../src/main/engine/io/png'
import { projectFromTemplate, templateById } from '../../src/shared/project'
import { makeHome, startServer } from './studioServer'

/** The bits of HTMLImageElement the checks read (this file compiles without the DOM library). */
interface Img {
  complete: boolean
  naturalWidth: number
}

const SHOTS = process.env.TWINLIGHT_SCREENSHOTS // set to a folder to keep screenshots of the views

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`) })
}

test('attach a generator, generate 12 samples, open one, select two and send them to Annotate', async ({ page }) => {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  try {
    await page.goto(server.launchUrl)
    await page.getByTestId('create-name').fill('Gallery journey')
    await page.getByTestId('create-submit').click()
    await expect(page).toHaveURL(/#\/gallery$/)

    // Models: attach the toy generator (32², RGB + NIR) from files picked in the browser.
    const toy = buildToyGenerator({ resolution: 32, noise: 'explicit' })
    await page.getByTestId('nav-models').click()
    await page.getByTestId('attach-onnx').setInputFiles({ name: 'toy.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(toy.onnx) })
    await page.getByTestId('attach-manifest').setInputFiles({ name: 'generator.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(toy.manifest)) })
    await page.getByTestId('attach-submit').click()
    await expect(page.getByTestId('current-generator-name')).toHaveText('toy')
    await expect(page.getByTestId('attached-generator')).toHaveCount(1)
    await shot(page, 'models')

    // A damaged file is refused with a clear message; the generator stays.
    await page.getByTestId('attach-onnx').setInputFiles({ name: 'broken.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(toy.onnx.subarray(0, 500)) })
    await page.getByTestId('attach-manifest').setInputFiles({ name: 'generator.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(toy.manifest)) })
    await page.getByTestId('attach-submit').click()
    await expect(page.getByTestId('attach-error')).toContainText('the ONNX file is damaged or not an ONNX model')
    await expect(page.getByTestId('current-generator-name')).toHaveText('toy')

    // Gallery: 12 samples with ψ = 0.8 (the form offers ψ because the generator takes it).
    await page.getByTestId('nav-gallery').click()
    await expect(page.getByTestId('generate-truncation')).toHaveValue('0.7')
    await page.getByTestId('generate-count').fill('12')
    await page.getByTestId('generate-seed').fill('0')
    await page.getByTestId('generate-truncation').fill('0.8')
    await page.getByTestId('generate-submit').click()
    await expect(page.getByTestId('sample-count')).toHaveText('12 samples', { timeout: 60_000 })
    const tiles = page.locator('[role="option"]')
    await expect(tiles).toHaveCount(12)
    await expect(page.getByTestId('generate-progress')).toHaveCount(0)
    const ids = await tiles.evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')!.replace('tile-', '')))
    expect(ids).toHaveLength(12)
    expect(ids[0]).toMatch(/^g[0-9a-f]{8}-00000000$/)
    // Each tile shows both modalities, loaded.
    const first = page.getByTestId(`tile-${ids[0]}`)
    await expect(first.locator('img')).toHaveCount(2)
    await expect.poll(() => first.locator('img').evaluateAll((imgs) => imgs.every((img) => (img as unknown as Img).naturalWidth === 32))).toBe(true)
    await expect(first.getByTestId('tile-status')).toHaveText('unlabeled')
    // Every thumbnail arrives (24 images: two modalities of 12 samples).
    await expect
      .poll(() => page.locator('[role="option"] img').evaluateAll((imgs) => imgs.filter((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth === 32).length))
      .toBe(24)
    await shot(page, 'gallery')

    // Open one: the detail view shows every modality, the seed, ψ, the latent statistics and the generator.
    await page.getByTestId(`tile-${ids[3]}`).dblclick()
    await expect(page).toHaveURL(new RegExp(`#/gallery/${ids[3]}$`))
    await expect(page.getByTestId('detail-seed')).toHaveText('3')
    await expect(page.getByTestId('detail-truncation')).toHaveText('0.8')
    await expect(page.getByTestId('detail-generator')).toContainText('toy')
    await expect(page.getByTestId('detail-reproducible')).toContainText('yes')
    await expect(page.getByTestId('detail-latent')).toContainText('mean')
    await expect(page.getByTestId('detail-latent')).toContainText('std')
    await expect(page.getByTestId('detail-image-rgb').locator('img')).toBeVisible()
    await expect(page.getByTestId('detail-image-nir').locator('img')).toBeVisible()
    await shot(page, 'sample-detail')
    await page.keyboard.press('ArrowRight')
    await expect(page).toHaveURL(new RegExp(`#/gallery/${ids[4]}$`))
    await expect(page.getByTestId('detail-seed')).toHaveText('4')
    await page.getByTestId('detail-back').click()
    await expect(page).toHaveURL(/#\/gallery$/)
    // Back in the Gallery, the focus is on the sample the detail view showed last.
    const grid = page.getByTestId('gallery-grid')
    await expect(grid).toHaveAttribute('aria-activedescendant', `tile-${ids[4]}`)
    await expect(grid).toBeFocused()

    // Keyboard: Ctrl+A selects all, Escape clears, arrows move the focus, Space toggles, Enter opens.
    await page.keyboard.press('Control+a')
    await expect(page.getByTestId('selection-count')).toHaveText('12 selected')
    await page.keyboard.press('Escape')
    await expect(page.getByTestId('selection-count')).toHaveCount(0)
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('Space')
    await expect(page.getByTestId(`tile-${ids[5]}`)).toHaveAttribute('aria-selected', 'true')
    await page.keyboard.press('Shift+ArrowRight')
    await expect(page.getByTestId('selection-count')).toHaveText('2 selected')
    await page.keyboard.press('ArrowUp')
    await expect(grid).toHaveAttribute('aria-activedescendant', `tile-${ids[2]}`)
    await page.keyboard.press('Enter')
    await expect(page).toHaveURL(new RegExp(`#/gallery/${ids[2]}$`))
    await page.keyboard.press('Escape')
    await expect(page).toHaveURL(/#\/gallery$/)
    // The selection survived the visit to the detail view.
    await expect(page.getByTestId('selection-count')).toHaveText('2 selected')

    // Delete with a confirmation (Cancel first: nothing happens).
    await page.getByTestId(`tile-${ids[11]}`).click()
    await page.getByTestId('delete-selected').click()
    await expect(page.getByTestId('confirm-dialog')).toContainText('Delete 1 sample?')
    await page.getByTestId('confirm-cancel').click()
    await expect(page.getByTestId('sample-count')).toHaveText('12 samples')
    await page.getByTestId('delete-selected').click()
    await page.getByTestId('confirm-ok').click()
    await expect(page.getByTestId('sample-count')).toHaveText('11 samples')
    await expect(page.getByTestId(`tile-${ids[11]}`)).toHaveCount(0)

    // Select two (click, then Ctrl-click) and send them to Annotate.
    await page.getByTestId(`tile-${ids[0]}`).click()
    await page.getByTestId(`tile-${ids[5]}`).click({ modifiers: ['Control'] })
    await expect(page.getByTestId('selection-count')).toHaveText('2 selected')
    await page.getByTestId('annotate-selected').click()
    await expect(page).toHaveURL(new RegExp(`#/annotate/${ids[0]}\\?`))
    const url = new URL(page.url().replace('#/', ''))
    expect(url.pathname).toBe(`/annotate/${ids[0]}`)
    expect(url.searchParams.get('queue')).toBe(`${ids[0]},${ids[5]}`)
    await expect(page.getByTestId('nav-annotate')).toHaveClass(/active/)
  } finally {
    await server.stop()
  }
})

test('10,000 samples: the grid stays virtualised and scrolls to the last one', async ({ page }) => {
  const dirs = await makeHome()
  const dir = join(dirs.projects, 'big')
  for (const folder of ['models', 'samples', 'annotations', 'runs', 'datasets']) await mkdir(join(dir, folder), { recursive: true })
  await writeFile(join(dir, 'twinlight.json'), JSON.stringify(projectFromTemplate(templateById('rgb-nir-face'), 'Ten thousand', new Date().toISOString())))
  const rgb = encodePng({ width: 64, height: 64, channels: 3, data: new Uint8Array(64 * 64 * 3).map((_, i) => (i * 7) % 256) })
  const nir = encodePng({ width: 64, height: 64, channels: 1, data: new Uint8Array(64 * 64).map((_, i) => (i * 3) % 256) })
  const COUNT = 10_000
  for (let start = 0; start < COUNT; start += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, COUNT - start) }, async (_, k) => {
        const seed = start + k
        const id = `s${String(seed).padStart(8, '0')}`
        await mkdir(join(dir, 'samples', id))
        await writeFile(join(dir, 'samples', id, 'rgb.png'), rgb)
        await writeFile(join(dir, 'samples', id, 'nir.png'), nir)
        const sample = { id, seed, width: 64, height: 64, modalities: ['rgb', 'nir'], generator: { kind: 'renderer', mode: 'face' }, createdAt: '2025-01-01T00:00:00.000Z' }
        await writeFile(join(dir, 'samples', id, 'sample.json'), JSON.stringify(sample))
      })
    )
  }
  await writeFile(join(dir, 'annotations', 'status.json'), JSON.stringify({ s00000001: 'done', s00000002: 'in-progress', s00009999: 'done' }))

  const server = await startServer({ ...dirs, project: dir })
  try {
    const started = Date.now()
    await page.goto(server.launchUrl)
    await page.getByTestId('nav-gallery').click()
    await expect(page.getByTestId('sample-count')).toHaveText('10000 samples', { timeout: 60_000 })
    await expect(page.getByTestId('tile-s00000000')).toBeVisible()
    console.log(`10,000 samples: first tiles after ${Date.now() - started} ms`)
    const inDom = await page.locator('[role="option"]').count()
    expect(inDom).toBeGreaterThan(10)
    expect(inDom).toBeLessThan(200)

    // Scroll through in steps (as a wheel would) and measure how long each frame takes to settle.
    const grid = page.getByTestId('gallery-grid')
    const timings = await grid.evaluate(async (el) => {
      // Runs in the page: its own requestAnimationFrame (this file compiles without the DOM library).
      const page = globalThis as unknown as { requestAnimationFrame(cb: () => void): void }
      const nextFrame = () => new Promise<void>((resolve) => page.requestAnimationFrame(() => resolve()))
      const frames: number[] = []
      for (let i = 0; i < 40; i++) {
        const t0 = performance.now()
        el.scrollTop += el.clientHeight * 2
        await nextFrame()
        await nextFrame()
        frames.push(performance.now() - t0)
      }
      return frames
    })
    console.log(`scroll steps (2 screens each): median ${timings.sort((a, b) => a - b)[20].toFixed(1)} ms, worst ${timings[39].toFixed(1)} ms`)
    await grid.evaluate((el) => (el.scrollTop = el.scrollHeight))
    await expect(page.getByTestId('tile-s00009999')).toBeVisible()
    await expect(page.getByTestId('tile-s00009999').getByTestId('tile-status')).toHaveText('annotated')
    expect(await page.locator('[role="option"]').count()).toBeLessThan(200)

    // Keyboard End/Home jump across the whole list.
    await grid.focus()
    await page.keyboard.press('Home')
    await expect(page.getByTestId('tile-s00000000')).toBeVisible()
    await page.keyboard.press('End')
    await expect(page.getByTestId('tile-s00009999')).toBeVisible()

    // Filtering 10,000 samples by status.
    await page.getByTestId('status-filter').selectOption('done')
    await expect(page.locator('[role="option"]')).toHaveCount(2)
    await page.getByTestId('status-filter').selectOption('all')
    await expect
      .poll(() => page.locator('[role="option"] img').evaluateAll((imgs) => imgs.length > 0 && imgs.every((img) => (img as unknown as Img).complete && (img as unknown as Img).naturalWidth === 64)))
      .toBe(true)
    await shot(page, 'gallery-10000')
  } finally {
    await server.stop()
  }
})
