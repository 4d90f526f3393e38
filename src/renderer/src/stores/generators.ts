// The project's generator and the choices the Models view offers (models.* API). The Gallery
// reads it to know whether the generator takes a truncation ψ.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ExecutionProviderSetting, GeneratorsInfo } from '@shared/api'
import { studio } from '../api/studio'

export const useGenerators = defineStore('generators', () => {
  const info = ref<GeneratorsInfo | null>(null)
  const busy = ref(false)
  let listening = false

  /** ψ default of the current generator, or null when it has no truncation input (or is the renderer). */
  const truncationDefault = computed(() => info.value?.current.summary?.truncationDefault ?? null)
  const currentName = computed(() => {
    const current = info.value?.current
    if (!current) return ''
    if (current.ref.kind === 'renderer') return current.ref.mode === 'ocular' ? 'the built-in ocular renderer' : 'the built-in face renderer'
    return current.summary ? `ONNX generator "${current.summary.name}"` : 'an ONNX generator'
  })

  async function refresh(): Promise<void> {
    try {
      info.value = await studio().models.generators({})
    } catch {
      info.value = null // no project open
    }
  }
  function listen(): void {
    if (listening) return
    listening = true
    studio().events.subscribe((event) => {
      if (event.type === 'project.changed') void refresh()
    })
  }
  async function run<T>(action: () => Promise<T>): Promise<T> {
    busy.value = true
    try {
      return await action()
    } finally {
      busy.value = false
      await refresh()
    }
  }
  /** Attach from files the user picked in the browser: their bytes go to the backend. */
  async function attachFiles(onnx: File, manifest: File): Promise<string[]> {
    return run(async () => {
      const bytes = new Uint8Array(await onnx.arrayBuffer())
      const result = await studio().models.attachGenerator({ source: 'upload', onnx: bytes, manifest: await manifest.text(), fileName: onnx.name })
      return result.warnings
    })
  }
  /** Attach from paths on the machine the backend runs on (a remote box). */
  async function attachPaths(onnxPath: string, manifestPath: string): Promise<string[]> {
    return run(async () => (await studio().models.attachGenerator({ source: 'path', onnxPath, manifestPath })).warnings)
  }
  async function useBuiltin(id: 'renderer-face' | 'renderer-ocular' | 'demo'): Promise<void> {
    await run(() => studio().models.useGenerator({ kind: 'builtin', id }))
  }
  async function useAttached(path: string): Promise<void> {
    await run(() => studio().models.useGenerator({ kind: 'attached', path }))
  }
  async function setProvider(provider: ExecutionProviderSetting): Promise<void> {
    await run(() => studio().models.setExecutionProvider({ provider }))
  }
  return { info, busy, truncationDefault, currentName, refresh, listen, attachFiles, attachPaths, useBuiltin, useAttached, setProvider }
})
