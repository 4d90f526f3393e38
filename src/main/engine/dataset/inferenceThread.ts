// An onnxruntime session in a worker thread.
//
// onnxruntime-node's session.run blocks the calling thread for the whole inference (its
// promise resolves only afterwards), so a session on the pipeline's thread would stall the
// sample source, PNG encoding and the asynchronous writes for seconds per sample. Here the
// session lives in a worker_threads worker, and the pipeline's thread stays free to draw and
// write other samples while it runs (design: "keep the stages overlapped").
//
// The worker is plain JavaScript passed as a string (eval), so it needs no bundler entry; it
// loads onnxruntime-node from the path this module resolves. Requests are answered in order.
// The worker holds the process open only while a request is pending.
//
// Feeds travel without a structured-clone copy: each input is copied into a buffer this side
// owns, the buffer is transferred to the worker, and the reply transfers it back for the next
// run. A structured clone of the ~60 MiB of feature maps of a BiFaceGAN-scale sample cost
// ~70-110 ms per sample (serialising, a fresh allocation and its page faults in the worker);
// one copy into a reused buffer costs a few ms. (onnxruntime-node refuses typed arrays on a
// SharedArrayBuffer, which would have saved that copy too.) The caller's arrays are never
// transferred, so a source may hand out the same arrays again.
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const ort = require(workerData.ortPath)
let session = null
parentPort.on('message', async (msg) => {
  try {
    if (msg.type === 'open') {
      session = await ort.InferenceSession.create(msg.bytes, msg.options)
      parentPort.postMessage({ id: msg.id, ok: true, inputNames: session.inputNames, outputNames: session.outputNames })
    } else if (msg.type === 'run') {
      const feeds = {}
      const returned = {}
      const transfer = []
      for (const [name, f] of Object.entries(msg.feeds)) {
        feeds[name] = new ort.Tensor('float32', f.data, f.shape)
        returned[name] = f.data
        transfer.push(f.data.buffer)
      }
      const out = await session.run(feeds, msg.outputs)
      const outputs = {}
      for (const name of msg.outputs) {
        const data = out[name].data.slice()
        outputs[name] = data
        transfer.push(data.buffer)
      }
      parentPort.postMessage({ id: msg.id, ok: true, outputs, feeds: returned }, transfer)
    } else if (msg.type === 'release') {
      if (session) await session.release()
      session = null
      parentPort.postMessage({ id: msg.id, ok: true })
    }
  } catch (error) {
    parentPort.postMessage({ id: msg.id, ok: false, error: String((error && error.message) || error) })
  }
})
`

export interface ThreadSessionOptions {
  intraOpNumThreads?: number
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all'
  /** onnxruntime session config entries, e.g. { 'session.intra_op.allow_spinning': '0' }. */
  extra?: Record<string, string>
}

export interface FloatFeed {
  data: Float32Array
  shape: readonly number[]
}

interface Reply {
  id: number
  ok: boolean
  error?: string
  inputNames?: string[]
  outputNames?: string[]
  outputs?: Record<string, Float32Array | Uint8Array>
  /** The feed buffers, handed back for reuse. */
  feeds?: Record<string, Float32Array>
}

export class ThreadSession {
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>()
  private failure: Error | null = null
  inputNames: readonly string[] = []
  outputNames: readonly string[] = []

  private constructor(private readonly worker: Worker) {
    worker.unref()
    worker.on('message', (reply: Reply) => {
      const p = this.pending.get(reply.id)
      if (!p) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if (reply.ok) p.resolve(reply)
      else p.reject(new Error(reply.error ?? 'inference failed'))
    })
    const fail = (error: Error) => {
      this.failure = error
      for (const p of this.pending.values()) p.reject(error)
      this.pending.clear()
    }
    worker.on('error', (e) => fail(new Error(`the inference thread failed: ${e.message}`)))
    worker.on('exit', (code) => fail(new Error(`the inference thread stopped (exit code ${code})`)))
  }

  /** Starts a worker and creates the session there (CPU provider). */
  static async open(bytes: Uint8Array, options: ThreadSessionOptions = {}): Promise<ThreadSession> {
    const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node')
    const session = new ThreadSession(new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath } }))
    const sessionOptions = {
      executionProviders: ['cpu'],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      ...(options.extra ? { extra: nestConfig(options.extra) } : {})
    }
    try {
      const reply = await session.request({ type: 'open', bytes, options: sessionOptions })
      session.inputNames = reply.inputNames ?? []
      session.outputNames = reply.outputNames ?? []
    } catch (e) {
      await session.worker.terminate()
      throw e
    }
    return session
  }

  /** Feed buffers by input name, owned by this side between runs (see the header). */
  private readonly feedBuffers = new Map<string, Float32Array>()

  /** Runs the session; feeds are copied to the worker (the caller's arrays stay usable), outputs come back as typed arrays. */
  async run(feeds: Record<string, FloatFeed>, outputs: readonly string[]): Promise<Record<string, Float32Array | Uint8Array>> {
    const posted: Record<string, FloatFeed> = {}
    const transfer: ArrayBuffer[] = []
    for (const [name, feed] of Object.entries(feeds)) {
      // (taken out of the map while in flight: a concurrent run gets buffers of its own)
      let buffer = this.feedBuffers.get(name)
      this.feedBuffers.delete(name)
      if (!buffer || buffer.length !== feed.data.length) buffer = new Float32Array(feed.data.length)
      buffer.set(feed.data)
      posted[name] = { data: buffer, shape: feed.shape }
      transfer.push(buffer.buffer as ArrayBuffer)
    }
    const reply = await this.request({ type: 'run', feeds: posted, outputs }, transfer)
    for (const [name, buffer] of Object.entries(reply.feeds ?? {})) this.feedBuffers.set(name, buffer)
    return reply.outputs!
  }

  async release(): Promise<void> {
    if (!this.failure) await this.request({ type: 'release' }).catch(() => undefined)
    await this.worker.terminate()
  }

  private request(message: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure)
    const id = this.nextId++
    return new Promise<Reply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.ref()
      this.worker.postMessage({ ...message, id }, transfer)
    })
  }
}

/** { 'session.intra_op.allow_spinning': '0' } → { session: { intra_op: { allow_spinning: '0' } } } (onnxruntime-node's `extra`). */
function nestConfig(flat: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('.')
    let node = out
    for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>
    node[parts[parts.length - 1]] = value
  }
  return out
}
