// Mask interchange: label maps to and from the files other tools read and write.
//
// - Index PNG: 8-bit palette PNG (PIL mode "P") whose stored bytes are the class ids, with
//   the project palette at those ids, so PIL, torchvision and numpy read the ids directly.
//   (OpenCV expands palette PNGs to BGR: use format 'grey' or .npy for OpenCV pipelines.)
// - .npy: uint8 H×W for writing; reading accepts the integer and float arrays that other
//   tools save (DatasetGAN's image_mask*.npy are often int64 or float).
// - Colour PNG plus a colour → class table, as drawn in GIMP: nearest colour within a
//   tolerance, reporting the colours that match no class.
//
// Class ids are 0..K-1 and 255 means unlabeled. Every decoder checks the values against
// the class set and refuses with a MaskFormatError that says what it found.
import sharp from 'sharp'
import { decodePng, encodeIndexedPng, encodePng, PngError } from './png'

export const UNLABELED = 255
/** Palette entry written for the unlabeled value: a neutral grey. */
export const UNLABELED_GREY: readonly [number, number, number] = [128, 128, 128]

/** A project class (structurally the shared ClassDef). */
export interface MaskClass {
  id: number
  name?: string
  /** '#rrggbb' */
  color: string
}

export interface ColourTableEntry {
  /** '#rrggbb' */
  color: string
  /** 0–254, or 255 to map a colour to unlabeled explicitly. */
  classId: number
}

export class MaskFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MaskFormatError'
  }
}

// ------------------------------------------------------------------ shared checks

function parseColour(color: string, what: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color)
  if (!m) throw new MaskFormatError(`${what} colour ${JSON.stringify(color)} is not #rrggbb`)
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)]
}

function hex(r: number, g: number, b: number): string {
  return '#' + ((1 << 24) | (r << 16) | (g << 8) | b).toString(16).slice(1)
}

function checkClasses(classes: readonly MaskClass[]): void {
  const seen = new Set<number>()
  for (const c of classes) {
    if (!Number.isInteger(c.id) || c.id < 0 || c.id > 254) throw new MaskFormatError(`class id ${c.id} is not an integer from 0 to 254`)
    if (seen.has(c.id)) throw new MaskFormatError(`class id ${c.id} appears twice`)
    seen.add(c.id)
    parseColour(c.color, `class ${c.id}`)
  }
}

function checkSize(width: number, height: number, labels?: ArrayLike<number>): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new MaskFormatError(`invalid mask size ${width}×${height}`)
  }
  if (labels && labels.length !== width * height) {
    throw new MaskFormatError(`label buffer has ${labels.length} values, expected ${width}×${height}`)
  }
}

function checkExpectedSize(width: number, height: number, expected?: { width?: number; height?: number }): void {
  if (expected?.width === undefined && expected?.height === undefined) return
  if (width !== expected.width || height !== expected.height) {
    throw new MaskFormatError(`mask is ${width}×${height}, the sample is ${expected.width}×${expected.height}`)
  }
}

/** "0–9", "0–3, 5, 7–9" or "none". */
function describeIds(ids: number[]): string {
  const sorted = [...ids].sort((a, b) => a - b)
  const parts: string[] = []
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    parts.push(j === i ? `${sorted[i]}` : j === i + 1 ? `${sorted[i]}, ${sorted[j]}` : `${sorted[i]}–${sorted[j]}`)
    i = j + 1
  }
  return parts.length ? parts.join(', ') : 'none'
}

/** Which byte values are allowed in a mask of these classes (the class ids and 255). */
function allowedValues(classes?: readonly MaskClass[]): Uint8Array {
  const ok = new Uint8Array(256)
  if (!classes) return ok.fill(1)
  for (const c of classes) ok[c.id] = 1
  ok[UNLABELED] = 1
  return ok
}

const MAX_LISTED = 8

function formatValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v)
}

