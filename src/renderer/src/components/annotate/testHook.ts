// A small window hook for the end-to-end tests and the paint benchmark: the view
// transform (to map image pixels to the screen exactly as the editor does), the save
// state, and per-event timings. Not part of the UI.
import type { PerfRecord } from './editor'
import type { ViewTransform } from '../../canvas/view/transform'

export interface AnnotateTestHook {
  sampleId(): string | null
  view(): ViewTransform | null
  clientToImage(x: number, y: number, pane?: 0 | 1): { x: number; y: number } | null
  imageToClient(x: number, y: number, pane?: 0 | 1): { x: number; y: number } | null
  saveState(): string
  flush(): Promise<void>
  setAutosave(on: boolean): void
  labelAt(x: number, y: number): number | undefined
  history(): { steps: number; bytes: number } | null
  perfStart(): void
  perfTake(): PerfRecord | null
  /** Draw zoomed-out views from the pyramid (default) or from the full-resolution tiles. */
  setPyramid(on: boolean): void
  /** Milliseconds of each of `times` redraws of the main pane's mask layer as it is now. */
  timeMaskRedraws(times: number): number[]
}

declare global {
  interface Window {
    __twinlightAnnotate?: AnnotateTestHook
  }
}
