// The renderer's one handle on the backend. Chosen once at start-up: the preload's IPC
// bridge on the desktop, a WebSocket in browser mode. Nothing else in the renderer knows which.
import { createStudioApi, type StudioApi, type StudioBridge } from '@shared/api'
import { connectWebSocket, takeToken } from './websocketBridge'

declare global {
  interface Window {
    studio?: StudioBridge
    studioShell?: { onNavigate(listener: (route: string) => void): void }
  }
}

let api: StudioApi | null = null

export async function connectStudio(): Promise<StudioApi> {
  if (window.studio) {
    api = createStudioApi(window.studio)
    return api
  }
  const token = takeToken()
  if (!token) throw new Error('this page needs the token the server printed: open the full URL shown by `twinlight serve`')
  api = createStudioApi(await connectWebSocket(token))
  return api
}

export function studio(): StudioApi {
  if (!api) throw new Error('the studio API is used before connectStudio()')
  return api
}