/** Refuse the values found that are not class ids or 255: "values 12, 40 are not classes (0–9) or 255 (37 pixels)". */
function valueError(bad: Iterable<number>, pixels: number, classes?: readonly MaskClass[]): MaskFormatError {
  const values = [...bad].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b))
  const one = values.length === 1
  const listed = values.slice(0, MAX_LISTED).map(formatValue).join(', ') + (values.length > MAX_LISTED ? `, … (${values.length} distinct)` : '')
  const what = classes
    ? `${one ? 'a class' : 'classes'} (${describeIds(classes.map((c) => c.id))}) or 255`
    : `${one ? 'an integer' : 'integers'} from 0 to 255`
  return new MaskFormatError(`${one ? 'value' : 'values'} ${listed} ${one ? 'is' : 'are'} not ${what} (${pixels} pixel${pixels === 1 ? '' : 's'})`)
}

function checkLabels(labels: ArrayLike<number>, classes?: readonly MaskClass[]): void {
  const ok = allowedValues(classes)
  let bad: Set<number> | undefined
  let pixels = 0
  for (let i = 0; i < labels.length; i++) {
    if (ok[labels[i]] !== 1) {
      ;(bad ??= new Set()).add(labels[i])
      pixels++
    }
  }
  if (bad) throw valueError(bad, pixels, classes)
}

// ------------------------------------------------------------------ PNG inspection

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)
}

interface PngHeader {
  width: number
  height: number
  bitDepth: number
  colorType: number
  interlaced: boolean
}

/** The IHDR fields, which the PNG format places at fixed offsets right after the signature. */
function readPngHeader(bytes: Uint8Array): PngHeader {
  if (!isPng(bytes)) throw new MaskFormatError('not a PNG file (bad signature)')
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') throw new MaskFormatError('corrupt PNG: no IHDR chunk')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24],
    colorType: bytes[25],
    interlaced: bytes[28] !== 0
  }
}

/** The PLTE chunk's RGB triples (only needed where sharp expands a palette image). */
function readPalette(bytes: Uint8Array): Uint8Array | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 8; offset + 8 <= bytes.length; ) {
    const length = view.getUint32(offset)
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8))
    if (type === 'PLTE') return bytes.slice(offset + 8, Math.min(bytes.length, offset + 8 + length))
    if (type === 'IDAT' || type === 'IEND') return undefined
    offset += 12 + length
  }
  return undefined
}

function describeDepth(h: PngHeader): string {
  return `${h.bitDepth}-bit${h.interlaced ? ' interlaced' : ''}`
}

interface RawPixels {
  width: number
  height: number
  channels: number
  /** 8-bit samples, or 16-bit ones when read with depth 'ushort'. */
  data: Uint8Array | Uint16Array
}

/** Decode with sharp: 'rgb' (its default, sRGB), 'grey' (8-bit grey) or 'grey16' (16-bit grey, unscaled). */
async function readWithSharp(bytes: Uint8Array, mode: 'rgb' | 'grey' | 'grey16' = 'rgb'): Promise<RawPixels> {
  try {
    let image = sharp(bytes)
    if (mode !== 'rgb') image = image.toColourspace(mode === 'grey' ? 'b-w' : 'grey16')
    const { data, info } = await (mode === 'grey16' ? image.raw({ depth: 'ushort' }) : image.raw()).toBuffer({ resolveWithObject: true })
    const samples =
      mode === 'grey16'
        ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    return { width: info.width, height: info.height, channels: info.channels, data: samples }
  } catch (error) {
    throw new MaskFormatError(`corrupt or unreadable image: ${(error as Error).message}`)
  }
}

function decodePngOrRefuse(bytes: Uint8Array): ReturnType<typeof decodePng> {
  try {
    return decodePng(bytes)
  } catch (error) {
    if (error instanceof PngError) throw new MaskFormatError(error.message)
    throw error
  }
}

// ------------------------------------------------------------------ index PNG

export interface EncodeMaskPngOptions {
  /** 'palette' (default): 8-bit palette PNG; 'grey': 8-bit grey PNG of the same ids (for OpenCV). */
  format?: 'palette' | 'grey'
}

