import { defineStore } from 'pinia'
import { ref } from 'vue'

export interface Toast {
  id: number
  kind: 'error' | 'info' | 'success'
  text: string
}

let nextId = 1

export const useToasts = defineStore('toasts', () => {
  const toasts = ref<Toast[]>([])

  function show(kind: Toast['kind'], text: string, ms = kind === 'error' ? 8000 : 3500): void {
    const id = nextId++
    toasts.value.push({ id, kind, text })
    setTimeout(() => dismiss(id), ms)
  }
  function dismiss(id: number): void {
    toasts.value = toasts.value.filter((t) => t.id !== id)
  }
  /** Show a failed call's message: the backend's validation text reaches the user as it is. */
  function error(error: unknown): void {
    show('error', error instanceof Error ? error.message : String(error))
  }
  /** Run a call whose failure only needs telling (cancel, resume, remove): errors become a toast. */
  async function attempt(action: () => Promise<unknown>): Promise<void> {
    try {
      await action()
    } catch (caught) {
      error(caught)
    }
  }
  return { toasts, show, dismiss, error, attempt }
})
