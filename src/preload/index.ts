// The only bridge between the sandboxed renderer and the backend: window.studio, a
// StudioBridge over one IPC channel for calls and one for events. The renderer wraps it
// in the typed API exactly as it wraps the WebSocket client in browser mode.
import { contextBridge, ipcRenderer } from 'electron'
import type { ApiResponse, MethodName, StudioBridge, StudioEvent } from '../shared/api'

const bridge: StudioBridge = {
  transport: 'ipc',
  invoke: (method: MethodName, args: unknown) => ipcRenderer.invoke('studio:invoke', method, args) as Promise<ApiResponse>,
  subscribe: (listener) => {
    const handler = (_event: unknown, studioEvent: StudioEvent) => listener(studioEvent)
    ipcRenderer.on('studio:event', handler)
    return () => ipcRenderer.removeListener('studio:event', handler)
  },
  assetUrl: (path, version) => `twinlight-asset://project/${encodeURIComponent(path)}${version !== undefined ? `?v=${version}` : ''}`
}

contextBridge.exposeInMainWorld('studio', bridge)
contextBridge.exposeInMainWorld('studioShell', {
  onNavigate: (listener: (route: string) => void) => ipcRenderer.on('studio:navigate', (_event, route: string) => listener(route))
})
