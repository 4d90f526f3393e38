// Feature layout of a style interpreter: which generator feature maps it reads, at which native
// resolutions, and the bilinear taps that take each map to the mask resolution.
//
// Upsampling is PyTorch's F.interpolate(mode='bilinear', align_corners=False) (ONNX Resize
// linear + half_pixel): the source coordinate of output index o is (o + 0.5)·in/out − 0.5,
// clamped at 0; its two taps are floor(src) and min(floor(src) + 1, in − 1). Bilinear
// upsampling is separable, so one table per axis and map size describes it completely.

export interface FeatureMapSpec {
  /** Generator feature name, e.g. 'b16.conv0'. */
  name: string
  channels: number
  height: number
  width: number
}

export interface FeatureLayout {
  maps: FeatureMapSpec[]
  /** Mask (and output) resolution. */
  height: number
  width: number
}

/** Two taps per output index: lo, hi and the weight of hi (lo's weight is 1 − w). */
export interface AxisTaps {
  lo: Int32Array
  hi: Int32Array
  w: Float32Array
}

export class LayoutError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LayoutError'
  }
}

/** Taps of an align_corners=false bilinear resize from `inSize` to `outSize` samples. */
export function axisTaps(inSize: number, outSize: number): AxisTaps {
  const lo = new Int32Array(outSize)
  const hi = new Int32Array(outSize)
  const w = new Float32Array(outSize)
  const scale = inSize / outSize
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(0, (o + 0.5) * scale - 0.5)
    const i0 = Math.min(Math.floor(src), inSize - 1)
    lo[o] = i0
    hi[o] = Math.min(i0 + 1, inSize - 1)
    w[o] = Math.fround(src - i0)
  }
  return { lo, hi, w }
}

/** Total feature dimension D (sum of channels). */
export function featureDim(layout: FeatureLayout): number {
  return layout.maps.reduce((s, m) => s + m.channels, 0)
}

/** Offset of each map's channels in the concatenated feature vector. */
export function channelOffsets(layout: FeatureLayout): number[] {
  const out: number[] = []
  let o = 0
  for (const m of layout.maps) {
    out.push(o)
    o += m.channels
  }
  return out
}

/** Hidden widths of the reference classifier: 128/32, or 256/128 when K ≥ 32. */
export function hiddenSizes(numClasses: number): [number, number] {
  return numClasses >= 32 ? [256, 128] : [128, 32]
}

export function checkLayout(layout: FeatureLayout): void {
  if (layout.maps.length === 0) throw new LayoutError('the interpreter needs at least one feature map')
  if (!(layout.height >= 1 && layout.width >= 1)) throw new LayoutError(`bad mask size ${layout.width}×${layout.height}`)
  const names = new Set<string>()
  for (const m of layout.maps) {
    if (names.has(m.name)) throw new LayoutError(`feature map "${m.name}" is listed twice`)
    names.add(m.name)
    if (!(m.channels >= 1 && m.height >= 1 && m.width >= 1)) throw new LayoutError(`feature map "${m.name}" has a bad shape ${m.channels}×${m.height}×${m.width}`)
    if (m.height > layout.height || m.width > layout.width) {
      throw new LayoutError(`feature map "${m.name}" (${m.width}×${m.height}) is larger than the mask (${layout.width}×${layout.height}); only upsampling is supported`)
    }
  }
}

/** Same maps, shapes and mask size. */
export function sameLayout(a: FeatureLayout, b: FeatureLayout): boolean {
  return (
    a.height === b.height &&
    a.width === b.width &&
    a.maps.length === b.maps.length &&
    a.maps.every((m, i) => m.name === b.maps[i].name && m.channels === b.maps[i].channels && m.height === b.maps[i].height && m.width === b.maps[i].width)
  )
}

export function describeLayout(layout: FeatureLayout): string {
  return `${layout.maps.length} maps, D = ${featureDim(layout)}, mask ${layout.width}×${layout.height}`
}

/**
 * BiFaceGAN's 256² synthesis layout (conv0 and conv1 of every block, 4² … 256²), with
 * channels 512×8, 256, 256, 128, 128, 64, 64 → D = 4992. `scale` divides every channel count
 * (tests and quick benches use smaller layouts of the same shape); `resolution` may be lower
 * than 256 (the blocks above it are dropped).
 */
export function bifaceganLayout(options: { resolution?: number; channelDivisor?: number } = {}): FeatureLayout {
  const resolution = options.resolution ?? 256
  const div = options.channelDivisor ?? 1
  const channelsAt: Record<number, number> = { 4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16 }
  const maps: FeatureMapSpec[] = []
  for (let r = 4; r <= resolution; r *= 2) {
    const c = Math.max(1, Math.round(channelsAt[r] / div))
    for (const conv of ['conv0', 'conv1']) maps.push({ name: `b${r}.${conv}`, channels: c, height: r, width: r })
  }
  return { maps, height: resolution, width: resolution }
}
