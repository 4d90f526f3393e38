// The Compare grid: rows are the panes' sources (a generator or checkpoint and a modality or
// mask), columns are seeds starting at the current one. The same cells feed the on-screen grid
// and the exported PNG sheet.
import type { ClassDef } from '@shared/project'
import type { useCompare } from '../../stores/compare'
import { loadSource, type SourceOption } from './images'
import { seedsFrom } from './items'
import { composeSheet, type SheetCell, type SheetSpec } from './sheet'

type CompareStore = ReturnType<typeof useCompare>

export interface GridCellRef {
  sampleId: string | null
  option: SourceOption | null
}

export interface GridLayout {
  seeds: number[]
  rows: { pane: number; label: string; cells: GridCellRef[] }[]
}

export async function gridLayout(store: CompareStore): Promise<GridLayout> {
  const cur = store.current
  if (!cur || cur.seed === null) return { seeds: [], rows: [] }
  const seeds = seedsFrom(store.index, cur.family, cur.seed, store.gridColumns)
  const ids = store.panes.map((p) => seeds.map((s) => store.paneSampleFor(p, s)))
  await store.ensureSources(ids.flat().filter((x): x is string => !!x))
  const rows = store.panes.map((p, i) => {
    const option = store.optionFor(p.sampleId, p.key)
    const label = `${String.fromCharCode(65 + i)} · ${store.familyName(p.sampleId)} · ${option?.label ?? p.key ?? '—'}`
    return { pane: i, label, cells: ids[i].map((id) => ({ sampleId: id, option: id && p.key ? store.optionFor(id, p.key) : null })) }
  })
  return { seeds, rows }
}

export async function loadGridCells(store: CompareStore, layout: GridLayout, classes: readonly ClassDef[]): Promise<SheetCell[][]> {
  return Promise.all(
    layout.rows.map((row) => {
      const p = store.panes[row.pane]
      return Promise.all(
        row.cells.map(async (cell): Promise<SheetCell> => {
          const empty: SheetCell = { image: null, levels: p.levels, overlay: null, overlayOpacity: 0 }
          if (!cell.sampleId || !cell.option) return empty
          try {
            const image = await loadSource(cell.sampleId, cell.option, classes)
            const ov = p.overlay ? store.optionFor(cell.sampleId, p.overlay) : null
            const overlay = ov ? await loadSource(cell.sampleId, ov, classes).catch(() => null) : null
            return { image, levels: { ...p.levels }, overlay, overlayOpacity: p.overlayOpacity }
          } catch {
            return empty
          }
        })
      )
    })
  )
}

/** Integer upscaling for small images (crisp), at most 256 px per cell. */
export function exportCellSize(native: number): number {
  if (native >= 256) return 256
  return Math.min(256, native * Math.max(1, Math.ceil(96 / native)))
}

/** The labelled sheet of the current grid. */
export async function gridSheet(store: CompareStore, classes: readonly ClassDef[], projectName: string): Promise<HTMLCanvasElement> {
  const layout = await gridLayout(store)
  if (!layout.seeds.length) throw new Error('pane A shows no sample with a seed: nothing to put on a sheet')
  const cells = await loadGridCells(store, layout, classes)
  const native = Math.max(...cells.flat().map((c) => c.image?.width ?? 0), 64)
  const spec: SheetSpec = {
    title: `${projectName} · seeds ${layout.seeds[0]}–${layout.seeds[layout.seeds.length - 1]}`,
    columns: layout.seeds.map((s) => `seed ${s}`),
    rows: layout.rows.map((r, i) => ({ label: r.label, cells: cells[i] })),
    cell: exportCellSize(native)
  }
  return composeSheet(spec)
}
