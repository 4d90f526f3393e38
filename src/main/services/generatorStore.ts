// ONNX generators of a project: attaching one (copy into models/, hash, validate), listing the
// attached ones, loading one for a worker (hash-checked), the built-in choices, and the
// machine-wide execution provider setting.
//
// Layout: models/generators/<name>-<sha256[0:12]>/
//           generator.onnx    the graph, byte for byte as given
//           generator.json    the manifest (validated, re-serialised)
//           attached.json     { sha256, attachedAt, source, originalName } - saves re-hashing to list
// A folder only ever appears complete: both files are written (and fsynced) in a hidden
// temporary folder beside it, validated, then the folder is renamed into place. Attaching the
// same bytes again reuses the folder. Old folders are kept: samples drawn with an earlier
// generator name its file, and stay reproducible as long as it is there.
//
// Sources: bytes (the browser's <input type=file>, sent over the API) or server-side paths
// (for a remote GPU box where the files already are: `onnxPath` must end in .onnx and
// `manifestPath` in .json; their content is never sent back, and errors about them do not
// quote the file).
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, readdir, rename, rm, stat, mkdir } from 'node:fs/promises'
import { basename, dirname, join, posix } from 'node:path'
import { ApiError, EXECUTION_PROVIDER_SETTINGS, type AttachedGeneratorInfo, type BuiltinGeneratorInfo, type ExecutionProviderSetting, type GeneratorSummary, type ProviderAvailability } from '../../shared/api'
import { loadManifest, type GeneratorManifest } from '../../shared/generator'
import type { GeneratorRef } from '../../shared/project'
import { inspectOnnx, OnnxFormatError } from '../engine/onnx/inspect'
import { ManifestMismatchError, validateManifestAgainstGraph, type ManifestProblem } from '../engine/onnx/manifest'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'
import { packageRoot, resolveInProject, twinlightHome } from './paths'

export const GENERATORS_DIR = 'models/generators'
/** Largest ONNX file accepted (protobuf's own limit is 2 GB). */
export const MAX_GENERATOR_BYTES = 2 * 1024 ** 3 - 1

export type OnnxGeneratorRef = Extract<GeneratorRef, { kind: 'onnx' }>

export type { GeneratorSummary } from '../../shared/api'
export type AttachedGenerator = AttachedGeneratorInfo

export interface AttachResult extends AttachedGenerator {
  /** Manifest problems that did not stop the attach (e.g. a tensor without a declared shape). */
  warnings: string[]
  /** False when these exact bytes were attached before (the folder was reused). */
  created: boolean
}

export function summarize(manifest: GeneratorManifest): GeneratorSummary {
  return {
    name: manifest.name,
    description: manifest.description ?? null,
    resolution: manifest.resolution,
    latentSize: manifest.latent.size,
    latentPrior: manifest.latent.prior,
    truncationDefault: manifest.truncation ? manifest.truncation.default : null,
    noise: manifest.noise.kind,
    modalities: manifest.modalities.map((m) => ({ id: m.id, channels: m.channels, range: [m.range[0], m.range[1]], resolution: m.resolution })),
    features: manifest.features.map((f) => ({ name: f.name, channels: f.channels, resolution: f.resolution })),
    featureChannels: manifest.features.reduce((sum, f) => sum + f.channels, 0)
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

const hashMemo = new Map<string, { size: number; mtimeMs: number; ino: number; sha256: string }>()

/** sha256 of a file, memoised by path, size, mtime and inode; null when it does not exist. */
export async function fileSha256(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null)
  if (!info?.isFile()) return null
  const memo = hashMemo.get(path)
  if (memo && memo.size === info.size && memo.mtimeMs === info.mtimeMs && memo.ino === info.ino) return memo.sha256
  const sha256 = sha256Hex(await readFile(path))
  hashMemo.set(path, { size: info.size, mtimeMs: info.mtimeMs, ino: info.ino, sha256 })
  return sha256
}

function slug(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/[\s_]+/g, '-')
      .toLowerCase()
      .slice(0, 40) || 'generator'
  )
}

/** The manifest path of a ref: its manifestPath, else generator.json beside the ONNX file. */
export function manifestPathOf(ref: OnnxGeneratorRef): string {
  return ref.manifestPath ?? posix.join(posix.dirname(ref.path.replace(/\\/g, '/')), 'generator.json')
}

