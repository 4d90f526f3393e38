// @vitest-environment happy-dom
import { describe, it, expect, beforeEach } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { createApp, nextTick } from 'vue'
import { useAnnotate } from '../../../src/renderer/src/stores/annotate'
import ClassPalette from '../../../src/renderer/src/components/annotate/ClassPalette.vue'

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})

describe('annotate store', () => {
  it('keeps tool preferences across sessions, and nothing else', async () => {
    const a = useAnnotate()
    expect(a.brushSize).toBe(15)
    a.brushSize = 40
    a.brushShape = 'square'
    a.opacity = 0.3
    a.levels = { nir: { low: 0, high: 90, gamma: 1.6 } }
    a.tool = 'fill'
    await nextTick()
    setActivePinia(createPinia())
    const again = useAnnotate()
    expect(again.brushSize).toBe(40)
    expect(again.brushShape).toBe('square')
    expect(again.opacity).toBe(0.3)
    expect(again.levels.nir).toEqual({ low: 0, high: 90, gamma: 1.6 })
    expect(again.tool).toBe('brush')
  })

  it('ignores unreadable preferences', () => {
    localStorage.setItem('twinlight.annotate.prefs', '{not json')
    expect(useAnnotate().brushSize).toBe(15)
  })
})

describe('class palette', () => {
  const classes = [
    { id: 0, name: 'background', color: '#000000' },
    { id: 1, name: 'skin', color: '#e0a98a' },
    { id: 10, name: 'extra', color: '#00ff00' }
  ]
  it('shows counts and keys, and selects a class on click', async () => {
    const counts = new Uint32Array(256)
    counts[1] = 12_345
    counts[255] = 100
    const selected: number[] = []
    const host = document.createElement('div')
    const app = createApp(ClassPalette, { classes, selected: 1, counts, total: 12_445, onSelect: (id: number) => selected.push(id) })
    app.mount(host)
    const text = (sel: string) => host.querySelector(sel)!.textContent!.trim()
    expect(text('[data-testid="count-1"]')).toBe('12k')
    expect(text('[data-testid="count-0"]')).toBe('·')
    expect(text('[data-testid="count-255"]')).toBe('100')
    expect(text('[data-testid="class-10"] .key')).toBe('')
    expect(host.querySelector('[data-testid="class-1"]')!.classList.contains('on')).toBe(true)
    ;(host.querySelector('[data-testid="class-10"]') as HTMLElement).click()
    expect(selected).toEqual([10])
    app.unmount()
  })
})
