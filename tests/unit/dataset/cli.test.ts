// twinlight make-dataset / merge-datasets on a renderer project: shard processes in
// parallel, merged, equal one single run.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROJECT_FILE, PROJECT_FOLDERS, PROJECT_TEMPLATES, projectFromTemplate } from '../../../src/shared/project'
import { makeDataset } from '../../../src/main/engine/dataset'
import { MakeDatasetParamsSchema, openProjectStages } from '../../../src/main/engine/dataset/project'
import { treeHashes } from './helpers'
import { twinlight } from '../twinlightCli'
import { JobManager } from '../../../src/main/services/jobs/jobManager'
import { ChildProcessWorkerHost } from '../../../src/main/services/jobs/workerHost'
import { builtinJobKinds } from '../../../src/main/services/jobs/kinds'


let root: string
let project: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-dataset-cli-'))
  project = join(root, 'project')
  const file = projectFromTemplate(PROJECT_TEMPLATES.find((t) => t.id === 'rgb-nir-face')!, 'P', '2026-01-01T00:00:00.000Z')
  file.settings.sampleSize = 64
  for (const f of PROJECT_FOLDERS) await mkdir(join(project, f), { recursive: true })
  await writeFile(join(project, PROJECT_FILE), JSON.stringify(file, null, 2))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('make-dataset CLI', () => {
  it('--shard processes in parallel, merged with merge-datasets, equal a single run', async () => {
    const common = ['make-dataset', '--project', project, '--count', '6', '--seed', '20', '--name', 'd', '--layout', 'hf', '--uncertainty-drop', '0.2']
    // the single run in-process, with the job kind's parameters
    const params = MakeDatasetParamsSchema.parse({ name: 'd', count: 6, seedStart: 20, layout: 'hf', uncertaintyDrop: 0.2 })
    const stages = await openProjectStages(project, params)
    const single = await makeDataset(stages.options)
    expect(single.counts).toEqual({ kept: 5, 'uncertainty-top': 1 })
    const shards = await Promise.all([0, 1].map((i) => twinlight(...common, '--shard', `${i}/2`)))
    for (const s of shards) {
      expect(s.code, s.stderr).toBe(0)
      expect(s.stdout).toContain('merge the shards')
    }
    const dirs = [0, 1].map((i) => join(project, 'datasets', `d.shard-${i}-of-2`))
    const merged = await twinlight('merge-datasets', join(root, 'merged'), ...dirs)
    expect(merged.code, merged.stderr).toBe(0)
    expect(merged.stdout).toContain('kept 5, rejected 1')
    expect(await treeHashes(join(root, 'merged'))).toEqual(await treeHashes(join(project, 'datasets', 'd')))
  }, 60_000)

  it('runs as the make-dataset job kind with progress and live counts', async () => {
    const manager = new JobManager(project, new Map(builtinJobKinds().map((k) => [k.kind, k])), new ChildProcessWorkerHost())
    await manager.load()
    const metrics: Array<Record<string, number>> = []
    manager.events.on('metrics', ({ point }) => metrics.push(point.values))
    try {
      const job = await manager.start('make-dataset', { name: 'job', count: 10, seedStart: 0, maxScore: 1 })
      await manager.idle()
      const done = manager.get(job.id)
      expect(done.error).toBeNull()
      expect(done.state).toBe('succeeded')
      expect(done.result).toMatchObject({ finalized: true, counts: { kept: 10 } })
      expect(done.artifacts).toContain('datasets/job')
      expect(metrics.at(-1)).toMatchObject({ kept: 10 })
    } finally {
      manager.shutdown()
    }
  }, 60_000)
})
