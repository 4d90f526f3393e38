// The Annotate view's UI state: the tool settings, display options and the status the
// editor reports (save state, history, per-class counts, cursor). Only small values live
// here; the label map, canvases and Konva nodes stay in the non-reactive editor
// controller (components/annotate/editor.ts), which pushes what the UI shows.
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import type { ToolId } from '../canvas/view/keymap'
import type { Levels } from '../canvas/view/levels'
import type { SaveState } from '../canvas/view/autosave'
import type { ViewTransform } from '../canvas/view/transform'

export type PreserveMode = 'none' | 'unlabeled' | 'class'

export interface HistoryInfo {
  undoSteps: number
  redoSteps: number
  bytes: number
}

export interface CursorInfo {
  x: number
  y: number
  label: number | undefined
}

const PREFS_KEY = 'twinlight.annotate.prefs'

interface Prefs {
  brushSize: number
  brushShape: 'round' | 'square'
  fillSimilar: boolean
  fillTolerance: number
  opacity: number
  levels: Record<string, Levels>
}

function readPrefs(): Partial<Prefs> {
  try {
    return JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<Prefs>
  } catch {
    return {}
  }
}

export const useAnnotate = defineStore('annotate', () => {
  const prefs = readPrefs()
  const tool = ref<ToolId>('brush')
  const classId = ref(1)
  const brushSize = ref(Math.min(512, Math.max(1, Math.round(prefs.brushSize ?? 15))))
  const brushShape = ref<'round' | 'square'>(prefs.brushShape === 'square' ? 'square' : 'round')
  const fillSimilar = ref(prefs.fillSimilar ?? false)
  const fillTolerance = ref(prefs.fillTolerance ?? 24)
  const preserve = ref<PreserveMode>('none')
  const preserveClass = ref(0)
  const opacity = ref(prefs.opacity ?? 0.55)
  const outline = ref(false)
  const maskHidden = ref(false)
  const modality = ref('')
  const split = ref(false)
  const splitModality = ref('')
  const levels = ref<Record<string, Levels>>(prefs.levels ?? {})
  const showHelp = ref(false)
  const showSettings = ref(false)
  const showTransfer = ref(false)

  // Reported by the editor.
  const saveState = ref<SaveState>('saved')
  const saveError = ref('')
  const lastSavedAt = ref('')
  const history = ref<HistoryInfo>({ undoSteps: 0, redoSteps: 0, bytes: 0 })
  /** Pixels per label 0–255, replaced at most once per frame. */
  const counts = shallowRef<Uint32Array | null>(null)
  const cursor = shallowRef<CursorInfo | null>(null)
  const view = shallowRef<ViewTransform>({ zoom: 1, x: 0, y: 0 })
  const polygonVertices = ref(0)
  const loading = ref(false)
  const loadError = ref('')

  watch(
    [brushSize, brushShape, fillSimilar, fillTolerance, opacity, levels],
    () => {
      const next: Prefs = {
        brushSize: brushSize.value,
        brushShape: brushShape.value,
        fillSimilar: fillSimilar.value,
        fillTolerance: fillTolerance.value,
        opacity: opacity.value,
        levels: levels.value
      }
      try {
        localStorage.setItem(PREFS_KEY, JSON.stringify(next))
      } catch {
        // Private mode or a full quota: preferences are a convenience.
      }
    },
    { deep: true }
  )

  return {
    tool,
    classId,
    brushSize,
    brushShape,
    fillSimilar,
    fillTolerance,
    preserve,
    preserveClass,
    opacity,
    outline,
    maskHidden,
    modality,
    split,
    splitModality,
    levels,
    showHelp,
    showSettings,
    showTransfer,
    saveState,
    saveError,
    lastSavedAt,
    history,
    counts,
    cursor,
    view,
    polygonVertices,
    loading,
    loadError
  }
})
