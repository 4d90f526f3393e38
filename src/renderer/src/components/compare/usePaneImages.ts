// The pixels of every pane (its source and its mask overlay), reloaded when a pane's sample or
// source changes. A load that finishes after the pane moved on is dropped.
import { shallowRef, watch } from 'vue'
import { useCompare } from '../../stores/compare'
import { useProject } from '../../stores/project'
import { loadSource, type LoadedImage } from './images'

export interface PaneImages {
  base: LoadedImage | null
  overlay: LoadedImage | null
  /** Why there is no image (missing sample, load error). */
  problem: string | null
  loading: boolean
}

const EMPTY: PaneImages = { base: null, overlay: null, problem: null, loading: false }

export function usePaneImages() {
  const store = useCompare()
  const project = useProject()
  const images = shallowRef<PaneImages[]>([])
  let generation = 0

  async function loadPane(i: number, gen: number): Promise<void> {
    const p = store.panes[i]
    const set = (value: PaneImages) => {
      if (gen !== generation) return
      const next = [...images.value]
      next[i] = value
      images.value = next
    }
    if (!p?.sampleId || !p.key) return set({ ...EMPTY, problem: p?.sampleId ? 'pick a source' : 'pick a sample' })
    const option = store.optionFor(p.sampleId, p.key)
    if (!option) {
      const known = store.sources[p.sampleId]
      const missing = known && known.length === 0
      return set({ ...EMPTY, problem: missing ? `no sample ${p.sampleId}` : known ? `${p.sampleId} has no "${p.key.replace(/^mask:/, '')}"` : 'loading…', loading: !known })
    }
    set({ ...(images.value[i] ?? EMPTY), loading: true, problem: null })
    try {
      const base = await loadSource(p.sampleId, option, project.classes)
      const ov = p.overlay ? store.optionFor(p.sampleId, p.overlay) : null
      const overlay = ov ? await loadSource(p.sampleId, ov, project.classes).catch(() => null) : null
      set({ base, overlay, problem: null, loading: false })
    } catch (e) {
      set({ ...EMPTY, problem: e instanceof Error ? e.message : String(e) })
    }
  }

  watch(
    () => [store.panes.map((p) => `${p.uid}|${p.sampleId}|${p.key}|${p.overlay}`).join(';'), store.sources, project.classes] as const,
    () => {
      const gen = ++generation
      images.value = store.panes.map((_, i) => images.value[i] ?? EMPTY).slice(0, store.panes.length)
      store.panes.forEach((_, i) => void loadPane(i, gen))
    },
    { immediate: true }
  )
  return images
}
