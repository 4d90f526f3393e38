import { describe, it, expect } from 'vitest'
import sharp from 'sharp'
import pako from 'pako'
import { crc32 } from 'node:zlib'
import { decodePng, encodePng } from '../../src/main/engine/io/png'
import {
  MaskFormatError,
  classColourTable,
  decodeColourMask,
  decodeMaskPng,
  decodeNpy,
  encodeColourMask,
  encodeMaskPng,
  encodeNpy,
  maskPalette,
  type MaskClass
} from '../../src/main/engine/io/masks'

const CLASSES: MaskClass[] = [
  { id: 0, name: 'background', color: '#000000' },
  { id: 1, name: 'skin', color: '#e0a98a' },
  { id: 2, name: 'hair', color: '#6b3f1d' },
  { id: 3, name: 'brows', color: '#3a2412' },
  { id: 4, name: 'eye whites', color: '#f4f4f4' },
  { id: 5, name: 'iris', color: '#3b7dd8' },
  { id: 6, name: 'pupil', color: '#7c3aed' },
  { id: 7, name: 'nose', color: '#f59e0b' },
  { id: 8, name: 'lips', color: '#e11d48' },
  { id: 9, name: 'mouth interior', color: '#14b8a6' }
]

/** A mask using every class and 255. */
function sampleLabels(w: number, h: number): Uint8Array {
  return Uint8Array.from({ length: w * h }, (_, i) => (i % 11 === 10 ? 255 : ((i * 7) >> 3) % 10))
}

function rgbOf(color: string): number[] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16))
}

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<MaskFormatError> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (error) {
    expect(error).toBeInstanceOf(MaskFormatError)
    return error as MaskFormatError
  }
  throw new Error('expected a MaskFormatError')
}

// Hand-built PNGs for the variants png.ts does not write (low bit depths, 16-bit).
function chunk(type: string, payload: Uint8Array): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32BE(payload.length, 0)
  head.write(type, 4, 'latin1')
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), payload])) >>> 0)
  return Buffer.concat([head, payload, crc])
}

function rawPng(w: number, h: number, depth: number, colorType: number, rows: number[][], plte?: number[]): Uint8Array {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(w, 0)
  ihdr.writeUInt32BE(h, 4)
  ihdr[8] = depth
  ihdr[9] = colorType
  const raw: number[] = []
  for (const row of rows) {
    raw.push(0)
    if (depth === 16) for (const v of row) raw.push(v >> 8, v & 255)
    else {
      let acc = 0
      let bits = 0
      for (const v of row) {
        acc = (acc << depth) | v
        bits += depth
        if (bits === 8) {
          raw.push(acc)
          acc = bits = 0
        }
      }
      if (bits) raw.push(acc << (8 - bits))
    }
  }
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)]
  if (plte) parts.push(chunk('PLTE', Uint8Array.from(plte)))
  parts.push(chunk('IDAT', pako.deflate(Uint8Array.from(raw))), chunk('IEND', new Uint8Array(0)))
  return new Uint8Array(Buffer.concat(parts))
}

