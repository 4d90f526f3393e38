// What the Gallery remembers while the user is in another view (the detail view, Annotate):
// filter, modality view, selection, scroll position and the focused sample, so coming back
// lands where they left - also after stepping through samples in the detail view.
export interface GalleryState {
  projectDir: string | null
  statusFilter: string
  modalityView: string
  selected: Set<string>
  scrollTop: number
  focusId: string | null
  /** 'id' (sample order) or 'suggested' (the most uncertain predicted samples first). */
  order: 'id' | 'suggested'
  /** Whether tiles show the interpreter's predicted masks over the images. */
  showPredictions: boolean
}

export const galleryState: GalleryState = {
  projectDir: null,
  statusFilter: 'all',
  modalityView: 'all',
  selected: new Set(),
  scrollTop: 0,
  focusId: null,
  order: 'id',
  showPredictions: true
}

/** The detail view reports the sample it shows, so the Gallery focuses it on return. */
export function rememberFocus(id: string): void {
  galleryState.focusId = id
}
