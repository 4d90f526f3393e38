import { describe, it, expect } from 'vitest'
import sharp from 'sharp'
import { encodePng, encodeIndexedPng, decodePng, PngError } from '../../src/main/engine/io/png'

describe('png', () => {
  it('round-trips a palette image with exact indices', () => {
    const indices = Uint8Array.from({ length: 7 * 5 }, (_, i) => (i % 4 === 3 ? 255 : i % 4))
    const palette = new Uint8Array(256 * 3).map((_, i) => (i * 37) & 0xff)
    const png = encodeIndexedPng({ width: 7, height: 5, indices, palette })
    const decoded = decodePng(png)
    expect(decoded.colorType).toBe(3)
    expect([...decoded.data]).toEqual([...indices])
    expect([...decoded.palette!]).toEqual([...palette])
  })

  it('writes RGB that sharp reads back identically', async () => {
    const data = Uint8Array.from({ length: 6 * 4 * 3 }, (_, i) => (i * 11) & 0xff)
    const png = encodePng({ width: 6, height: 4, channels: 3, data })
    const { data: raw, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true })
    expect(info.width).toBe(6)
    expect(info.channels).toBe(3)
    expect([...raw]).toEqual([...data])
  })

  it('decodes every row filter sharp writes', async () => {
    const data = Uint8Array.from({ length: 32 * 32 }, (_, i) => ((i * 7) ^ (i >> 3)) & 0xff)
    const png = await sharp(data, { raw: { width: 32, height: 32, channels: 1 } }).toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer()
    expect([...decodePng(png).data]).toEqual([...data])
  })

  it('is byte-deterministic', () => {
    const data = Uint8Array.from({ length: 64 * 64 }, (_, i) => i & 0xff)
    const a = encodePng({ width: 64, height: 64, channels: 1, data })
    const b = encodePng({ width: 64, height: 64, channels: 1, data: data.slice() })
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
  })

  it('names what is wrong with a corrupt file', () => {
    const png = encodePng({ width: 4, height: 4, channels: 1, data: new Uint8Array(16) })
    expect(() => decodePng(png.subarray(0, 30))).toThrow(PngError)
    expect(() => decodePng(Uint8Array.from([1, 2, 3]))).toThrow(/signature/)
    const flipped = png.slice()
    flipped[20] ^= 0xff
    expect(() => decodePng(flipped)).toThrow(/CRC/)
  })
})
