// Masks of a Gallery selection, end to end: export the selected samples' masks into a folder
// on disk, then import a folder of real files matched by name, reading the per-file report
// (imported, refused with what was found, unmatched, skipped) and the PNGs written.
import { test, expect } from '@playwright/test'
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { api, projectWithSamples, SIZE } from './projectSetup'
import { decodePng, encodePng } from '../../src/main/engine/io/png'
import { decodeNpy, encodeMaskPng, encodeNpy } from '../../src/main/engine/io/masks'

const SHOTS = process.env.TWINLIGHT_SHOTS

/** A mask with a few classes in blocks, different per seed. */
function maskOf(seed: number): Uint8Array {
  const labels = new Uint8Array(SIZE * SIZE).fill(255)
  for (let y = 8; y < 40; y++) for (let x = 4 + seed; x < 50; x++) labels[y * SIZE + x] = (x >> 3) % 2 === 0 ? 1 + seed : 4
  return labels
}

test('exports the masks of a Gallery selection to a folder and imports a folder of files matched by name', async ({ page }) => {
  const { server, projectDir } = await projectWithSamples('Selection masks', 4)
  const outside = await mkdtemp(join(tmpdir(), 'tl-masks-'))
  try {
    const classes = (await api<{ project: { classes: { id: number; name: string; color: string }[] } }>(server, 'project.current', {})).project.classes
    for (const [i, id] of ['s00000000', 's00000001'].entries()) {
      await api(server, 'annotations.save', { sampleId: id, width: SIZE, height: SIZE, labels: maskOf(i) })
    }
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(server.launchUrl)
    await page.goto(`${server.url}/#/gallery`)
    await expect(page.locator('[role="option"]')).toHaveCount(4)

    // Select the first three samples (click, Shift+click) and open the masks dialog.
    await page.getByTestId('tile-s00000000').click()
    await page.getByTestId('tile-s00000002').click({ modifiers: ['Shift'] })
    await expect(page.getByTestId('selection-count')).toHaveText('3 selected')
    await page.getByTestId('selection-masks-open').click()
    const dialog = page.getByTestId('selection-masks')
    await expect(dialog).toContainText('Masks of 3 samples')

    // Export as .npy into a new folder: one file per annotated sample plus the class table.
    const exportDir = join(outside, 'npy-export')
    await dialog.getByTestId('selection-export-format-npy').click()
    await dialog.getByTestId('selection-export-dir').fill(exportDir)
    await dialog.getByTestId('selection-export').click()
    await expect(dialog.getByTestId('selection-export-path')).toHaveText(exportDir)
    await expect(dialog.getByTestId('selection-export-result')).toContainText('Wrote 2 files')
    await expect(dialog.getByTestId('selection-export-result')).toContainText('1 selected sample has no mask yet: s00000002')
    expect((await readdir(exportDir)).sort()).toEqual(['classes.json', 'id2label.json', 's00000000.npy', 's00000001.npy'])
    const npy = decodeNpy(await readFile(join(exportDir, 's00000001.npy')))
    expect([npy.width, npy.height]).toEqual([SIZE, SIZE])
    expect(Buffer.compare(Buffer.from(npy.labels), Buffer.from(maskOf(1)))).toBe(0)
    expect(JSON.parse(await readFile(join(exportDir, 'classes.json'), 'utf8'))).toEqual(classes)

    // Exporting into that folder again is refused: nothing there is overwritten.
    await dialog.getByTestId('selection-export').click()
    await expect(dialog.getByTestId('selection-error')).toContainText('is not empty; choose an empty or new folder')

    // A folder of masks as another tool would leave it.
    const importDir = join(outside, 'from-gimp')
    await mkdir(importDir)
    const good = maskOf(2)
    await writeFile(join(importDir, 's00000002.png'), encodeMaskPng(good, SIZE, SIZE, classes))
    const outOfClasses = maskOf(2)
    outOfClasses[100] = 77
    await writeFile(join(importDir, 's00000000.npy'), encodeNpy(outOfClasses, SIZE, SIZE))
    const rgb = new Uint8Array(SIZE * SIZE * 3).fill(0)
    rgb.set([0xab, 0xcd, 0xef], 3 * 70)
    await writeFile(join(importDir, 's00000001_colour.png'), encodePng({ width: SIZE, height: SIZE, channels: 3, data: rgb }))
    await writeFile(join(importDir, 's00000003.png'), encodeMaskPng(good, SIZE, SIZE, classes))
    await writeFile(join(importDir, 'notes.npy'), encodeNpy(new Uint8Array(4), 2, 2))

    // Chosen in the browser (real files from disk): checked first, nothing written yet.
    const names = (await readdir(importDir)).sort()
    await dialog.getByTestId('selection-import-input').setInputFiles(names.map((n) => join(importDir, n)))
    const report = dialog.getByTestId('selection-import-report')
    await expect(report).toContainText('1 ready · 2 refused · 2 unmatched · 0 skipped')
    const row = (file: string) => dialog.getByTestId(`selection-import-row-${file}`)
    await expect(row('s00000002.png')).toHaveAttribute('data-status', 'imported')
    await expect(row('s00000000.npy')).toHaveAttribute('data-status', 'refused')
    await expect(row('s00000000.npy')).toContainText('value 77 is not a class (0–9) or 255 (1 pixel)')
    await expect(row('s00000001_colour.png')).toContainText('1 colour matches no class: #abcdef (1 px)')
    await expect(row('s00000003.png')).toContainText('its sample is not in the selection')
    await expect(row('notes.npy')).toContainText('no sample has this name')
    await expect.poll(() => readdir(join(projectDir, 'annotations'))).not.toContain('s00000002.png')
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'selection-masks.png') })

    await dialog.getByTestId('selection-import-apply').click()
    await expect(report).toContainText('1 imported · 2 refused')
    const written = decodePng(await readFile(join(projectDir, 'annotations', 's00000002.png')))
    expect(written.colorType).toBe(3)
    expect(Buffer.compare(Buffer.from(written.data), Buffer.from(good))).toBe(0)
    // The refused files left the existing masks exactly as they were.
    const kept = decodePng(await readFile(join(projectDir, 'annotations', 's00000000.png')))
    expect(Buffer.compare(Buffer.from(kept.data), Buffer.from(maskOf(0)))).toBe(0)

    // The same folder read by path on the studio machine: s00000002 now has a mask, so it is skipped.
    await dialog.getByTestId('selection-import-dir').fill(importDir)
    await dialog.getByTestId('selection-import-read').click()
    await expect(report).toContainText('0 ready · 2 refused · 2 unmatched · 1 skipped')
    await expect(row('s00000002.png')).toContainText('already has a mask')
    await dialog.getByRole('button', { name: 'Close' }).click()
    await expect(page.getByTestId('tile-s00000002').getByTestId('tile-status')).toHaveText('in progress')
  } finally {
    await server.stop()
    await rm(outside, { recursive: true, force: true })
  }
})
