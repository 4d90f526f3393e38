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
}

export const galleryState: GalleryState = {
  projectDir: null,
  statusFilter: 'all',
  modalityView: 'all',
  selected: new Set(),
  scrollTop: 0,
  focusId: null
}

/** The detail view reports the sample it shows, so the Gallery focuses it on return. */
export function rememberFocus(id: string): void {
  galleryState.focusId = id
}
