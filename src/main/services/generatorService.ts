// The backend side of the models.* methods and of samples.generate / samples.detail for
// generators: what the Models view lists, attaching and switching generators (through the
// project store, so the project file changes only once everything is valid), the job a
// "Generate" click starts, and the detail of one sample. Plain Node; no onnxruntime here
// (the main process never runs a model).
import { ApiError, type GeneratorsInfo, type ProjectInfo, type SampleDetail, type ExecutionProviderSetting, type ProviderAvailability } from '../../shared/api'
import type { GeneratorRef, Modality } from '../../shared/project'
import type { GeneratorManifest } from '../../shared/generator'
import { paramsToVector, sampleParams } from '../engine/render'
import { RENDERER_PARAMS_SAMPLER, resolveVector, vectorStats } from '../engine/generator/recipe'
import type { ProjectStore } from './projectStore'
import type { SampleStore } from './sampleStore'
import {
  GeneratorStore,
  builtinGenerators,
  demoGeneratorFiles,
  executionProviders,
  fileSha256,
  readRuntimeSettings,
  summarize,
  writeRuntimeSettings,
  type AttachResult,
  type OnnxGeneratorRef
} from './generatorStore'
import { resolveInProject } from './paths'

const KNOWN_LABELS: Record<string, string> = { rgb: 'RGB', nir: 'Near infrared', sketch: 'Sketch', depth: 'Depth', thermal: 'Thermal', photo: 'Photo' }
const RENDERER_MODALITIES = ['rgb', 'nir', 'sketch', 'depth']

/** The project's modalities for a generator's manifest (labels kept where the id is known). */
export function modalitiesForManifest(modalities: GeneratorManifest['modalities'] | { id: string; channels: 1 | 3 }[], existing: Modality[]): Modality[] {
  return modalities.map((m) => ({ id: m.id, label: existing.find((e) => e.id === m.id)?.label ?? KNOWN_LABELS[m.id] ?? m.id, channels: m.channels }))
}

export async function describeGenerators(info: ProjectInfo): Promise<GeneratorsInfo> {
  const store = new GeneratorStore(info.dir)
  const ref = info.project.generator
  let current: GeneratorsInfo['current'] = { ref, summary: null, error: null }
  if (ref.kind === 'onnx') {
    try {
      current = { ref, summary: summarize(await store.manifestOf(ref)), error: null }
    } catch (error) {
      current = { ref, summary: null, error: (error as Error).message }
    }
  }
  const [attached, providers, settings] = await Promise.all([store.list(), executionProviders(), readRuntimeSettings()])
  return { current, builtins: builtinGenerators(), attached, providers, executionProvider: settings.executionProvider }
}

async function setGenerator(projects: ProjectStore, generator: GeneratorRef, modalities: Modality[]): Promise<ProjectInfo> {
  if (modalities.length > 8) throw new ApiError({ code: 'bad-input', message: `the generator draws ${modalities.length} modalities; a project holds at most 8` })
  return projects.update({ generator, modalities })
}

function modalitiesOf(result: AttachResult, info: ProjectInfo): Modality[] {
  return modalitiesForManifest(result.summary.modalities, info.project.modalities)
}

export async function attachGenerator(
  projects: ProjectStore,
  args: { source: 'upload'; onnx: Uint8Array; manifest: string; fileName?: string } | { source: 'path'; onnxPath: string; manifestPath: string }
): Promise<{ attached: AttachResult; warnings: string[]; project: ProjectInfo }> {
  const info = projects.requireCurrent()
  const store = new GeneratorStore(info.dir)
  const result =
    args.source === 'upload'
      ? await store.attach({ onnx: args.onnx, manifest: args.manifest, originalName: args.fileName })
      : await store.attachFromPaths(args.onnxPath, args.manifestPath)
  const project = await setGenerator(projects, result.ref, modalitiesOf(result, info))
  return { attached: result, warnings: result.warnings, project }
}