describe('index PNG masks', () => {
  const w = 37
  const h = 23
  const labels = sampleLabels(w, h)

  it('writes an 8-bit palette PNG whose bytes are the ids, with the project palette', () => {
    const png = encodeMaskPng(labels, w, h, CLASSES)
    const decoded = decodePng(png)
    expect([decoded.colorType, decoded.width, decoded.height]).toEqual([3, w, h])
    expect(Buffer.from(decoded.data).equals(Buffer.from(labels))).toBe(true)
    const palette = decoded.palette!
    expect(palette.length).toBe(768)
    for (const c of CLASSES) expect([...palette.subarray(c.id * 3, c.id * 3 + 3)]).toEqual(rgbOf(c.color))
    expect([...palette.subarray(30, 33)]).toEqual([0, 0, 0]) // unused entries are black
    expect([...palette.subarray(765, 768)]).toEqual([128, 128, 128]) // 255: neutral grey
    expect(maskPalette(CLASSES)).toEqual(palette)
  })

  it('is read as the class colours by an ordinary decoder (sharp expands the palette)', async () => {
    const { data, info } = await sharp(encodeMaskPng(labels, w, h, CLASSES)).raw().toBuffer({ resolveWithObject: true })
    expect(info.channels).toBe(3)
    for (let i = 0; i < w * h; i += 13) {
      const expected = labels[i] === 255 ? [128, 128, 128] : rgbOf(CLASSES[labels[i]].color)
      expect([...data.subarray(i * 3, i * 3 + 3)]).toEqual(expected)
    }
  })

  it('round-trips palette and grey PNGs exactly', async () => {
    for (const format of ['palette', 'grey'] as const) {
      const png = encodeMaskPng(labels, w, h, CLASSES, { format })
      expect(decodePng(png).colorType).toBe(format === 'grey' ? 0 : 3)
      const back = await decodeMaskPng(png, { width: w, height: h, classes: CLASSES })
      expect(Buffer.from(back).equals(Buffer.from(labels))).toBe(true)
    }
  })

  it('reads grey index PNGs written by other tools, interlaced included', async () => {
    const grey = await sharp(labels, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w').png({ progressive: true }).toBuffer()
    expect(grey[28]).toBe(1) // interlaced: not for png.ts, so read with sharp
    const back = await decodeMaskPng(grey, { width: w, height: h, classes: CLASSES })
    expect(Buffer.from(back).equals(Buffer.from(labels))).toBe(true)
  })

  it('reads low-bit-depth palette PNGs (as PIL writes for ≤ 16 colours) and grey 4- and 16-bit PNGs', async () => {
    const plte = [0, 0, 0, 224, 169, 138, 107, 63, 29, 58, 36, 18, 244, 244, 244]
    const p4 = rawPng(5, 2, 4, 3, [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0]], plte)
    expect([...(await decodeMaskPng(p4, { width: 5, height: 2, classes: CLASSES }))]).toEqual([0, 1, 2, 3, 4, 4, 3, 2, 1, 0])
    const p1 = rawPng(3, 1, 1, 3, [[1, 0, 1]], [0, 0, 0, 9, 9, 9])
    expect([...(await decodeMaskPng(p1, { width: 3, height: 1, classes: CLASSES }))]).toEqual([1, 0, 1])
    const g4 = rawPng(4, 1, 4, 0, [[0, 9, 5, 1]])
    expect([...(await decodeMaskPng(g4, { width: 4, height: 1, classes: CLASSES }))]).toEqual([0, 9, 5, 1])
    const g16 = rawPng(4, 1, 16, 0, [[0, 9, 255, 1]])
    expect([...(await decodeMaskPng(g16, { width: 4, height: 1, classes: CLASSES }))]).toEqual([0, 9, 255, 1])
    const g16big = rawPng(2, 1, 16, 0, [[0, 1000]])
    expect((await refusal(decodeMaskPng(g16big, { width: 2, height: 1, classes: CLASSES }))).message).toMatch(/^value 1000 is not an integer from 0 to 255/)
    const dup = rawPng(2, 1, 4, 3, [[1, 2]], [0, 0, 0, 5, 5, 5, 5, 5, 5])
    expect((await refusal(decodeMaskPng(dup, { width: 2, height: 1, classes: CLASSES }))).message).toBe(
      '4-bit palette PNG with entries 1, 2 of the same colour #050505: the ids cannot be recovered; save it as an 8-bit non-interlaced PNG'
    )
  })

  it('refuses a mask of the wrong size', async () => {
    const png = encodeMaskPng(sampleLabels(300, 200), 300, 200, CLASSES)
    expect((await refusal(decodeMaskPng(png, { width: 256, height: 256, classes: CLASSES }))).message).toBe('mask is 300×200, the sample is 256×256')
  })

  it('refuses values that are not classes, listing them', async () => {
    const bad = sampleLabels(16, 16)
    bad[5] = 12
    bad[6] = 40
    bad[7] = 40
    const png = encodeMaskPng(bad, 16, 16, [...CLASSES, { id: 12, name: 'x', color: '#010203' }, { id: 40, name: 'y', color: '#010203' }])
    const error = await refusal(decodeMaskPng(png, { width: 16, height: 16, classes: CLASSES }))
    expect(error.message).toBe('values 12, 40 are not classes (0–9) or 255 (3 pixels)')
    const one = Uint8Array.from({ length: 256 }, (_, i) => [0, 1, 2, 255][i % 4])
    one[0] = 3
    expect((await refusal(decodeMaskPng(encodeMaskPng(one, 16, 16, CLASSES), { width: 16, height: 16, classes: CLASSES.slice(0, 3) }))).message).toMatch(
      /^value 3 is not a class \(0–2\) or 255 \(1 pixel\)$/
    )
    const many = Uint8Array.from({ length: 256 }, (_, i) => i)
    const table = Array.from({ length: 255 }, (_, id) => ({ id, color: '#000000' }))
    const msg = (await refusal(decodeMaskPng(encodeMaskPng(many, 16, 16, table), { width: 16, height: 16, classes: [CLASSES[0], CLASSES[2], CLASSES[3]] }))).message
    expect(msg).toBe('values 1, 4, 5, 6, 7, 8, 9, 10, … (252 distinct) are not classes (0, 2, 3) or 255 (252 pixels)')
    // Encoding checks too.
    expect((await refusal(() => encodeMaskPng(bad, 16, 16, CLASSES))).message).toMatch(/^values 12, 40 are not classes \(0–9\) or 255/)
  })

  it('refuses colour PNGs, grey+alpha, other files and corrupt PNGs', async () => {
    const rgb = encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(48) })
    expect((await refusal(decodeMaskPng(rgb, { width: 4, height: 4, classes: CLASSES }))).message).toMatch(/^colour PNG: import it as a colour mask with a colour table/)
    const rgba = encodePng({ width: 4, height: 4, channels: 4, data: new Uint8Array(64) })
    expect((await refusal(decodeMaskPng(rgba, { width: 4, height: 4, classes: CLASSES }))).message).toMatch(/^colour PNG: .*RGBA/)
    const la = encodePng({ width: 4, height: 4, channels: 2, data: new Uint8Array(32) })
    expect((await refusal(decodeMaskPng(la, { width: 4, height: 4, classes: CLASSES }))).message).toMatch(/alpha/)
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#ffffff' } }).jpeg().toBuffer()
    expect((await refusal(decodeMaskPng(jpeg, { width: 4, height: 4, classes: CLASSES }))).message).toBe('not a PNG file (bad signature)')
    const good = encodeMaskPng(sampleLabels(8, 8), 8, 8, CLASSES)
    expect((await refusal(decodeMaskPng(good.subarray(0, good.length - 20), { width: 8, height: 8, classes: CLASSES }))).message).toMatch(/truncated|corrupt/)
    const flipped = good.slice()
    flipped[good.length - 20] ^= 0xff // inside IDAT: bad CRC
    expect((await refusal(decodeMaskPng(flipped, { width: 8, height: 8, classes: CLASSES }))).message).toMatch(/^corrupt PNG: bad CRC/)
    expect((await refusal(decodeMaskPng(good.subarray(0, 20), { width: 8, height: 8, classes: CLASSES }))).message).toMatch(/corrupt PNG: no IHDR/)
    // Low-bit-depth file with garbage data goes through sharp: still a MaskFormatError.
    const broken = rawPng(4, 1, 4, 0, [[0, 1, 2, 3]]).slice(0, 45)
    expect((await refusal(decodeMaskPng(broken, { width: 4, height: 1, classes: CLASSES }))).message).toMatch(/corrupt/)
  })
})

