// The Annotate view end to end: real mouse and keyboard events in Chromium, the real
// browser-mode server, and the annotation PNG read back from disk. Every expected pixel
// comes from replaying the same input through a PaintEngine here, with the screen → image
// mapping the editor itself reports (its test hook), so the checks are exact.
import { test, expect, type Page } from '@playwright/test'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type RunningServer } from './studioServer'
import { projectWithSamples, SIZE } from './projectSetup'
import { decodePng } from '../../src/main/engine/io/png'
import { encodeNpy } from '../../src/main/engine/io/masks'
import { PaintEngine, type StrokeTool } from '../../src/renderer/src/canvas'

/** The editor's test hook on the page's window (see components/annotate/testHook.ts). */
interface HookHost {
  __twinlightAnnotate: {
    imageToClient(x: number, y: number, pane?: 0 | 1): { x: number; y: number } | null
    clientToImage(x: number, y: number, pane?: 0 | 1): { x: number; y: number } | null
    labelAt(x: number, y: number): number | undefined
  }
}

const SAMPLE = 's00000000'

async function openAnnotate(page: Page, server: RunningServer, sampleId = SAMPLE): Promise<void> {
  await page.goto(server.launchUrl)
  await expect(page.getByTestId('status-project')).not.toHaveText('No project')
  await page.goto(`${server.url}/#/annotate/${sampleId}`)
  await expect(page.getByTestId('annotate')).toHaveAttribute('data-ready', 'true')
  await expect(page.getByTestId('annotate')).toHaveAttribute('data-sample', sampleId)
}

/** Screen position (whole CSS pixels) of an image point, as the editor maps it. */
async function screenOf(page: Page, x: number, y: number): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(([ix, iy]) => (globalThis as unknown as HookHost).__twinlightAnnotate.imageToClient(ix, iy), [x, y] as const)
  return { x: Math.round(p!.x), y: Math.round(p!.y) }
}

/** Image coordinates the editor computes for a client position (what its pointer handlers see). */
async function imageOf(page: Page, p: { x: number; y: number }): Promise<{ x: number; y: number }> {
  return (await page.evaluate(([cx, cy]) => (globalThis as unknown as HookHost).__twinlightAnnotate.clientToImage(cx, cy), [p.x, p.y] as const))!
}

/** Drag the mouse through image points, `steps` moves per segment; returns the image coordinates the editor saw. */
async function dragPath(page: Page, waypoints: [number, number][], steps = 8): Promise<{ x: number; y: number }[]> {
  const screens = []
  for (const w of waypoints) screens.push(await screenOf(page, ...w))
  const points = [screens[0]]
  for (let k = 1; k < screens.length; k++) {
    const a = screens[k - 1]
    const b = screens[k]
    for (let i = 1; i <= steps; i++) points.push({ x: Math.round(a.x + ((b.x - a.x) * i) / steps), y: Math.round(a.y + ((b.y - a.y) * i) / steps) })
  }
  await page.mouse.move(points[0].x, points[0].y)
  await page.mouse.down()
  for (const p of points.slice(1)) await page.mouse.move(p.x, p.y)
  await page.mouse.up()
  const seen: { x: number; y: number }[] = []
  for (const p of points) seen.push(await imageOf(page, p))
  return seen
}

const drag = (page: Page, from: [number, number], to: [number, number], steps = 8) => dragPath(page, [from, to], steps)

function replayStroke(engine: PaintEngine, tool: StrokeTool, points: { x: number; y: number }[]): void {
  engine.beginStroke(tool, points[0].x, points[0].y)
  for (const p of points.slice(1)) engine.strokeTo(p.x, p.y)
  engine.endStroke()
}

async function setBrushSize(page: Page, size: number): Promise<void> {
  await page.getByTestId('brush-size').fill(String(size))
  await page.getByTestId('brush-size').press('Enter')
  await page.getByTestId('brush-size').blur()
}

