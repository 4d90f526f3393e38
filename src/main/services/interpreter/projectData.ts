// The interpreter's view of a project: which samples are annotated, their masks, and their
// feature maps from the project's generator (services/generatorFeatures.ts) as a FeatureSource.
// Also the guard rails that keep a model and a project from being mixed up.
import { existsSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClassDef } from '../../../shared/project'
import { decodePng } from '../../engine/io/png'
import type { FeatureSource } from '../../engine/interpreter/features'
import type { FeatureLayout } from '../../engine/interpreter/layout'
import { AnnotationStore } from '../annotationStore'
import { SampleStore, type SampleFile } from '../sampleStore'
import { computeFeatures } from '../generatorFeatures'
import { resolveInProject } from '../paths'

export class InterpreterInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InterpreterInputError'
  }
}

export interface AnnotatedSample {
  id: string
  width: number
  height: number
  /** H·W class ids, 255 = unlabelled. */
  labels: Uint8Array
  labelled: number
}

function sampleStore(projectDir: string): SampleStore {
  return new SampleStore(projectDir, new AnnotationStore(projectDir))
}

export async function readSampleFile(projectDir: string, id: string): Promise<SampleFile> {
  return sampleStore(projectDir).readSampleFile(id)
}

/** Ids with an annotation file (annotations/<id>.png) or an in-progress/done status, sorted. */
export async function annotatedSampleIds(projectDir: string): Promise<string[]> {
  const ids = new Set<string>()
  const statuses = await new AnnotationStore(projectDir).statuses()
  for (const [id, status] of Object.entries(statuses)) if (status === 'in-progress' || status === 'done') ids.add(id)
  try {
    for (const f of await readdir(join(projectDir, 'annotations'))) if (f.endsWith('.png')) ids.add(f.slice(0, -4))
  } catch {
    // no annotations folder yet
  }
  return [...ids].filter((id) => existsSync(join(projectDir, 'annotations', `${id}.png`)) && existsSync(join(projectDir, 'samples', id, 'sample.json'))).sort()
}

/** Reads a mask as stored (8-bit palette PNG, 255 = unlabelled), checking size and class ids. */
export async function readMask(projectDir: string, sampleId: string, classes: readonly ClassDef[], size: { width: number; height: number }): Promise<Uint8Array> {
  const path = resolveInProject(projectDir, join('annotations', `${sampleId}.png`))
  let png
  try {
    png = decodePng(await readFile(path))
  } catch (error) {
    throw new InterpreterInputError(`annotations/${sampleId}.png cannot be read: ${(error as Error).message}`)
  }
  if (png.channels !== 1) throw new InterpreterInputError(`annotations/${sampleId}.png is not a label map (an 8-bit palette or grey PNG)`)
  if (png.width !== size.width || png.height !== size.height) {
    throw new InterpreterInputError(`annotations/${sampleId}.png is ${png.width}×${png.height}, the sample is ${size.width}×${size.height}`)
  }
  const K = classes.length
  for (let i = 0; i < png.data.length; i++) {
    const v = png.data[i]
    if (v !== 255 && v >= K) throw new InterpreterInputError(`annotations/${sampleId}.png has value ${v} at pixel ${i}; the project has classes 0–${K - 1} (255 = unlabelled)`)
  }
  return png.data
}

/**
 * The annotated samples to train on: `only` (when given) or every annotated sample, keeping
 * those with at least one labelled pixel. Throws a clear error when none is left.
 */
export async function loadAnnotatedSamples(projectDir: string, classes: readonly ClassDef[], only?: readonly string[]): Promise<AnnotatedSample[]> {
  const ids = only ? [...only] : await annotatedSampleIds(projectDir)
  const out: AnnotatedSample[] = []
  for (const id of ids) {
    if (!existsSync(join(projectDir, 'annotations', `${id}.png`))) {
      if (only) throw new InterpreterInputError(`sample "${id}" has no annotation (annotations/${id}.png)`)
      continue
    }
    const sample = await readSampleFile(projectDir, id)
    const labels = await readMask(projectDir, id, classes, sample)
    let labelled = 0
    for (const v of labels) if (v !== 255) labelled++
    if (labelled === 0) continue
    out.push({ id, width: sample.width, height: sample.height, labels, labelled })
  }
  if (out.length === 0) {
    throw new InterpreterInputError(
      ids.length === 0
        ? 'there are no annotated samples: paint at least one mask in Annotate before training the interpreter'
        : `none of the ${ids.length} annotated sample(s) has a labelled pixel: paint at least one class before training the interpreter`
    )
  }
  return out
}

export interface GeneratorIdentity {
  sha256: string
  path: string
}

