// TensorFlow.js start-up: pick a backend once per process and expose the one tf namespace.
//
// Preference order: @tensorflow/tfjs-node-gpu (CUDA) → @tensorflow/tfjs-node (native CPU) →
// @tensorflow/tfjs-backend-wasm → cpu. The native packages are optional dependencies (their
// install downloads libtensorflow), so they are imported dynamically and skipped when absent.
//
// One namespace: tfjs-node re-exports the umbrella @tensorflow/tfjs, which registers its
// kernels and gradients through its own import of tfjs-core. When a native backend is used,
// `tf` is taken from the tfjs-node module; otherwise from @tensorflow/tfjs-core. Code elsewhere
// must use getTf() (or the `tf` returned by initTf) rather than importing tfjs-core itself.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { registerTrainingGradients, type GradientRegistration } from './gradients'
import { TF_BACKEND_KINDS, type Tf, type TfBackendKind } from './types'
import { registerGradKernelFixes, registerWasmKernels, type WasmKernelReport } from './wasmKernels'

export { TF_BACKEND_KINDS, type Tf, type TfBackendKind } from './types'

/** Environment variable that forces a backend (overrides the `force` option / setting). */
export const TF_BACKEND_ENV = 'TWINLIGHT_TF_BACKEND'

export interface TfInitOptions {
  /** The user's setting; `TWINLIGHT_TF_BACKEND` takes precedence when set. */
  force?: TfBackendKind
  /** Folder holding the tfjs-backend-wasm .wasm files (default: the installed package's dist/). */
  wasmDir?: string
}

/** JSON-safe description of the backend in use, for the status bar and each run's config.json. */
export interface TfBackendRecord {
  /** Twinlight's name for it: 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'. */
  backend: TfBackendKind
  /** What tf.getBackend() reports ('tensorflow' for both native packages). */
  tfBackend: string
  description: string
  /** Who chose it: the env variable, the option, or automatic selection. */
  selectedBy: 'env' | 'option' | 'auto'
  /** Candidates tried before this one and why each was not used (automatic selection only). */
  skipped: Array<{ backend: TfBackendKind; reason: string }>
  versions: Record<string, string>
  wasm?: { simd: boolean; threads: boolean; dir: string }
}

export interface TfInit extends TfBackendRecord {
  tf: Tf
  gradients: GradientRegistration
  wasmKernels?: WasmKernelReport
}

/** A forced backend could not be started. */
export class TfBackendUnavailableError extends Error {
  constructor(
    readonly backend: TfBackendKind,
    readonly reason: string
  ) {
    super(`TensorFlow.js backend '${backend}' was requested but is not available: ${reason}`)
    this.name = 'TfBackendUnavailableError'
  }
}

const PACKAGES: Record<'tensorflow-gpu' | 'tensorflow', string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node'
}

const requireHere = createRequire(import.meta.url)

let current: Promise<TfInit> | null = null
let currentInit: TfInit | null = null

/** Parse a backend name as written in the env variable / settings ('' and 'auto' mean none). */
export function parseTfBackendKind(value: string | undefined | null, source = 'value'): TfBackendKind | null {
  const v = (value ?? '').trim().toLowerCase()
  if (v === '' || v === 'auto') return null
  const aliases: Record<string, TfBackendKind> = { gpu: 'tensorflow-gpu', cuda: 'tensorflow-gpu', native: 'tensorflow', node: 'tensorflow' }
  const kind = (TF_BACKEND_KINDS as readonly string[]).includes(v) ? (v as TfBackendKind) : aliases[v]
  if (kind == null) {
    throw new Error(`Unknown TensorFlow.js backend '${value}' in ${source}; use one of ${TF_BACKEND_KINDS.join(', ')} or auto`)
  }
  return kind
}

/**
 * Initialise TensorFlow.js once. Later calls return the same result; asking for a different
 * backend after initialisation throws (a process cannot drop a native backend again).
 */
