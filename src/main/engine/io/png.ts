// PNG encoding and decoding for the images Twinlight writes itself.
//
// Why not sharp here: sharp cannot write a palette PNG with a given palette and exact
// indices (it quantizes), and it expands palette PNGs to RGB when reading, losing the
// class ids. And the bytes must be identical on every machine, so deflate is done by a
// pinned pure-JS implementation (pako) rather than whichever zlib the runtime bundles.
// Arbitrary user images (JPEG, 16-bit, interlaced PNG) are read with sharp in image.ts.
import pako from 'pako'

export type PngChannels = 1 | 2 | 3 | 4

export interface RasterImage {
  width: number
  height: number
  channels: PngChannels
  /** Row-major, interleaved, 8 bits per sample. */
  data: Uint8Array
}

export interface IndexedImage {
  width: number
  height: number
  /** One palette index per pixel. */
  indices: Uint8Array
  /** RGB triples, at most 256 entries. */
  palette: Uint8Array
  /** Optional alpha per palette entry (tRNS). */
  alpha?: Uint8Array
}

export class PngError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PngError'
  }
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)
const COLOR_TYPE_BY_CHANNELS: Record<PngChannels, number> = { 1: 0, 2: 4, 3: 2, 4: 6 }
const CHANNELS_BY_COLOR_TYPE: Record<number, PngChannels> = { 0: 1, 4: 2, 2: 3, 6: 4, 3: 1 }

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let c = 0xffffffff
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + payload.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, payload.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(payload, 8)
  view.setUint32(8 + payload.length, crc32(out, 4, 8 + payload.length))
  return out
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

function header(width: number, height: number, colorType: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError(`invalid PNG size ${width}×${height}`)
  }
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr[8] = 8 // bit depth
  ihdr[9] = colorType
  return chunk('IHDR', ihdr)
}

/** Filter every row with "Up" (type 2): cheap, deterministic and compresses images well. */
function filterRows(data: Uint8Array, rowBytes: number, height: number): Uint8Array {
  const out = new Uint8Array((rowBytes + 1) * height)
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1)
    const r = y * rowBytes
    out[o] = 2
    if (y === 0) {
      out.set(data.subarray(r, r + rowBytes), o + 1)
    } else {
      for (let x = 0; x < rowBytes; x++) out[o + 1 + x] = (data[r + x] - data[r - rowBytes + x]) & 0xff
    }
  }
  return out
}

/**
 * Deflate level 5, not zlib's default 6: on 256² faces (RGB + NIR, "Up"-filtered) it takes half
 * the time (14 instead of 29 ms per pair; dataset generation encodes every sample on its main
 * thread) for files 4 % larger (level 4: 11 ms, +9 %; 3: 11 ms, +10 %).
 */
const DEFLATE_LEVEL = 5

function idat(data: Uint8Array, rowBytes: number, height: number): Uint8Array {
  return chunk('IDAT', pako.deflate(filterRows(data, rowBytes, height), { level: DEFLATE_LEVEL }))
}

/** Encode an 8-bit grey, grey+alpha, RGB or RGBA image. */
export function encodePng(image: RasterImage): Uint8Array {
  const { width, height, channels, data } = image
  const colorType = COLOR_TYPE_BY_CHANNELS[channels]
  if (colorType === undefined) throw new PngError(`unsupported channel count ${channels}`)
  if (data.length !== width * height * channels) {
    throw new PngError(`pixel buffer has ${data.length} bytes, expected ${width}×${height}×${channels}`)
  }
  return concat([SIGNATURE, header(width, height, colorType), idat(data, width * channels, height), chunk('IEND', new Uint8Array(0))])
}

/** Encode an 8-bit palette PNG (PIL mode "P"): the stored byte per pixel is the index itself. */
export function encodeIndexedPng(image: IndexedImage): Uint8Array {
  const { width, height, indices, palette, alpha } = image
  if (indices.length !== width * height) {
    throw new PngError(`index buffer has ${indices.length} bytes, expected ${width}×${height}`)
  }
  if (palette.length % 3 !== 0 || palette.length === 0 || palette.length > 768) {
    throw new PngError(`palette must hold 1 to 256 RGB entries, got ${palette.length} bytes`)
  }
  const parts = [SIGNATURE, header(width, height, 3), chunk('PLTE', palette)]
  if (alpha) parts.push(chunk('tRNS', alpha))
  parts.push(idat(indices, width, height), chunk('IEND', new Uint8Array(0)))
  return concat(parts)
}

