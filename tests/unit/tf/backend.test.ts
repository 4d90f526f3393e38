// Backend selection: forcing by option and environment variable, clear errors for unavailable
// backends, idempotency, and the wasm backend actually running (SIMD, single-threaded).
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  TF_BACKEND_ENV,
  TfBackendUnavailableError,
  getTf,
  getTfBackendRecord,
  initTf,
  parseTfBackendKind,
  resetTfForTests,
  toBackendRecord
} from '../../../src/main/engine/tf/backend'

const installed = (pkg: string): boolean => {
  try {
    createRequire(import.meta.url).resolve(`${pkg}/package.json`)
    return true
  } catch {
    return false
  }
}
const hasTfjsNode = installed('@tensorflow/tfjs-node')
const hasTfjsNodeGpu = installed('@tensorflow/tfjs-node-gpu')

let savedEnv: string | undefined

beforeEach(() => {
  savedEnv = process.env[TF_BACKEND_ENV]
  delete process.env[TF_BACKEND_ENV]
  resetTfForTests()
})

afterEach(() => {
  if (savedEnv === undefined) delete process.env[TF_BACKEND_ENV]
  else process.env[TF_BACKEND_ENV] = savedEnv
  resetTfForTests()
})

describe('initTf', () => {
  it('forces cpu through the option and is idempotent', async () => {
    expect(() => getTf()).toThrow(/not initialised/)
    const a = await initTf({ force: 'cpu' })
    expect(a.backend).toBe('cpu')
    expect(a.tfBackend).toBe('cpu')
    expect(a.selectedBy).toBe('option')
    expect(a.tf.getBackend()).toBe('cpu')
    expect(a.gradients.added.length + a.gradients.present.length).toBeGreaterThan(50)
    // Same result again, with or without the same option.
    expect(await initTf()).toBe(a)
    expect(await initTf({ force: 'cpu' })).toBe(a)
    expect(getTf()).toBe(a.tf)
    expect(getTfBackendRecord()?.backend).toBe('cpu')
    // A different backend cannot be had in the same process.
    await expect(initTf({ force: 'wasm' })).rejects.toThrow(/already running on 'cpu'/)
    // Gradients work (tfjs-core alone registers none in Node).
    const g = a.tf.grad((x) => a.tf.sum(a.tf.square(x)))(a.tf.tensor1d([1, 2, 3]))
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6])
  })

  it('forces wasm through the environment variable, which overrides the option', async () => {
    process.env[TF_BACKEND_ENV] = 'wasm'
    const init = await initTf({ force: 'cpu' })
    expect(init.backend).toBe('wasm')
    expect(init.selectedBy).toBe('env')
    expect(init.tf.getBackend()).toBe('wasm')
    expect(init.wasm?.simd).toBe(true)
    expect(init.wasm?.threads).toBe(false)
    expect(init.wasm?.dir.endsWith('/')).toBe(true)
    expect(init.description).toMatch(/SIMD/)
    expect(init.versions['tfjs-backend-wasm']).toBe(init.versions['tfjs-core'])
    expect(init.wasmKernels?.added).toContain('Conv2DBackpropFilter')
    // The emscripten glue's rethrowing process listeners are removed.
    for (const l of process.listeners('unhandledRejection')) expect(String(l)).not.toMatch(/throw reason/)
    // A JSON-safe record for config.json / the status bar.
    const record = JSON.parse(JSON.stringify(toBackendRecord(init))) as Record<string, unknown>
    expect(record).toMatchObject({ backend: 'wasm', tfBackend: 'wasm', selectedBy: 'env' })
    expect(record.tf).toBeUndefined()
  })

  it('rejects an unknown value in the environment variable', async () => {
    process.env[TF_BACKEND_ENV] = 'tpu'
    await expect(initTf()).rejects.toThrow(/Unknown TensorFlow.js backend 'tpu'.*TWINLIGHT_TF_BACKEND/)
    expect(parseTfBackendKind('AUTO')).toBeNull()
    expect(parseTfBackendKind(' Wasm ')).toBe('wasm')
    expect(parseTfBackendKind('gpu')).toBe('tensorflow-gpu')
  })

  it.skipIf(hasTfjsNode)('forcing tensorflow without @tensorflow/tfjs-node gives a clear error', async () => {
    const attempt = initTf({ force: 'tensorflow' })
    await expect(attempt).rejects.toBeInstanceOf(TfBackendUnavailableError)
    await expect(attempt).rejects.toThrow(/backend 'tensorflow' was requested but is not available: .*@tensorflow\/tfjs-node is not installed/)
    // The failure is not cached: a later call can pick another backend.
    expect((await initTf({ force: 'cpu' })).backend).toBe('cpu')
  })

  it.skipIf(hasTfjsNodeGpu)('forcing tensorflow-gpu by environment without the package gives a clear error', async () => {
    process.env[TF_BACKEND_ENV] = 'tensorflow-gpu'
    const error = await initTf().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TfBackendUnavailableError)
    expect((error as TfBackendUnavailableError).backend).toBe('tensorflow-gpu')
    expect((error as Error).message).toMatch(/@tensorflow\/tfjs-node-gpu is not installed/)
  })

  it.skipIf(hasTfjsNode || hasTfjsNodeGpu)('automatic selection skips the missing native packages and lands on wasm', async () => {
    const init = await initTf()
    expect(init.backend).toBe('wasm')
    expect(init.selectedBy).toBe('auto')
    expect(init.skipped.map((s) => s.backend)).toEqual(['tensorflow-gpu', 'tensorflow'])
    expect(init.skipped[1].reason).toMatch(/not installed/)
  })

  it('forcing wasm with a folder lacking the binaries names the folder', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'twl-wasm-'))
    await expect(initTf({ force: 'wasm', wasmDir: empty })).rejects.toThrow(new RegExp(`no .wasm binaries in ${empty}`))
  })
})
