// Generator outputs (float32 NCHW, in the manifest's range) to 8-bit images.
//
// Mapping, per value x of the float32 output with range [lo, hi] (computed in float64):
//   v = (x - lo) * 255 / (hi - lo);  NaN -> 0;  clamp v to [0, 255];  byte = floor(v + 0.5)
// i.e. round half up, which for the clamped non-negative values is round half away from zero.
// The same float32 outputs therefore always give the same bytes; PNG encoding (encodePng, pako
// at a fixed level) is deterministic too, so the same generator, seed, ψ and noise give
// byte-identical PNG files.

/**
 * One sample of a [N, C, H, W] float32 output as interleaved 8-bit pixels (H × W × C).
 * `index` selects the sample in the batch.
 */
export function outputToPixels(
  data: Float32Array,
  index: number,
  channels: number,
  height: number,
  width: number,
  range: readonly [number, number]
): Uint8Array {
  const plane = height * width
  const base = index * channels * plane
  if (base + channels * plane > data.length) throw new RangeError(`output holds ${data.length} values, sample ${index} needs ${base + channels * plane}`)
  const [lo, hi] = range
  const scale = 255 / (hi - lo)
  const out = new Uint8Array(plane * channels)
  for (let c = 0; c < channels; c++) {
    const src = base + c * plane
    for (let p = 0; p < plane; p++) {
      let v = (data[src + p] - lo) * scale
      if (!(v > 0)) v = 0 // also NaN
      else if (v > 255) v = 255
      out[p * channels + c] = Math.floor(v + 0.5)
    }
  }
  return out
}
