// Cross-checks against the reference implementations the papers use: scikit-image's SSIM and
// PSNR, Pillow's convert('L'), numpy/scipy's FID formula (pytorch-fid) and torch-fidelity's
// KID formula. Needs python3 with scikit-image (Debian: python3-skimage, which brings numpy,
// scipy and Pillow). This test FAILS, never skips, when that is missing: CI installs it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  frechetDistance,
  kernelDistance,
  luma601,
  psnr,
  ssim,
  type ImagePrepOptions,
  type MetricImage
} from '../../../src/main/engine/metrics'
import { degrade, lcg, normal, patternImage } from './helpers'

const PY_PROBE = 'import skimage, numpy, scipy, PIL, json; print(skimage.__version__)'

/** The first interpreter (TWINLIGHT_PYTHON, python3, /usr/bin/python3) that has skimage. */
function findPython(): { exe: string } | { error: string } {
  const tried: string[] = []
  const candidates = [process.env.TWINLIGHT_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c)
  for (const exe of [...new Set(candidates)]) {
    const r = spawnSync(exe, ['-c', PY_PROBE], { encoding: 'utf8' })
    if (r.status === 0) return { exe }
    tried.push(`${exe}: ${r.error ? r.error.message : (r.stderr || '').trim().split('\n').pop()}`)
  }
  return {
    error:
      'python3 with scikit-image is required for the metrics reference test but was not found. ' +
      'Install Debian\'s python3-skimage (apt-get install -y python3-skimage; CI installs it), ' +
      `or point TWINLIGHT_PYTHON at an interpreter with scikit-image, numpy, scipy and Pillow. Tried: ${tried.join('; ')}`
  }
}

const PY_SCRIPT = String.raw`
import json, sys, os, warnings
import numpy as np
from PIL import Image
from scipy import linalg
from skimage.metrics import structural_similarity, peak_signal_noise_ratio
warnings.simplefilter('ignore')
d = sys.argv[1]
spec = json.load(open(os.path.join(d, 'cases.json')))
out = {'images': {}}

def load(name, w, h, c):
    a = np.fromfile(os.path.join(d, name), dtype=np.uint8)
    return a.reshape(h, w) if c == 1 else a.reshape(h, w, c)

def fnum(v):
    v = float(v)
    return 'inf' if np.isinf(v) else v

for case in spec['images']:
    w, h, c = case['w'], case['h'], case['c']
    pred, gt = load(case['pred'], w, h, c), load(case['gt'], w, h, c)
    if c == 4:
        pred, gt = pred[..., :3], gt[..., :3]
    if case['grey']:
        if pred.ndim == 3:
            pred = np.asarray(Image.fromarray(np.ascontiguousarray(pred)).convert('L'))
            gt = np.asarray(Image.fromarray(np.ascontiguousarray(gt)).convert('L'))
    k = case['crop']
    if k:
        pred, gt = pred[k:-k, k:-k], gt[k:-k, k:-k]
    kw = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    if pred.ndim == 3:
        kw['channel_axis'] = -1
    out['images'][case['name']] = {
        'ssim': fnum(structural_similarity(pred, gt, **kw)),
        'psnr': fnum(peak_signal_noise_ratio(gt, pred, data_range=255)),
    }

rgb = np.fromfile(os.path.join(d, 'luma.u8'), dtype=np.uint8).reshape(1, -1, 3)
out['luma'] = np.asarray(Image.fromarray(rgb).convert('L')).reshape(-1).tolist()

fd = spec['fid']
a = np.fromfile(os.path.join(d, 'fa.f64'), dtype=np.float64).reshape(fd['n1'], fd['d'])
b = np.fromfile(os.path.join(d, 'fb.f64'), dtype=np.float64).reshape(fd['n2'], fd['d'])
m1, m2 = a.mean(0), b.mean(0)
s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
out['fid'] = float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))

m = fd['kid_m']
x, y = a[:m], b[:m]
dd = x.shape[1]
kxx = (x @ x.T / dd + 1) ** 3 + (y @ y.T / dd + 1) ** 3
kxy = (x @ y.T / dd + 1) ** 3
out['kid'] = float(((kxx.sum() - np.diag(kxx).sum()) / (m - 1) - kxy.sum() * 2 / m) / m)
print(json.dumps(out))
`

interface ImageCase {
  name: string
  pred: MetricImage
  gt: MetricImage
  opts: ImagePrepOptions
}