describe('.npy masks', () => {
  it('writes uint8 (H, W) in the NumPy v1.0 format, byte for byte as np.save', () => {
    const labels = Uint8Array.of(0, 1, 2, 3, 4, 5)
    const npy = encodeNpy(labels, 2, 3)
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }"
    const expected = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY\x01\x00v\x00' + header.padEnd(117, ' ') + '\n', 'latin1'), Buffer.from(labels)])
    expect(Buffer.from(npy).equals(expected)).toBe(true)
    expect(npy.length).toBe(134)
    for (const [h, w] of [[1, 1], [256, 256], [1000, 37]]) {
      const l = sampleLabels(w, h)
      const out = encodeNpy(l, h, w)
      expect((out.length - l.length) % 64).toBe(0)
      const back = decodeNpy(out, { classes: CLASSES })
      expect([back.width, back.height]).toEqual([w, h])
      expect(Buffer.from(back.labels).equals(Buffer.from(l))).toBe(true)
    }
  })

  it('reads int64, float32 (v2), big-endian int32 (v3) and float16 arrays saved by NumPy', () => {
    const fixtures = {
      i8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAAEAAAAAAAAAAgAAAAAAAAAJAAAAAAAAAP8AAAAAAAAAAwAAAAAAAAA=',
      f4v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8ZjQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAABBBAAB/QwAAQEA=',
      bi4v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc+aTQnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwgMyksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAQAAAAIAAAAJAAAA/wAAAAM=',
      f2: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGYyJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAA8AECASPhbAEI='
    }
    for (const b64 of Object.values(fixtures)) {
      const m = decodeNpy(Buffer.from(b64, 'base64'), { classes: CLASSES, width: 3, height: 2 })
      expect([...m.labels]).toEqual([0, 1, 2, 9, 255, 3])
    }
  })

  function npy(descr: string, shape: string, data: Uint8Array, fortran = 'False'): Uint8Array {
    const header = `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`.padEnd(117, ' ') + '\n'
    return new Uint8Array(Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY\x01\x00', 'latin1'), Buffer.from([header.length, 0]), Buffer.from(header, 'latin1'), data]))
  }

  it('reads bool, int8/16 and unsigned arrays', () => {
    expect([...decodeNpy(npy('|b1', '(1, 3)', Uint8Array.of(1, 0, 1))).labels]).toEqual([1, 0, 1])
    expect([...decodeNpy(npy('|i1', '(1, 2)', Uint8Array.of(5, 0))).labels]).toEqual([5, 0])
    expect([...decodeNpy(npy('<u2', '(1, 2)', Uint8Array.of(255, 0, 7, 0))).labels]).toEqual([255, 7])
    expect([...decodeNpy(npy('<u8', '(1, 1)', Uint8Array.of(9, 0, 0, 0, 0, 0, 0, 0))).labels]).toEqual([9])
  })

  it('refuses values that are not classes, fractions, NaN and negatives', () => {
    const f8 = new Float64Array([0, 0.5, NaN, -1, 12, 3])
    const error = decodeNpyError(npy('<f8', '(2, 3)', new Uint8Array(f8.buffer)))
    expect(error).toBe('values -1, 0.5, 12, NaN are not classes (0–9) or 255 (4 pixels)')
    const i8 = new BigInt64Array([0n, 40n, 12n, 2n ** 40n])
    expect(decodeNpyError(npy('<i8', '(2, 2)', new Uint8Array(i8.buffer)))).toBe('values 12, 40, 1099511627776 are not classes (0–9) or 255 (3 pixels)')
    function decodeNpyError(bytes: Uint8Array): string {
      try {
        decodeNpy(bytes, { classes: CLASSES })
      } catch (e) {
        expect(e).toBeInstanceOf(MaskFormatError)
        return (e as Error).message
      }
      throw new Error('expected a refusal')
    }
  })

  it('refuses wrong dtype, shape, order, size and broken files with clear messages', async () => {
    const zeros = new Uint8Array(64)
    const cases: [Uint8Array, string | RegExp][] = [
      [npy('<c16', '(1, 2)', zeros), "unsupported .npy dtype '<c16': expected bool, integers or floats"],
      [npy('|O', '(1, 2)', zeros), "unsupported .npy dtype '|O': expected bool, integers or floats"],
      [npy('<U3', '(1, 2)', zeros), /unsupported .npy dtype '<U3'/],
      [npy('|u1', '(2, 3, 3)', zeros), '.npy array has shape (2, 3, 3): a mask must be 2-D (H, W)'],
      [npy('|u1', '(6,)', zeros), '.npy array has shape (6,): a mask must be 2-D (H, W)'],
      [npy('<f4', '(2, 3)', zeros, 'True'), '.npy array is in Fortran order: save it with np.ascontiguousarray(mask)'],
      [npy('<i4', '(4, 4)', zeros.subarray(0, 10)), "truncated .npy file: 4×4 '<i4' needs 64 bytes of data, found 10"],
      [new Uint8Array(Buffer.from('PK\x03\x04 not numpy')), 'not a .npy file (bad magic)'],
      [npy('|u1', '(3, 5)', zeros), 'mask is 5×3, the sample is 4×4']
    ]
    for (const [bytes, message] of cases) {
      const error = await refusal(() => decodeNpy(bytes, { classes: CLASSES, width: 4, height: 4 }))
      if (typeof message === 'string') expect(error.message).toBe(message)
      else expect(error.message).toMatch(message)
    }
    const structured = new Uint8Array(Buffer.concat([Buffer.from([0x93]), Buffer.from("NUMPY\x01\x00\x30\x00{'descr': [('a', '<i4')], 'shape': (1, 1)}     \n", 'latin1')]))
    expect((await refusal(() => decodeNpy(structured))).message).toMatch(/structured/)
    // Without classes, any whole number 0–255 is accepted.
    expect([...decodeNpy(npy('<i2', '(1, 2)', Uint8Array.of(200, 0, 44, 0))).labels]).toEqual([200, 44])
    expect((await refusal(() => decodeNpy(npy('<i2', '(1, 2)', Uint8Array.of(0, 1, 44, 0))))).message).toBe('value 256 is not an integer from 0 to 255 (1 pixel)')
  })
})