function badInput(message: string, field?: string): ApiError {
  return new ApiError({ code: 'bad-input', message, ...(field ? { field } : {}) })
}

/**
 * Validates an ONNX graph and its manifest text together. Throws ApiError('bad-input') with a
 * message that names the offending tensor (manifest mismatch) or says the file is damaged.
 */
export function validateGenerator(onnx: Uint8Array, manifestText: string, options: { quote?: boolean } = {}): { manifest: GeneratorManifest; warnings: ManifestProblem[] } {
  const loaded = loadManifest(manifestText)
  if (!loaded.ok) {
    const message = options.quote === false && loaded.error.startsWith('generator.json is not valid JSON') ? 'generator.json is not valid JSON' : loaded.error
    throw badInput(message, 'manifest')
  }
  let graph
  try {
    graph = inspectOnnx(onnx)
  } catch (error) {
    if (error instanceof OnnxFormatError) {
      throw badInput(`the ONNX file is damaged or not an ONNX model (${error.message.replace(/^not an ONNX model: /, '')}); nothing was attached`, 'onnx')
    }
    throw error
  }
  const problems = validateManifestAgainstGraph(loaded.manifest, graph)
  const errors = problems.filter((p) => p.severity === 'error')
  if (errors.length) throw badInput(new ManifestMismatchError(loaded.manifest.name, errors).message, 'manifest')
  return { manifest: loaded.manifest, warnings: problems }
}

export class GeneratorStore {
  constructor(private readonly projectDir: string) {}

  /** Copies, hashes and validates a generator into models/generators/. Nothing is left behind on failure. */
  async attach(input: { onnx: Uint8Array; manifest: string; originalName?: string; quote?: boolean }): Promise<AttachResult> {
    if (input.onnx.byteLength === 0) throw badInput('the ONNX file is empty; nothing was attached', 'onnx')
    if (input.onnx.byteLength > MAX_GENERATOR_BYTES) throw badInput('the ONNX file is larger than 2 GB, which ONNX protobuf files cannot be', 'onnx')
    const { manifest, warnings } = validateGenerator(input.onnx, input.manifest, { quote: input.quote })
    const sha256 = sha256Hex(input.onnx)
    const folderName = `${slug(manifest.name)}-${sha256.slice(0, 12)}`
    const relFolder = posix.join(GENERATORS_DIR, folderName)
    const ref: OnnxGeneratorRef = { kind: 'onnx', path: posix.join(relFolder, 'generator.onnx'), sha256, manifestPath: posix.join(relFolder, 'generator.json') }
    const folder = resolveInProject(this.projectDir, relFolder)
    const warningTexts = warnings.map((w) => w.message)
    const manifestText = JSON.stringify(manifest, null, 2) + '\n'

    if (existsSync(join(folder, 'generator.onnx'))) {
      // Same bytes attached before: reuse the folder if it is intact, refresh its manifest.
      const existing = await readFile(join(folder, 'generator.onnx'))
      if (sha256Hex(existing) === sha256) {
        await writeFileAtomic(join(folder, 'generator.json'), manifestText)
        const info = await readAttachedInfo(folder)
        return { ref, summary: summarize(manifest), attachedAt: info?.attachedAt ?? new Date().toISOString(), originalName: info?.originalName ?? null, warnings: warningTexts, created: false }
      }
      await rm(folder, { recursive: true, force: true }) // a damaged earlier copy
    }

    const parent = resolveInProject(this.projectDir, GENERATORS_DIR)
    await mkdir(parent, { recursive: true })
    const temp = join(parent, `.attach-${process.pid}-${randomBytes(4).toString('hex')}`)
    const attachedAt = new Date().toISOString()
    try {
      await writeFileAtomic(join(temp, 'generator.onnx'), input.onnx)
      // Read back what reached the disk: a short write or a full disk must not become a generator.
      const written = await readFile(join(temp, 'generator.onnx'))
      if (sha256Hex(written) !== sha256) throw new Error('the copy of the ONNX file does not match the original (disk full?)')
      await writeFileAtomic(join(temp, 'generator.json'), manifestText)
      await writeJsonAtomic(join(temp, 'attached.json'), { sha256, attachedAt, source: input.originalName ? 'upload' : 'bytes', originalName: input.originalName ?? null })
      await rename(temp, folder)
    } catch (error) {
      await rm(temp, { recursive: true, force: true })
      if (existsSync(join(folder, 'generator.onnx'))) {
        // Another attach of the same bytes won the race: use its folder.
        return { ref, summary: summarize(manifest), attachedAt, originalName: input.originalName ?? null, warnings: warningTexts, created: false }
      }
      throw error
    }
    return { ref, summary: summarize(manifest), attachedAt, originalName: input.originalName ?? null, warnings: warningTexts, created: true }
  }