async function maskOnDisk(projectDir: string, sampleId = SAMPLE): Promise<Uint8Array | null> {
  try {
    const png = decodePng(await readFile(join(projectDir, 'annotations', `${sampleId}.png`)))
    expect(png.colorType).toBe(3)
    expect([png.width, png.height]).toEqual([SIZE, SIZE])
    return png.data
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

const same = (a: Uint8Array | null, b: Uint8Array) => !!a && a.length === b.length && a.every((v, i) => v === b[i])

test('paints, fills, undoes and redoes with real input; the PNG on disk holds exactly those pixels after a reload', async ({ page }) => {
  const { server, projectDir } = await projectWithSamples('Paint')
  await openAnnotate(page, server)
  const root = page.getByTestId('annotate')
  const replay = new PaintEngine(SIZE, SIZE)

  // Class by key, a 5 px round brush, one stroke on the RGB view.
  await page.keyboard.press('2')
  await expect(root).toHaveAttribute('data-class', '2')
  await setBrushSize(page, 5)
  const a = await drag(page, [10.5, 20.5], [40.5, 26.5])
  replayStroke(replay, { kind: 'brush', classId: 2, diameter: 5, shape: 'round' }, a)

  // Switch modality by key and paint a square stroke of another class on the NIR view.
  await page.keyboard.press('m')
  await expect(root).toHaveAttribute('data-modality', 'nir')
  await expect(page.getByTestId('pane-0')).toContainText('Near infrared')
  await page.keyboard.press('4')
  await page.keyboard.press('Shift+B')
  const b = await drag(page, [30.5, 5.5], [33.5, 50.5], 6)
  replayStroke(replay, { kind: 'brush', classId: 4, diameter: 5, shape: 'square' }, b)

  // Flood fill the unlabeled region from a corner with class 3, then undo it and stroke b, and redo b.
  await page.keyboard.press('3')
  await page.keyboard.press('f')
  const corner = await screenOf(page, 2.5, 60.5)
  await page.mouse.click(corner.x, corner.y)
  const seed = await imageOf(page, corner)
  replay.fill(seed.x, seed.y, 3)
  await expect(page.getByTestId('count-3')).toHaveText(String(replay.counts()[3]))
  await expect(root).toHaveAttribute('data-undo-steps', '3')
  await page.keyboard.press('Control+z')
  await page.keyboard.press('Control+z')
  await expect(root).toHaveAttribute('data-undo-steps', '1')
  await page.keyboard.press('Control+Shift+z')
  await expect(root).toHaveAttribute('data-undo-steps', '2')
  replay.undo()
  replay.undo()
  replay.redo()
  await expect(page.getByTestId('count-3')).toHaveText('·')
  await expect(page.getByTestId('count-2')).toHaveText(String(replay.counts()[2]))
  await expect(page.getByTestId('count-4')).toHaveText(String(replay.counts()[4]))
  // Ctrl+Y redoes too: undo once more and redo with it.
  await page.keyboard.press('Control+z')
  await page.keyboard.press('Control+y')
  await expect(root).toHaveAttribute('data-undo-steps', '2')

  // Autosave writes it without any other trigger; the file holds exactly the replayed labels.
  await expect.poll(async () => same(await maskOnDisk(projectDir), replay.labels), { timeout: 10_000 }).toBe(true)
  await expect(root).toHaveAttribute('data-save-state', 'saved')
  await expect(page.getByTestId('sample-status')).toHaveText('in progress')

  // A reload shows the same mask.
  await page.reload()
  await expect(root).toHaveAttribute('data-ready', 'true')
  await expect(page.getByTestId('count-2')).toHaveText(String(replay.counts()[2]))
  await expect(page.getByTestId('count-4')).toHaveText(String(replay.counts()[4]))
  expect(await page.evaluate(([x, y]) => (globalThis as unknown as HookHost).__twinlightAnnotate.labelAt(x, y), [a[0].x, a[0].y] as const)).toBe(2)

  // Mark done is saved as the sample's status.
  await page.getByTestId('mark-done').click()
  await expect(page.getByTestId('sample-status')).toHaveText('done')
  const statuses = JSON.parse(await readFile(join(projectDir, 'annotations', 'status.json'), 'utf8'))
  expect(statuses[SAMPLE]).toBe('done')
  expect(same(await maskOnDisk(projectDir), replay.labels)).toBe(true)
  await server.stop()
})

test('autosave keeps the mask on disk within a second, and a killed server leaves a valid PNG', async ({ page }) => {
  const { server, projectDir } = await projectWithSamples('Autosave')
  await openAnnotate(page, server)
  const replay = new PaintEngine(SIZE, SIZE)
  await page.keyboard.press('1')
  await setBrushSize(page, 3)
  const a = await drag(page, [5.5, 5.5], [50.5, 12.5])
  const strokeEnded = Date.now()
  replayStroke(replay, { kind: 'brush', classId: 1, diameter: 3, shape: 'round' }, a)
  const afterA = replay.labels.slice()
  await expect.poll(async () => same(await maskOnDisk(projectDir), afterA), { timeout: 5_000, intervals: [50] }).toBe(true)
  // Debounced at 0.4 s after the last change; allow for a loaded test machine.
  expect(Date.now() - strokeEnded).toBeLessThan(2_500)

  // Paint again and kill the server at once: the file is the last autosave or the new one, never torn.
  await page.keyboard.press('6')
  const b = await drag(page, [10.5, 40.5], [55.5, 44.5], 4)
  await server.stop('SIGKILL')
  replayStroke(replay, { kind: 'brush', classId: 6, diameter: 3, shape: 'round' }, b)
  const disk = await maskOnDisk(projectDir)
  expect(same(disk, afterA) || same(disk, replay.labels)).toBe(true)
})

test('polygon, lasso with preserve, eraser, eyedropper and the split view with a mirrored cursor', async ({ page }) => {
  const { server, projectDir } = await projectWithSamples('Shapes')
  await openAnnotate(page, server)
  const root = page.getByTestId('annotate')
  const replay = new PaintEngine(SIZE, SIZE)

  // Polygon: click four vertices, Enter closes it.
  await page.keyboard.press('6')
  await page.keyboard.press('p')
  const vertices: number[] = []
  for (const [x, y] of [
    [8, 8],
    [40, 10],
    [36, 40],
    [10, 34]
  ]) {
    const s = await screenOf(page, x, y)
    await page.mouse.click(s.x, s.y)
    const p = await imageOf(page, s)
    vertices.push(p.x, p.y)
  }
  await page.keyboard.press('Enter')
  replay.fillPolygon(vertices, 6)
  await expect(page.getByTestId('count-6')).toHaveText(String(replay.counts()[6]))

  // A polygon cancelled with Esc paints nothing.
  for (const [x, y] of [
    [50, 50],
    [60, 50],
    [60, 60]
  ]) {
    const s = await screenOf(page, x, y)
    await page.mouse.click(s.x, s.y)
  }
  await page.keyboard.press('Escape')

  // Lasso over the polygon and beyond it, painting over unlabeled pixels only.
  await page.getByTestId('preserve').selectOption('unlabeled')
  await page.getByTestId('preserve').blur()
  await page.keyboard.press('8')
  await page.keyboard.press('l')
  const lasso = await dragPath(page, [
    [20.5, 20.5],
    [60.5, 24.5],
    [52.5, 58.5],
    [24.5, 50.5]
  ], 5)
  replay.preserve = { mode: 'unlabeled' }
  replayStroke(replay, { kind: 'lasso', classId: 8 }, lasso)
  expect(replay.counts()[8]).toBeGreaterThan(100)
  await expect(page.getByTestId('count-8')).toHaveText(String(replay.counts()[8]))
  await expect(page.getByTestId('count-6')).toHaveText(String(replay.counts()[6]))

  // The eraser (to unlabeled by default) across the polygon.
  await page.keyboard.press('e')
  await setBrushSize(page, 4)
  const erase = await drag(page, [4.5, 20.5], [44.5, 20.5], 4)
  replayStroke(replay, { kind: 'eraser', diameter: 4, shape: 'round', target: 'unlabeled' }, erase)
  await expect(page.getByTestId('count-6')).toHaveText(String(replay.counts()[6]))

  // Eyedropper with Alt+click picks the polygon's class.
  await page.keyboard.press('1')
  await expect(root).toHaveAttribute('data-class', '1')
  const inside = await screenOf(page, 20.5, 30.5)
  const insideImage = await imageOf(page, inside)
  expect(replay.labelAt(insideImage.x, insideImage.y)).toBe(6)
  await page.keyboard.down('Alt')
  await page.mouse.click(inside.x, inside.y)
  await page.keyboard.up('Alt')
  await expect(root).toHaveAttribute('data-class', '6')

  // Flood fill limited by the displayed image's colours (RGB here), tolerance 20.
  const rgbPng = decodePng(await readFile(join(projectDir, 'samples', SAMPLE, 'rgb.png')))
  expect(rgbPng.channels).toBe(3)
  const rgba = new Uint8Array(SIZE * SIZE * 4)
  for (let i = 0; i < SIZE * SIZE; i++) rgba.set([rgbPng.data[i * 3], rgbPng.data[i * 3 + 1], rgbPng.data[i * 3 + 2], 255], i * 4)
  await page.keyboard.press('f')
  await page.getByTestId('fill-similar').check()
  await page.getByTestId('fill-tolerance').fill('20')
  await page.getByTestId('fill-tolerance').blur()
  await page.keyboard.press('9')
  const seedScreen = await screenOf(page, 61.5, 2.5)
  await page.mouse.click(seedScreen.x, seedScreen.y)
  const seed = await imageOf(page, seedScreen)
  const filled = replay.fill(seed.x, seed.y, 9, { image: rgba, channels: 4, tolerance: 20 })
  expect(filled).not.toBeNull()
  expect(replay.counts()[9]).toBeLessThan(SIZE * SIZE - replay.counts()[6] - replay.counts()[8])
  await expect(page.getByTestId('count-9')).toHaveText(String(replay.counts()[9]))

  // Split view: two panes, the second showing NIR, with the same transform (pixel-aligned).
  await page.keyboard.press('s')
  await expect(page.getByTestId('pane-1')).toHaveAttribute('data-modality', 'nir')
  const p0 = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.imageToClient(32, 32, 0))
  const p1 = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.imageToClient(32, 32, 1))
  const b0 = (await page.getByTestId('canvas-surface').boundingBox())!
  const b1 = (await page.getByTestId('canvas-surface-1').boundingBox())!
  expect([b0.width, b0.height]).toEqual([b1.width, b1.height])
  expect(p0!.x - b0.x).toBeCloseTo(p1!.x - b1.x, 5)
  expect(p0!.y - b0.y).toBeCloseTo(p1!.y - b1.y, 5)
  // Painting in the second pane edits the one shared mask.
  await page.keyboard.press('b')
  await page.keyboard.press('7')
  await setBrushSize(page, 3)
  await page.getByTestId('preserve').selectOption('none')
  await page.getByTestId('preserve').blur()
  replay.preserve = { mode: 'none' }
  const s1 = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.imageToClient(50.5, 5.5, 1))
  const s2 = await page.evaluate(() => (globalThis as unknown as HookHost).__twinlightAnnotate.imageToClient(58.5, 5.5, 1))
  const c1 = { x: Math.round(s1!.x), y: Math.round(s1!.y) }
  const c2 = { x: Math.round(s2!.x), y: Math.round(s2!.y) }
  await page.mouse.move(c1.x, c1.y)
  await page.mouse.down()
  await page.mouse.move(c2.x, c2.y)
  await page.mouse.up()
  const q1 = (await page.evaluate(([x, y]) => (globalThis as unknown as HookHost).__twinlightAnnotate.clientToImage(x, y, 1), [c1.x, c1.y] as const))!
  const q2 = (await page.evaluate(([x, y]) => (globalThis as unknown as HookHost).__twinlightAnnotate.clientToImage(x, y, 1), [c2.x, c2.y] as const))!
  replayStroke(replay, { kind: 'brush', classId: 7, diameter: 3, shape: 'round' }, [q1, q2])
  await expect(page.getByTestId('count-7')).toHaveText(String(replay.counts()[7]))

  await expect.poll(async () => same(await maskOnDisk(projectDir), replay.labels), { timeout: 10_000 }).toBe(true)
  await server.stop()
})

