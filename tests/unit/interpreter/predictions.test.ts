// Model in the loop: stored predictions (runs/<id>/predictions/), which set is current and when
// it is stale (generator or classes changed), how the Gallery's list gets them, and the
// "suggest next" order (most uncertain unannotated first).
import { describe, it, expect, afterEach } from 'vitest'
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { SampleInfo } from '../../../src/shared/api'
import { nextSuggested, suggestionOrder, withSuggestionsFirst, type SuggestionCandidate } from '../../../src/shared/interpreter'
import type { ProjectFile } from '../../../src/shared/project'
import { decodePng } from '../../../src/main/engine/io/png'
import type { Prediction } from '../../../src/main/engine/interpreter/inference'
import {
  applyPredictions,
  currentPredictions,
  predictionStaleness,
  readPredictionScores,
  readStoredPrediction,
  writePredictions,
  type WritePredictionsInput
} from '../../../src/main/services/interpreter/predictions'
import { SHORTCUTS, resolveKey } from '../../../src/renderer/src/canvas/view/keymap'
import { tempDir } from './helpers'

const CLASSES = [
  { id: 0, name: 'background', color: '#000000' },
  { id: 1, name: 'skin', color: '#cc8f6e' },
  { id: 2, name: 'hair', color: '#5a3b1c' }
]
const SHA_A = 'a'.repeat(64)
const SHA_B = 'b'.repeat(64)
const project = (over: Partial<Pick<ProjectFile, 'classes' | 'generator'>> = {}): Pick<ProjectFile, 'classes' | 'generator'> => ({
  classes: CLASSES,
  generator: { kind: 'onnx', path: 'models/generators/a/generator.onnx', sha256: SHA_A },
  ...over
})

/** A fake interpreter: sample i's mask is the class (x + i) mod 3, its uncertainty ramps with i. */
function fakePrediction(id: string, width: number, height: number): Prediction {
  const i = Number(id.replace(/\D/g, ''))
  const mask = new Uint8Array(width * height)
  const uncertainty = new Float32Array(width * height)
  for (let p = 0; p < mask.length; p++) {
    mask[p] = ((p % width) + i) % 3
    uncertainty[p] = ((p % 7) / 7) * Math.log(3) * (i / 10)
  }
  return { mask, uncertainty, meanProbs: new Float32Array(0), score: i / 10 }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!()
})

async function runDir(projectDir: string, runId: string): Promise<string> {
  const dir = join(projectDir, 'runs', runId)
  await mkdir(dir, { recursive: true })
  return dir
}

function input(dir: string, runId: string, ids: string[], over: Partial<WritePredictionsInput> = {}): WritePredictionsInput & { calls: string[] } {
  const calls: string[] = []
  return {
    runDir: dir,
    runId,
    runCreatedAt: '2026-01-01T00:00:00.000Z',
    generatorSha256: SHA_A,
    classes: CLASSES,
    width: 6,
    height: 4,
    sampleIds: ids,
    predict: async (id) => {
      calls.push(id)
      return fakePrediction(id, 6, 4)
    },
    progress() {},
    checkCancelled() {},
    calls,
    ...over
  }
}

