import { describe, it, expect } from 'vitest'
import { SHORTCUTS, nextBrushSize, resolveKey, type KeyLike } from '../../../src/renderer/src/canvas/view/keymap'
import { Autosaver, type AutosaverClock, type SaveState } from '../../../src/renderer/src/canvas/view/autosave'

const key = (code: string, keyName: string, mods: Partial<KeyLike> = {}): KeyLike => ({ code, key: keyName, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods })

describe('keymap', () => {
  it('maps number keys to classes by id and moves fit / 1:1 to Shift and Ctrl', () => {
    expect(resolveKey(key('Digit1', '1'))).toEqual({ type: 'class', id: 1 })
    expect(resolveKey(key('Digit0', '0'))).toEqual({ type: 'class', id: 0 })
    expect(resolveKey(key('Numpad7', '7'))).toEqual({ type: 'class', id: 7 })
    expect(resolveKey(key('Digit0', ')', { shiftKey: true }))).toEqual({ type: 'fit' })
    expect(resolveKey(key('Digit1', '!', { shiftKey: true }))).toEqual({ type: 'actual-size' })
    expect(resolveKey(key('Digit0', '0', { ctrlKey: true }))).toEqual({ type: 'fit' })
    expect(resolveKey(key('Digit1', '1', { metaKey: true }))).toEqual({ type: 'actual-size' })
  })

  it('maps undo / redo, tools, modality, brackets and navigation', () => {
    expect(resolveKey(key('KeyZ', 'z', { ctrlKey: true }))).toEqual({ type: 'undo' })
    expect(resolveKey(key('KeyZ', 'Z', { ctrlKey: true, shiftKey: true }))).toEqual({ type: 'redo' })
    expect(resolveKey(key('KeyY', 'y', { ctrlKey: true }))).toEqual({ type: 'redo' })
    expect(resolveKey(key('KeyB', 'b'))).toEqual({ type: 'tool', tool: 'brush' })
    expect(resolveKey(key('KeyB', 'B', { shiftKey: true }))).toEqual({ type: 'brush-shape' })
    expect(resolveKey(key('KeyM', 'm'))).toEqual({ type: 'modality', direction: 1 })
    expect(resolveKey(key('BracketRight', ']'))).toEqual({ type: 'brush-size', direction: 1 })
    expect(resolveKey(key('Comma', ','))).toEqual({ type: 'prev-sample' })
    expect(resolveKey(key('Period', '.'))).toEqual({ type: 'next-sample' })
    expect(resolveKey(key('Slash', '?', { shiftKey: true }))).toEqual({ type: 'help' })
    expect(resolveKey(key('KeyB', 'b', { altKey: true }))).toBeNull()
    expect(resolveKey(key('KeyC', 'c', { ctrlKey: true }))).toBeNull()
  })

  it('documents every key in the shortcut sheet, and steps brush sizes within 1–512', () => {
    const sheet = SHORTCUTS.flatMap((g) => g.items.flatMap((i) => i.keys)).join(' ')
    for (const k of ['B', 'E', 'F', 'P', 'L', 'I', '[', ']', 'Shift+0', 'Shift+1', 'M', 'S', 'O', 'N', 'D', '?', 'Ctrl+Z', 'Ctrl+Y']) expect(sheet).toContain(k)
    expect(nextBrushSize(1, -1)).toBe(1)
    expect(nextBrushSize(512, 1)).toBe(512)
    let s = 1
    const seen = [s]
    while (s < 512) seen.push((s = nextBrushSize(s, 1)))
    let back = 512
    while (back > 1) back = nextBrushSize(back, -1)
    expect(back).toBe(1)
    expect(seen.every((v, i) => i === 0 || v > seen[i - 1])).toBe(true)
  })
})

class FakeClock implements AutosaverClock {
  t = 0
  private timers: { at: number; fn: () => void; id: number }[] = []
  private next = 1
  now = () => this.t
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++
    this.timers.push({ at: this.t + ms, fn, id })
    return id
  }
  clearTimeout = (id: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== id)
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at)
      const due = this.timers[0]
      if (!due || due.at > end) break
      this.timers.shift()
      this.t = due.at
      due.fn()
      await flushMicrotasks()
    }
    this.t = end
    await flushMicrotasks()
  }
}

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

function setup(options: { fail?: () => boolean; slowMs?: number } = {}) {
  const clock = new FakeClock()
  let version = 0
  let saved = 0
  const saves: number[] = []
  const states: SaveState[] = []
  const saver = new Autosaver({
    clock,
    isDirty: () => version !== saved,
    save: async () => {
      const v = version
      if (options.slowMs) await new Promise<void>((resolve) => clock.setTimeout(resolve, options.slowMs!))
      if (options.fail?.()) throw new Error('disk full')
      saves.push(clock.t)
      saved = v
    },
    onState: (s) => states.push(s)
  })
  const change = () => {
    version++
    saver.changed()
  }
  return { clock, saver, saves, states, change }
}

describe('autosave', () => {
  it('saves 0.4 s after the last change', async () => {
    const { clock, saves, change, saver } = setup()
    change()
    await clock.advance(300)
    expect(saves).toEqual([])
    await clock.advance(100)
    expect(saves).toEqual([400])
    expect(saver.state).toBe('saved')
  })

  it('saves at most 1 s after the first unsaved change, however long the painting goes on', async () => {
    const { clock, saves, change } = setup()
    for (let t = 0; t < 2500; t += 50) {
      change()
      await clock.advance(50)
    }
    expect(saves.length).toBeGreaterThanOrEqual(2)
    expect(saves[0]).toBeLessThanOrEqual(1000)
    for (let i = 1; i < saves.length; i++) expect(saves[i] - saves[i - 1]).toBeLessThanOrEqual(1000)
  })

  it('flushes at once, keeps one save in flight and saves changes made during it right after', async () => {
    const { clock, saves, change, saver, states } = setup({ slowMs: 200 })
    change()
    const first = saver.flush()
    expect(saver.state).toBe('saving')
    await clock.advance(50)
    change()
    const second = saver.flush()
    await clock.advance(200)
    await clock.advance(400)
    await Promise.all([first, second])
    // The second save starts as soon as the first ends, not at the next timer.
    expect(saves).toEqual([200, 400])
    expect(saver.state).toBe('saved')
    expect(states).toContain('saving')
    // Nothing unsaved: flush does not save.
    await saver.flush()
    expect(saves.length).toBe(2)
  })

  it('reports a failed save and retries it', async () => {
    let failing = true
    const { clock, saves, change, saver } = setup({ fail: () => failing })
    change()
    await clock.advance(400)
    expect(saver.state).toBe('error')
    expect((saver.error as Error).message).toBe('disk full')
    failing = false
    await clock.advance(2000)
    expect(saves.length).toBe(1)
    expect(saver.state).toBe('saved')
  })

  it('does not save on its own when disabled, but still on flush', async () => {
    const { clock, saves, change, saver } = setup()
    saver.enabled = false
    change()
    await clock.advance(5000)
    expect(saves).toEqual([])
    expect(saver.state).toBe('unsaved')
    await saver.flush()
    expect(saves.length).toBe(1)
  })
})
