import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { createHash } from 'node:crypto'
import { FACE_CLASSES } from '../../../src/shared/faceClasses'
import { GroundTruthPredictor, RendererSource, type MakeDatasetOptions, type MaskPredictor, type SourceSample } from '../../../src/main/engine/dataset'

export const CLASSES = FACE_CLASSES.slice(0, 10).map((c) => ({ id: c.id, name: c.name, color: c.color }))

/** A predictor with the renderer's masks and a made-up score per seed. */
export function scoredPredictor(score: (seed: number) => number): MaskPredictor {
  const gt = new GroundTruthPredictor()
  return {
    describe: () => ({ kind: 'test', name: 'scored ground truth' }),
    predict: async (s: SourceSample) => ({ ...(await gt.predict(s)), score: score(s.seed) })
  }
}

export function baseOptions(outDir: string, over: Partial<MakeDatasetOptions> = {}): MakeDatasetOptions {
  return {
    outDir,
    name: 'test',
    source: new RendererSource({ size: 64, modalities: ['rgb', 'nir'], classCount: 10 }),
    predictor: scoredPredictor((seed) => ((seed * 37) % 11) / 10),
    classes: CLASSES,
    seedStart: 3,
    count: 12,
    ...over
  }
}

/** Path → sha256 of every file under dir. */
export async function treeHashes(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) await walk(p)
      else out[relative(dir, p)] = createHash('sha256').update(await readFile(p)).digest('hex')
    }
  }
  await walk(dir)
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)))
}
