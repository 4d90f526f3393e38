// tools/export_stylegan2_onnx.py under PyTorch (Debian: python3-torch), on the tiny StyleGAN2 /
// BiFaceGAN-like module tree in tests/python/tiny_stylegan: export, then load the result in the
// studio (manifest validation + onnxruntime), generate samples, and compare with PyTorch.
// Without a python3 that has torch this test fails and says what to install: it is never skipped.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadManifest } from '../../../src/shared/generator'
import { GeneratorRuntime } from '../../../src/main/engine/generator/runtime'
import { recipeForSeed, resolveVector } from '../../../src/main/engine/generator/recipe'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import { tempStudio, waitForJobs } from './helpers'

const ROOT = resolve(__dirname, '../../..')
const PY = join(ROOT, 'tests/python')
const EXPORTER = join(ROOT, 'tools/export_stylegan2_onnx.py')
const SOURCE = join(PY, 'tiny_stylegan')

/** The first interpreter (TWINLIGHT_PYTHON, python3, /usr/bin/python3) that imports torch. */
function findTorchPython(): string | null {
  const candidates = [process.env.TWINLIGHT_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => !!c)
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 })
    if (probe.status === 0) return candidate
  }
  return null
}

const python = findTorchPython()
/** No __pycache__ folders in the repository's test tree. */
const PY_ENV = { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }
let work: string

