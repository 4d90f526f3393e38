import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import * as ort from 'onnxruntime-node'
import { buildToyGenerator } from './toyGenerator'
import { pseudoRandom } from './reference'

const N = 3
const L = 8

function feeds(options: { z?: Float32Array; psi?: number; seeds?: bigint[] } = {}): Record<string, ort.Tensor> {
  return {
    z: new ort.Tensor('float32', options.z ?? pseudoRandom(N * L, 7).map((v) => v * 2), [N, L]),
    psi: new ort.Tensor('float32', Float32Array.of(options.psi ?? 0.7), []),
    seed: new ort.Tensor('int64', BigInt64Array.from(options.seeds ?? [1n, 2n, 4294967295n]), [N])
  }
}

function values(result: Record<string, ort.Tensor>, name: string): Float32Array {
  return result[name]!.data as Float32Array
}

function sampleOf(data: Float32Array, index: number): Float32Array {
  const per = data.length / N
  return data.subarray(index * per, (index + 1) * per)
}

function same(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => v === b[i])
}

describe('buildToyGenerator', () => {
  let session: ort.InferenceSession
  const toy = buildToyGenerator()

  beforeAll(async () => {
    session = await ort.InferenceSession.create(Buffer.from(toy.onnx))
  })
  afterAll(async () => {
    await session.release()
  })

  it('builds byte-identical models for the same options, different ones for another weight seed', () => {
    expect(Buffer.from(buildToyGenerator().onnx).equals(Buffer.from(toy.onnx))).toBe(true)
    expect(Buffer.from(buildToyGenerator({ weightSeed: 2 }).onnx).equals(Buffer.from(toy.onnx))).toBe(false)
    expect(buildToyGenerator().manifest).toEqual(toy.manifest)
  })

  it('produces the outputs the manifest declares, in [-1, 1]', async () => {
    const out = await session.run(feeds())
    for (const m of toy.manifest.modalities) {
      expect(out[m.output]!.dims).toEqual([N, m.channels, m.resolution, m.resolution])
      const data = values(out, m.output)
      expect(Math.min(...data)).toBeGreaterThanOrEqual(-1)
      expect(Math.max(...data)).toBeLessThanOrEqual(1)
      expect(Math.max(...data) - Math.min(...data)).toBeGreaterThan(0.2) // not a flat image
    }
    for (const f of toy.manifest.features) expect(out[f.name]!.dims).toEqual([N, f.channels, f.resolution, f.resolution])
  })

  it('is deterministic: same latent and seed give identical outputs, across sessions too', async () => {
    const a = await session.run(feeds())
    const b = await session.run(feeds())
    const other = await ort.InferenceSession.create(Buffer.from(buildToyGenerator().onnx))
    const c = await other.run(feeds())
    await other.release()
    for (const name of ['rgb', 'nir', 'b8.conv0', 'b16.conv0']) {
      expect(same(values(a, name), values(b, name))).toBe(true)
      expect(same(values(a, name), values(c, name))).toBe(true)
    }
  })

  it('depends on the seed per sample', async () => {
    const a = await session.run(feeds({ seeds: [1n, 2n, 3n] }))
    const b = await session.run(feeds({ seeds: [1n, 99n, 3n + 65536n] }))
    expect(same(sampleOf(values(a, 'rgb'), 0), sampleOf(values(b, 'rgb'), 0))).toBe(true)
    expect(same(sampleOf(values(a, 'rgb'), 1), sampleOf(values(b, 'rgb'), 1))).toBe(false)
    expect(same(sampleOf(values(a, 'rgb'), 2), sampleOf(values(b, 'rgb'), 2))).toBe(false) // high half of the seed counts
  })

  it('features and images depend on the latent', async () => {
    const a = await session.run(feeds())
    const z = pseudoRandom(N * L, 7).map((v) => v * 2)
    z[L + 3] = z[L + 3]! + 1 // change sample 1 only
    const b = await session.run(feeds({ z }))
    for (const name of ['b8.conv0', 'b16.conv0', 'rgb', 'nir']) {
      expect(same(sampleOf(values(a, name), 0), sampleOf(values(b, name), 0))).toBe(true)
      expect(same(sampleOf(values(a, name), 1), sampleOf(values(b, name), 1))).toBe(false)
    }
  })

  it('ψ = 0 collapses every latent to the average', async () => {
    const a = await session.run(feeds({ psi: 0, seeds: [5n, 5n, 5n] }))
    const rgb = values(a, 'rgb')
    expect(same(sampleOf(rgb, 0), sampleOf(rgb, 1))).toBe(true)
    expect(same(sampleOf(rgb, 1), sampleOf(rgb, 2))).toBe(true)
  })

  it('takes explicit noise, or none, and a condition when asked', async () => {
    const explicit = buildToyGenerator({ noise: 'explicit', truncation: false, conditionSize: 4 })
    expect(explicit.manifest.noise).toEqual({ kind: 'explicit', inputs: [{ name: 'noise0', shape: [1, 8, 8] }] })
    expect(explicit.manifest.condition).toEqual({ input: 'c', size: 4, prior: 'renderer-params' })
    expect(explicit.manifest.truncation).toBeUndefined()
    const s = await ort.InferenceSession.create(Buffer.from(explicit.onnx))
    const z = new ort.Tensor('float32', pseudoRandom(L, 3), [1, L])
    const run = (noise: number, c: number): Promise<Record<string, ort.Tensor>> =>
      s.run({ z, c: new ort.Tensor('float32', new Float32Array(4).fill(c), [1, 4]), noise0: new ort.Tensor('float32', new Float32Array(64).fill(noise), [1, 1, 8, 8]) })
    const base = values(await run(0, 0), 'rgb')
    expect(same(base, values(await run(0, 0), 'rgb'))).toBe(true)
    expect(same(base, values(await run(0.5, 0), 'rgb'))).toBe(false)
    expect(same(base, values(await run(0, 0.5), 'rgb'))).toBe(false)
    await s.release()

    const none = buildToyGenerator({ noise: 'none', truncation: false, resolution: 8 })
    const s2 = await ort.InferenceSession.create(Buffer.from(none.onnx))
    expect(s2.inputNames).toEqual(['z'])
    const out = await s2.run({ z })
    expect(out.rgb!.dims).toEqual([1, 3, 8, 8])
    await s2.release()
  })

  it('refuses impossible options', () => {
    expect(() => buildToyGenerator({ resolution: 7 })).toThrow(/resolution/)
    expect(() => buildToyGenerator({ latentSize: 0 })).toThrow(/latent size/)
  })
})
