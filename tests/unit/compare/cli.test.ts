// `twinlight eval` as a user runs it: the table, the JSON report, and the errors for bad input.
import { describe, it, expect, afterAll, beforeAll } from 'vitest'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { extractorManifest, tempDir, tinyExtractorOnnx, writeFolder, writeImage } from './helpers'
import { runTwinlight } from '../twinlightCli'

const twinlight = (...args: string[]) => runTwinlight(args, { timeoutMs: 90_000 })

let root: string
beforeAll(async () => {
  root = await tempDir('tl-eval-cli-')
  await writeFolder(join(root, 'same-a'), ['001.png', '002.png'])
  await writeFolder(join(root, 'same-b'), ['001.png', '002.png'])
  await writeFolder(join(root, 'three'), ['001.png', '002.png', '003.png'])
  await writeFolder(join(root, 'big'), ['001.png'], 32, 32)
  await writeImage(join(root, 'big', '002.png'), 48, 48)
  await writeFile(join(root, 'tiny.onnx'), tinyExtractorOnnx())
  await writeFile(join(root, 'wrong.json'), JSON.stringify(extractorManifest({ input: { name: 'input', width: 299, height: 299 } })))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('twinlight eval', () => {
  it('prints the table (∞ for identical images, SSIM 1) and writes the JSON report, CSV and Markdown', async () => {
    const out = join(root, 'report.json')
    const r = await twinlight('eval', '--pred', join(root, 'same-a'), '--gt', join(root, 'same-b'), '--metrics', 'psnr,ssim,mae', '--out', out, '--csv', join(root, 'r.csv'), '--markdown', join(root, 'r.md'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('twinlight eval: 2 pairs by stem')
    expect(r.stdout).toMatch(/PSNR \(dB\)\s+∞\s+∞\s+∞\s+2/)
    expect(r.stdout).toMatch(/SSIM\s+1\.0000 ± 0\.0000\s+1\.0000\s+1\.0000\s+2/)
    expect(r.stdout).toMatch(/MAE\s+0\.000 ± 0\.000/)
    expect(r.stdout).toContain(`wrote ${out}`)
    const report = JSON.parse(await readFile(out, 'utf8'))
    expect(report).toMatchObject({ schema: 'twinlight.eval/1', pairBy: 'stem', metrics: ['psnr', 'ssim', 'mae'], pred: { images: 2 }, gt: { images: 2 } })
    expect(report.table.rows.map((row: { values: { psnr: unknown } }) => row.values.psnr)).toEqual(['Infinity', 'Infinity'])
    expect((await readFile(join(root, 'r.csv'), 'utf8')).split('\n')[1]).toBe('001,001.png,001.png,inf,1,0')
    expect(await readFile(join(root, 'r.md'), 'utf8')).toContain('| PSNR (dB) | ∞ | ∞ | ∞ | 2 |')
  })

  it('refuses sets of different sizes', async () => {
    const r = await twinlight('eval', '--pred', join(root, 'three'), '--gt', join(root, 'same-b'), '--out', join(root, 'x.json'))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('twinlight: sets of different sizes: pred has 3 images, gt has 2; paired metrics need one gt image per pred image')
  })

  it('refuses mismatched image sizes, naming the pair', async () => {
    const r = await twinlight('eval', '--pred', join(root, 'same-a'), '--gt', join(root, 'big'), '--pair-by', 'order', '--out', join(root, 'x.json'))
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('twinlight: pair 2 (pred 002.png, gt 002.png): image sizes differ: pred is 32×32×3, gt is 48×48×3')
  })

  it('refuses an extractor manifest that does not fit its model', async () => {
    await writeFile(join(root, 'wrong.json'), JSON.stringify(extractorManifest({ input: { name: 'input', width: 299, height: 299 } })))
    const r = await twinlight('eval', '--pred', join(root, 'same-a'), '--gt', join(root, 'same-b'), '--metrics', 'fid', '--extractor', join(root, 'wrong.json'), '--out', join(root, 'x.json'))
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/twinlight: the feature extractor manifest 'tiny-test-extractor' does not fit its model: input 'input' is not an input of the model \(it has 1 input: 'images' float32 \[N, 3, 8, 8\]\)/)
  })

  it('computes FID with a fitting extractor and labels it by its feature space', async () => {
    await writeFile(join(root, 'ok.json'), JSON.stringify(extractorManifest()))
    const r = await twinlight('eval', '--pred', join(root, 'three'), '--gt', join(root, 'same-b'), '--metrics', 'fid', '--extractor', join(root, 'ok.json'), '--out', join(root, 'fid.json'))
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/FD-other, Tiny test extractor \(not comparable to published FID\): \d+\.\d{4} \(3 vs 2 images; Tiny test extractor, 3-d\)/)
    expect(r.stderr).toContain('warning: the extractor \'tiny-test-extractor\' is not Inception-v3')
    const report = JSON.parse(await readFile(join(root, 'fid.json'), 'utf8'))
    expect(report.distribution.fid).toMatchObject({ label: 'FD-other', n1: 3, n2: 2 })
  })

  it('rejects bad options and documents them in --help', async () => {
    const r = await twinlight('eval', '--pred', join(root, 'same-a'), '--gt', join(root, 'same-b'), '--pair-by', 'name')
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/--pair-by must be stem or order, not "name"/)
    const m = await twinlight('eval', '--pred', join(root, 'same-a'), '--gt', join(root, 'same-b'), '--metrics', 'psnr,lpips')
    expect(m.stderr).toMatch(/unknown metric "lpips"/)
    const help = await twinlight('eval', '--help')
    expect(help.stdout).toContain('Usage: twinlight eval')
    expect(help.stdout).toContain('--extractor <manifest>')
  })
})
