// Small images and folders for the compare / eval tests.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeIndexedPng, encodePng } from '../../../src/main/engine/io/png'
import { OnnxBuilder } from '../../../src/main/engine/onnx/builder'

export async function tempDir(prefix = 'tl-compare-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix))
}

/** A deterministic w×h image with c channels; `seed` changes the pattern. */
export function pattern(w: number, h: number, c: 1 | 3, seed = 0): Uint8Array {
  const data = new Uint8Array(w * h * c)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) data[(y * w + x) * c + k] = (x * 7 + y * 13 + k * 50 + seed * 31 + ((x * y + seed) % 17) * 5) & 255
    }
  }
  return data
}

export async function writeImage(path: string, w: number, h: number, c: 1 | 3 = 3, seed = 0): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true })
  await writeFile(path, encodePng({ width: w, height: h, channels: c, data: pattern(w, h, c, seed) }))
}

export async function writeMask(path: string, w: number, h: number, labels: (x: number, y: number) => number): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true })
  const indices = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) indices[y * w + x] = labels(x, y)
  const palette = new Uint8Array(256 * 3).map((_, i) => (i * 37) & 255)
  await writeFile(path, encodeIndexedPng({ width: w, height: h, indices, palette }))
}

/** A folder of `names` images (same pattern per index unless `seedOffset`). */
export async function writeFolder(dir: string, names: string[], w = 32, h = 32, seedOffset = 0): Promise<void> {
  await mkdir(dir, { recursive: true })
  for (let i = 0; i < names.length; i++) await writeImage(join(dir, names[i]), w, h, 3, i + seedOffset)
}

/**
 * A tiny ONNX "feature extractor": input [N, 3, size, size] float32 → global average pool →
 * [N, 3] (the mean of each channel), with the given tensor names.
 */
export function tinyExtractorOnnx(options: { inputName?: string; outputName?: string; size?: number } = {}): Uint8Array {
  const g = new OnnxBuilder()
  const size = options.size ?? 8
  const x = g.input(options.inputName ?? 'images', 'float32', ['N', 3, size, size])
  const pooled = g.reduceMean(x, [2, 3], false)
  g.output(pooled, options.outputName ?? 'features', ['N', 3])
  return g.build()
}

export function extractorManifest(overrides: { input?: Record<string, unknown>; output?: Record<string, unknown>; featureSpace?: string; modelPath?: string | null } = {}): Record<string, unknown> {
  return {
    schema: 'twinlight.feature-extractor/1',
    id: 'tiny-test-extractor',
    name: 'Tiny test extractor',
    featureSpace: overrides.featureSpace ?? 'other',
    model: { path: overrides.modelPath === undefined ? 'tiny.onnx' : overrides.modelPath },
    input: { name: 'images', width: 8, height: 8, channelOrder: 'RGB', layout: 'NCHW', normalization: { kind: 'zero-to-one' }, ...overrides.input },
    output: { name: 'features', dims: 3, ...overrides.output }
  }
}