/** The 256-entry palette: class colours at their ids, 255 neutral grey, everything else black. */
export function maskPalette(classes: readonly MaskClass[]): Uint8Array {
  checkClasses(classes)
  const palette = new Uint8Array(256 * 3)
  for (const c of classes) palette.set(parseColour(c.color, `class ${c.id}`), c.id * 3)
  palette.set(UNLABELED_GREY, UNLABELED * 3)
  return palette
}

/** Write a label map as an index PNG (palette by default) whose pixel bytes are the class ids. */
export function encodeMaskPng(labels: Uint8Array, width: number, height: number, classes: readonly MaskClass[], options: EncodeMaskPngOptions = {}): Uint8Array {
  checkSize(width, height, labels)
  const palette = maskPalette(classes)
  checkLabels(labels, classes)
  if (options.format === 'grey') return encodePng({ width, height, channels: 1, data: labels })
  return encodeIndexedPng({ width, height, indices: labels, palette })
}

export interface DecodeMaskOptions {
  /** The sample's size: a mask of another size is refused. */
  width: number
  height: number
  classes: readonly MaskClass[]
}

/**
 * Read an index PNG (palette or grey; any bit depth, interlaced or not) as class ids,
 * refusing other sizes, values that are not classes or 255, colour PNGs and corrupt files.
 */
export async function decodeMaskPng(bytes: Uint8Array, options: DecodeMaskOptions): Promise<Uint8Array> {
  checkClasses(options.classes)
  const header = readPngHeader(bytes)
  const { colorType } = header
  if (colorType === 2 || colorType === 6) {
    throw new MaskFormatError(`colour PNG: import it as a colour mask with a colour table (${colorType === 6 ? 'RGBA' : 'RGB'}, expected palette or grey indices)`)
  }
  if (colorType === 4) throw new MaskFormatError('grey PNG with an alpha channel: save the mask as a grey or palette PNG without alpha')
  if (colorType !== 0 && colorType !== 3) throw new MaskFormatError(`corrupt PNG: unknown colour type ${colorType}`)
  checkExpectedSize(header.width, header.height, options)
  let labels: Uint8Array
  if (header.bitDepth === 8 && !header.interlaced) {
    labels = decodePngOrRefuse(bytes).data
  } else if (colorType === 0) {
    labels = await greyIndicesWithSharp(bytes, header)
  } else {
    labels = await paletteIndicesWithSharp(bytes, header)
  }
  if (labels.length !== header.width * header.height) throw new MaskFormatError('corrupt PNG: image data does not match its size')
  checkLabels(labels, options.classes)
  return labels
}

/** Grey index PNGs that png.ts does not read (1/2/4/16-bit, interlaced), through sharp. */
async function greyIndicesWithSharp(bytes: Uint8Array, header: PngHeader): Promise<Uint8Array> {
  const raw = await readWithSharp(bytes, header.bitDepth === 16 ? 'grey16' : 'grey')
  if (raw.width !== header.width || raw.height !== header.height) throw new MaskFormatError('corrupt PNG: decoded size differs from its header')
  const n = raw.width * raw.height
  const out = new Uint8Array(n)
  // Low bit depths come back scaled to 0–255: undo the scaling (exact for 1, 2 and 4 bits).
  const scale = header.bitDepth < 8 ? 255 / ((1 << header.bitDepth) - 1) : 1
  let tooLarge: Set<number> | undefined
  let pixels = 0
  for (let i = 0; i < n; i++) {
    const v = Math.round(raw.data[i * raw.channels] / scale)
    if (v > 255) {
      ;(tooLarge ??= new Set()).add(v)
      pixels++
    }
    out[i] = v
  }
  if (tooLarge) throw valueError(tooLarge, pixels)
  return out
}

