// The life of a uPlot chart inside a Vue component, shared by the Train view's curves and the
// Dataset view's histograms: drawn once mounted, resized with its element, destroyed with the
// component. The instance stays outside Vue's reactivity.
import { onBeforeUnmount, onMounted, ref } from 'vue'
import type uPlot from 'uplot'

const MIN_WIDTH = 260

export function useUplotHost(height: number, draw: () => void) {
  const el = ref<HTMLDivElement | null>(null)
  let plot: uPlot | null = null
  let resize: ResizeObserver | null = null

  /** Width for a new chart: the element's, at least MIN_WIDTH. */
  const width = () => Math.max(MIN_WIDTH, el.value?.clientWidth || 400)
  /** Replace the chart (null: none); the old one is destroyed. */
  function set(next: uPlot | null): void {
    if (plot && plot !== next) plot.destroy()
    plot = next
  }

  onMounted(() => {
    draw()
    resize = new ResizeObserver(() => {
      if (plot && el.value) plot.setSize({ width: Math.max(MIN_WIDTH, el.value.clientWidth), height })
    })
    if (el.value) resize.observe(el.value)
  })
  onBeforeUnmount(() => {
    resize?.disconnect()
    set(null)
  })
  return { el, width, set, current: () => plot }
}