test('imports .npy and index PNG masks (refusing wrong sizes) and exports them as files', async ({ page }) => {
  const { server, projectDir } = await projectWithSamples('Transfer')
  await openAnnotate(page, server)
  await page.getByTestId('open-transfer').click()
  const dialog = page.getByTestId('mask-transfer')

  // A wrong-size .npy is refused with what was found.
  await dialog.getByTestId('import-format-npy').click()
  const small = new Uint8Array(32 * 32).fill(1)
  await dialog.getByTestId('import-file').setInputFiles({ name: 'small.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeNpy(small, 32, 32)) })
  await expect(dialog.getByTestId('import-error')).toContainText('mask is 32×32, the sample is 64×64')

  // A right-size one with a class outside the project is refused too.
  const labels = new Uint8Array(SIZE * SIZE).fill(255)
  for (let y = 10; y < 30; y++) for (let x = 5; x < 50; x++) labels[y * SIZE + x] = (x + y) % 3 === 0 ? 9 : 2
  const bad = labels.slice()
  bad[0] = 42
  await dialog.getByTestId('import-file').setInputFiles({ name: 'bad.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeNpy(bad, SIZE, SIZE)) })
  await expect(dialog.getByTestId('import-error')).toContainText('value 42 is not a class (0–9) or 255')

  // The good one is loaded into the editor and saved at once.
  await dialog.getByTestId('import-file').setInputFiles({ name: 'mask.npy', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeNpy(labels, SIZE, SIZE)) })
  await expect(dialog.getByTestId('import-result')).toBeVisible()
  await dialog.getByTestId('import-apply').click()
  await expect(dialog).toBeHidden()
  await expect.poll(async () => same(await maskOnDisk(projectDir), labels), { timeout: 10_000 }).toBe(true)
  await expect(page.getByTestId('count-9')).toHaveText(String(labels.filter((v) => v === 9).length))

  // The import is one undo step: Ctrl+Z brings back the previous (empty) mask exactly, and
  // Ctrl+Shift+Z applies the import again; autosave writes both to disk.
  const root = page.getByTestId('annotate')
  await expect(root).toHaveAttribute('data-undo-steps', '1')
  await page.getByTestId('canvas-surface').first().focus()
  await page.keyboard.press('Control+z')
  await expect(root).toHaveAttribute('data-undo-steps', '0')
  await expect.poll(async () => same(await maskOnDisk(projectDir), new Uint8Array(SIZE * SIZE).fill(255)), { timeout: 10_000 }).toBe(true)
  await page.keyboard.press('Control+Shift+z')
  await expect(root).toHaveAttribute('data-undo-steps', '1')
  await expect.poll(async () => same(await maskOnDisk(projectDir), labels), { timeout: 10_000 }).toBe(true)

  // Export as an index PNG: the download is a palette PNG with the same ids.
  await page.getByTestId('open-transfer').click()
  const [download] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('export-png').click()])
  expect(download.suggestedFilename()).toBe(`${SAMPLE}.png`)
  const exported = decodePng(await readFile((await download.path())!))
  expect(exported.colorType).toBe(3)
  expect(same(exported.data, labels)).toBe(true)
  const [npy] = await Promise.all([page.waitForEvent('download'), dialog.getByTestId('export-npy').click()])
  expect(npy.suggestedFilename()).toBe(`${SAMPLE}.npy`)
  await dialog.getByRole('button', { name: 'Close' }).click()

  // Class names and colours are edited in place; a refused update reaches the user as a toast.
  await page.getByTestId('edit-classes').click()
  const settings = page.getByTestId('class-settings')
  await settings.getByTestId('class-name-0').fill('sky')
  await settings.getByTestId('class-settings-save').click()
  await expect(page.getByTestId('toast').filter({ hasText: 'class 0 is the background' })).toBeVisible()
  await settings.getByTestId('class-name-0').fill('background')
  await settings.getByTestId('class-name-3').fill('eyebrows')
  await settings.getByTestId('class-color-3').fill('#00ff00')
  await settings.getByTestId('class-settings-save').click()
  await expect(settings).toBeHidden()
  await expect(page.getByTestId('class-3')).toContainText('eyebrows')
  const projectFile = JSON.parse(await readFile(join(projectDir, 'twinlight.json'), 'utf8'))
  expect(projectFile.classes[3]).toEqual({ id: 3, name: 'eyebrows', color: '#00ff00' })

  // Removing class 2, which the mask uses: the panel says how many samples and pixels use it
  // and asks where they go; with "Background", 2 → 0 and the ids above shift (9 → 8), on disk
  // and in the open editor.
  await page.getByTestId('edit-classes').click()
  await expect(settings.getByTestId('class-remove-0')).toBeDisabled()
  await settings.getByTestId('class-remove-2').click()
  await expect(settings.getByTestId('class-remove-confirm')).toContainText(`is painted in 1 sample (${labels.filter((v) => v === 2).length} pixels)`)
  await settings.getByTestId('class-remove-background').click()
  await expect(settings.getByTestId('class-remove-confirm')).toBeHidden()
  await expect(settings.getByTestId('class-name-2')).toHaveValue('eyebrows')
  const shifted = labels.map((v) => (v === 2 ? 0 : v > 2 && v < 255 ? v - 1 : v))
  await expect.poll(async () => same(await maskOnDisk(projectDir), shifted), { timeout: 10_000 }).toBe(true)
  await settings.getByRole('button', { name: 'Cancel' }).click()
  await expect(page.getByTestId('count-8')).toHaveText(String(labels.filter((v) => v === 9).length))
  await expect(page.getByTestId('class-9')).toHaveCount(0)
  expect(JSON.parse(await readFile(join(projectDir, 'twinlight.json'), 'utf8')).classes).toHaveLength(9)
  await server.stop()
})