/** Palette PNGs that png.ts does not read (1/2/4-bit, interlaced): sharp expands them to RGB, mapped back through PLTE. */
async function paletteIndicesWithSharp(bytes: Uint8Array, header: PngHeader): Promise<Uint8Array> {
  const palette = readPalette(bytes)
  if (!palette || palette.length % 3 !== 0 || palette.length === 0) throw new MaskFormatError('corrupt PNG: palette image without a valid PLTE chunk')
  const raw = await readWithSharp(bytes)
  if (raw.width !== header.width || raw.height !== header.height) throw new MaskFormatError('corrupt PNG: decoded size differs from its header')
  const index = new Map<number, number>()
  const duplicates = new Map<number, number[]>()
  for (let i = 0; i < palette.length / 3; i++) {
    const key = (palette[3 * i] << 16) | (palette[3 * i + 1] << 8) | palette[3 * i + 2]
    const first = index.get(key)
    if (first === undefined) index.set(key, i)
    else duplicates.set(key, [...(duplicates.get(key) ?? [first]), i])
  }
  const n = raw.width * raw.height
  const out = new Uint8Array(n)
  const c = raw.channels
  const d = raw.data
  for (let i = 0; i < n; i++) {
    const key = c >= 3 ? (d[i * c] << 16) | (d[i * c + 1] << 8) | d[i * c + 2] : d[i * c] * 0x010101
    const id = index.get(key)
    if (id === undefined) throw new MaskFormatError(`corrupt PNG: a pixel's colour ${hex(key >> 16, (key >> 8) & 255, key & 255)} is not in its palette`)
    const dup = duplicates.get(key)
    if (dup) {
      throw new MaskFormatError(
        `${describeDepth(header)} palette PNG with entries ${dup.join(', ')} of the same colour ${hex(key >> 16, (key >> 8) & 255, key & 255)}: the ids cannot be recovered; save it as an 8-bit non-interlaced PNG`
      )
    }
    out[i] = id
  }
  return out
}

// ------------------------------------------------------------------ .npy

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] // \x93NUMPY

/** NumPy .npy v1.0 of a uint8 array of shape (h, w), C order. */
export function encodeNpy(labels: Uint8Array, h: number, w: number): Uint8Array {
  checkSize(w, h, labels)
  let text = `{'descr': '|u1', 'fortran_order': False, 'shape': (${h}, ${w}), }`
  // Magic (6) + version (2) + header length (2) + header, padded with spaces and ending in
  // a newline, is a multiple of 64 so that the data is aligned.
  const total = Math.ceil((10 + text.length + 1) / 64) * 64
  text = text.padEnd(total - 10 - 1, ' ') + '\n'
  const out = new Uint8Array(total + labels.length)
  out.set(NPY_MAGIC, 0)
  out[6] = 1
  out[7] = 0
  new DataView(out.buffer).setUint16(8, text.length, true)
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i)
  out.set(labels, total)
  return out
}

export interface DecodeNpyOptions {
  /** When given, values must be these class ids or 255; otherwise any integer 0–255. */
  classes?: readonly MaskClass[]
  /** When given, the sample's size: a mask of another size is refused. */
  width?: number
  height?: number
}

export interface DecodedMask {
  labels: Uint8Array
  width: number
  height: number
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 31) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

/**
 * Read a 2-D (H, W) .npy array (versions 1–3) of bool, (u)int8/16/32/64 or float16/32/64
 * in C order as uint8 labels. Values must be whole numbers that are classes or 255.
 */
