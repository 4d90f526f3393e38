// The Dataset view's reads (services/datasetService.ts): a real dataset written by the
// pipeline is listed and read back with the pipeline's own decisions; damaged files are
// reported by name and line; nothing outside the project is read.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeDataset } from '../../../src/main/engine/dataset'
import { listDatasets, parseMetadata, readDataset, readDatasetRecord } from '../../../src/main/services/datasetService'
import { API } from '../../../src/shared/api'
import { baseOptions } from './helpers'

let project: string
const readLines = async (name: string) =>
  (await readFile(join(project, 'datasets', name, 'metadata.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { stem: string; uncertainty: number; kept: boolean; reason: string; reasons: string[]; files: Record<string, string> })

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'tl-dataset-service-'))
  await makeDataset(baseOptions(join(project, 'datasets', 'kept'), { name: 'kept', keepRejected: true, filter: { dropFraction: 0.25, maxScore: 0.85 } }))
  await makeDataset(baseOptions(join(project, 'datasets', 'plain'), { name: 'plain', filter: { dropFraction: 0.25, maxScore: null } }))
  // An unfinished run: samples staged, not finalised (a shard never finalises).
  await makeDataset(baseOptions(join(project, 'datasets', 'partial'), { name: 'partial', shard: { index: 0, count: 3 } }))
})
afterAll(async () => {
  await rm(project, { recursive: true, force: true })
})

describe('dataset service', () => {
  it('lists the datasets with their state, counts and thresholds as the pipeline decided them', async () => {
    const list = await listDatasets(project)
    expect(list.map((d) => d.name)).toEqual(['kept', 'partial', 'plain'])
    const kept = list.find((d) => d.name === 'kept')!
    const lines = await readLines('kept')
    expect(kept.state).toBe('finished')
    expect(kept.done).toBe(lines.length)
    expect(kept.counts!.kept).toBe(lines.filter((l) => l.kept).length)
    for (const reason of new Set(lines.filter((l) => !l.kept).map((l) => l.reason))) expect(kept.counts![reason]).toBe(lines.filter((l) => !l.kept && l.reason === reason).length)
    expect(kept.thresholds.maxScore).toBe(0.85)
    expect(kept.thresholds.dropFraction).toBe(0.25)
    expect(kept.thresholds.identity).toBeNull()
    const dropped = lines.filter((l) => l.reasons.includes('uncertainty-top')).map((l) => l.uncertainty)
    expect(dropped.length).toBeGreaterThan(0)
    expect(kept.thresholds.topCutoff).toBe(Math.min(...dropped))
    expect(kept.modalities).toEqual(['rgb', 'nir'])
    const partial = list.find((d) => d.name === 'partial')!
    expect(partial.state).toBe('incomplete')
    expect(partial.counts).toBeNull()
    expect(partial.done).toBe(4) // 12 seeds, shard 0 of 3
  })

  it('reads every record with project-relative files; rejected files only when the run kept them', async () => {
    const kept = await readDataset(project, 'kept')
    const lines = await readLines('kept')
    expect(kept.records.map((r) => r.stem)).toEqual(lines.map((l) => l.stem))
    expect(kept.problems).toEqual([])
    expect(kept.classes.length).toBe(10)
    const rejected = kept.records.find((r) => !r.kept)!
    expect(rejected.files.mask).toBe(`datasets/kept/rejected/masks/${rejected.stem}.png`)
    await expect(readFile(join(project, rejected.files.rgb!))).resolves.toBeTruthy()
    const plain = await readDataset(project, 'plain')
    const plainRejected = plain.records.find((r) => !r.kept)!
    expect(plainRejected.files).toEqual({})
    const plainKept = plain.records.find((r) => r.kept)!
    expect(plainKept.files.rgb).toBe(`datasets/plain/rgb/${plainKept.stem}.png`)
  })

  it('gives one whole record by stem, latent included', async () => {
    const lines = await readLines('kept')
    const { line, record } = await readDatasetRecord(project, 'kept', lines[3]!.stem)
    expect(line).toBe(4)
    expect(record.uncertainty).toBe(lines[3]!.uncertainty)
    expect(record.latent).toBeTruthy()
    await expect(readDatasetRecord(project, 'kept', '99999999')).rejects.toThrow(/no sample "99999999"/)
    await expect(readDatasetRecord(project, 'partial', '00000003')).rejects.toThrow(/not finished/)
  })

  it('reports damaged lines and a damaged plan by name instead of failing, and refuses paths out of the dataset', async () => {
    const good = JSON.stringify({ stem: '00000001', seed: 1, uncertainty: 0.5, kept: true, reason: 'ok', files: { rgb: 'rgb/00000001.png' } })
    const escape = JSON.stringify({ stem: '00000002', seed: 2, uncertainty: 0.5, kept: true, reason: 'ok', files: { rgb: '../../twinlight.json' } })
    const parsed = await parseMetadata([good, '{oops', JSON.stringify({ stem: 'x', seed: 'three' }), escape, ''].join('\n'), 'd')
    expect(parsed.records.map((r) => r.stem)).toEqual(['00000001'])
    expect(parsed.records[0]!.files).toEqual({ rgb: 'datasets/d/rgb/00000001.png' })
    expect(parsed.problems).toEqual([
      'metadata.jsonl line 2: not valid JSON',
      'metadata.jsonl line 3: seed: expected a whole number',
      'metadata.jsonl line 4: files.rgb: "../../twinlight.json" leaves the dataset folder'
    ])

    const dir = join(project, 'datasets', 'broken')
    await mkdir(join(dir, '.twinlight'), { recursive: true })
    await writeFile(join(dir, '.twinlight', 'plan.json'), '{ not json')
    await writeFile(join(dir, 'metadata.jsonl'), good + '\n')
    await writeFile(join(dir, 'README.md'), '# broken\n')
    const broken = (await listDatasets(project)).find((d) => d.name === 'broken')!
    expect(broken.problem).toMatch(/datasets\/broken\/\.twinlight\/plan\.json is not valid JSON/)
    expect(broken.counts).toEqual({ kept: 1 })

    await appendFile(join(project, 'datasets', 'plain', 'metadata.jsonl'), 'garbage\n')
    const plain = await readDataset(project, 'plain')
    expect(plain.problems).toEqual([`metadata.jsonl line ${plain.records.length + 1}: not valid JSON`])
    await expect(readDataset(project, 'missing')).rejects.toThrow(/no dataset "missing"/)
  })

  it('refuses dataset names and stems that would leave datasets/ at the API boundary', () => {
    for (const name of ['../kept', 'kept/../../x', '/etc', '.twinlight', '']) {
      const parsed = API['datasets.read'].input.safeParse({ name })
      expect(parsed.success, name).toBe(false)
    }
    expect(API['datasets.read'].input.safeParse({ name: 'kept' }).success).toBe(true)
    expect(API['datasets.record'].input.safeParse({ name: 'kept', stem: '../../twinlight' }).success).toBe(false)
  })
})