function run(args: string[]): string {
  if (!python) throw new Error('no python3 with torch')
  const result = spawnSync(python, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024, env: PY_ENV })
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed (${result.status}):\n${result.stderr}\n${result.stdout}`)
  return result.stdout
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'tl-torch-'))
  if (python) run([join(PY, 'make_tiny_pickle.py'), join(work, 'tiny.pkl')])
})
afterAll(async () => rm(work, { recursive: true, force: true }))

describe('PyTorch import (tools/export_stylegan2_onnx.py)', () => {
  it('finds python3 with PyTorch (install python3-torch if this fails)', () => {
    expect(
      python,
      'python3 with PyTorch is required for the exporter test but was not found. Install Debian\'s python3-torch ' +
        '(apt-get install -y python3-torch; CI installs it) or point TWINLIGHT_PYTHON at a Python that has torch.'
    ).not.toBeNull()
  })

  it('exports the dual-head generator; the studio validates it, runs it and matches PyTorch', async () => {
    expect(python, 'install python3-torch').not.toBeNull()
    const out = join(work, 'const')
    const log = run([EXPORTER, '--source', SOURCE, '--pkl', join(work, 'tiny.pkl'), '--out', out, '--head', 'torgb=rgb', '--head', 'toseg=nir', '--name', 'tiny biface'])
    expect(log).toContain('6 feature maps, 56 channels')
    const loaded = loadManifest(await readFile(join(out, 'generator.json'), 'utf8'))
    if (!loaded.ok) throw new Error(loaded.error)
    const manifest = loaded.manifest
    expect(manifest).toMatchObject({
      name: 'tiny biface',
      latent: { input: 'z', size: 8, prior: 'normal' },
      truncation: { input: 'psi', default: 0.7 },
      noise: { kind: 'none' },
      resolution: 16,
      modalities: [
        { id: 'rgb', output: 'rgb', channels: 3, range: [-1, 1], resolution: 16 },
        { id: 'nir', output: 'nir', channels: 1, range: [-1, 1], resolution: 16 }
      ]
    })
    expect(manifest.features.map((f) => [f.name, f.channels, f.resolution])).toEqual([
      ['b4.conv1.x0', 16, 4],
      ['b4.conv1', 16, 4],
      ['b8.conv0', 8, 8],
      ['b8.conv1', 8, 8],
      ['b16.conv0', 4, 16],
      ['b16.conv1', 4, 16]
    ])
    const onnx = new Uint8Array(await readFile(join(out, 'generator.onnx')))
    expect(inspectOnnx(onnx).opset).toBe(17)

    // The studio's runtime: manifest check, then a batch of 3 (the export traced 2: N is dynamic).
    const runtime = await GeneratorRuntime.open({ onnx, manifest })
    const recipe = recipeForSeed(manifest, 0.5)
    const seeds = [3, 4, 5]
    const samples = await runtime.run(seeds.map((seed) => ({ seed, recipe })), { features: true }, 3)
    await runtime.release()

    // PyTorch on the same latents (drawn from the seeds by the studio's sampler).
    const latents = seeds.map((seed) => Array.from(resolveVector(recipe.latent, seed)))
    await writeFile(join(work, 'z.json'), JSON.stringify(latents))
    const reference = JSON.parse(run([join(PY, 'reference_outputs.py'), join(work, 'tiny.pkl'), SOURCE, join(work, 'z.json'), '0.5'])) as {
      rgb: number[]
      nir: number[]
      features: Record<string, number[]>
    }
    const plane = 16 * 16
    samples.forEach((sample, i) => {
      // Images: the studio's 8-bit mapping of PyTorch's values, within one level (float differences at rounding edges).
      for (const [id, channels] of [['rgb', 3], ['nir', 1]] as const) {
        const image = sample.images[id]
        const ref = reference[id].slice(i * channels * plane, (i + 1) * channels * plane)
        let worst = 0
        for (let c = 0; c < channels; c++) {
          for (let p = 0; p < plane; p++) {
            const expected = Math.min(255, Math.max(0, Math.floor(((ref[c * plane + p] + 1) * 255) / 2 + 0.5)))
            worst = Math.max(worst, Math.abs(image.data[p * channels + c] - expected))
          }
        }
        expect(worst, `${id} of seed ${seeds[i]}`).toBeLessThanOrEqual(1)
      }
      for (const f of manifest.features) {
        const per = f.channels * f.resolution * f.resolution
        const ref = reference.features[f.name].slice(i * per, (i + 1) * per)
        const got = sample.features[f.name].data
        let worst = 0
        for (let k = 0; k < per; k++) worst = Math.max(worst, Math.abs(got[k] - ref[k]))
        expect(worst, `feature ${f.name} of seed ${seeds[i]}`).toBeLessThan(1e-3)
      }
    })
  })

  it('exports seeded noise inputs, attaches in a project and generates reproducible samples', async () => {
    expect(python, 'install python3-torch').not.toBeNull()
    const out = join(work, 'explicit')
    run([EXPORTER, '--source', SOURCE, '--pkl', join(work, 'tiny.pkl'), '--out', out, '--head', 'torgb=rgb', '--noise', 'explicit', '--features', 'b8.conv1,b16.conv1'])
    const manifestText = await readFile(join(out, 'generator.json'), 'utf8')
    const manifest = JSON.parse(manifestText)
    expect(manifest.noise.kind).toBe('explicit')
    expect(manifest.noise.inputs.map((n: { name: string }) => n.name)).toEqual(['noise.b4.conv1', 'noise.b8.conv0', 'noise.b8.conv1', 'noise.b16.conv0', 'noise.b16.conv1'])
    expect(manifest.features.map((f: { name: string }) => f.name)).toEqual(['b8.conv1', 'b16.conv1'])

    const studio = await tempStudio('tl-torch-project-')
    try {
      await studio.project('From PyTorch')
      const onnx = new Uint8Array(await readFile(join(out, 'generator.onnx')))
      const { attached } = await studio.backend.call('models.attachGenerator', { source: 'upload', onnx, manifest: manifestText, fileName: 'generator.onnx' })
      expect(attached.summary).toMatchObject({ noise: 'explicit', featureChannels: 12, truncationDefault: 0.7 })
      await studio.backend.call('samples.generate', { count: 2, seedStart: 0 })
      await waitForJobs(studio.backend)
      const jobs = await studio.backend.call('jobs.list', {})
      expect(jobs[0].state, jobs[0].error ?? '').toBe('succeeded')
      const list = await studio.backend.call('samples.list', {})
      expect(list.map((s) => s.seed)).toEqual([0, 1])
      expect(list[0].modalities).toEqual(['rgb'])
    } finally {
      await studio.cleanup()
    }
  })

  it('explains what is wrong with a head that does not exist', () => {
    expect(python, 'install python3-torch').not.toBeNull()
    const result = spawnSync(python!, [EXPORTER, '--source', SOURCE, '--pkl', join(work, 'tiny.pkl'), '--out', join(work, 'bad'), '--head', 'tothermal=thermal'], { encoding: 'utf8', env: PY_ENV })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('the last synthesis block has no "tothermal" head (it has: conv0, conv1, torgb, toseg)')
  })
})
