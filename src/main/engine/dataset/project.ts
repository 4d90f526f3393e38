// A project's dataset job: its parameters (the `make-dataset` job kind and the CLI share
// them) and the stages they open – the project's generator (renderer or ONNX), the mask
// predictor (the renderer's exact mask, or an interpreter's ONNX export), the privacy filter.
import { existsSync } from 'node:fs'
import { isAbsolute, join, resolve } from 'node:path'
import { readProject } from '../../services/projectStore'
import { loadProjectGenerator, type OnnxGeneratorRef } from '../../services/generatorStore'
import { MakeDatasetParamsSchema, type MakeDatasetParams } from './params'
import { datasetFolderName } from '../../../shared/dataset'
import { GroundTruthPredictor, RendererSource } from './sources'
import { OnnxGeneratorSource, OnnxInterpreterPredictor } from './onnx'
import { FacePrivacyStage } from './privacy'
import { writeFileAtomic } from '../io/atomic'
import { exportMetadata, loadModel } from '../interpreter/modelFile'
import { buildInterpreterOnnx, type InterpreterPrecision } from '../interpreter/onnxExport'
import type { MakeDatasetOptions, Shard } from './pipeline'
import type { MaskPredictor, PrivacyStage, SampleSource } from './types'

export { MakeDatasetParamsSchema, type MakeDatasetParams }

export function datasetOutDir(projectDir: string, p: Pick<MakeDatasetParams, 'name' | 'outDir' | 'shard'>): string {
  if (p.outDir) return resolve(projectDir, p.outDir)
  return join(projectDir, 'datasets', datasetFolderName(p))
}

export function resolveInterpreter(projectDir: string, ref: string): string {
  const direct = isAbsolute(ref) ? ref : resolve(projectDir, ref)
  if (existsSync(direct) && direct.endsWith('.onnx')) return direct
  const run = join(projectDir, 'runs', ref, 'interpreter', 'interpreter.onnx')
  if (existsSync(run)) return run
  throw new Error(`no interpreter export at ${ref} (a .onnx path, or a run id with runs/<id>/interpreter/interpreter.onnx)`)
}

/** The int8 export of a run, built from its model on first use and kept beside the fp32 one. */
export const INT8_EXPORT_FILE = 'interpreter-int8.onnx'

/**
 * The interpreter as the mask predictor. fp32: the export at `ref` (a path or a run id). int8:
 * `ref` must be a run id, as the int8 graph is built from the run's model (runs/<id>/interpreter/
 * model.json|bin) with the layout, dims and metadata of its fp32 export, written once to
 * runs/<id>/interpreter/interpreter-int8.onnx and loaded from there, so a resumed or sharded
 * dataset infers with identical bytes.
 */
export async function openInterpreterPredictor(projectDir: string, ref: string, precision: InterpreterPrecision): Promise<OnnxInterpreterPredictor> {
  if (precision === 'fp32') return OnnxInterpreterPredictor.open(resolveInterpreter(projectDir, ref), ref)
  const dir = join(projectDir, 'runs', ref, 'interpreter')
  if (!existsSync(join(dir, 'model.json'))) {
    throw new Error(`int8 needs a training run id: "${ref}" is not a run with runs/${ref}/interpreter/model.json (the int8 graph is built from the run's model; an .onnx file alone can only be used at fp32)`)
  }
  const path = join(dir, INT8_EXPORT_FILE)
  if (!existsSync(path)) {
    const { meta, params } = await loadModel(dir)
    await writeFileAtomic(path, buildInterpreterOnnx(params, meta.dims, meta.layout, { probs: false, precision: 'int8', metadata: exportMetadata(meta, ref) }))
  }
  return OnnxInterpreterPredictor.open(path, ref, { precision: 'int8' })
}

export interface ProjectStages {
  options: Omit<MakeDatasetOptions, 'onProgress' | 'signal'>
  release(): Promise<void>
}

export async function openProjectStages(projectDir: string, params: MakeDatasetParams, log: (text: string, level?: 'info' | 'warn') => void = () => undefined): Promise<ProjectStages> {
  const { project } = await readProject(projectDir)
  const classes = project.classes.map((c) => ({ id: c.id, name: c.name, color: c.color }))
  const opened: Array<{ release?(): Promise<void> }> = []
  const release = async () => {
    for (const o of opened.reverse()) await o.release?.()
  }
  try {
    let source: SampleSource
    let predictor: MaskPredictor
    if (project.generator.kind === 'renderer') {
      source = new RendererSource({ size: project.settings.sampleSize, modalities: project.modalities.map((m) => m.id), mode: project.generator.mode, classCount: classes.length })
      if (params.interpreter) throw new Error('the built-in renderer has no feature maps for an interpreter; its exact masks are used')
      if (params.interpreterPrecision !== 'fp32') throw new Error(`interpreter precision ${params.interpreterPrecision} needs an interpreter; the built-in renderer's exact masks are used`)
      predictor = new GroundTruthPredictor()
    } else {
      const ref = project.generator as OnnxGeneratorRef
      const loaded = await loadProjectGenerator(projectDir, ref)
      if (!params.interpreter) throw new Error('an ONNX generator needs an interpreter (--interpreter RUN_ID or a path to interpreter.onnx)')
      predictor = await openInterpreterPredictor(projectDir, params.interpreter, params.interpreterPrecision)
      opened.push(predictor)
      source = await OnnxGeneratorSource.open({ onnx: loaded.onnx, manifest: loaded.manifest, sha256: ref.sha256, truncation: params.truncation, session: { setting: params.provider, log: (t, l) => log(t, l === 'warn' ? 'warn' : 'info') } })
      opened.push(source)
    }
    let privacy: PrivacyStage | null = null
    if (params.privacy) {
      const face = await import('../face')
      const embedder = await face.createFaceEmbedder(params.privacy.model)
      const references = await face.buildReferenceIdentitySet({ folder: resolve(projectDir, params.privacy.reference), embedder, cacheDir: join(projectDir, 'cache', 'privacy') })
      const threshold = params.privacy.threshold ?? embedder.describe().defaultThreshold
      log(`privacy filter: ${references.size} reference embeddings (${references.modelId}), threshold ${threshold}`)
      privacy = new FacePrivacyStage(embedder, references, { threshold, noFace: params.privacy.noFace }, params.privacy.modality)
      opened.push(privacy)
    }
    const shard: Shard | null = params.shard
    return {
      options: {
        outDir: datasetOutDir(projectDir, params),
        name: params.name,
        source,
        predictor,
        privacy,
        classes,
        seedStart: params.seedStart,
        count: params.count,
        shard,
        layout: params.layout,
        filter: { dropFraction: params.uncertaintyDrop, maxScore: params.maxScore },
        valPercent: params.valPercent,
        keepRejected: params.keepRejected
      },
      release
    }
  } catch (error) {
    await release()
    throw error
  }
}
