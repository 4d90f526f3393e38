// The eval engine on small folders: the JSON report, identical images, identity with a stand-in
// embedder, FID/KID through a tiny ONNX extractor, mIoU, and the errors for bad input.
import { describe, it, expect, afterAll } from 'vitest'
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { evaluateFolders, parseMetricList, reportToJson, type IdentityEmbedder } from '../../../src/main/engine/metrics/eval'
import { checkExtractorGraph, openFeatureExtractor, parseExtractorManifest, resizeBilinearRgb } from '../../../src/main/engine/metrics/extractor'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import { formatEvalReport } from '../../../src/main/cli/eval'
import type { MetricImage } from '../../../src/main/engine/metrics'
import { extractorManifest, tempDir, tinyExtractorOnnx, writeFolder, writeImage, writeMask } from './helpers'

const dirs: string[] = []
async function dir(): Promise<string> {
  const d = await tempDir()
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

/** Stand-in face embedder: the mean colour as a 3-d embedding; "no face" when the image is tiny. */
function fakeEmbedder(): IdentityEmbedder & { calls: number; disposed: boolean } {
  return {
    id: 'fake-embedder/v1',
    calls: 0,
    disposed: false,
    describe: () => ({ name: 'Fake embedder' }),
    async embed(image: MetricImage) {
      this.calls++
      if (image.width < 16) return { detected: false, embedding: null, reason: 'too small' }
      const sum = [1, 1, 1]
      for (let i = 0; i < image.width * image.height; i++) for (let k = 0; k < 3; k++) sum[k] += image.data[i * image.channels + (image.channels >= 3 ? k : 0)]
      const n = Math.hypot(...sum)
      return { detected: true, embedding: Float32Array.from(sum, (v) => v / n) }
    },
    dispose() {
      this.disposed = true
    }
  }
}

describe('evaluateFolders', () => {
  it('identical folders: PSNR ∞ (shown as "∞"), SSIM 1, MAE 0, and a JSON report that keeps the infinity', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['001.png', '002.png', '003.png'])
    await writeFolder(join(root, 'b'), ['001.png', '002.png', '003.png'])
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['psnr', 'ssim', 'mae', 'rmse'] })
    expect(report.table.rows).toHaveLength(3)
    expect(report.table.rows.every((r) => r.values.psnr === Infinity && r.values.ssim === 1 && r.values.mae === 0)).toBe(true)
    const psnr = report.table.summary.find((s) => s.metric === 'psnr')!
    expect(psnr.display).toBe('∞')
    expect(psnr.infinite).toBe(3)
    expect(report.table.summary.find((s) => s.metric === 'ssim')!.display).toBe('1.0000 ± 0.0000')

    const text = formatEvalReport(report)
    expect(text).toMatch(/PSNR \(dB\)\s+∞\s+∞\s+∞\s+3/)
    expect(text).toMatch(/SSIM\s+1\.0000 ± 0\.0000\s+1\.0000\s+1\.0000\s+3/)

    const json = JSON.parse(reportToJson(report))
    expect(json.schema).toBe('twinlight.eval/1')
    expect(json.pairBy).toBe('stem')
    expect(json.table.rows[0]).toMatchObject({ item: '001', a: '001.png', b: '001.png', values: { psnr: 'Infinity', ssim: 1, mae: 0, rmse: 0 } })
    expect(json.table.summary[0]).toMatchObject({ metric: 'psnr', mean: 'Infinity', std: null, n: 3, infinite: 3, display: '∞' })
    expect(Number(json.table.summary[0].mean)).toBe(Infinity)
  })

  it('some identical pairs: the summary says how many and gives the mean over the rest', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['1.png', '2.png', '3.png'])
    await writeFolder(join(root, 'b'), ['1.png', '2.png'])
    await writeImage(join(root, 'b', '3.png'), 32, 32, 3, 99)
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['psnr'] })
    const s = report.table.summary[0]
    expect(s.display).toMatch(/^∞ \(2 of 3 identical; \d+\.\d\d ± 0\.00 over the rest\)$/)
    expect(Number.isFinite(report.table.rows[2].values.psnr)).toBe(true)
  })

  it('grey and crop are applied and recorded', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['x.png'], 40, 40)
    await writeImage(join(root, 'b', 'x.png'), 40, 40, 1, 0)
    await expect(evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b') })).rejects.toThrow(/pair 1 \(pred x\.png, gt x\.png\): channel counts differ: pred is 40×40×3, gt is 40×40×1/)
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), grey: true, crop: 2 })
    expect(report.options).toEqual({ grey: true, crop: 2 })
    expect(report.table.rows[0].values.ssim).toBeGreaterThan(-1)
  })

  it('mismatched image sizes name the pair and both sizes', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['p.png', 'q.png'], 32, 32)
    await writeFolder(join(root, 'b'), ['p.png'], 32, 32)
    await writeImage(join(root, 'b', 'q.png'), 64, 64)
    await expect(evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b') })).rejects.toThrow('pair 2 (pred q.png, gt q.png): image sizes differ: pred is 32×32×3, gt is 64×64×3')
  })

  it('sets of different sizes are refused for paired metrics but fine for FID', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['1.png', '2.png', '3.png'])
    await writeFolder(join(root, 'b'), ['1.png', '2.png'])
    await expect(evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), pairBy: 'order' })).rejects.toThrow(/sets of different sizes: pred has 3 images, gt has 2/)
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['fid'], embedder: fakeEmbedder() })
    expect(report.pairBy).toBeNull()
    expect(report.distribution?.fid).toMatchObject({ label: 'FD-face', comparableToPublished: false, n1: 3, n2: 2, dims: 3 })
    expect(report.distribution?.fid?.long).toMatch(/not comparable to published FID/)
    expect(report.warnings.some((w) => /face embedding \(no --extractor given\)/.test(w))).toBe(true)
  })

  it('order pairing puts its ambiguity warnings in the report', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['fake_1.png', 'fake_2.png'])
    await writeFolder(join(root, 'b'), ['real_1.png', 'real_2.png'])
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), pairBy: 'order', metrics: ['psnr'] })
    expect(report.pairBy).toBe('order')
    expect(report.warnings[0]).toMatch(/pairing by sorted order is ambiguous/)
    expect(JSON.parse(reportToJson(report)).warnings[0]).toMatch(/ambiguous/)
  })

  it('identity: cosine per pair where a face is found on both sides, rank-1 over the pairs', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['1.png', '2.png', '3.png'])
    await writeFolder(join(root, 'b'), ['1.png', '2.png', '3.png'])
    await rm(join(root, 'b', '3.png'))
    await writeImage(join(root, 'b', '3.png'), 8, 8) // "no face": too small for the stand-in
    await rm(join(root, 'a', '3.png'))
    await writeImage(join(root, 'a', '3.png'), 8, 8)
    const embedder = fakeEmbedder()
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['identity'], embedder })
    const rows = report.table.rows
    expect(rows[0].values.identity).toBeCloseTo(1, 6)
    expect(rows[2].values.identity).toBeNull()
    expect(rows[2].notes).toEqual(['no face found in pred and gt'])
    expect(report.identity).toMatchObject({ model: 'Fake embedder', facesFound: { pred: 2, gt: 2, pairs: 2 } })
    expect(report.identity?.identification?.rank1).toBe(1)
    expect(report.table.summary[0]).toMatchObject({ n: 2, missing: 1 })
    expect(embedder.disposed).toBe(false) // the caller's embedder stays open
  })

  it('FID/KID through an ONNX feature extractor with a manifest', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['1.png', '2.png', '3.png', '4.png'])
    await writeFolder(join(root, 'b'), ['1.png', '2.png', '3.png', '4.png'])
    await writeFile(join(root, 'tiny.onnx'), tinyExtractorOnnx())
    await writeFile(join(root, 'extractor.json'), JSON.stringify(extractorManifest()))
    const report = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['fid', 'kid'], extractor: join(root, 'extractor.json') })
    expect(report.distribution?.fid).toMatchObject({ label: 'FD-other', n1: 4, n2: 4, dims: 3, comparableToPublished: false })
    expect(Math.abs(report.distribution!.fid!.value)).toBeLessThan(1e-6)
    expect(report.distribution?.kid?.label).toBe('KID-other')
    expect(report.warnings.some((w) => /not Inception-v3/.test(w))).toBe(true)

    // With featureSpace 'inception' the same numbers are labelled FID / KID.
    await writeFile(join(root, 'inception.json'), JSON.stringify(extractorManifest({ featureSpace: 'inception' })))
    const fid = await evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['fid'], extractor: join(root, 'inception.json') })
    expect(fid.distribution?.fid).toMatchObject({ label: 'FID', comparableToPublished: true })
    expect(fid.warnings.some((w) => /biased upward/.test(w))).toBe(true)
  })

  it('mIoU over palette masks: per pair and over the whole set', async () => {
    const root = await dir()
    await writeMask(join(root, 'gt', 'm1.png'), 16, 16, (x) => (x < 8 ? 0 : 1))
    await writeMask(join(root, 'gt', 'm2.png'), 16, 16, (x, y) => (y < 4 ? 255 : x < 8 ? 0 : 2))
    await writeMask(join(root, 'pred', 'm1.png'), 16, 16, (x) => (x < 8 ? 0 : 1))
    await writeMask(join(root, 'pred', 'm2.png'), 16, 16, (x) => (x < 12 ? 0 : 2))
    const report = await evaluateFolders({ predDir: join(root, 'pred'), gtDir: join(root, 'gt'), metrics: ['miou'] })
    expect(report.table.rows[0].values.miou).toBe(1)
    expect(report.masks?.numClasses).toBe(3)
    // m2 counted rows 4..15: class 0 = x<8 (96 px), class 2 = x≥8 (96 px); pred says 0 up to x<12.
    // IoU0 = 96/144, IoU2 = 48/96.
    expect(report.table.rows[1].values.miou).toBeCloseTo((96 / 144 + 48 / 96) / 2, 10)
    expect(report.warnings.some((w) => /mIoU over 3 classes/.test(w))).toBe(true)
    const fixed = await evaluateFolders({ predDir: join(root, 'pred'), gtDir: join(root, 'gt'), metrics: ['miou'], classes: 2 }).catch((e: Error) => e)
    expect((fixed as Error).message).toMatch(/pair 2 .*gt has class 2 .* only 2 classes/)
  })

  it('a colour image given as a mask is refused with the reason', async () => {
    const root = await dir()
    await writeFolder(join(root, 'a'), ['1.png'])
    await copyFile(join(root, 'a', '1.png'), join(root, 'b.png'))
    await mkdir(join(root, 'b'))
    await copyFile(join(root, 'b.png'), join(root, 'b', '1.png'))
    await expect(evaluateFolders({ predDir: join(root, 'a'), gtDir: join(root, 'b'), metrics: ['miou'] })).rejects.toThrow(/1\.png is a colour PNG, not a label map/)
  })

  it('parses metric lists and refuses unknown names', () => {
    expect(parseMetricList('psnr, SSIM,fid,psnr')).toEqual(['psnr', 'ssim', 'fid'])
    expect(() => parseMetricList('psnr,lpips')).toThrow('unknown metric "lpips"; choose from psnr, ssim, mae, rmse, identity, fid, kid, miou')
  })
})