  /** Attach from files on the machine the backend runs on (remote box case). */
  async attachFromPaths(onnxPath: string, manifestPath: string): Promise<AttachResult> {
    if (!/\.onnx$/i.test(onnxPath)) throw badInput('the ONNX path must end in .onnx', 'onnxPath')
    if (!/\.json$/i.test(manifestPath)) throw badInput('the manifest path must end in .json', 'manifestPath')
    const info = await stat(onnxPath).catch(() => null)
    if (!info?.isFile()) throw new ApiError({ code: 'not-found', field: 'onnxPath', message: `${onnxPath} is not a file on the studio's machine` })
    if (info.size > MAX_GENERATOR_BYTES) throw badInput('the ONNX file is larger than 2 GB, which ONNX protobuf files cannot be', 'onnxPath')
    const manifestInfo = await stat(manifestPath).catch(() => null)
    if (!manifestInfo?.isFile()) throw new ApiError({ code: 'not-found', field: 'manifestPath', message: `${manifestPath} is not a file on the studio's machine` })
    if (manifestInfo.size > 4 * 1024 * 1024) throw badInput('the manifest is larger than 4 MB; it is not a generator.json', 'manifestPath')
    const [onnx, manifest] = await Promise.all([readFile(onnxPath), readFile(manifestPath, 'utf8')])
    return this.attach({ onnx, manifest, originalName: basename(onnxPath), quote: false })
  }

  /** Every generator attached to this project (newest first); damaged folders are left out. */
  async list(): Promise<AttachedGenerator[]> {
    const parent = join(this.projectDir, GENERATORS_DIR)
    let entries: string[]
    try {
      entries = await readdir(parent)
    } catch {
      return []
    }
    const out: AttachedGenerator[] = []
    for (const name of entries) {
      if (name.startsWith('.')) continue
      const folder = join(parent, name)
      const info = await readAttachedInfo(folder)
      if (!info || !existsSync(join(folder, 'generator.onnx'))) continue
      const text = await readFile(join(folder, 'generator.json'), 'utf8').catch(() => null)
      const loaded = text === null ? null : loadManifest(text)
      if (!loaded?.ok) continue
      const rel = posix.join(GENERATORS_DIR, name)
      out.push({
        ref: { kind: 'onnx', path: posix.join(rel, 'generator.onnx'), sha256: info.sha256, manifestPath: posix.join(rel, 'generator.json') },
        summary: summarize(loaded.manifest),
        attachedAt: info.attachedAt,
        originalName: info.originalName
      })
    }
    return out.sort((a, b) => b.attachedAt.localeCompare(a.attachedAt))
  }

  /** The manifest of a ref (no hash check: cheap, for the UI). */
  async manifestOf(ref: OnnxGeneratorRef): Promise<GeneratorManifest> {
    const text = await readFile(resolveInProject(this.projectDir, manifestPathOf(ref)), 'utf8').catch(() => null)
    if (text === null) throw new ApiError({ code: 'not-found', message: `the generator's manifest ${manifestPathOf(ref)} is missing` })
    const loaded = loadManifest(text)
    if (!loaded.ok) throw badInput(`${manifestPathOf(ref)}: ${loaded.error}`)
    return loaded.manifest
  }
}

async function readAttachedInfo(folder: string): Promise<{ sha256: string; attachedAt: string; originalName: string | null } | null> {
  try {
    const raw = JSON.parse(await readFile(join(folder, 'attached.json'), 'utf8')) as Record<string, unknown>
    if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.sha256)) return null
    return { sha256: raw.sha256, attachedAt: typeof raw.attachedAt === 'string' ? raw.attachedAt : '', originalName: typeof raw.originalName === 'string' ? raw.originalName : null }
  } catch {
    return null
  }
}

export class GeneratorChangedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GeneratorChangedError'
  }
}

export interface LoadedGenerator {
  ref: OnnxGeneratorRef
  onnx: Uint8Array
  manifest: GeneratorManifest
  /** sha256 of the bytes read (equals ref.sha256 unless allowChanged). */
  sha256: string
}

