// Shared helpers for the TensorFlow.js backend tests: run the same computation on wasm and on
// cpu and compare. Both backends are registered by initTf (cpu is always loaded as fallback).
import type { Tensor } from '@tensorflow/tfjs-core'
import { initTf, type Tf } from '../../../src/main/engine/tf/backend'

let tfPromise: Promise<Tf> | null = null

/** tf with wasm selected and the training kernels/gradients registered. */
export function setupTf(): Promise<Tf> {
  tfPromise ??= initTf({ force: 'wasm' }).then((init) => init.tf)
  return tfPromise
}

export type Backend = 'wasm' | 'cpu'

/** Run `fn` on `backend` inside a tidy and return the values of every result. */
export async function on(tf: Tf, backend: Backend, fn: () => Tensor | Tensor[]): Promise<Float32Array[]> {
  const previous = tf.getBackend()
  await tf.setBackend(backend)
  try {
    const before = tf.memory().numTensors
    const out = tf.tidy(() => {
      const r = fn()
      return (Array.isArray(r) ? r : [r]).map((t) => Float32Array.from(t.dataSync()))
    })
    // Everything the computation created must be released (kernels included).
    if (tf.memory().numTensors !== before) {
      throw new Error(`${backend}: ${tf.memory().numTensors - before} tensors leaked`)
    }
    return out
  } finally {
    await tf.setBackend(previous)
  }
}

/** max |a - b| / max |b| (relative in the max norm); Infinity on NaN or length mismatch. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity
  let diff = 0
  let scale = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (Number.isNaN(d)) return Infinity
    diff = Math.max(diff, d)
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return scale === 0 ? diff : diff / scale
}

/** Deterministic pseudo-random values in [-1, 1) (no Math.random: reproducible failures). */
export function values(n: number, seed = 1): Float32Array {
  const out = new Float32Array(n)
  let s = seed >>> 0 || 1
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    out[i] = s / 2 ** 31 - 1
  }
  return out
}

export function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}