export function initTf(options: TfInitOptions = {}): Promise<TfInit> {
  let fromEnv: TfBackendKind | null
  let fromOption: TfBackendKind | null
  try {
    fromEnv = parseTfBackendKind(process.env[TF_BACKEND_ENV], `the ${TF_BACKEND_ENV} environment variable`)
    fromOption = options.force != null ? parseTfBackendKind(options.force, 'the force option') : null
  } catch (error) {
    return Promise.reject(error)
  }
  const requested = fromEnv ?? fromOption
  const selectedBy: TfBackendRecord['selectedBy'] = fromEnv != null ? 'env' : fromOption != null ? 'option' : 'auto'

  if (current != null) {
    return current.then((init) => {
      if (requested != null && requested !== init.backend) {
        throw new Error(
          `TensorFlow.js is already running on '${init.backend}'; it cannot switch to '${requested}' in the same process (restart to change it)`
        )
      }
      return init
    })
  }
  const p = start(requested, selectedBy, options)
  current = p
  p.then(
    (init) => {
      currentInit = init
    },
    () => {
      // A failed start may be retried (e.g. with another setting).
      if (current === p) current = null
    }
  )
  return p
}

/** The tf namespace in use. Throws before initTf has finished. */
export function getTf(): Tf {
  if (currentInit == null) throw new Error('TensorFlow.js is not initialised yet: await initTf() first')
  return currentInit.tf
}

/** The current backend record (JSON-safe), or null before initTf has finished. */
export function getTfBackendRecord(): TfBackendRecord | null {
  return currentInit == null ? null : toBackendRecord(currentInit)
}

export function toBackendRecord(init: TfInit | TfBackendRecord): TfBackendRecord {
  const { backend, tfBackend, description, selectedBy, skipped, versions, wasm } = init
  return { backend, tfBackend, description, selectedBy, skipped, versions, ...(wasm ? { wasm } : {}) }
}

/** Tests only: forget the cached initialisation (loaded modules and registrations stay). */
export function resetTfForTests(): void {
  current = null
  currentInit = null
}

async function start(requested: TfBackendKind | null, selectedBy: TfBackendRecord['selectedBy'], options: TfInitOptions): Promise<TfInit> {
  if (requested != null) {
    try {
      return await tryStart(requested, options, selectedBy, [])
    } catch (error) {
      if (error instanceof TfBackendUnavailableError) throw error
      throw new TfBackendUnavailableError(requested, errorText(error))
    }
  }
  const skipped: TfBackendRecord['skipped'] = []
  for (const kind of TF_BACKEND_KINDS) {
    try {
      return await tryStart(kind, options, selectedBy, skipped)
    } catch (error) {
      const reason = error instanceof TfBackendUnavailableError ? error.reason : errorText(error)
      skipped.push({ backend: kind, reason })
      // Once a native package is loaded it owns the 'tensorflow' backend; a GPU package that
      // found no CUDA device is still usable and handled inside tryStart.
    }
  }
  throw new Error(`No TensorFlow.js backend could be started: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`)
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

async function tryStart(
  kind: TfBackendKind,
  options: TfInitOptions,
  selectedBy: TfBackendRecord['selectedBy'],
  skipped: TfBackendRecord['skipped']
): Promise<TfInit> {
  switch (kind) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return startNative(kind, selectedBy, skipped)
    case 'wasm':
      return startWasm(options, selectedBy, skipped)
    case 'cpu':
      return startCpu(selectedBy, skipped)
  }
}

interface NativeBackendFlags {
  isGPUPackage?: boolean
  isUsingGpuDevice?: boolean
}

