// Browser mode: the built renderer as static files plus the studio API over WebSocket.
// Bound to loopback by default; every API call and asset request needs the per-launch
// token, and WebSocket upgrades from a foreign Origin are refused.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { WebSocketServer, type WebSocket } from 'ws'
import { ApiError, fromWire, toWire, type StudioEvent, type WireMessage, type WireRequest } from '../../shared/api'
import type { StudioBackend } from '../services/backend'
import { isInside, resolveInProject } from '../services/paths'

export interface StudioServerOptions {
  backend: StudioBackend
  /** Folder with the built renderer (out/renderer). */
  staticDir: string
  host?: string
  port?: number
  token?: string
}

export interface StudioServer {
  url: string
  /** URL to open, with the token. */
  launchUrl: string
  token: string
  port: number
  close(): Promise<void>
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm'
}

// The same policy the desktop window enforces: no remote code, no inline scripts.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

export async function startStudioServer(options: StudioServerOptions): Promise<StudioServer> {
  const host = options.host ?? '127.0.0.1'
  const token = options.token ?? randomBytes(24).toString('base64url')
  const { backend, staticDir } = options
  let port = options.port ?? 0

  const tokenOk = (candidate: string | null | undefined): boolean => {
    if (!candidate) return false
    const a = Buffer.from(candidate)
    const b = Buffer.from(token)
    return a.length === b.length && timingSafeEqual(a, b)
  }

  const server: Server = createServer((req, res) => {
    handleHttp(req, res).catch((error) => {
      if (!res.headersSent) send(res, 500, 'text/plain', String((error as Error).message))
    })
  })

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed')
    if (url.pathname === '/asset') {
      if (!tokenOk(url.searchParams.get('token'))) return send(res, 401, 'text/plain', 'missing or wrong token')
      const project = backend.projects.current
      if (!project) return send(res, 404, 'text/plain', 'no project is open')
      let path: string
      try {
        path = resolveInProject(project.dir, url.searchParams.get('path') ?? '')
      } catch (error) {
        return send(res, 403, 'text/plain', (error as Error).message)
      }
      return sendFile(res, path, 'no-cache')
    }
    // Static renderer files. Not secret: the API behind them is what the token guards.
    const rel = url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).replace(/^\/+/, '')
    const file = normalize(join(staticDir, rel))
    if (!isInside(staticDir, file)) return send(res, 403, 'text/plain', 'forbidden')
    const exists = await stat(file).then((s) => s.isFile(), () => false)
    // Client-side routes fall back to the app shell.
    return sendFile(res, exists ? file : join(staticDir, 'index.html'), exists && rel.startsWith('assets/') ? 'max-age=31536000, immutable' : 'no-cache')
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: 512 * 1024 * 1024 })
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const origin = req.headers.origin
    const allowedOrigins = new Set([`http://${host}:${port}`, `http://127.0.0.1:${port}`, `http://localhost:${port}`])
    const reject = (status: number, text: string) => {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    if (url.pathname !== '/api') return reject(404, 'Not Found')
    if (!tokenOk(url.searchParams.get('token'))) return reject(401, 'Unauthorized')
    // Browsers always send Origin; a page from another site must not drive the studio.
    if (origin !== undefined && !allowedOrigins.has(origin)) return reject(403, 'Forbidden')
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    const off = backend.events.on('event', (event) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ event: toWire(event) as StudioEvent } satisfies WireMessage))
    })
    ws.on('close', off)
    ws.on('message', async (data) => {
      let request: WireRequest
      try {
        request = JSON.parse(data.toString()) as WireRequest
        if (typeof request.id !== 'number' || typeof request.method !== 'string') throw new Error('bad request')
      } catch {
        ws.send(JSON.stringify({ id: -1, ok: false, error: new ApiError({ code: 'validation', message: 'malformed request' }).toData() }))
        return
      }
      const response = await backend.dispatch(request.method, fromWire(request.args))
      const message: WireMessage = response.ok ? { id: request.id, ok: true, result: toWire(response.result) } : { id: request.id, ok: false, error: response.error }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message))
    })
  })

  await new Promise<void>((resolvePromise, rejectPromise) => {
    server.once('error', rejectPromise)
    server.listen(port, host, () => resolvePromise())
  })
  const address = server.address()
  port = typeof address === 'object' && address ? address.port : port
  const shownHost = host.includes(':') ? `[${host}]` : host
  const url = `http://${shownHost}:${port}`
  return {
    url,
    launchUrl: `${url}/?token=${token}`,
    token,
    port,
    close: () =>
      new Promise<void>((resolvePromise) => {
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolvePromise())
        server.closeAllConnections()
      })
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'Content-Type': type, 'X-Content-Type-Options': 'nosniff' })
  res.end(body)
}

async function sendFile(res: ServerResponse, path: string, cache: string): Promise<void> {
  let body: Buffer
  try {
    body = await readFile(path)
  } catch {
    return send(res, 404, 'text/plain', 'not found')
  }
  res.writeHead(200, {
    'Content-Type': MIME[extname(path).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': cache,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer'
  })
  res.end(body)
}