export async function useGenerator(
  projects: ProjectStore,
  args: { kind: 'builtin'; id: 'renderer-face' | 'renderer-ocular' | 'demo' } | { kind: 'attached'; path: string }
): Promise<ProjectInfo> {
  const info = projects.requireCurrent()
  const store = new GeneratorStore(info.dir)
  if (args.kind === 'attached') {
    const found = (await store.list()).find((g) => g.ref.path === args.path)
    if (!found) throw new ApiError({ code: 'not-found', field: 'path', message: `no attached generator at ${args.path}` })
    return setGenerator(projects, found.ref, modalitiesForManifest(found.summary.modalities, info.project.modalities))
  }
  if (args.id === 'demo') {
    const files = demoGeneratorFiles()
    if (!files) throw new ApiError({ code: 'not-found', message: 'the demo generator is not installed (resources/demo-generator)' })
    const result = await store.attachFromPaths(files.onnx, files.manifest)
    return setGenerator(projects, result.ref, modalitiesOf(result, info))
  }
  const mode = args.id === 'renderer-ocular' ? 'ocular' : 'face'
  const keep = info.project.modalities.every((m) => RENDERER_MODALITIES.includes(m.id))
  const modalities: Modality[] = keep
    ? info.project.modalities
    : [
        { id: 'rgb', label: 'RGB', channels: 3 },
        { id: 'nir', label: 'Near infrared', channels: 1 }
      ]
  return setGenerator(projects, { kind: 'renderer', mode }, modalities)
}

export async function setExecutionProvider(provider: ExecutionProviderSetting): Promise<{ executionProvider: ExecutionProviderSetting; providers: ProviderAvailability[] }> {
  await writeRuntimeSettings({ executionProvider: provider })
  return { executionProvider: provider, providers: await executionProviders() }
}

/** The job a "Generate" click starts for the project's generator. */
export async function sampleJob(
  info: ProjectInfo,
  args: { count: number; seedStart: number; truncation?: number; batchSize?: number }
): Promise<{ kind: string; params: unknown }> {
  const { project } = info
  if (project.generator.kind === 'renderer') {
    return {
      kind: 'render-samples',
      params: { count: args.count, seedStart: args.seedStart, size: project.settings.sampleSize, modalities: project.modalities.map((m) => m.id), generator: project.generator }
    }
  }
  const settings = await readRuntimeSettings()
  return {
    kind: 'generate-samples',
    params: {
      count: args.count,
      seedStart: args.seedStart,
      truncation: args.truncation ?? null,
      batchSize: args.batchSize ?? 8,
      generator: project.generator,
      provider: settings.executionProvider
    }
  }
}

export async function sampleDetail(projectDir: string, samples: SampleStore, id: string): Promise<SampleDetail> {
  const [file, sample] = await Promise.all([samples.readSampleFile(id), samples.get(id)])
  if (file.generator.kind === 'renderer') {
    const vector = paramsToVector(sampleParams(file.seed))
    return {
      sample,
      generator: file.generator,
      generatorName: file.generator.mode === 'ocular' ? 'Ocular renderer' : 'Face renderer',
      reproducible: true,
      truncation: null,
      latent: { prior: 'renderer-params', sampler: RENDERER_PARAMS_SAMPLER, stored: false, stats: vectorStats(vector) },
      noise: { kind: 'renderer', inputs: 0 }
    }
  }
  const ref: OnnxGeneratorRef = file.generator
  let generatorName = ref.path
  try {
    generatorName = (await new GeneratorStore(projectDir).manifestOf(ref)).name
  } catch {
    /* the manifest is gone: show the path */
  }
  const sha = await fileSha256(resolveInProject(projectDir, ref.path)).catch(() => null)
  const recipe = file.recipe
  let latent: SampleDetail['latent'] = null
  if (recipe) {
    try {
      latent = { prior: recipe.latent.prior, sampler: recipe.latent.sampler, stored: !!recipe.latent.values, stats: vectorStats(resolveVector(recipe.latent, file.seed)) }
    } catch {
      latent = null
    }
  }
  return {
    sample,
    generator: ref,
    generatorName,
    reproducible: sha === ref.sha256 && !!recipe,
    truncation: recipe?.truncation ?? null,
    latent,
    noise: recipe ? { kind: recipe.noise.kind, inputs: recipe.noise.kind === 'explicit' ? recipe.noise.inputs.length : 0 } : { kind: 'none', inputs: 0 }
  }
}