/**
 * Reads a project's generator for a worker: the ONNX bytes (hash-checked against the ref, a
 * changed file is a GeneratorChangedError unless allowChanged) and the manifest. The graph is
 * checked against the manifest when a GeneratorRuntime opens it.
 */
export async function loadProjectGenerator(projectDir: string, ref: OnnxGeneratorRef, options: { allowChanged?: boolean } = {}): Promise<LoadedGenerator> {
  const onnxPath = resolveInProject(projectDir, ref.path)
  const manifestPath = resolveInProject(projectDir, manifestPathOf(ref))
  let onnx: Uint8Array
  try {
    onnx = await readFile(onnxPath)
  } catch {
    throw new GeneratorChangedError(`the generator file ${ref.path} is missing; attach the generator again`)
  }
  const sha256 = sha256Hex(onnx)
  if (sha256 !== ref.sha256 && !options.allowChanged) {
    throw new GeneratorChangedError(
      `the generator file ${ref.path} changed since it was attached (sha256 ${sha256.slice(0, 12)}…, expected ${ref.sha256.slice(0, 12)}…); attach it again`
    )
  }
  let text: string
  try {
    text = await readFile(manifestPath, 'utf8')
  } catch {
    throw new GeneratorChangedError(`the generator's manifest ${manifestPathOf(ref)} is missing`)
  }
  const loaded = loadManifest(text)
  if (!loaded.ok) throw new Error(`${manifestPathOf(ref)}: ${loaded.error}`)
  return { ref, onnx, manifest: loaded.manifest, sha256 }
}

// ---------------------------------------------------------------------------------------
// Built-in choices.

export type BuiltinGeneratorId = BuiltinGeneratorInfo['id']
export type BuiltinGenerator = BuiltinGeneratorInfo

/** resources/demo-generator/{generator.onnx, generator.json}, when shipped. */
export function demoGeneratorFiles(): { onnx: string; manifest: string } | null {
  let root: string
  try {
    root = packageRoot()
  } catch {
    return null
  }
  const dir = join(root, 'resources', 'demo-generator')
  const onnx = join(dir, 'generator.onnx')
  const manifest = join(dir, 'generator.json')
  return existsSync(onnx) && existsSync(manifest) ? { onnx, manifest } : null
}

export function builtinGenerators(): BuiltinGenerator[] {
  const list: BuiltinGenerator[] = [
    { id: 'renderer-face', label: 'Face renderer', description: 'The built-in parametric face renderer (RGB, NIR, sketch, depth) with exact masks.' },
    { id: 'renderer-ocular', label: 'Ocular renderer', description: 'The built-in renderer in eye-region mode (sclera, iris, pupil).' }
  ]
  if (demoGeneratorFiles()) list.push({ id: 'demo', label: 'Demo generator', description: 'The ONNX demo generator shipped with Twinlight (resources/demo-generator).' })
  return list
}

// ---------------------------------------------------------------------------------------
// The execution provider setting: per machine (a project moves between a laptop and a GPU
// box), in <twinlight home>/runtime.json.

export interface RuntimeSettings {
  executionProvider: ExecutionProviderSetting
}

function runtimeSettingsFile(): string {
  return join(twinlightHome(), 'runtime.json')
}

export async function readRuntimeSettings(): Promise<RuntimeSettings> {
  try {
    const raw = JSON.parse(await readFile(runtimeSettingsFile(), 'utf8')) as Record<string, unknown>
    const provider = raw.executionProvider
    if (typeof provider === 'string' && (EXECUTION_PROVIDER_SETTINGS as readonly string[]).includes(provider)) {
      return { executionProvider: provider as ExecutionProviderSetting }
    }
  } catch {
    /* missing or damaged: defaults */
  }
  return { executionProvider: 'cpu' }
}

export async function writeRuntimeSettings(settings: RuntimeSettings): Promise<void> {
  await mkdir(dirname(runtimeSettingsFile()), { recursive: true })
  await writeJsonAtomic(runtimeSettingsFile(), settings)
}

/** Loads onnxruntime only when asked (the main process has no other use for it). */
export async function executionProviders(): Promise<ProviderAvailability[]> {
  const { listExecutionProviders } = await import('../engine/generator/providers')
  return listExecutionProviders()
}