export interface DecodedPng {
  width: number
  height: number
  /** 1 for grey and palette images, 2 grey+alpha, 3 RGB, 4 RGBA. */
  channels: PngChannels
  /** Raw samples: for palette images, the indices. */
  data: Uint8Array
  palette?: Uint8Array
  alpha?: Uint8Array
  colorType: number
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c
  const pa = Math.abs(p - a)
  const pb = Math.abs(p - b)
  const pc = Math.abs(p - c)
  if (pa <= pb && pa <= pc) return a
  return pb <= pc ? b : c
}

/**
 * Decode a non-interlaced 8-bit PNG without expanding palettes, so that label maps keep
 * their class ids. Anything else (16-bit, interlaced, low bit depths) is refused with a
 * message that says what was found; callers fall back to sharp for photographs.
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new PngError('not a PNG file (bad signature)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let offset = 8
  let width = 0
  let height = 0
  let colorType = -1
  let palette: Uint8Array | undefined
  let alpha: Uint8Array | undefined
  const compressed: Uint8Array[] = []
  let ended = false
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    const dataStart = offset + 8
    const dataEnd = dataStart + length
    if (dataEnd + 4 > bytes.length) throw new PngError(`truncated PNG: chunk ${type} runs past the end of the file`)
    if (crc32(bytes, offset + 4, dataEnd) !== view.getUint32(dataEnd)) throw new PngError(`corrupt PNG: bad CRC in chunk ${type}`)
    const payload = bytes.subarray(dataStart, dataEnd)
    if (type === 'IHDR') {
      width = view.getUint32(dataStart)
      height = view.getUint32(dataStart + 4)
      const bitDepth = payload[8]
      colorType = payload[9]
      const interlace = payload[12]
      if (bitDepth !== 8) throw new PngError(`unsupported PNG bit depth ${bitDepth} (8-bit expected)`)
      if (interlace !== 0) throw new PngError('unsupported interlaced PNG')
      if (!(colorType in CHANNELS_BY_COLOR_TYPE)) throw new PngError(`unsupported PNG colour type ${colorType}`)
    } else if (type === 'PLTE') {
      palette = payload.slice()
    } else if (type === 'tRNS') {
      alpha = payload.slice()
    } else if (type === 'IDAT') {
      compressed.push(payload)
    } else if (type === 'IEND') {
      ended = true
      break
    }
    offset = dataEnd + 4
  }
  if (colorType < 0) throw new PngError('corrupt PNG: no IHDR chunk')
  if (!ended) throw new PngError('truncated PNG: no IEND chunk')
  if (colorType === 3 && !palette) throw new PngError('corrupt PNG: palette image without PLTE chunk')
  const channels = CHANNELS_BY_COLOR_TYPE[colorType]
  let raw: Uint8Array
  try {
    raw = pako.inflate(concat(compressed))
  } catch {
    throw new PngError('corrupt PNG: image data does not inflate')
  }
  const rowBytes = width * channels
  if (raw.length < (rowBytes + 1) * height) throw new PngError('truncated PNG: image data is shorter than its size says')
  const data = new Uint8Array(rowBytes * height)
  const bpp = channels
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (rowBytes + 1)]
    const src = y * (rowBytes + 1) + 1
    const dst = y * rowBytes
    for (let x = 0; x < rowBytes; x++) {
      const a = x >= bpp ? data[dst + x - bpp] : 0
      const b = y > 0 ? data[dst - rowBytes + x] : 0
      const c = x >= bpp && y > 0 ? data[dst - rowBytes + x - bpp] : 0
      let v = raw[src + x]
      switch (filter) {
        case 0: break
        case 1: v += a; break
        case 2: v += b; break
        case 3: v += (a + b) >> 1; break
        case 4: v += paeth(a, b, c); break
        default: throw new PngError(`corrupt PNG: unknown row filter ${filter}`)
      }
      data[dst + x] = v & 0xff
    }
  }
  return { width, height, channels, data, palette, alpha, colorType }
}
