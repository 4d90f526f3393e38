// The virtualised tile grid shared by the Gallery and the Dataset browser: fixed-size tiles in
// as many columns as fit, only the rows in view (plus a few) in the DOM, one scroll update per
// animation frame. The view owns the markup; this composable owns the geometry:
//
//   <div ref="viewport" class="viewport" @scroll.passive="grid.onScroll">
//     <div :style="{ height: `${grid.rowCount.value * grid.rowHeight}px`, position: 'relative' }">
//       <div v-for="(item, i) in items.slice(grid.firstIndex.value, grid.lastIndex.value)"
//            :key="(grid.firstIndex.value + i) % grid.pool.value" :style="grid.tileStyle(i)">…
//
// Tiles are keyed by slot, not by item: a slot is reused by whichever item scrolls into its
// place, so scrolling patches a few attributes instead of destroying and creating elements.
import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue'
import { scrollIntoSpan, visibleRows } from './gridNavigation'

export interface VirtualGridOptions {
  /** Number of items the grid lays out (the filtered list's length). */
  count: Readonly<Ref<number>>
  tileWidth: Readonly<Ref<number>>
  tileHeight: number
  /** Space between tiles, both ways. */
  gap: number
  /** The viewport's horizontal padding (each side). */
  pad: number
  /** Extra rows rendered above and below the visible ones. Default 2. */
  overscan?: number
  /** Called whenever the viewport changes size (the first time once it is measured). */
  onResize?: () => void
}

export function useVirtualGrid(options: VirtualGridOptions) {
  const overscan = options.overscan ?? 2
  const rowHeight = options.tileHeight + options.gap
  const viewport = ref<HTMLElement | null>(null)
  const scrollTop = ref(0)
  const viewportSize = ref({ width: 800, height: 600 })

  const columns = computed(() => Math.max(1, Math.floor((viewportSize.value.width - 2 * options.pad + options.gap) / (options.tileWidth.value + options.gap))))
  const rowCount = computed(() => Math.ceil(options.count.value / columns.value))
  const rows = computed(() => visibleRows(scrollTop.value, viewportSize.value.height, rowHeight, rowCount.value, overscan))
  /** Items [firstIndex, lastIndex) are in the DOM. */
  const firstIndex = computed(() => rows.value.first * columns.value)
  const lastIndex = computed(() => Math.min(options.count.value, rows.value.last * columns.value))
  const pageRows = computed(() => Math.max(1, Math.floor(viewportSize.value.height / rowHeight)))
  /** More slots than can ever be visible at once, so slot keys are unique. */
  const pool = computed(() => (pageRows.value + 2 * overscan + 2) * columns.value)

  /** Position of the i-th rendered tile (i counts from firstIndex). */
  function tileStyle(index: number): Record<string, string> {
    const absolute = firstIndex.value + index
    const row = Math.floor(absolute / columns.value)
    const col = absolute % columns.value
    return {
      transform: `translate(${col * (options.tileWidth.value + options.gap)}px, ${row * rowHeight}px)`,
      width: `${options.tileWidth.value}px`,
      height: `${options.tileHeight}px`
    }
  }

  let scrollFrame = 0
  function onScroll(): void {
    // One update per animation frame, however many scroll events arrive.
    if (scrollFrame) return
    scrollFrame = requestAnimationFrame(() => {
      scrollFrame = 0
      if (viewport.value) scrollTop.value = viewport.value.scrollTop
    })
  }

  function scrollTo(top: number): void {
    if (viewport.value) viewport.value.scrollTop = top
    scrollTop.value = viewport.value?.scrollTop ?? top
  }

  /** Scrolls the least amount that shows the item's whole tile. */
  function ensureVisible(index: number): void {
    const view = viewport.value
    if (!view) return
    const top = options.pad + Math.floor(index / columns.value) * rowHeight
    const next = scrollIntoSpan(top, top + options.tileHeight, view.scrollTop, view.clientHeight, options.gap)
    if (next !== view.scrollTop) scrollTo(next)
  }

  let observer: ResizeObserver | null = null
  onMounted(() => {
    if (!viewport.value) return
    observer = new ResizeObserver(([entry]) => {
      viewportSize.value = { width: entry.contentRect.width + 2 * options.pad, height: entry.contentRect.height }
      options.onResize?.()
    })
    observer.observe(viewport.value)
  })
  onBeforeUnmount(() => {
    observer?.disconnect()
    if (scrollFrame) cancelAnimationFrame(scrollFrame)
  })

  return { viewport, scrollTop, columns, rowCount, rowHeight, firstIndex, lastIndex, pageRows, pool, tileStyle, onScroll, scrollTo, ensureVisible }
}