function imageCases(): ImageCase[] {
  const cases: ImageCase[] = []
  const add = (name: string, gt: MetricImage, opts: ImagePrepOptions = {}, pred = degrade(gt, gt.width * 31 + gt.height)): void => {
    cases.push({ name, pred, gt, opts })
  }
  add('grey-37x29', patternImage(37, 29, 1, 1))
  add('rgb-41x33', patternImage(41, 33, 3, 2))
  add('rgb-64x48-crop2', patternImage(64, 48, 3, 3), { crop: 2 })
  add('grey-of-rgb-23x31-crop2', patternImage(23, 31, 3, 4), { grey: true, crop: 2 })
  add('grey-of-rgb-50x45', patternImage(50, 45, 3, 5), { grey: true })
  add('grey-11x11-minimal', patternImage(11, 11, 1, 6))
  add('grey-15x15-crop2-to-11x11', patternImage(15, 15, 1, 7), { crop: 2 }, degrade(patternImage(15, 15, 1, 7), 99, 80))
  add('rgba-19x17', patternImage(19, 17, 4, 8))
  add('rgb-128x96', patternImage(128, 96, 3, 9))
  add('rgb-heavy-noise-33x35', patternImage(33, 35, 3, 10), {}, degrade(patternImage(33, 35, 3, 10), 5, 200))
  const same = patternImage(20, 20, 3, 11)
  add('rgb-identical-20x20', same, {}, { ...same, data: same.data.slice() })
  return cases
}

interface PyOut {
  images: Record<string, { ssim: number | 'inf'; psnr: number | 'inf' }>
  luma: number[]
  fid: number
  kid: number
}

const num = (v: number | 'inf'): number => (v === 'inf' ? Infinity : v)

describe('metrics agree with the Python reference implementations', () => {
  let dir = ''
  let py: PyOut | undefined
  let failure = ''
  const cases = imageCases()
  const gauss = normal(lcg(2024))
  const D = 24
  const fa = Array.from({ length: 80 }, () => Float64Array.from({ length: D }, (_, i) => gauss() * (1 + (i % 4)) + (i % 3) * 0.2))
  const fb = Array.from({ length: 60 }, () => Float64Array.from({ length: D }, (_, i) => gauss() * (1.5 - (i % 2) * 0.7) + 0.4))
  const lumaRand = lcg(77)
  const luma = Uint8Array.from({ length: 3 * 4096 }, (_, i) => (i < 24 ? [0, 255, 127, 128, 1, 254][i % 6] : Math.floor(lumaRand() * 256)))

  beforeAll(() => {
    const found = findPython()
    if ('error' in found) {
      failure = found.error
      return
    }
    dir = mkdtempSync(join(tmpdir(), 'twinlight-metrics-'))
    const spec = {
      images: cases.map((c) => {
        writeFileSync(join(dir, `${c.name}.pred.u8`), c.pred.data)
        writeFileSync(join(dir, `${c.name}.gt.u8`), c.gt.data)
        return { name: c.name, w: c.gt.width, h: c.gt.height, c: c.gt.channels, grey: !!c.opts.grey, crop: c.opts.crop ?? 0, pred: `${c.name}.pred.u8`, gt: `${c.name}.gt.u8` }
      }),
      fid: { n1: fa.length, n2: fb.length, d: D, kid_m: 50 }
    }
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(spec))
    writeFileSync(join(dir, 'luma.u8'), luma)
    const cat = (rows: Float64Array[]): Buffer => Buffer.concat(rows.map((r) => Buffer.from(r.buffer, r.byteOffset, r.byteLength)))
    writeFileSync(join(dir, 'fa.f64'), cat(fa))
    writeFileSync(join(dir, 'fb.f64'), cat(fb))
    const r = spawnSync(found.exe, ['-c', PY_SCRIPT, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
    if (r.status !== 0) {
      failure = `the reference script failed (${found.exe}): ${r.stderr}`
      return
    }
    py = JSON.parse(r.stdout) as PyOut
  })

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  const ref = (): PyOut => {
    if (!py) throw new Error(failure || 'no reference output')
    return py
  }

  it('finds python3 with scikit-image (install python3-skimage if this fails)', () => {
    expect(failure, failure).toBe('')
    expect(py).toBeDefined()
  })

  it.each(cases.map((c) => [c.name, c] as const))('SSIM and PSNR match skimage: %s', (_name, c) => {
    const r = ref().images[c.name]
    const s = ssim(c.pred, c.gt, c.opts)
    const p = psnr(c.pred, c.gt, c.opts)
    expect(Math.abs(s - num(r.ssim))).toBeLessThan(1e-4)
    if (num(r.psnr) === Infinity) expect(p).toBe(Infinity)
    else expect(Math.abs(p - num(r.psnr))).toBeLessThan(1e-4)
    // Much tighter than required in practice: same float64 arithmetic, up to summation order.
    expect(Math.abs(s - num(r.ssim))).toBeLessThan(1e-10)
  })

  it('grey conversion is identical to Pillow convert("L")', () => {
    const ours: number[] = []
    for (let i = 0; i < luma.length; i += 3) ours.push(luma601(luma[i], luma[i + 1], luma[i + 2]))
    expect(ours).toEqual(ref().luma)
  })

  it('FID matches the numpy/scipy (pytorch-fid) formula', () => {
    const ours = frechetDistance(fa, fb).value
    expect(Math.abs(ours - ref().fid) / ref().fid).toBeLessThan(1e-8)
  })

  it('KID of one full subset matches the torch-fidelity formula', () => {
    const k = kernelDistance(fa.slice(0, 50), fb.slice(0, 50), { numSubsets: 1, subsetSize: 50 })
    expect(Math.abs(k.mean - ref().kid)).toBeLessThan(1e-9 * Math.max(1, Math.abs(ref().kid)))
  })
})