describe('feature extractor manifests', () => {
  it('a manifest that does not fit its model names every problem', async () => {
    const graph = inspectOnnx(tinyExtractorOnnx({ inputName: 'x', outputName: 'pool' }))
    const m = parseExtractorManifest(extractorManifest({ input: { width: 299, height: 299 }, output: { dims: 2048 } }))
    const problems = checkExtractorGraph(m, graph)
    expect(problems.join('\n')).toMatch(/input 'images' is not an input of the model \(it has 1 input: 'x' float32 \[N, 3, 8, 8\]\)/)
    expect(problems.join('\n')).toMatch(/output 'features' is not an output of the model/)
    const sized = checkExtractorGraph(parseExtractorManifest(extractorManifest({ input: { width: 299, height: 299 }, output: { dims: 2048 } })), inspectOnnx(tinyExtractorOnnx()))
    expect(sized).toEqual([
      "input 'images' is [N, 3, 8, 8] but the manifest says 299×299 NCHW: [N, 3, 299, 299]",
      "output 'features' has shape [N, 3] (3 values per image), the manifest says 2048 dims"
    ])
  })

  it('opening refuses a mismatched pair, a missing model and a malformed manifest', async () => {
    const root = await dir()
    await writeFile(join(root, 'tiny.onnx'), tinyExtractorOnnx())
    await writeFile(join(root, 'bad.json'), JSON.stringify(extractorManifest({ output: { dims: 2048 } })))
    await expect(openFeatureExtractor(join(root, 'bad.json'))).rejects.toThrow(/the feature extractor manifest 'tiny-test-extractor' does not fit its model: output 'features' has shape \[N, 3\]/)
    await writeFile(join(root, 'none.json'), JSON.stringify(extractorManifest({ modelPath: null })))
    await expect(openFeatureExtractor(join(root, 'none.json'))).rejects.toThrow(/has no model file: the weights are not shipped/)
    await writeFile(join(root, 'gone.json'), JSON.stringify(extractorManifest({ modelPath: 'missing.onnx' })))
    await expect(openFeatureExtractor(join(root, 'gone.json'))).rejects.toThrow(/model file .*missing\.onnx does not exist/)
    await writeFile(join(root, 'broken.json'), JSON.stringify({ ...extractorManifest(), input: { name: 'images' } }))
    await expect(openFeatureExtractor(join(root, 'broken.json'))).rejects.toThrow(/is not valid: input\.width/)
  })

  it('the shipped Inception manifest is valid and says the weights are the user\'s', async () => {
    const m = parseExtractorManifest(JSON.parse(await (await import('node:fs/promises')).readFile(join(__dirname, '../../../resources/feature-extractors/inception-v3-pool3.json'), 'utf8')))
    expect(m).toMatchObject({ featureSpace: 'inception', input: { width: 299, height: 299 }, output: { dims: 2048 }, model: { path: null } })
  })

  it('resizes like torch bilinear (align_corners=False)', () => {
    // 2×1 → 4×1: source x = (d + 0.5)/2 − 0.5 → -0.25→0, 0.25, 0.75, 1.25→clamped neighbour.
    const img: MetricImage = { width: 2, height: 1, channels: 1, data: Uint8Array.of(0, 100) }
    const out = resizeBilinearRgb(img, 4, 1)
    expect(Array.from(out.filter((_, i) => i % 3 === 0))).toEqual([0, 25, 75, 100])
  })
})