async function importOptional(kind: TfBackendKind, pkg: string): Promise<Record<string, unknown>> {
  try {
    requireHere.resolve(`${pkg}/package.json`)
  } catch {
    throw new TfBackendUnavailableError(
      kind,
      `the optional package ${pkg} is not installed (npm install ${pkg}; its install step downloads libtensorflow)`
    )
  }
  try {
    // A variable specifier keeps bundlers and TypeScript from resolving the optional package.
    const specifier: string = pkg
    return (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>
  } catch (error) {
    throw new TfBackendUnavailableError(kind, `${pkg} is installed but failed to load: ${errorText(error)}`)
  }
}

function packageVersion(pkg: string): string | undefined {
  try {
    return (requireHere(`${pkg}/package.json`) as { version?: string }).version
  } catch {
    return undefined
  }
}

async function startNative(
  kind: 'tensorflow-gpu' | 'tensorflow',
  selectedBy: TfBackendRecord['selectedBy'],
  skipped: TfBackendRecord['skipped']
): Promise<TfInit> {
  const pkg = PACKAGES[kind]
  const mod = await importOptional(kind, pkg)
  const tf = (mod.default ?? mod) as Tf
  if (typeof tf.setBackend !== 'function') throw new TfBackendUnavailableError(kind, `${pkg} did not expose a tf namespace`)
  if (!(await tf.setBackend('tensorflow')) || tf.getBackend() !== 'tensorflow') {
    throw new TfBackendUnavailableError(kind, `${pkg} loaded but the 'tensorflow' backend did not initialise`)
  }
  const flags = tf.backend() as unknown as NativeBackendFlags
  let backend: TfBackendKind = kind
  let description: string
  if (kind === 'tensorflow-gpu') {
    if (flags.isUsingGpuDevice !== true) {
      if (selectedBy !== 'auto') {
        throw new TfBackendUnavailableError(kind, `${pkg} loaded but TensorFlow sees no CUDA GPU (check the driver, CUDA and cuDNN)`)
      }
      // The GPU build runs on the CPU too; loading tfjs-node next to it is not possible.
      backend = 'tensorflow'
      skipped.push({ backend: 'tensorflow-gpu', reason: `${pkg} loaded but TensorFlow sees no CUDA GPU; using it on the CPU` })
      description = `TensorFlow native CPU (via ${pkg}, no CUDA device)`
    } else {
      description = 'TensorFlow native with CUDA GPU (tfjs-node-gpu)'
    }
  } else {
    description = 'TensorFlow native CPU (tfjs-node)'
  }
  const gradients = registerTrainingGradients(tf)
  const versions: Record<string, string> = { 'tfjs-core': tf.version_core }
  const v = packageVersion(pkg)
  if (v) versions[pkg.replace('@tensorflow/', '')] = v
  return { tf, backend, tfBackend: tf.getBackend(), description, selectedBy, skipped, versions, gradients }
}

/** Folder of the installed tfjs-backend-wasm .wasm binaries, with a trailing separator. */
export function defaultWasmDir(): string {
  const main = requireHere.resolve('@tensorflow/tfjs-backend-wasm')
  return dirname(main) + sep
}

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'] as const

async function loadCore(): Promise<Tf> {
  const core = (await import('@tensorflow/tfjs-core')) as Tf
  // The cpu backend is always registered: it is the last-resort fallback and the reference
  // that tests compare against.
  await import('@tensorflow/tfjs-backend-cpu')
  // The cpu backend prints a "you are running TensorFlow.js in Node.js, install tfjs-node" banner
  // on first use; Twinlight already chose its backend knowingly, so mark it as shown.
  const cpu = core.findBackend('cpu') as unknown as { firstUse?: boolean } | null
  if (cpu != null && typeof cpu.firstUse === 'boolean') cpu.firstUse = false
  // Some stock cpu gradient kernels are wrong (see wasmKernels.ts); replace them.
  registerGradKernelFixes(core, 'cpu')
  return core
}

async function startWasm(
  options: TfInitOptions,
  selectedBy: TfBackendRecord['selectedBy'],
  skipped: TfBackendRecord['skipped']
): Promise<TfInit> {
  let dir = options.wasmDir ?? defaultWasmDir()
  if (!dir.endsWith('/') && !dir.endsWith(sep)) dir += sep
  const missing = WASM_FILES.filter((f) => !existsSync(join(dir, f)))
  if (missing.length === WASM_FILES.length) {
    throw new TfBackendUnavailableError('wasm', `no .wasm binaries in ${dir} (expected ${WASM_FILES.join(', ')})`)
  }
  const tf = await loadCore()
  const listenersBefore = emscriptenListenerSnapshot()
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  // In Node the binaries are read with fs: a plain folder path with a trailing separator works
  // (setWasmPaths would also take a { 'tfjs-backend-wasm-simd.wasm': path } map).
  wasm.setWasmPaths(dir)
  const ok = await tf.setBackend('wasm')
  removeEmscriptenListeners(listenersBefore)
  if (!ok || tf.getBackend() !== 'wasm') {
    throw new TfBackendUnavailableError('wasm', `the wasm backend failed to initialise from ${dir} (see the warning printed above)`)
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT')
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')
  const gradients = registerTrainingGradients(tf)
  const wasmKernels = registerWasmKernels(tf)
  const description = `WebAssembly (XNNPACK${simd ? ', SIMD' : ', no SIMD'}, ${threads ? 'multi-threaded' : 'single-threaded'})`
  return {
    tf,
    backend: 'wasm',
    tfBackend: 'wasm',
    description,
    selectedBy,
    skipped,
    versions: { 'tfjs-core': tf.version_core, 'tfjs-backend-wasm': wasm.version_wasm },
    wasm: { simd, threads, dir },
    gradients,
    wasmKernels
  }
}

type ProcessEvent = 'uncaughtException' | 'unhandledRejection'
const PROCESS_EVENTS: ProcessEvent[] = ['uncaughtException', 'unhandledRejection']
type AnyListener = (...args: unknown[]) => void
// process.listeners/removeListener are overloaded per event; go through one plain signature.
const proc = process as unknown as {
  listeners(event: string): AnyListener[]
  removeListener(event: string, listener: AnyListener): void
}

function emscriptenListenerSnapshot(): Map<ProcessEvent, AnyListener[]> {
  return new Map(PROCESS_EVENTS.map((e) => [e, proc.listeners(e)]))
}

/**
 * The emscripten glue of tfjs-backend-wasm installs process-wide 'uncaughtException' and
 * 'unhandledRejection' listeners that simply rethrow. They replace Node's (and Electron's) own
 * handling and make every unrelated crash print the whole minified wasm glue as the source line.
 * Remove exactly those (new since the snapshot and recognisably emscripten's).
 */
function removeEmscriptenListeners(before: Map<ProcessEvent, AnyListener[]>): void {
  for (const event of PROCESS_EVENTS) {
    const old = before.get(event) ?? []
    for (const listener of proc.listeners(event)) {
      if (old.includes(listener)) continue
      const src = Function.prototype.toString.call(listener)
      if (src.includes('ExitStatus') || /^function\s*\(\s*reason\s*\)\s*\{\s*throw reason;?\s*\}$/.test(src)) {
        proc.removeListener(event, listener)
      }
    }
  }
}

async function startCpu(selectedBy: TfBackendRecord['selectedBy'], skipped: TfBackendRecord['skipped']): Promise<TfInit> {
  const tf = await loadCore()
  if (!(await tf.setBackend('cpu')) || tf.getBackend() !== 'cpu') {
    throw new TfBackendUnavailableError('cpu', 'the cpu backend failed to initialise')
  }
  const gradients = registerTrainingGradients(tf)
  const v = packageVersion('@tensorflow/tfjs-backend-cpu')
  return {
    tf,
    backend: 'cpu',
    tfBackend: 'cpu',
    description: 'plain JavaScript (tfjs-backend-cpu, slow)',
    selectedBy,
    skipped,
    versions: { 'tfjs-core': tf.version_core, ...(v ? { 'tfjs-backend-cpu': v } : {}) },
    gradients
  }
}
