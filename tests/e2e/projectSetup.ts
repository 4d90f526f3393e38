// Shared set-up for end-to-end specs: typed API calls over the server's WebSocket (the same
// wire format the renderer uses) and a small rendered project to work on.
import { expect } from '@playwright/test'
import WebSocket from 'ws'
import { makeHome, startServer, type RunningServer } from './studioServer'
import { fromWire, toWire } from '../../src/shared/api'

/** Side of the samples projectWithSamples renders. */
export const SIZE = 64

export async function api<T = unknown>(server: RunningServer, method: string, args: unknown): Promise<T> {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api?token=${server.token}`)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const response = await new Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>((resolve) => {
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString())
      if (message.id === 1) resolve(message)
    })
    ws.send(JSON.stringify({ id: 1, method, args: toWire(args) }))
  })
  ws.close()
  if (!response.ok) throw new Error(`${method}: ${response.error?.message}`)
  return fromWire(response.result) as T
}

/** Waits until every job of the open project has succeeded. */
export async function allJobsDone(server: RunningServer): Promise<void> {
  await expect.poll(async () => (await api<{ state: string }[]>(server, 'jobs.list', {})).every((j) => j.state === 'succeeded'), { timeout: 60_000 }).toBe(true)
}

/** A SIZE×SIZE RGB + NIR face project with `count` rendered samples (s00000000, …). */
export async function projectWithSamples(name: string, count = 3): Promise<{ server: RunningServer; dirs: { home: string; projects: string }; projectDir: string }> {
  const dirs = await makeHome()
  const server = await startServer(dirs)
  const info = await api<{ dir: string }>(server, 'project.create', { name, template: 'rgb-nir-face' })
  await api(server, 'project.update', { settings: { sampleSize: SIZE } })
  await api(server, 'samples.generate', { count, seedStart: 0 })
  await allJobsDone(server)
  return { server, dirs, projectDir: info.dir }
}