/** The (single) ONNX generator the samples were drawn with. */
export async function samplesGenerator(projectDir: string, ids: readonly string[]): Promise<GeneratorIdentity> {
  let first: { id: string; gen: GeneratorIdentity } | null = null
  for (const id of ids) {
    const sample = await readSampleFile(projectDir, id)
    if (sample.generator.kind !== 'onnx') {
      throw new InterpreterInputError(`sample "${id}" was drawn by the built-in renderer, which has no feature maps: the interpreter needs samples from an ONNX generator`)
    }
    const gen = { sha256: sample.generator.sha256, path: sample.generator.path }
    if (!first) first = { id, gen }
    else if (first.gen.sha256 !== gen.sha256) {
      throw new InterpreterInputError(
        `the annotated samples come from different generators: "${first.id}" from ${describeGenerator(first.gen)}, "${id}" from ${describeGenerator(gen)}; train on samples of one generator`
      )
    }
  }
  if (!first) throw new InterpreterInputError('no samples given')
  return first.gen
}

export function describeGenerator(g: { sha256: string | null; path?: string | null }): string {
  return `${g.path ? `${g.path} ` : ''}(sha256 ${g.sha256 ? g.sha256.slice(0, 12) + '…' : 'unknown'})`
}

/** Feature maps of project samples, through the generator's feature cache. */
export class ProjectFeatureSource implements FeatureSource {
  private constructor(
    private readonly projectDir: string,
    readonly layout: FeatureLayout,
    readonly generatorSha256: string,
    readonly generatorPath: string,
    private readonly first: { id: string; maps: Float32Array[] } | null
  ) {}

  /**
   * Opens the source on the samples' generator; the layout comes from the generator's output
   * shapes (all features, or `names`) and the samples' size.
   */
  static async open(projectDir: string, sampleIds: readonly string[], names?: readonly string[]): Promise<ProjectFeatureSource> {
    const gen = await samplesGenerator(projectDir, sampleIds)
    const sample = await readSampleFile(projectDir, sampleIds[0])
    const f = await computeFeatures(projectDir, sampleIds[0], names ? { names } : {})
    const maps = f.names.map((n) => f.features.get(n)!)
    const layout: FeatureLayout = {
      height: sample.height,
      width: sample.width,
      maps: f.names.map((name, i) => ({ name, channels: maps[i].shape[1], height: maps[i].shape[2], width: maps[i].shape[3] }))
    }
    return new ProjectFeatureSource(projectDir, layout, f.generatorSha256 ?? gen.sha256, gen.path, { id: sampleIds[0], maps: maps.map((m) => m.data) })
  }

  async load(sampleId: string): Promise<Float32Array[]> {
    if (this.first && this.first.id === sampleId) {
      const maps = this.first.maps
      return maps
    }
    const sample = await readSampleFile(this.projectDir, sampleId)
    if (sample.generator.kind !== 'onnx' || sample.generator.sha256 !== this.generatorSha256) {
      throw new InterpreterInputError(
        `sample "${sampleId}" comes from ${sample.generator.kind === 'onnx' ? describeGenerator(sample.generator) : 'the built-in renderer'}, not from the generator ${describeGenerator({ sha256: this.generatorSha256, path: this.generatorPath })} the interpreter reads`
      )
    }
    if (sample.width !== this.layout.width || sample.height !== this.layout.height) {
      throw new InterpreterInputError(`sample "${sampleId}" is ${sample.width}×${sample.height}, the interpreter works at ${this.layout.width}×${this.layout.height}`)
    }
    const f = await computeFeatures(this.projectDir, sampleId, { names: this.layout.maps.map((m) => m.name) })
    return this.layout.maps.map((m) => {
      const map = f.features.get(m.name)!
      if (map.shape[1] !== m.channels || map.shape[2] !== m.height || map.shape[3] !== m.width) {
        throw new InterpreterInputError(`feature "${m.name}" of sample "${sampleId}" is ${map.shape.slice(1).join('×')}, the interpreter expects ${m.channels}×${m.height}×${m.width}`)
      }
      return map.data
    })
  }
}

// ------------------------------------------------------------------------------ guard rails

/** Refuses a model trained for another generator than the one a sample comes from. */
export function checkGenerator(model: { generatorSha256: string | null; generatorPath?: string | null }, actual: GeneratorIdentity, runId: string): void {
  if (model.generatorSha256 && model.generatorSha256 !== actual.sha256) {
    throw new InterpreterInputError(
      `interpreter ${runId} was trained on the features of generator ${describeGenerator({ sha256: model.generatorSha256, path: model.generatorPath ?? null })}, but these samples come from generator ${describeGenerator(actual)}; train an interpreter for this generator`
    )
  }
}

/** Refuses a model whose class list differs from the project's. */
export function checkClasses(modelClasses: ReadonlyArray<{ id: number; name: string }>, projectClasses: ReadonlyArray<{ id: number; name: string }>, runId: string): void {
  const same = modelClasses.length === projectClasses.length && modelClasses.every((c, i) => c.id === projectClasses[i].id && c.name === projectClasses[i].name)
  if (!same) {
    const list = (cs: ReadonlyArray<{ id: number; name: string }>) => cs.map((c) => `${c.id} ${c.name}`).join(', ')
    throw new InterpreterInputError(`the project's classes changed since interpreter ${runId} was trained (trained on: ${list(modelClasses)}; now: ${list(projectClasses)}); train the interpreter again`)
  }
}
