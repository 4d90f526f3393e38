// Shared helpers of the interpreter tests: tiny layouts, synthetic banks and a job context.
import { mkdtemp, rm, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FeatureBank, roundMapsToHalf } from '../../../src/main/engine/interpreter/features'
import type { FeatureLayout } from '../../../src/main/engine/interpreter/layout'
import { SyntheticSource } from '../../../src/main/engine/interpreter/synthetic'
import type { TrainContext } from '../../../src/main/services/interpreter/trainRun'
import { initTf, type TfInit } from '../../../src/main/engine/tf/backend'

/** Six maps at 4, 4, 8, 8, 16 and a non-square 12×20, mask 16×20. */
export function tinyLayout(): FeatureLayout {
  return {
    height: 16,
    width: 20,
    maps: [
      { name: 'b4.conv0', channels: 6, height: 4, width: 4 },
      { name: 'b4.conv1', channels: 5, height: 4, width: 5 },
      { name: 'b8.conv0', channels: 4, height: 8, width: 10 },
      { name: 'odd', channels: 3, height: 12, width: 7 },
      { name: 'b16.conv0', channels: 4, height: 16, width: 20 },
      { name: 'b16.conv1', channels: 3, height: 16, width: 20 }
    ]
  }
}

/** The classes of a synthetic bank with its default three classes (the masks' ids 0, 1, 2). */
export const CLASSES = [
  { id: 0, name: 'background', color: '#000000' },
  { id: 1, name: 'skin', color: '#e0a98a' },
  { id: 2, name: 'hair', color: '#6b3f1d' }
]

export async function tf(): Promise<TfInit> {
  return initTf()
}

/** A bank of `count` synthetic samples (float16-rounded), masks from the synthetic rule. */
export async function syntheticBank(layout: FeatureLayout, count: number, options: { classes?: number; seed?: number; unlabel?: (id: string, labels: Uint8Array) => void } = {}): Promise<{ bank: FeatureBank; source: SyntheticSource; maps: Map<string, Float32Array[]> }> {
  const source = new SyntheticSource(layout, { numClasses: options.classes ?? 3, seed: options.seed ?? 3 })
  const bank = new FeatureBank(layout)
  const all = new Map<string, Float32Array[]>()
  for (const id of SyntheticSource.ids(count)) {
    const maps = roundMapsToHalf(await source.load(id))
    const labels = source.mask(maps)
    options.unlabel?.(id, labels)
    bank.add(id, maps, labels)
    all.set(id, maps)
  }
  return { bank, source, maps: all }
}

export interface FakeContext extends TrainContext {
  metricsSeen: { step: number; values: Record<string, number> }[]
  logs: string[]
  controller: AbortController
}

export function fakeContext(projectDir: string, jobDir: string, resume: boolean, onMetrics?: (ctx: FakeContext, step: number) => void): FakeContext {
  const controller = new AbortController()
  const ctx: FakeContext = {
    projectDir,
    jobDir,
    resume,
    signal: controller.signal,
    controller,
    metricsSeen: [],
    logs: [],
    progress() {},
    log(text) {
      ctx.logs.push(text)
    },
    metrics(step, values) {
      ctx.metricsSeen.push({ step, values })
      onMetrics?.(ctx, step)
    },
    artifact() {},
    checkCancelled() {
      if (controller.signal.aborted) throw new Error('cancelled')
    }
  }
  return ctx
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}
