// onnxruntime execution providers: which ones this installation offers, and session creation
// with an automatic fall back to the CPU provider (with a message saying why).
//
// The setting (models.setExecutionProvider, stored per machine) is one of:
//   'cpu'    - the default; always available, and the reference for byte-identical samples;
//   'cuda'   - NVIDIA GPUs, when onnxruntime-node's CUDA provider libraries are installed
//              (the studio's .npmrc skips their download; install them with
//              `npx onnxruntime-node-install cuda12` or reinstall without the skip);
//   'webgpu' - when the build bundles it (Linux x64, Windows, macOS) and a GPU adapter exists;
//   'auto'   - CUDA when installed, else CPU (WebGPU is never picked automatically: without a
//              real adapter it is slower than the CPU provider or does not start).
// Whatever is asked, a provider that fails to start gives a log line and a CPU session.
// Note: GPU providers do not promise bit-identical results across runs or machines; samples
// meant to be regenerated exactly (annotated ones) are best drawn with the CPU provider.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import type { ExecutionProviderName, ExecutionProviderSetting, ProviderAvailability } from '../../../shared/api'

export { EXECUTION_PROVIDER_SETTINGS } from '../../../shared/api'
export type { ExecutionProviderName, ExecutionProviderSetting, ProviderAvailability } from '../../../shared/api'

function cudaLibraryInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url)
    const pkg = dirname(require.resolve('onnxruntime-node/package.json'))
    const ext = process.platform === 'win32' ? 'dll' : 'so'
    const prefix = process.platform === 'win32' ? '' : 'lib'
    return existsSync(join(pkg, 'bin', 'napi-v6', process.platform, process.arch, `${prefix}onnxruntime_providers_cuda.${ext}`))
  } catch {
    return false
  }
}

/** The providers this onnxruntime-node build lists (ort.listSupportedBackends), with whether each can be used. */
export function listExecutionProviders(): ProviderAvailability[] {
  let backends: { name: string; bundled: boolean }[] = []
  try {
    backends = ort.listSupportedBackends()
  } catch {
    backends = [{ name: 'cpu', bundled: true }]
  }
  const has = (name: string) => backends.find((b) => b.name === name)
  const cuda = has('cuda')
  const webgpu = has('webgpu')
  const cudaInstalled = !!cuda && (cuda.bundled || cudaLibraryInstalled())
  return [
    { name: 'cpu', available: true, note: 'always available; reference for byte-identical samples' },
    {
      name: 'cuda',
      available: cudaInstalled,
      note: !cuda ? 'not in this onnxruntime build' : cudaInstalled ? 'CUDA provider installed (needs an NVIDIA GPU and CUDA 12)' : 'CUDA provider libraries not installed'
    },
    { name: 'webgpu', available: !!webgpu, note: webgpu ? 'bundled; needs a GPU adapter (Vulkan/Metal/D3D12)' : 'not in this onnxruntime build' }
  ]
}

/** The provider to try first for a setting. */
export function preferredProvider(setting: ExecutionProviderSetting): ExecutionProviderName {
  const offered = listExecutionProviders()
  const available = (name: ExecutionProviderName) => offered.find((p) => p.name === name)?.available === true
  if (setting === 'auto') return available('cuda') ? 'cuda' : 'cpu'
  return setting
}

export interface CreatedSession {
  session: ort.InferenceSession
  provider: ExecutionProviderName
  /** Set when the requested provider could not be used and the CPU one was taken instead. */
  fallback: string | null
}

export interface SessionCreateOptions {
  setting?: ExecutionProviderSetting
  /** Receives a line when a provider falls back to CPU. */
  log?: (text: string, level: 'info' | 'warn') => void
  /** Intra-op threads of the CPU provider; default onnxruntime's (one per core). */
  threads?: number
}

function sessionOptions(provider: ExecutionProviderName, threads?: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(threads ? { intraOpNumThreads: threads } : {}),
    logSeverityLevel: 3
  }
}

/** Creates a session on the preferred provider, falling back to CPU with a message. */
export async function createSession(model: Uint8Array, options: SessionCreateOptions = {}): Promise<CreatedSession> {
  const wanted = preferredProvider(options.setting ?? 'cpu')
  const buffer = Buffer.from(model.buffer, model.byteOffset, model.byteLength)
  if (wanted !== 'cpu') {
    const offered = listExecutionProviders().find((p) => p.name === wanted)
    if (!offered?.available) {
      const fallback = `execution provider "${wanted}" is not available (${offered?.note ?? 'unknown provider'}); using the CPU`
      options.log?.(fallback, 'warn')
      return { session: await ort.InferenceSession.create(buffer, sessionOptions('cpu', options.threads)), provider: 'cpu', fallback }
    }
    try {
      const session = await ort.InferenceSession.create(buffer, sessionOptions(wanted, options.threads))
      options.log?.(`running on the ${wanted} execution provider`, 'info')
      return { session, provider: wanted, fallback: null }
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0].slice(0, 300)
      const fallback = `execution provider "${wanted}" failed to start (${reason}); using the CPU`
      options.log?.(fallback, 'warn')
      return { session: await ort.InferenceSession.create(buffer, sessionOptions('cpu', options.threads)), provider: 'cpu', fallback }
    }
  }
  return { session: await ort.InferenceSession.create(buffer, sessionOptions('cpu', options.threads)), provider: 'cpu', fallback: null }
}