describe('stored predictions', () => {
  it('writes each mask as a palette PNG of class ids with a transparent background, its uncertainty map, and the scores', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    const dir = await runDir(projectDir, 'run-1')
    const args = input(dir, 'run-1', ['s1', 's2'])
    expect(await writePredictions(args)).toEqual({ predicted: 2, kept: 0 })

    const png = decodePng(await readFile(join(dir, 'predictions', 's2.png')))
    expect(png.colorType).toBe(3)
    expect([...png.data]).toEqual([...fakePrediction('s2', 6, 4).mask])
    // Background and unlabelled carry alpha 0 so that the browser shows the PNG as an overlay.
    expect(png.alpha![0]).toBe(0)
    expect(png.alpha![1]).toBe(255)
    expect(png.alpha![255]).toBe(0)
    const unc = decodePng(await readFile(join(dir, 'predictions', 's2.uncertainty.png')))
    const expected = fakePrediction('s2', 6, 4).uncertainty.map((v) => Math.round((v / Math.log(3)) * 255))
    expect([...unc.data]).toEqual([...expected])

    const scores = (await readPredictionScores(dir))!
    expect(scores).toMatchObject({ runId: 'run-1', generatorSha256: SHA_A, width: 6, height: 4 })
    expect(scores.samples.s1.score).toBeCloseTo(0.1, 9)
    expect(scores.samples.s2.score).toBeCloseTo(0.2, 9)
    // Atomic writes leave no temporary files behind.
    expect((await readdir(join(dir, 'predictions'))).sort()).toEqual(['s1.png', 's1.uncertainty.png', 's2.png', 's2.uncertainty.png', 'scores.json'])
  })

  it('keeps what a stopped job already predicted and continues with the rest', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    const dir = await runDir(projectDir, 'run-1')
    let n = 0
    const first = input(dir, 'run-1', ['s1', 's2', 's3'], {
      checkCancelled: () => {
        if (n++ === 2) throw new Error('cancelled')
      }
    })
    await expect(writePredictions(first)).rejects.toThrow('cancelled')
    expect(first.calls).toEqual(['s1', 's2'])
    const second = input(dir, 'run-1', ['s1', 's2', 's3'])
    expect(await writePredictions(second)).toEqual({ predicted: 1, kept: 2 })
    expect(second.calls).toEqual(['s3'])
    expect(Object.keys((await readPredictionScores(dir))!.samples).sort()).toEqual(['s1', 's2', 's3'])
  })

  it('starts over when the classes differ from the stored set', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    const dir = await runDir(projectDir, 'run-1')
    await writePredictions(input(dir, 'run-1', ['s1', 's2']))
    const renamed = CLASSES.map((c) => (c.id === 2 ? { ...c, name: 'hat' } : c))
    const again = input(dir, 'run-1', ['s1'], { classes: renamed })
    expect(await writePredictions(again)).toEqual({ predicted: 1, kept: 0 })
    expect(Object.keys((await readPredictionScores(dir))!.samples)).toEqual(['s1'])
  })
})

