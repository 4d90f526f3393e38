// IEEE 754 binary16 ("half") conversion for the feature cache, written out rather than taken
// from a library so the rounding is known: float32 -> float16 rounds to nearest, ties to even,
// overflows to ±Infinity, keeps NaN (as a quiet NaN), and produces subnormals below 2^-14;
// float16 -> float32 is exact.

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** The float16 bit pattern nearest to `value` (round to nearest, ties to even). */
export function float32ToFloat16Bits(value: number): number {
  f32[0] = value
  const x = u32[0]
  const sign = (x >>> 16) & 0x8000
  const exponent = (x >>> 23) & 0xff
  let mantissa = x & 0x7fffff

  if (exponent === 0xff) {
    // Infinity or NaN (keep NaN a NaN: set the quiet bit).
    return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0)
  }
  const e = exponent - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // too large: Infinity
  if (e <= 0) {
    // Subnormal half (or zero). The implicit 1 becomes explicit, shifted right by 14 - e bits more.
    if (e < -10) return sign // below half the smallest subnormal: ±0
    mantissa |= 0x800000
    const shift = 14 - e // 14..24
    const half = 1 << (shift - 1)
    const rest = mantissa & ((1 << shift) - 1)
    let result = mantissa >>> shift
    if (rest > half || (rest === half && (result & 1) === 1)) result++
    return sign | result // a carry into the exponent field is the right answer (smallest normal)
  }
  let result = (e << 10) | (mantissa >>> 13)
  const rest = mantissa & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (result & 1) === 1)) result++ // may carry into the exponent: still right (up to Infinity)
  return sign | result
}

/** The float32 value of a float16 bit pattern (exact). */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1
  const exponent = (bits >>> 10) & 0x1f
  const mantissa = bits & 0x3ff
  if (exponent === 0) return sign * mantissa * 2 ** -24
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15)
}

// Decoding through a 65,536-entry table is several times faster than the arithmetic above.
let decodeTable: Float32Array | null = null
function table(): Float32Array {
  if (!decodeTable) {
    decodeTable = new Float32Array(65536)
    for (let i = 0; i < 65536; i++) decodeTable[i] = float16BitsToFloat32(i)
  }
  return decodeTable
}

export function encodeFloat16(values: Float32Array, out: Uint16Array = new Uint16Array(values.length)): Uint16Array {
  if (out.length < values.length) throw new RangeError('encodeFloat16: output too small')
  for (let i = 0; i < values.length; i++) out[i] = float32ToFloat16Bits(values[i])
  return out
}

export function decodeFloat16(bits: Uint16Array, out: Float32Array = new Float32Array(bits.length)): Float32Array {
  if (out.length < bits.length) throw new RangeError('decodeFloat16: output too small')
  const t = table()
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]]
  return out
}

/** Rounds every value to the nearest float16 (in place), as a cache round trip would. */
export function roundToFloat16(values: Float32Array): Float32Array {
  const t = table()
  for (let i = 0; i < values.length; i++) values[i] = t[float32ToFloat16Bits(values[i])]
  return values
}
