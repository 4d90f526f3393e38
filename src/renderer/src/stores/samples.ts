import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { SampleInfo } from '@shared/api'
import { studio } from '../api/studio'
import { useJobs } from './jobs'

export const useSamples = defineStore('samples', () => {
  // Up to tens of thousands of entries: replaced wholesale, never deeply watched.
  const samples = shallowRef<SampleInfo[]>([])
  const loading = ref(false)
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  async function refresh(): Promise<void> {
    loading.value = true
    try {
      samples.value = await studio().samples.list({})
    } catch {
      samples.value = []
    } finally {
      loading.value = false
    }
  }
  /** Coalesce bursts of change events into one reload. */
  function scheduleRefresh(): void {
    if (refreshTimer) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refresh()
    }, 250)
  }
  function listen(): void {
    studio().events.subscribe((event) => {
      if (event.type === 'samples.changed' || event.type === 'project.changed') scheduleRefresh()
    })
  }
  /** Starts the project generator's sample job; `truncation` (ψ) is used by ONNX generators that take one. */
  async function generate(count: number, seedStart: number, options: { truncation?: number } = {}): Promise<void> {
    useJobs().upsert(await studio().samples.generate({ count, seedStart, ...options }))
  }
  async function remove(ids: string[]): Promise<void> {
    await studio().samples.delete({ ids })
    await refresh()
  }
  return { samples, loading, refresh, listen, generate, remove }
})
