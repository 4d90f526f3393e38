import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { SystemInfo } from '@shared/api'
import { studio } from '../api/studio'

export const useSystem = defineStore('system', () => {
  const info = ref<SystemInfo | null>(null)
  const connected = ref(true)

  async function load(): Promise<void> {
    info.value = await studio().system.info({})
  }
  window.addEventListener('studio-disconnected', () => (connected.value = false))
  window.addEventListener('studio-reconnected', () => (connected.value = true))
  return { info, connected, load }
})
