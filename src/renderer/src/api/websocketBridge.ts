// Browser mode's StudioBridge: the API over one WebSocket to `twinlight serve`, with the
// per-launch token from the URL the server printed.
import { fromWire, toWire, type ApiResponse, type MethodName, type StudioBridge, type StudioEvent, type WireMessage } from '@shared/api'

const TOKEN_KEY = 'twinlight.token'

/** The token arrives as ?token=… once; keep it for reloads of this tab and drop it from the address bar. */
export function takeToken(): string | null {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    window.history.replaceState(null, '', url.pathname + url.search + url.hash)
    return fromUrl
  }
  return sessionStorage.getItem(TOKEN_KEY)
}

export async function connectWebSocket(token: string): Promise<StudioBridge> {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`
  const listeners = new Set<(event: StudioEvent) => void>()
  const pending = new Map<number, (response: ApiResponse) => void>()
  let nextId = 1
  let socket = await open(wsUrl)

  const attach = (ws: WebSocket) => {
    ws.onmessage = (message) => {
      const data = JSON.parse(String(message.data)) as WireMessage
      if ('event' in data) {
        const event = fromWire(data.event) as StudioEvent
        for (const listener of listeners) listener(event)
        return
      }
      const resolve = pending.get(data.id)
      pending.delete(data.id)
      resolve?.(data.ok ? { ok: true, result: fromWire(data.result) } : data)
    }
    ws.onclose = () => {
      for (const resolve of pending.values()) resolve({ ok: false, error: { code: 'internal', message: 'lost the connection to the studio server' } })
      pending.clear()
      window.dispatchEvent(new CustomEvent('studio-disconnected'))
    }
  }
  attach(socket)

  return {
    transport: 'websocket',
    async invoke(method: MethodName, args: unknown): Promise<ApiResponse> {
      if (socket.readyState !== WebSocket.OPEN) {
        try {
          socket = await open(wsUrl)
          attach(socket)
          window.dispatchEvent(new CustomEvent('studio-reconnected'))
        } catch {
          return { ok: false, error: { code: 'internal', message: 'the studio server is not reachable; is `twinlight serve` still running?' } }
        }
      }
      const id = nextId++
      return new Promise<ApiResponse>((resolve) => {
        pending.set(id, resolve)
        socket.send(JSON.stringify({ id, method, args: toWire(args) }))
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    assetUrl: (path, version) =>
      `/asset?path=${encodeURIComponent(path)}&token=${encodeURIComponent(token)}${version !== undefined ? `&v=${encodeURIComponent(String(version))}` : ''}`
  }
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resolve(ws)
    ws.onerror = () => reject(new Error('could not connect to the studio server'))
  })
}