export function decodeNpy(bytes: Uint8Array, options: DecodeNpyOptions = {}): DecodedMask {
  if (options.classes) checkClasses(options.classes)
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) throw new MaskFormatError('not a .npy file (bad magic)')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const major = bytes[6]
  let headerLength: number
  let start: number
  if (major === 1) {
    headerLength = view.getUint16(8, true)
    start = 10
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new MaskFormatError('truncated .npy file')
    headerLength = view.getUint32(8, true)
    start = 12
  } else {
    throw new MaskFormatError(`unsupported .npy version ${major}.${bytes[7]}`)
  }
  if (start + headerLength > bytes.length) throw new MaskFormatError('truncated .npy file: the header runs past the end')
  const headerBytes = bytes.subarray(start, start + headerLength)
  const header = major === 3 ? new TextDecoder().decode(headerBytes) : String.fromCharCode(...headerBytes)
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)
  if (!descr) throw new MaskFormatError(`unsupported .npy dtype (structured or unreadable header ${JSON.stringify(header.trim())})`)
  if (!fortran || !shapeMatch) throw new MaskFormatError(`corrupt .npy header ${JSON.stringify(header.trim())}`)
  const dtype = descr[1]
  const dm = /^([<>|=])([buif])(\d+)$/.exec(dtype)
  const kind = dm?.[2]
  const size = dm ? Number(dm[3]) : 0
  const supported =
    dm !== null && ((kind === 'b' && size === 1) || ((kind === 'u' || kind === 'i') && [1, 2, 4, 8].includes(size)) || (kind === 'f' && [2, 4, 8].includes(size)))
  if (!supported) throw new MaskFormatError(`unsupported .npy dtype '${dtype}': expected bool, integers or floats`)
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number(s.replace(/L$/, '')))
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new MaskFormatError(`corrupt .npy shape (${shapeMatch[1]})`)
  if (shape.length !== 2) {
    throw new MaskFormatError(`.npy array has shape (${shape.join(', ')}${shape.length === 1 ? ',' : ''}): a mask must be 2-D (H, W)`)
  }
  const [height, width] = shape
  if (width < 1 || height < 1) throw new MaskFormatError(`.npy array has shape (${height}, ${width}): empty mask`)
  if (fortran[1] === 'True' && width > 1 && height > 1) {
    throw new MaskFormatError('.npy array is in Fortran order: save it with np.ascontiguousarray(mask)')
  }
  checkExpectedSize(width, height, options)
  const little = dm[1] !== '>'
  const n = width * height
  const dataStart = start + headerLength
  if (dataStart + n * size > bytes.length) {
    throw new MaskFormatError(`truncated .npy file: ${height}×${width} '${dtype}' needs ${n * size} bytes of data, found ${bytes.length - dataStart}`)
  }

  const read: (offset: number) => number =
    kind === 'b' || (kind === 'u' && size === 1)
      ? (o) => bytes[o]
      : kind === 'i' && size === 1
        ? (o) => view.getInt8(o)
        : kind === 'u' && size === 2
          ? (o) => view.getUint16(o, little)
          : kind === 'i' && size === 2
            ? (o) => view.getInt16(o, little)
            : kind === 'u' && size === 4
              ? (o) => view.getUint32(o, little)
              : kind === 'i' && size === 4
                ? (o) => view.getInt32(o, little)
                : kind === 'u' && size === 8
                  ? (o) => view.getUint32(o + (little ? 4 : 0), little) * 2 ** 32 + view.getUint32(o + (little ? 0 : 4), little)
                  : kind === 'i' && size === 8
                    ? (o) => view.getInt32(o + (little ? 4 : 0), little) * 2 ** 32 + view.getUint32(o + (little ? 0 : 4), little)
                    : size === 2
                      ? (o) => halfToFloat(view.getUint16(o, little))
                      : size === 4
                        ? (o) => view.getFloat32(o, little)
                        : (o) => view.getFloat64(o, little)

  const ok = allowedValues(options.classes)
  const labels = new Uint8Array(n)
  let bad: Set<number> | undefined
  let pixels = 0
  for (let i = 0, o = dataStart; i < n; i++, o += size) {
    const v = read(o)
    // Whole numbers 0–255 that are allowed; anything else (fractions, NaN, −1, 300) is reported.
    if (v >= 0 && v <= 255 && ok[v] === 1) labels[i] = v
    else {
      if (!bad || bad.size < 10_000) (bad ??= new Set()).add(v)
      pixels++
    }
  }
  if (bad) throw valueError(bad, pixels, options.classes)
  return { labels, width, height }
}

// ------------------------------------------------------------------ colour masks

export interface DecodeColourOptions {
  /** Largest Euclidean RGB distance to a table colour (0–442); default 0 (exact colours). */
  tolerance?: number
  /** When given, the sample's size: a mask of another size is refused. */
  width?: number
  height?: number
}

