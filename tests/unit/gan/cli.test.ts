// `twinlight train-generator`: help, argument errors, and the adversarial presets started and
// resumed from the command line at 8² (each CLI spawn costs seconds; the rest of training is
// covered in-process).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runTwinlight, twinlight } from '../twinlightCli'
import { TINY_PRESET_OVERRIDES } from './tinyPreset'

/** Training spawns load TensorFlow.js and train: allow for a loaded machine. */
const train = (...args: string[]) => runTwinlight(args, { timeoutMs: 180_000 })

describe('twinlight train-generator', () => {
  it('documents its options', async () => {
    const help = await twinlight('train-generator', '--help')
    expect(help.code).toBe(0)
    for (const option of ['--config', '--preset', '--resume', '--out', '--backend', '--steps', '--max-minutes', '--export-to']) expect(help.stdout).toContain(option)
  })

  it('refuses unclear or bad arguments with a clear message', async () => {
    const none = await twinlight('train-generator')
    expect(none.code).not.toBe(0)
    expect(none.stderr).toMatch(/exactly one of --config FILE, --preset NAME \(optionally with --config FILE of overrides\) or --resume RUN/)
    const both = await twinlight('train-generator', '--preset', 'demo', '--resume', 'somewhere')
    expect(both.code).not.toBe(0)
    expect(both.stderr).toMatch(/exactly one of/)
  })
})

describe('twinlight train-generator --preset NAME --config OVERRIDES', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tl-gan-cli-'))
    await writeFile(join(dir, 'tiny.json'), JSON.stringify(TINY_PRESET_OVERRIDES))
  })
  afterAll(async () => rm(dir, { recursive: true, force: true }))

  it.each(['unconditional-64', 'conditional-128'])('runs preset %s shrunk to 8², previews, checkpoints and resumes', async (preset) => {
    const runDir = join(dir, preset)
    const started = await train('train-generator', '--preset', preset, '--config', join(dir, 'tiny.json'), '--out', runDir)
    expect(started.code, started.stderr).toBe(0)
    expect(started.stdout).toMatch(/TensorFlow\.js backend: wasm/)
    expect(started.stdout).toMatch(/finished at step 2\/2/)
    const record = JSON.parse(await readFile(join(runDir, 'config.json'), 'utf8'))
    expect(record.config.preset).toBe(preset)
    expect(record.config.resolution).toBe(8)
    expect(record.backend.backend).toBe('wasm')
    expect(await readdir(join(runDir, 'previews'))).toContain('step-00000002.png')
    expect(await readdir(join(runDir, 'checkpoints'))).toContain('step-00000002.ckpt')
    // Both presets are adversarial: one discriminator per modality.
    expect(await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).toContain('d_loss_nir')

    const resumed = await train('train-generator', '--resume', runDir, '--steps', '3')
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stdout).toMatch(/resumed from .*step-00000002\.ckpt at step 2/)
    expect(resumed.stdout).toMatch(/finished at step 3\/3/)
  })

  it('names a bad override', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ resolution: 48 }))
    const bad = await train('train-generator', '--preset', 'conditional-128', '--config', join(dir, 'bad.json'), '--out', join(dir, 'bad'))
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toMatch(/preset conditional-128: resolution: must be a power of two/)
  })
})
