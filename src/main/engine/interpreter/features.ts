// Where the interpreter's features come from, and how the training set keeps them.
//
// A FeatureSource hands out one sample's feature maps at their native resolutions (NCHW,
// N = 1, float32) – the project's generator (services/interpreter/projectData.ts), or a
// synthetic generator in tests and benchmarks. Nothing here ever builds the per-pixel
// N·H·W × D feature matrix the reference materialises.
//
// A FeatureBank holds the training samples' maps as float16 (what the generator's feature
// cache stores anyway), channel-last (H·W·C per map) so that reading one pixel's channels is
// one contiguous run.
import { float16BitsToFloat32, float32ToFloat16Bits } from '../generator/float16'
import { checkLayout, featureDim, type FeatureLayout } from './layout'

export interface FeatureSource {
  readonly layout: FeatureLayout
  /** sha256 of the generator the features come from (null for synthetic sources). */
  readonly generatorSha256: string | null
  /** Feature maps of one sample, in layout order, each C·H·W float32 values (NCHW, N = 1). */
  load(sampleId: string): Promise<Float32Array[]>
}

export class FeatureShapeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FeatureShapeError'
  }
}

export function checkMaps(layout: FeatureLayout, maps: readonly Float32Array[], what = 'sample'): void {
  if (maps.length !== layout.maps.length) throw new FeatureShapeError(`${what}: ${maps.length} feature maps, the layout has ${layout.maps.length}`)
  layout.maps.forEach((m, i) => {
    const n = m.channels * m.height * m.width
    if (maps[i].length !== n) throw new FeatureShapeError(`${what}: feature "${m.name}" has ${maps[i].length} values, ${m.channels}×${m.height}×${m.width} = ${n} expected`)
  })
}

let halfTable: Float32Array | null = null
/** float16 bits → float32 lookup table (65,536 entries). */
export function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536)
    for (let i = 0; i < 65536; i++) halfTable[i] = float16BitsToFloat32(i)
  }
  return halfTable
}

/** NCHW float32 → HWC float16 bits. */
export function toHwcHalf(data: Float32Array, channels: number, height: number, width: number): Uint16Array {
  const hw = height * width
  const out = new Uint16Array(channels * hw)
  for (let c = 0; c < channels; c++) {
    const base = c * hw
    for (let p = 0; p < hw; p++) out[p * channels + c] = float32ToFloat16Bits(data[base + p])
  }
  return out
}

/** Rounds every value to float16 (what a bank stores), in place. */
export function roundMapsToHalf(maps: Float32Array[]): Float32Array[] {
  const t = float16Table()
  for (const m of maps) for (let i = 0; i < m.length; i++) m[i] = t[float32ToFloat16Bits(m[i])]
  return maps
}

export interface BankImage {
  id: string
  /** Per map: H·W·C float16 bits (channel-last). */
  maps: Uint16Array[]
  /** H·W class ids, 255 = unlabelled. */
  labels: Uint8Array
}

export class FeatureBank {
  readonly images: BankImage[] = []
  constructor(readonly layout: FeatureLayout) {
    checkLayout(layout)
  }

  get dim(): number {
    return featureDim(this.layout)
  }

  add(id: string, maps: readonly Float32Array[], labels: Uint8Array): void {
    checkMaps(this.layout, maps, `sample "${id}"`)
    if (labels.length !== this.layout.height * this.layout.width) {
      throw new FeatureShapeError(`sample "${id}": the mask has ${labels.length} pixels, ${this.layout.width}×${this.layout.height} expected`)
    }
    this.images.push({ id, maps: this.layout.maps.map((m, i) => toHwcHalf(maps[i], m.channels, m.height, m.width)), labels })
  }

  /** Bytes held by the feature maps. */
  get bytes(): number {
    return this.images.reduce((s, im) => s + im.maps.reduce((t, m) => t + m.byteLength, 0), 0)
  }

  /** A bank over a subset of images (shares the data). */
  subset(ids: readonly string[]): FeatureBank {
    const out = new FeatureBank(this.layout)
    for (const id of ids) {
      const im = this.images.find((i) => i.id === id)
      if (!im) throw new Error(`no sample "${id}" in the feature bank`)
      out.images.push(im)
    }
    return out
  }
}

/** Loads every sample of `ids` from a source into a new bank. */
export async function fillBank(source: FeatureSource, items: ReadonlyArray<{ id: string; labels: Uint8Array }>, onLoaded?: (done: number, total: number) => void): Promise<FeatureBank> {
  const bank = new FeatureBank(source.layout)
  let done = 0
  for (const item of items) {
    bank.add(item.id, await source.load(item.id), item.labels)
    onLoaded?.(++done, items.length)
  }
  return bank
}
