// The on-disk feature cache of one sample: samples/<id>/features.f16, a single file (written
// atomically, so header and data always belong together):
//
//   bytes 0..7    magic "TLFEAT01"
//   bytes 8..11   uint32 little-endian H: length of the header in bytes
//   bytes 12..    header: UTF-8 JSON, padded with spaces so the data starts at a multiple of 16
//   then          float16 little-endian values, the features one after the other in header
//                 order, each NCHW with N = 1
//
// Header (FeatureCacheHeader):
//   { "format": "twinlight-features", "version": 1, "sampleId": "…", "seed": 12,
//     "generatorSha256": "<sha256 of the ONNX file the features came from>",
//     "recipeHash": "<sha256 of the sample's seed + recipe>",
//     "dtype": "float16", "byteOrder": "little", "createdAt": "…",
//     "features": [{ "name": "b8.conv0", "shape": [1, 12, 8, 8], "offset": 0 }, …] }   // offset in values
//
// A cache is valid only while generatorSha256 and recipeHash match the generator file and the
// sample.json in use; anything else (another generator attached at the same path, a damaged
// file) means recompute. float16 conversion: float16.ts (round to nearest even).
import { open, readFile } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import { writeFileAtomic } from '../io/atomic'
import { decodeFloat16, encodeFloat16 } from './float16'
import type { FeatureMap } from './runtime'
import type { SampleRecipe } from './recipe'

export const FEATURE_CACHE_FILE = 'features.f16'
export const FEATURE_CACHE_FORMAT = 'twinlight-features'
const MAGIC = 'TLFEAT01'
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export interface FeatureCacheHeader {
  format: typeof FEATURE_CACHE_FORMAT
  version: 1
  sampleId: string
  seed: number
  generatorSha256: string
  recipeHash: string
  dtype: 'float16'
  byteOrder: 'little'
  createdAt: string
  features: { name: string; shape: [1, number, number, number]; offset: number }[]
}

/** sha256 of the seed and recipe, with object keys sorted (so it does not depend on key order). */
export function recipeHash(seed: number, recipe: SampleRecipe): string {
  return createHash('sha256').update(stableStringify({ seed, recipe })).digest('hex')
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export async function writeFeatureCache(
  path: string,
  meta: Pick<FeatureCacheHeader, 'sampleId' | 'seed' | 'generatorSha256' | 'recipeHash'>,
  features: ReadonlyArray<[string, FeatureMap]>
): Promise<FeatureCacheHeader> {
  let offset = 0
  const entries = features.map(([name, map]) => {
    const entry = { name, shape: [...map.shape] as [1, number, number, number], offset }
    offset += map.data.length
    return entry
  })
  const header: FeatureCacheHeader = {
    format: FEATURE_CACHE_FORMAT,
    version: 1,
    ...meta,
    dtype: 'float16',
    byteOrder: 'little',
    createdAt: new Date().toISOString(),
    features: entries
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8')
  const pad = (16 - ((12 + json.length) % 16)) % 16
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const dataStart = 12 + json.length
  const out = new Uint8Array(dataStart + offset * 2)
  out.set(Buffer.from(MAGIC, 'ascii'), 0)
  new DataView(out.buffer).setUint32(8, json.length, true)
  out.set(json, 12)
  const values = new Uint16Array(out.buffer, dataStart, offset)
  for (const [i, [, map]] of features.entries()) encodeFloat16(map.data, values.subarray(entries[i].offset, entries[i].offset + map.data.length))
  if (!LITTLE_ENDIAN) swapBytes(out.subarray(dataStart))
  await writeFileAtomic(path, out)
  return header
}

/** Just the header (reads the first bytes only); null when the file is missing or not a cache. */
export async function readFeatureCacheHeader(path: string): Promise<FeatureCacheHeader | null> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch {
    return null
  }
  try {
    const head = Buffer.alloc(12)
    const { bytesRead } = await handle.read(head, 0, 12, 0)
    if (bytesRead < 12 || head.toString('ascii', 0, 8) !== MAGIC) return null
    const length = head.readUInt32LE(8)
    if (length > 16 * 1024 * 1024) return null
    const json = Buffer.alloc(length)
    const read = await handle.read(json, 0, length, 12)
    if (read.bytesRead < length) return null
    return parseHeader(json.toString('utf8'))
  } catch {
    return null
  } finally {
    await handle.close()
  }
}

function parseHeader(text: string): FeatureCacheHeader | null {
  try {
    const header = JSON.parse(text) as FeatureCacheHeader
    if (header.format !== FEATURE_CACHE_FORMAT || header.version !== 1 || header.dtype !== 'float16' || !Array.isArray(header.features)) return null
    return header
  } catch {
    return null
  }
}

/** Reads the cache; `names` selects features (all by default). Null when missing, damaged or lacking a feature. */
export async function readFeatureCache(path: string, names?: readonly string[]): Promise<{ header: FeatureCacheHeader; features: Map<string, FeatureMap> } | null> {
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch {
    return null
  }
  if (bytes.length < 12 || bytes.toString('ascii', 0, 8) !== MAGIC) return null
  const length = bytes.readUInt32LE(8)
  if (12 + length > bytes.length) return null
  const header = parseHeader(bytes.toString('utf8', 12, 12 + length))
  if (!header) return null
  const dataStart = 12 + length
  const total = (bytes.length - dataStart) / 2
  if (!Number.isInteger(total)) return null
  // Copy to an aligned buffer (Buffer pools are not 2-byte aligned in general).
  const raw = new Uint8Array(bytes.length - dataStart)
  raw.set(bytes.subarray(dataStart))
  if (!LITTLE_ENDIAN) swapBytes(raw)
  const values = new Uint16Array(raw.buffer, 0, total)
  const wanted = names ?? header.features.map((f) => f.name)
  const features = new Map<string, FeatureMap>()
  for (const name of wanted) {
    const entry = header.features.find((f) => f.name === name)
    if (!entry) return null
    const count = entry.shape.reduce((a, b) => a * b, 1)
    if (entry.offset + count > total) return null
    features.set(name, { data: decodeFloat16(values.subarray(entry.offset, entry.offset + count)), shape: entry.shape })
  }
  return { header, features }
}

function swapBytes(bytes: Uint8Array): void {
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const t = bytes[i]
    bytes[i] = bytes[i + 1]
    bytes[i + 1] = t
  }
}