describe('colour masks', () => {
  const w = 29
  const h = 17
  const labels = sampleLabels(w, h)
  const table = classColourTable(CLASSES)

  it('round-trips through an RGBA PNG (unlabeled transparent) and an RGB PNG (unlabeled a colour)', async () => {
    const rgba = encodeColourMask(labels, w, h, table)
    expect(decodePng(rgba).channels).toBe(4)
    const back = await decodeColourMask(rgba, table)
    expect([back.width, back.height, back.unmapped]).toEqual([w, h, []])
    expect(Buffer.from(back.labels).equals(Buffer.from(labels))).toBe(true)

    const rgb = encodeColourMask(labels, w, h, table, { unlabeled: '#808080' })
    expect(decodePng(rgb).channels).toBe(3)
    const back2 = await decodeColourMask(rgb, [...table, { color: '#808080', classId: 255 }], { width: w, height: h })
    expect(Buffer.from(back2.labels).equals(Buffer.from(labels))).toBe(true)
  })

  it('matches the nearest table colour within the tolerance and reports colours it cannot map', async () => {
    // A GIMP-style mask: class colours with slight noise, antialiased edges and a stray colour.
    const data = new Uint8Array(w * h * 3)
    for (let i = 0; i < w * h; i++) {
      const c = labels[i] === 255 ? [0, 0, 0] : rgbOf(CLASSES[labels[i]].color)
      const n = (i % 3) - 1
      data.set(c.map((v) => Math.max(0, Math.min(255, v + n * 2))), i * 3)
    }
    data.set([255, 0, 255], 0)
    data.set([255, 0, 255], 3)
    data.set([1, 200, 1], 6)
    const png = await sharp(data, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer()
    const exact = await decodeColourMask(png, table, { tolerance: 0 })
    expect(exact.unmapped.length).toBeGreaterThan(3)
    const loose = await decodeColourMask(png, table, { tolerance: 6 })
    expect(loose.unmapped).toEqual([
      { color: '#ff00ff', count: 2 },
      { color: '#01c801', count: 1 }
    ])
    let wrong = 0
    for (let i = 3; i < w * h; i++) if (loose.labels[i] !== (labels[i] === 255 ? 0 : labels[i])) wrong++
    expect(wrong).toBe(0)
    expect([loose.labels[0], loose.labels[1], loose.labels[2]]).toEqual([255, 255, 255])
  })

  it('reads indexed colour PNGs and images png.ts does not handle (16-bit, JPEG) through sharp', async () => {
    const indexed = encodeMaskPng(labels, w, h, CLASSES) // a palette PNG read as colours
    const fromIndexed = await decodeColourMask(indexed, [...table, { color: '#808080', classId: 255 }])
    expect(Buffer.from(fromIndexed.labels).equals(Buffer.from(labels))).toBe(true)
    const rgb = decodePng(encodeColourMask(labels, w, h, table, { unlabeled: '#808080' })).data
    const png16 = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ force: true }).toColourspace('rgb16').toBuffer()
    expect(png16[24]).toBe(16)
    const from16 = await decodeColourMask(png16, [...table, { color: '#808080', classId: 255 }], { tolerance: 2 })
    expect(Buffer.from(from16.labels).equals(Buffer.from(labels))).toBe(true)
    const big = 64
    const blocks = Uint8Array.from({ length: big * big }, (_, i) => (Math.floor(i / big / 16) * 4 + Math.floor((i % big) / 16)) % 10)
    const jpeg = await sharp(decodePng(encodeColourMask(blocks, big, big, table)).data, { raw: { width: big, height: big, channels: 4 } })
      .removeAlpha()
      .jpeg({ quality: 100, chromaSubsampling: '4:4:4' })
      .toBuffer()
    const fromJpeg = await decodeColourMask(jpeg, table, { tolerance: 40 })
    let agree = 0
    for (let i = 0; i < big * big; i++) if (fromJpeg.labels[i] === blocks[i]) agree++
    expect(agree / (big * big)).toBeGreaterThan(0.97)
  })

  it('refuses bad tables, unknown labels on export, wrong sizes and unreadable files', async () => {
    expect((await refusal(decodeColourMask(new Uint8Array(8), [{ color: '#ff0000', classId: 1 }, { color: '#FF0000', classId: 2 }]))).message).toBe(
      'colour table maps #ff0000 to both 1 and 2'
    )
    expect((await refusal(decodeColourMask(new Uint8Array(8), [{ color: 'red', classId: 1 }]))).message).toBe('colour table colour "red" is not #rrggbb')
    expect((await refusal(() => encodeColourMask(Uint8Array.of(0, 12, 40, 255), 2, 2, table))).message).toBe('values 12, 40 have no colour in the table')
    expect((await refusal(() => encodeColourMask(Uint8Array.of(0, 255), 2, 1, table, { unlabeled: '#zzz' }))).message).toMatch(/not #rrggbb/)
    const png = encodeColourMask(labels, w, h, table)
    expect((await refusal(decodeColourMask(png, table, { width: 256, height: 256 }))).message).toBe(`mask is ${w}×${h}, the sample is 256×256`)
    expect((await refusal(decodeColourMask(new Uint8Array(Buffer.from('definitely not an image')), table))).message).toMatch(/^corrupt or unreadable image/)
  })
})
