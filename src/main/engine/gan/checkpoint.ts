// Checkpoint files of the generator trainer: everything a run needs to continue exactly as if
// it had never stopped – G, G_ema, every D, each Adam optimiser's moments and step count, the
// w_avg / condition buffers, the PRNG state, the step and the config.
//
// Format (little-endian):
//   8 bytes   magic "TLGANCK1"
//   uint32    header length H (bytes)
//   H bytes   header JSON (CheckpointHeader), UTF-8
//   padding   to a multiple of 4
//   data      float32 values of every tensor, in header order
// The header carries the SHA-256 of the data section, so a truncated or altered file is
// refused with a clear message instead of resuming from garbage. Files are written atomically.
import { createHash } from 'node:crypto'
import { readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../io/atomic'
import type { GanConfig } from './config'
import type { PrngState } from './prng'

export const CHECKPOINT_MAGIC = 'TLGANCK1'
export const CHECKPOINT_FORMAT = 'twinlight-gan-checkpoint'
export const CHECKPOINT_VERSION = 1

export class GanCheckpointError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GanCheckpointError'
  }
}

export interface CheckpointTensorEntry {
  name: string
  shape: number[]
  /** Offset in float32 elements from the start of the data section. */
  offset: number
  length: number
}

export interface CheckpointHeader {
  format: typeof CHECKPOINT_FORMAT
  version: typeof CHECKPOINT_VERSION
  step: number
  imagesSeen: number
  /** Wall-clock seconds of training so far (all sessions). */
  trainSeconds: number
  createdAt: string
  config: GanConfig
  prng: PrngState
  /** Adam step count per optimiser ('G', 'D.rgb', …). */
  optimizerSteps: Record<string, number>
  conditionSize: number
  tensors: CheckpointTensorEntry[]
  dataSha256: string
}

export interface CheckpointContents {
  header: Omit<CheckpointHeader, 'format' | 'version' | 'tensors' | 'dataSha256'>
  tensors: Map<string, { shape: number[]; data: Float32Array }>
}

export function encodeCheckpoint(contents: CheckpointContents): Uint8Array {
  const entries: CheckpointTensorEntry[] = []
  let total = 0
  for (const [name, t] of contents.tensors) {
    const expected = t.shape.reduce((a, b) => a * b, 1)
    if (expected !== t.data.length) throw new GanCheckpointError(`tensor ${name}: shape [${t.shape}] holds ${expected} values, data has ${t.data.length}`)
    entries.push({ name, shape: t.shape, offset: total, length: t.data.length })
    total += t.data.length
  }
  const data = new Float32Array(total)
  for (const e of entries) data.set(contents.tensors.get(e.name)!.data, e.offset)
  const dataBytes = new Uint8Array(data.buffer)
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new GanCheckpointError('checkpoints need a little-endian machine')
  const header: CheckpointHeader = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...contents.header,
    tensors: entries,
    dataSha256: createHash('sha256').update(dataBytes).digest('hex')
  }
  const headerBytes = new TextEncoder().encode(JSON.stringify(header))
  const pad = (4 - ((8 + 4 + headerBytes.length) % 4)) % 4
  const out = new Uint8Array(8 + 4 + headerBytes.length + pad + dataBytes.length)
  out.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0)
  new DataView(out.buffer).setUint32(8, headerBytes.length, true)
  out.set(headerBytes, 12)
  out.set(dataBytes, 12 + headerBytes.length + pad)
  return out
}

export function decodeCheckpoint(bytes: Uint8Array, where = 'checkpoint'): CheckpointContents & { header: CheckpointHeader } {
  const damaged = (why: string): GanCheckpointError => new GanCheckpointError(`${where} is damaged or not a Twinlight checkpoint: ${why}`)
  if (bytes.length < 12) throw damaged(`the file is only ${bytes.length} bytes`)
  if (new TextDecoder().decode(bytes.subarray(0, 8)) !== CHECKPOINT_MAGIC) throw damaged('wrong magic bytes')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(8, true)
  if (12 + headerLength > bytes.length) throw damaged('the header runs past the end of the file (truncated?)')
  let header: CheckpointHeader
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength))) as CheckpointHeader
  } catch (error) {
    throw damaged(`the header is not JSON (${(error as Error).message})`)
  }
  if (header.format !== CHECKPOINT_FORMAT) throw damaged(`format "${String(header.format)}"`)
  if (header.version !== CHECKPOINT_VERSION) {
    throw new GanCheckpointError(`${where} has checkpoint version ${String(header.version)}; this Twinlight reads version ${CHECKPOINT_VERSION}`)
  }
  if (!Array.isArray(header.tensors)) throw damaged('no tensor table')
  const pad = (4 - ((12 + headerLength) % 4)) % 4
  const start = 12 + headerLength + pad
  const total = header.tensors.reduce((n, t) => Math.max(n, t.offset + t.length), 0)
  if (bytes.length - start !== total * 4) throw damaged(`the data section has ${bytes.length - start} bytes, the header describes ${total * 4} (truncated?)`)
  const dataBytes = bytes.slice(start)
  const sha = createHash('sha256').update(dataBytes).digest('hex')
  if (sha !== header.dataSha256) throw damaged('the data checksum does not match (the file was altered or partly written)')
  const data = new Float32Array(dataBytes.buffer, dataBytes.byteOffset, total)
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>()
  for (const e of header.tensors) {
    if (e.shape.reduce((a, b) => a * b, 1) !== e.length) throw damaged(`tensor ${e.name} has a shape that does not match its length`)
    tensors.set(e.name, { shape: e.shape, data: data.slice(e.offset, e.offset + e.length) })
  }
  return { header, tensors }
}

const FILE_PATTERN = /^step-(\d{8,})\.ckpt$/

export function checkpointFileName(step: number): string {
  return `step-${String(step).padStart(8, '0')}.ckpt`
}

/** Checkpoint files of a run folder, oldest first. */
export async function listCheckpoints(runDir: string): Promise<{ step: number; path: string }[]> {
  const dir = join(runDir, 'checkpoints')
  let files: string[]
  try {
    files = await readdir(dir)
  } catch {
    return []
  }
  return files
    .map((f) => ({ m: FILE_PATTERN.exec(f), f }))
    .filter((x): x is { m: RegExpExecArray; f: string } => x.m !== null)
    .map((x) => ({ step: Number(x.m[1]), path: join(dir, x.f) }))
    .sort((a, b) => a.step - b.step)
}

export async function writeCheckpoint(runDir: string, contents: CheckpointContents, keep: number): Promise<string> {
  const path = join(runDir, 'checkpoints', checkpointFileName(contents.header.step))
  await writeFileAtomic(path, encodeCheckpoint(contents))
  const all = await listCheckpoints(runDir)
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await rm(old.path, { force: true })
  return path
}

export async function readCheckpoint(path: string): Promise<CheckpointContents & { header: CheckpointHeader }> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new GanCheckpointError(`cannot read checkpoint ${path}: ${(error as Error).message}`)
  }
  return decodeCheckpoint(bytes, `checkpoint ${path}`)
}

/** The newest checkpoint of a run folder, or null when it has none. */
export async function latestCheckpoint(runDir: string): Promise<string | null> {
  const all = await listCheckpoints(runDir)
  return all.length > 0 ? all[all.length - 1].path : null
}
