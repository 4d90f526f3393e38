import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { mkdtemp, rm, mkdir, writeFile, readdir, readFile, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { StudioBackend } from '../../../src/main/services/backend'
import { startStudioServer, type StudioServer } from '../../../src/main/server/server'
import { fromWire, toWire, bytesToBase64, base64ToBytes, type WireMessage } from '../../../src/shared/api'
import { decodePng } from '../../../src/main/engine/io/png'

let root: string
let server: StudioServer
let backend: StudioBackend
let projectDir: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'tl-api-'))
  process.env.TWINLIGHT_HOME = join(root, 'home')
  process.env.TWINLIGHT_PROJECTS_HOME = join(root, 'projects')
  await mkdir(join(root, 'static'))
  await writeFile(join(root, 'static', 'index.html'), '<!doctype html><title>t</title>')
  backend = new StudioBackend({ mode: 'browser', version: 'test' })
  server = await startStudioServer({ backend, staticDir: join(root, 'static') })
  projectDir = (await backend.call('project.create', { name: 'Api', template: 'rgb-nir-face' })).dir
  // One sample on disk, as the render job would leave it.
  await mkdir(join(projectDir, 'samples', 's00000001'), { recursive: true })
  await writeFile(
    join(projectDir, 'samples', 's00000001', 'sample.json'),
    JSON.stringify({ id: 's00000001', seed: 1, width: 4, height: 3, modalities: ['rgb', 'nir'], generator: { kind: 'renderer', mode: 'face' }, createdAt: 'now' })
  )
  await writeFile(join(projectDir, 'samples', 's00000001', 'rgb.png'), 'png bytes')
})
afterAll(async () => {
  await server.close()
  await rm(root, { recursive: true, force: true })
})

function connect(token: string | null, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/api${token === null ? '' : `?token=${token}`}`, origin ? { origin } : {})
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

async function call(ws: WebSocket, method: string, args: unknown): Promise<WireMessage> {
  const id = Math.floor(Math.random() * 1e9)
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireMessage
      if ('id' in message && message.id === id) {
        ws.off('message', onMessage)
        resolve(message)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method, args: toWire(args) }))
  })
}

describe('browser-mode API', () => {
  it('refuses connections without the right token or from a foreign origin', async () => {
    await expect(connect(null)).rejects.toThrow('HTTP 401')
    await expect(connect('wrong-token')).rejects.toThrow('HTTP 401')
    await expect(connect(server.token, 'http://evil.example')).rejects.toThrow('HTTP 403')
    const ws = await connect(server.token, server.url.replace('[::1]', 'localhost'))
    ws.close()
  })

  it('refuses asset requests without the token, and paths that escape the project', async () => {
    const ok = await fetch(`${server.url}/asset?path=samples/s00000001/rgb.png&token=${server.token}`)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('png bytes')
    expect((await fetch(`${server.url}/asset?path=samples/s00000001/rgb.png`)).status).toBe(401)
    await writeFile(join(root, 'secret.txt'), 'classified-content')
    await symlink(root, join(projectDir, 'samples', 'escape'))
    // The path is decoded once: a literal "%2e%2e" is a (missing) file name, not "..".
    const literal = await fetch(`${server.url}/asset?path=${encodeURIComponent('samples/%2e%2e/%2e%2e/secret.txt')}&token=${server.token}`)
    expect(literal.status).toBe(404)
    for (const path of ['../secret.txt', '/etc/passwd', 'samples/escape/secret.txt', 'samples/s00000001/../../../secret.txt']) {
      const res = await fetch(`${server.url}/asset?path=${encodeURIComponent(path)}&token=${server.token}`)
      expect(res.status, path).toBe(403)
      expect(await res.text()).not.toContain('classified-content')
    }
  })

  it('answers calls and names the invalid field', async () => {
    const ws = await connect(server.token)
    const info = await call(ws, 'system.info', {})
    expect(info).toMatchObject({ ok: true, result: { mode: 'browser', version: 'test' } })
    const bad = await call(ws, 'project.create', { name: 'x', template: 'no-such-template' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'validation', field: 'template' } })
    const badNested = await call(ws, 'project.update', { classes: [{ id: 0, name: 'background', color: 'black' }] })
    expect(badNested).toMatchObject({ ok: false, error: { field: 'classes.0.color' } })
    const unknown = await call(ws, 'project.nope', {})
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not-found' } })
    ws.close()
  })

  it('refuses path traversal through sample ids and writes nothing', async () => {
    const ws = await connect(server.token)
    const before = await readdir(root, { recursive: true })
    for (const sampleId of ['../../evil', '..', '/tmp/evil', 'a/../../b']) {
      const res = await call(ws, 'annotations.save', { sampleId, width: 1, height: 1, labels: new Uint8Array(1) })
      expect(res, sampleId).toMatchObject({ ok: false, error: { code: 'validation', field: 'sampleId' } })
    }
    expect(await readdir(root, { recursive: true })).toEqual(before)
    ws.close()
  })

  it('saves an annotation as a palette PNG with exact ids, and refuses wrong sizes and values', async () => {
    const ws = await connect(server.token)
    const labels = Uint8Array.from([0, 1, 2, 255, 9, 9, 5, 6, 7, 8, 3, 4])
    expect(await call(ws, 'annotations.save', { sampleId: 's00000001', width: 4, height: 3, labels })).toMatchObject({ ok: true })
    const png = decodePng(await readFile(join(projectDir, 'annotations', 's00000001.png')))
    expect(png.colorType).toBe(3)
    expect([...png.data]).toEqual([...labels])
    expect([...png.palette!.subarray(3, 6)]).toEqual([0xcc, 0x8f, 0x6e]) // skin, as in the renderer's classes
    const loaded = await call(ws, 'annotations.load', { sampleId: 's00000001' })
    expect([...(fromWire((loaded as { result: { labels: unknown } }).result) as { labels: Uint8Array }).labels]).toEqual([...labels])
    const wrongSize = await call(ws, 'annotations.save', { sampleId: 's00000001', width: 3, height: 3, labels: new Uint8Array(9) })
    expect(wrongSize).toMatchObject({ ok: false, error: { message: 'mask is 3×3, the sample is 4×3' } })
    const wrongValues = await call(ws, 'annotations.save', { sampleId: 's00000001', width: 4, height: 3, labels: new Uint8Array(12).fill(12) })
    expect(wrongValues).toMatchObject({ ok: false, error: { message: 'values 12 are not classes (0–9) or 255' } })
    const samples = await call(ws, 'samples.list', {})
    expect(samples).toMatchObject({ ok: true, result: [{ id: 's00000001', status: 'in-progress' }] })
    ws.close()
  })
})

describe('wire format', () => {
  it('round-trips binary values through base64', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100, 12289]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff)
      expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'))
      expect([...base64ToBytes(bytesToBase64(bytes))]).toEqual([...bytes])
    }
    const value = { a: [new Uint8Array([1, 2, 3])], b: { c: 'x' } }
    expect(fromWire(JSON.parse(JSON.stringify(toWire(value))))).toEqual(value)
  })
})
