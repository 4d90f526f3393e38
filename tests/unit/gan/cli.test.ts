// `twinlight train-generator`: help and argument errors (training itself, presets and configs are
// covered in-process; each CLI spawn costs seconds).
import { describe, expect, it } from 'vitest'
import { twinlight } from '../twinlightCli'

describe('twinlight train-generator', () => {
  it('documents its options', async () => {
    const help = await twinlight('train-generator', '--help')
    expect(help.code).toBe(0)
    for (const option of ['--config', '--preset', '--resume', '--out', '--backend', '--steps', '--max-minutes', '--export-to']) expect(help.stdout).toContain(option)
  })

  it('refuses unclear or bad arguments with a clear message', async () => {
    const none = await twinlight('train-generator')
    expect(none.code).not.toBe(0)
    expect(none.stderr).toMatch(/exactly one of --config FILE, --preset NAME or --resume RUN/)
  })
})
