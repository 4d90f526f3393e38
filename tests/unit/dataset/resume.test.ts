// Determinism, resume after SIGKILL at random points, shards merged = one run.
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { makeDataset, mergeDatasets, shardSeeds, parseShard, DatasetError } from '../../../src/main/engine/dataset'
import { baseOptions, treeHashes } from './helpers'

let root: string
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-resume-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

const FIXTURE = resolve(__dirname, 'fixtures/make.ts')
const childOptions = { count: 12, filter: { dropFraction: 0.2, maxScore: 0.85 }, keepRejected: true }

/** Runs the fixture; kills it with SIGKILL after killAfterMs (null = let it finish). Resolves true when it finished. */
function runChild(out: string, killAfterMs: number | null): Promise<boolean> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, out], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer)
      if (signal === 'SIGKILL') return done(stdout.includes('finished'))
      if (code !== 0) return fail(new Error(`child failed (${code}): ${stderr}`))
      done(stdout.includes('finished'))
    })
  })
}

describe('determinism and resume', () => {
  it('the same inputs give byte-identical datasets', async () => {
    const a = join(root, 'det-a')
    const b = join(root, 'det-b')
    await makeDataset(baseOptions(a, { count: 6, layout: 'mmseg' }))
    await makeDataset(baseOptions(b, { count: 6, layout: 'mmseg' }))
    expect(await treeHashes(a)).toEqual(await treeHashes(b))
    // a rerun of a finished dataset changes nothing
    await makeDataset(baseOptions(a, { count: 6, layout: 'mmseg' }))
    expect(await treeHashes(a)).toEqual(await treeHashes(b))
    // other settings in the same folder are refused
    await expect(makeDataset(baseOptions(a, { count: 7, layout: 'mmseg' }))).rejects.toThrow(DatasetError)
  })

  it('killed with SIGKILL at random moments and resumed, it ends byte-identical to an uninterrupted run', async () => {
    const reference = join(root, 'ref')
    await makeDataset(baseOptions(reference, childOptions))
    const out = join(root, 'killed')
    let kills = 0
    // deterministic "random" kill points (ms after spawn; tsx startup is ~1 s)
    const delays = [900, 1500, 1200, 1800]
    let finished = false
    for (const d of delays) {
      finished = await runChild(out, d)
      if (finished) break
      kills++
    }
    if (!finished) finished = await runChild(out, null)
    expect(finished).toBe(true)
    expect(kills).toBeGreaterThan(0)
    expect(await treeHashes(out)).toEqual(await treeHashes(reference))
  }, 60_000)

  it('three shards made in parallel and merged equal the single run', async () => {
    const single = join(root, 'single')
    const opts = { count: 10, filter: { dropFraction: 0.3, maxScore: null }, layout: 'cvat' as const }
    await makeDataset(baseOptions(single, opts))
    const shards = [0, 1, 2].map((i) => join(root, `shard-${i}`))
    const results = await Promise.all(shards.map((dir, i) => makeDataset(baseOptions(dir, { ...opts, shard: { index: i, count: 3 } }))))
    expect(results.map((r) => r.finalized)).toEqual([false, false, false])
    expect(results.map((r) => r.seeds)).toEqual([3, 3, 4])
    expect(existsSync(join(shards[0]!, 'README.md'))).toBe(false)
    const merged = join(root, 'merged')
    await expect(mergeDatasets(merged, shards.slice(0, 2))).rejects.toThrow(/no sample yet/)
    await mergeDatasets(merged, shards)
    expect(await treeHashes(merged)).toEqual(await treeHashes(single))
  })

  it('shards are contiguous blocks covering the range once', () => {
    const all = [0, 1, 2, 3].flatMap((i) => shardSeeds(100, 10, { index: i, count: 4 }))
    expect(all).toEqual(Array.from({ length: 10 }, (_, k) => 100 + k))
    expect(shardSeeds(0, 10, { index: 0, count: 4 })).toEqual([0, 1])
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 })
    expect(() => parseShard('3/3')).toThrow()
  })
})