export interface UnmappedColour {
  color: string
  count: number
}

export interface DecodedColourMask extends DecodedMask {
  /** Colours farther than the tolerance from every table colour (their pixels are 255), most frequent first. */
  unmapped: UnmappedColour[]
}

/** The colour table of a project's classes, for exporting and re-importing colour masks. */
export function classColourTable(classes: readonly MaskClass[]): ColourTableEntry[] {
  checkClasses(classes)
  return classes.map((c) => ({ color: c.color.toLowerCase(), classId: c.id }))
}

function parseTable(table: readonly ColourTableEntry[]): { rgb: number[]; ids: number[] } {
  const rgb: number[] = []
  const ids: number[] = []
  const seen = new Map<string, number>()
  for (const entry of table) {
    if (!Number.isInteger(entry.classId) || entry.classId < 0 || entry.classId > 255) {
      throw new MaskFormatError(`colour table: class id ${entry.classId} is not an integer from 0 to 255`)
    }
    const c = parseColour(entry.color, 'colour table')
    const key = hex(...c)
    const prior = seen.get(key)
    if (prior !== undefined && prior !== entry.classId) throw new MaskFormatError(`colour table maps ${key} to both ${prior} and ${entry.classId}`)
    seen.set(key, entry.classId)
    rgb.push(...c)
    ids.push(entry.classId)
  }
  return { rgb, ids }
}

/** RGB + alpha of any image: png.ts for 8-bit non-interlaced PNGs, sharp for everything else. */
async function readColourPixels(bytes: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array; alpha?: Uint8Array }> {
  let width: number
  let height: number
  let channels: number
  let data: Uint8Array | Uint16Array
  let palette: Uint8Array | undefined
  let paletteAlpha: Uint8Array | undefined
  const header = isPng(bytes) ? readPngHeader(bytes) : undefined
  if (header && header.bitDepth === 8 && !header.interlaced) {
    const png = decodePngOrRefuse(bytes)
    ;({ width, height, channels, data, palette, alpha: paletteAlpha } = png)
    if (png.colorType !== 3) palette = undefined
  } else {
    ;({ width, height, channels, data } = await readWithSharp(bytes))
  }
  const n = width * height
  const rgb = new Uint8Array(n * 3)
  let alpha: Uint8Array | undefined
  if (palette) {
    for (let i = 0; i < n; i++) {
      const p = data[i]
      if (p * 3 + 2 >= palette.length) throw new MaskFormatError(`corrupt PNG: palette index ${p} past the end of its ${palette.length / 3}-entry palette`)
      rgb[3 * i] = palette[3 * p]
      rgb[3 * i + 1] = palette[3 * p + 1]
      rgb[3 * i + 2] = palette[3 * p + 2]
    }
    if (paletteAlpha) {
      alpha = new Uint8Array(n)
      for (let i = 0; i < n; i++) alpha[i] = data[i] < paletteAlpha.length ? paletteAlpha[data[i]] : 255
    }
  } else {
    const grey = channels <= 2
    if (channels === 2 || channels === 4) alpha = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      const s = i * channels
      rgb[3 * i] = data[s]
      rgb[3 * i + 1] = grey ? data[s] : data[s + 1]
      rgb[3 * i + 2] = grey ? data[s] : data[s + 2]
      if (alpha) alpha[i] = data[s + channels - 1]
    }
  }
  return { width, height, rgb, alpha }
}

/**
 * Read a colour mask (PNG, or any image sharp reads) with a colour → class table: each
 * pixel takes the class of the nearest table colour within `tolerance` (Euclidean RGB;
 * ties go to the earlier entry). Fully transparent pixels are unlabeled (255); colours
 * that match nothing are unlabeled too and reported in `unmapped`.
 */
