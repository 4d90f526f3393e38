import { describe, it, expect } from 'vitest'
import { SeededRandom, seededNormals, NORMAL_SAMPLER } from '../../../src/main/engine/generator/random'
import { decodeFloat16, encodeFloat16, float16BitsToFloat32, float32ToFloat16Bits, roundToFloat16 } from '../../../src/main/engine/generator/float16'

describe('seeded normal sampler (twinlight-normal-v1)', () => {
  it('is a pure function of (seed, stream, count)', () => {
    expect(NORMAL_SAMPLER).toBe('twinlight-normal-v1')
    expect(seededNormals(42, 0, 512)).toEqual(seededNormals(42, 0, 512))
    // A prefix of a longer draw is the shorter draw.
    expect(seededNormals(42, 0, 7)).toEqual(seededNormals(42, 0, 8).subarray(0, 7))
    expect(seededNormals(42, 1, 64)).not.toEqual(seededNormals(42, 0, 64))
    expect(seededNormals(43, 0, 64)).not.toEqual(seededNormals(42, 0, 64))
    // Seeds above 2^32 use their high half.
    expect(seededNormals(2 ** 32 + 5, 0, 16)).not.toEqual(seededNormals(5, 0, 16))
  })

  it('keeps its values: these are what sample.json files written today refer to', () => {
    // Pinned output; a change here breaks the reproducibility of every stored sample.
    const values = Array.from(seededNormals(0, 0, 4), (v) => Number(v.toFixed(6)))
    const again = Array.from(seededNormals(0, 0, 4), (v) => Number(v.toFixed(6)))
    expect(values).toEqual(again)
    expect(values).toMatchInlineSnapshot(`
      [
        -1.527285,
        -0.83587,
        0.940544,
        -0.747763,
      ]
    `)
    const words = new SeededRandom(123, 0)
    expect([words.nextU32(), words.nextU32()]).toMatchInlineSnapshot(`
      [
        1762409102,
        4268506169,
      ]
    `)
  })

  it('draws standard normals', () => {
    const values = seededNormals(7, 0, 200_000)
    let sum = 0
    let squares = 0
    for (const v of values) sum += v
    const mean = sum / values.length
    for (const v of values) squares += (v - mean) ** 2
    const std = Math.sqrt(squares / values.length)
    expect(Math.abs(mean)).toBeLessThan(0.01)
    expect(Math.abs(std - 1)).toBeLessThan(0.01)
    const beyond3 = values.filter((v) => Math.abs(v) > 3).length / values.length
    expect(beyond3).toBeGreaterThan(0.0015)
    expect(beyond3).toBeLessThan(0.0040)
    expect(values.every(Number.isFinite)).toBe(true)
  })

  it('uniforms stay strictly inside (0, 1)', () => {
    const random = new SeededRandom(9, 3)
    let outside = 0
    for (let i = 0; i < 100_000; i++) {
      const u = random.uniform()
      if (!(u > 0 && u < 1)) outside++
    }
    expect(outside).toBe(0)
  })

  it('refuses bad seeds', () => {
    expect(() => seededNormals(-1, 0, 4)).toThrow('non-negative')
    expect(() => seededNormals(1.5, 0, 4)).toThrow('non-negative')
  })
})

describe('float16 conversion', () => {
  it('converts known values, rounding to nearest even', () => {
    expect(float32ToFloat16Bits(1)).toBe(0x3c00)
    expect(float32ToFloat16Bits(-2)).toBe(0xc000)
    expect(float32ToFloat16Bits(0.5)).toBe(0x3800)
    expect(float32ToFloat16Bits(65504)).toBe(0x7bff) // largest half
    expect(float32ToFloat16Bits(65519)).toBe(0x7bff) // below the midpoint to 65536
    expect(float32ToFloat16Bits(65520)).toBe(0x7c00) // the midpoint rounds to even: Infinity
    expect(float32ToFloat16Bits(1e9)).toBe(0x7c00)
    expect(float32ToFloat16Bits(-Infinity)).toBe(0xfc00)
    expect(float32ToFloat16Bits(-0)).toBe(0x8000)
    expect(float32ToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00) // tie -> even (1.0)
    expect(float32ToFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02) // tie -> even (1 + 2^-9)
    expect(float32ToFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01) // just above the tie
    expect(float32ToFloat16Bits(2 ** -14)).toBe(0x0400) // smallest normal
    expect(float32ToFloat16Bits(2 ** -24)).toBe(0x0001) // smallest subnormal
    expect(float32ToFloat16Bits(2 ** -25)).toBe(0x0000) // tie -> even (0)
    expect(float32ToFloat16Bits(3 * 2 ** -25)).toBe(0x0002) // tie -> even (2 ulp)
    expect(float32ToFloat16Bits(2 ** -25 + 2 ** -35)).toBe(0x0001)
    expect(float32ToFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400) // subnormal rounding up into the normals
    const nan = float32ToFloat16Bits(NaN)
    expect(nan & 0x7c00).toBe(0x7c00)
    expect(nan & 0x3ff).not.toBe(0)
  })

  it('round-trips every float16 value exactly', () => {
    const all = new Uint16Array(65536).map((_, i) => i)
    const decoded = decodeFloat16(all)
    const encoded = encodeFloat16(decoded)
    const wrong: number[] = []
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0
      const ok = isNaN ? Number.isNaN(decoded[i]) : encoded[i] === i && float16BitsToFloat32(i) === decoded[i]
      if (!ok) wrong.push(i)
    }
    expect(wrong).toEqual([])
  })

  it('matches a float64 nearest-value reference on random values', () => {
    const values = seededNormals(5, 0, 20_000).map((v, i) => v * 10 ** ((i % 9) - 5))
    const halves = decodeFloat16(new Uint16Array(65536).map((_, i) => i))
    const positives = Array.from(halves.subarray(0, 0x7c00)) // 0 .. 65504, increasing
    let mismatches = 0
    for (const v of values) {
      const bits = float32ToFloat16Bits(v)
      const got = float16BitsToFloat32(bits)
      const a = Math.abs(v)
      // Nearest representable magnitude by binary search.
      let lo = 0
      let hi = positives.length - 1
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1
        if (positives[mid] <= a) lo = mid
        else hi = mid
      }
      const best = a - positives[lo] < positives[hi] - a ? positives[lo] : a - positives[lo] > positives[hi] - a ? positives[hi] : lo % 2 === 0 ? positives[lo] : positives[hi]
      if (Math.abs(got) !== best) mismatches++
    }
    expect(mismatches).toBe(0)
    const copy = Float32Array.from(values.subarray(0, 10))
    roundToFloat16(copy)
    expect(Array.from(copy)).toEqual(Array.from(values.subarray(0, 10), (v) => float16BitsToFloat32(float32ToFloat16Bits(v))))
  })
})
