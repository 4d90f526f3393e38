// Remember the window's size, position and maximised state between launches.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { screen, type BrowserWindow } from 'electron'
import { writeJsonAtomic } from '../engine/io/atomic'
import { twinlightHome } from '../services/paths'

interface WindowState {
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
}

const FILE = () => join(twinlightHome(), 'window-state.json')
const DEFAULT: WindowState = { width: 1360, height: 860, maximized: false }

export function loadWindowState(): WindowState {
  try {
    const state = { ...DEFAULT, ...JSON.parse(readFileSync(FILE(), 'utf8')) } as WindowState
    // Forget a position that is no longer on any display (a monitor was unplugged).
    const visible = screen.getAllDisplays().some((d) => state.x !== undefined && state.y !== undefined && state.x >= d.bounds.x && state.y >= d.bounds.y && state.x < d.bounds.x + d.bounds.width && state.y < d.bounds.y + d.bounds.height)
    return visible ? state : { ...state, x: undefined, y: undefined }
  } catch {
    return DEFAULT
  }
}

export function trackWindowState(window: BrowserWindow): void {
  let timer: NodeJS.Timeout | null = null
  const save = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      if (window.isDestroyed()) return
      const bounds = window.getNormalBounds()
      void writeJsonAtomic(FILE(), { ...bounds, maximized: window.isMaximized() }).catch(() => undefined)
    }, 400)
  }
  window.on('resize', save)
  window.on('move', save)
  window.on('maximize', save)
  window.on('unmaximize', save)
  window.on('close', save)
}