export async function decodeColourMask(bytes: Uint8Array, table: readonly ColourTableEntry[], options: DecodeColourOptions = {}): Promise<DecodedColourMask> {
  const tolerance = options.tolerance ?? 0
  if (!(tolerance >= 0)) throw new MaskFormatError(`colour tolerance must be ≥ 0, got ${tolerance}`)
  const { rgb: tableRgb, ids } = parseTable(table)
  const { width, height, rgb, alpha } = await readColourPixels(bytes)
  checkExpectedSize(width, height, options)
  const n = width * height
  const labels = new Uint8Array(n)
  const t2 = tolerance * tolerance
  const memo = new Map<number, number>() // colour → class id, or −1 when unmapped
  const unmappedCounts = new Map<number, number>()
  let lastKey = -1
  let lastId = -1
  for (let i = 0; i < n; i++) {
    if (alpha && alpha[i] === 0) {
      labels[i] = UNLABELED
      continue
    }
    const r = rgb[3 * i]
    const g = rgb[3 * i + 1]
    const b = rgb[3 * i + 2]
    const key = (r << 16) | (g << 8) | b
    let id: number
    if (key === lastKey) id = lastId
    else {
      const known = memo.get(key)
      if (known !== undefined) id = known
      else {
        id = -1
        let best = Infinity
        for (let k = 0; k < ids.length; k++) {
          const dr = r - tableRgb[3 * k]
          const dg = g - tableRgb[3 * k + 1]
          const db = b - tableRgb[3 * k + 2]
          const d2 = dr * dr + dg * dg + db * db
          if (d2 < best) {
            best = d2
            id = d2 <= t2 ? ids[k] : -1
          }
        }
        memo.set(key, id)
      }
      lastKey = key
      lastId = id
    }
    if (id < 0) {
      labels[i] = UNLABELED
      unmappedCounts.set(key, (unmappedCounts.get(key) ?? 0) + 1)
    } else labels[i] = id
  }
  const unmapped = [...unmappedCounts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([key, count]) => ({ color: hex(key >> 16, (key >> 8) & 255, key & 255), count }))
  return { labels, width, height, unmapped }
}

export interface EncodeColourOptions {
  /** Colour of unlabeled pixels, or 'transparent' (default: an RGBA PNG with alpha 0 there). */
  unlabeled?: string
}

/**
 * Write a colour mask (RGB PNG, or RGBA when unlabeled is transparent) with the table's
 * colour for each class; every label present must have a colour (255 may use `unlabeled`).
 */
export function encodeColourMask(labels: Uint8Array, width: number, height: number, table: readonly ColourTableEntry[], options: EncodeColourOptions = {}): Uint8Array {
  checkSize(width, height, labels)
  const { rgb, ids } = parseTable(table)
  const unlabeled = options.unlabeled ?? 'transparent'
  const transparent = unlabeled === 'transparent'
  const colours = new Int32Array(256).fill(-1)
  // The first table entry of each class gives its colour.
  for (let k = ids.length - 1; k >= 0; k--) colours[ids[k]] = (rgb[3 * k] << 16) | (rgb[3 * k + 1] << 8) | rgb[3 * k + 2]
  if (colours[UNLABELED] < 0 && !transparent) {
    const [r, g, b] = parseColour(unlabeled, 'unlabeled')
    colours[UNLABELED] = (r << 16) | (g << 8) | b
  }
  const missing = new Set<number>()
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]
    if (colours[v] < 0 && !(transparent && v === UNLABELED)) missing.add(v)
  }
  if (missing.size) {
    const list = [...missing].sort((a, b) => a - b)
    throw new MaskFormatError(`${list.length === 1 ? 'value' : 'values'} ${list.join(', ')} ${list.length === 1 ? 'has' : 'have'} no colour in the table`)
  }
  const channels = transparent ? 4 : 3
  const data = new Uint8Array(labels.length * channels)
  for (let i = 0; i < labels.length; i++) {
    const c = colours[labels[i]]
    const o = i * channels
    if (c < 0) continue // transparent unlabeled: all four bytes 0
    data[o] = c >> 16
    data[o + 1] = (c >> 8) & 255
    data[o + 2] = c & 255
    if (transparent) data[o + 3] = 255
  }
  return encodePng({ width, height, channels, data })
}
