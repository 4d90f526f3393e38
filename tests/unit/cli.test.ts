import { describe, it, expect } from 'vitest'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodePng } from '../../src/main/engine/io/png'
import { twinlight } from './twinlightCli'

describe('twinlight CLI', () => {
  it('has --help for every command', async () => {
    const top = await twinlight('--help')
    expect(top.code).toBe(0)
    for (const command of ['serve', 'render']) {
      expect(top.stdout).toContain(command)
      const help = await twinlight(command, '--help')
      expect(help.code, command).toBe(0)
      expect(help.stdout).toContain(`Usage: twinlight ${command}`)
    }
  })

  it('renders a paired dataset in the documented layout', async () => {
    const out = await mkdtemp(join(tmpdir(), 'tl-cli-'))
    try {
      const result = await twinlight('render', '--out', out, '--count', '4', '--size', '64', '--modalities', 'rgb,nir', '--seed', '7', '--identities', '2', '--per-identity', '2')
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toMatch(/wrote 4 samples/)
      expect((await readdir(out)).sort()).toEqual(['classes.json', 'id2label.json', 'masks', 'metadata.jsonl', 'nir', 'rgb'])
      expect((await readdir(join(out, 'rgb'))).length).toBe(4)
      const mask = decodePng(await readFile(join(out, 'masks', (await readdir(join(out, 'masks')))[0])))
      expect(mask.colorType).toBe(3)
      const lines = (await readFile(join(out, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l))
      expect(lines.map((l) => l.identity)).toEqual([0, 0, 1, 1])
      expect(JSON.parse(await readFile(join(out, 'id2label.json'), 'utf8'))['0']).toBe('background')
    } finally {
      await rm(out, { recursive: true, force: true })
    }
  })

  it('gives clear errors for bad arguments', async () => {
    const size = await twinlight('render', '--out', '/tmp/x', '--count', '3', '--size', '0')
    expect(size.code).not.toBe(0)
    expect(size.stderr).toMatch(/--size.*expected a whole number from 64 to 1024/)
    const count = await twinlight('render', '--out', '/tmp/x', '--count', '-2')
    expect(count.stderr).toMatch(/--count.*expected a whole number/)
    const modality = await twinlight('render', '--out', '/tmp/x', '--count', '2', '--modalities', 'rgb,thermal')
    expect(modality.code).toBe(1)
    expect(modality.stderr).toMatch(/unknown modality "thermal"/)
  })
})
