// Prediction with a trained interpreter for one project sample (model-in-the-loop): the voted
// mask and the per-pixel JS uncertainty. Runs in a worker (workers/interpreterPredict.ts).
import { join } from 'node:path'
import type { InterpreterPrediction } from '../../../shared/interpreter'
import { predictSample } from '../../engine/interpreter/inference'
import { loadModel } from '../../engine/interpreter/modelFile'
import type { Tf } from '../../engine/tf/types'
import { computeFeatures } from '../generatorFeatures'
import { readProject } from '../projectStore'
import { checkClasses, checkGenerator, InterpreterInputError, readSampleFile } from './projectData'
import { MODEL_DIR } from './trainRun'

export async function predictProjectSample(tf: Tf, projectDir: string, runId: string, sampleId: string): Promise<InterpreterPrediction> {
  const model = await loadModel(join(projectDir, 'runs', runId, MODEL_DIR))
  const { meta, params } = model
  const { project } = await readProject(projectDir)
  checkClasses(meta.classes, project.classes, runId)
  const sample = await readSampleFile(projectDir, sampleId)
  if (sample.generator.kind !== 'onnx') throw new InterpreterInputError(`sample "${sampleId}" was drawn by the built-in renderer, which has no feature maps`)
  const generatorPath = typeof meta.training?.generatorPath === 'string' ? meta.training.generatorPath : null
  checkGenerator({ generatorSha256: meta.generatorSha256, generatorPath }, { sha256: sample.generator.sha256, path: sample.generator.path }, runId)
  const layout = meta.layout
  if (sample.width !== layout.width || sample.height !== layout.height) {
    throw new InterpreterInputError(`sample "${sampleId}" is ${sample.width}×${sample.height}; interpreter ${runId} works at ${layout.width}×${layout.height}`)
  }
  const f = await computeFeatures(projectDir, sampleId, { names: layout.maps.map((m) => m.name) })
  const maps = layout.maps.map((m) => {
    const map = f.features.get(m.name)
    if (!map || map.shape[1] !== m.channels || map.shape[2] !== m.height || map.shape[3] !== m.width) {
      throw new InterpreterInputError(`feature "${m.name}" of the generator does not have the shape interpreter ${runId} was trained on (${m.channels}×${m.height}×${m.width})`)
    }
    return map.data
  })
  const pred = predictSample(tf, params, meta.dims, layout, maps)
  const max = Math.log(Math.max(2, meta.dims.K))
  const uncertainty = new Uint8Array(pred.uncertainty.length)
  for (let i = 0; i < uncertainty.length; i++) uncertainty[i] = Math.max(0, Math.min(255, Math.round((pred.uncertainty[i] / max) * 255)))
  return { runId, sampleId, width: layout.width, height: layout.height, labels: pred.mask, uncertainty, uncertaintyMax: max, score: pred.score }
}