describe('current predictions and staleness', () => {
  it('uses the newest run with predictions and adds them to the sample list', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    await writePredictions(input(await runDir(projectDir, 'old'), 'old', ['s1', 's2'], { runCreatedAt: '2026-01-01T00:00:00.000Z' }))
    await writePredictions(input(await runDir(projectDir, 'new'), 'new', ['s3'], { runCreatedAt: '2026-02-01T00:00:00.000Z' }))
    await mkdir(join(projectDir, 'runs', 'no-predictions'), { recursive: true })
    const set = (await currentPredictions(projectDir, project()))!
    expect(set.info).toMatchObject({ runId: 'new', count: 1, stale: null })

    const base = (id: string, status: SampleInfo['status']): SampleInfo => ({ id, seed: 0, width: 6, height: 4, modalities: ['rgb'], status, createdAt: '', images: { rgb: `samples/${id}/rgb.png` } })
    const listed = applyPredictions([base('s1', 'unlabeled'), base('s3', 'unlabeled'), base('s4', 'done')], set)
    expect(listed[0]).toEqual(base('s1', 'unlabeled'))
    expect(listed[1]).toMatchObject({ status: 'predicted', prediction: { runId: 'new', mask: 'runs/new/predictions/s3.png', uncertaintyMap: 'runs/new/predictions/s3.uncertainty.png' } })
    expect(listed[1].prediction!.uncertainty).toBeCloseTo(0.3, 9)
    expect(listed[2].status).toBe('done')

    // An annotated sample keeps its status but still has its prediction (for "start from prediction").
    const annotated = applyPredictions([base('s3', 'in-progress')], set)[0]
    expect(annotated.status).toBe('in-progress')
    expect(annotated.prediction?.runId).toBe('new')

    const stored = (await readStoredPrediction(projectDir, set, 's3'))!
    expect([...stored.labels]).toEqual([...fakePrediction('s3', 6, 4).mask])
    expect(stored).toMatchObject({ runId: 'new', width: 6, height: 4 })
    expect(await readStoredPrediction(projectDir, set, 's1')).toBeNull()
    expect(await readStoredPrediction(projectDir, set, 's3', 'old')).toBeNull()
  })

  it('marks predictions stale when the classes or the generator changed, and then shows none', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    await writePredictions(input(await runDir(projectDir, 'r1'), 'r1', ['s1']))
    const sample: SampleInfo = { id: 's1', seed: 0, width: 6, height: 4, modalities: ['rgb'], status: 'unlabeled', createdAt: '', images: {} }

    const moreClasses = project({ classes: [...CLASSES, { id: 3, name: 'glasses', color: '#28e0e0' }] })
    const byClasses = (await currentPredictions(projectDir, moreClasses))!
    expect(byClasses.info.stale).toMatch(/classes changed since run r1 was trained/)
    expect(applyPredictions([sample], byClasses)).toEqual([sample])

    const otherGenerator = project({ generator: { kind: 'onnx', path: 'models/generators/b/generator.onnx', sha256: SHA_B } })
    expect((await currentPredictions(projectDir, otherGenerator))!.info.stale).toMatch(/generator changed since run r1/)
    expect(predictionStaleness({ runId: 'r1', generatorSha256: SHA_A, classes: CLASSES }, project({ generator: { kind: 'renderer', mode: 'face' } }))).toMatch(/built-in renderer/)
    expect(await readStoredPrediction(projectDir, byClasses, 's1')).toBeNull()

    expect((await currentPredictions(projectDir, project()))!.info.stale).toBeNull()
  })

  it('reports no predictions for a project without runs', async () => {
    const { dir: projectDir, cleanup } = await tempDir('tl-pred-')
    cleanups.push(cleanup)
    expect(await currentPredictions(projectDir, project())).toBeNull()
    expect(existsSync(join(projectDir, 'runs'))).toBe(false)
  })
})

describe('suggest next', () => {
  const c = (id: string, status: SuggestionCandidate['status'], uncertainty?: number): SuggestionCandidate => ({ id, status, ...(uncertainty === undefined ? {} : { prediction: { uncertainty } }) })
  const samples = [c('a', 'predicted', 0.2), c('b', 'done', 0.9), c('c', 'predicted', 0.5), c('d', 'unlabeled'), c('e', 'in-progress', 0.8), c('f', 'predicted', 0.5), c('g', 'predicted', 0.05)]

  it('orders unannotated predicted samples by uncertainty, highest first, ties by id', () => {
    expect(suggestionOrder(samples).map((s) => s.id)).toEqual(['c', 'f', 'a', 'g'])
  })

  it('suggests the next sample other than the open one', () => {
    expect(nextSuggested(samples, null)?.id).toBe('c')
    expect(nextSuggested(samples, 'c')?.id).toBe('f')
    expect(nextSuggested([c('x', 'done', 1)], null)).toBeNull()
  })

  it("is the editor's Shift+N, next to N's next unannotated", () => {
    const key = (shiftKey: boolean) => ({ code: 'KeyN', key: shiftKey ? 'N' : 'n', ctrlKey: false, metaKey: false, shiftKey, altKey: false })
    expect(resolveKey(key(true))).toEqual({ type: 'next-suggested' })
    expect(resolveKey(key(false))).toEqual({ type: 'next-unannotated' })
    expect(JSON.stringify(SHORTCUTS)).toContain('"Shift+N"')
  })

  it('puts the suggestions first in the Gallery and keeps every other sample in its order', () => {
    expect(withSuggestionsFirst(samples).map((s) => s.id)).toEqual(['c', 'f', 'a', 'g', 'b', 'd', 'e'])
  })
})
