// The trained interpreter on disk, and the training checkpoints.
//
// Model: <dir>/model.json + <dir>/model.bin (float32 little-endian, the parameters one after the
// other; model.json lists name, shape and offset of each and the sha256 of model.bin). model.bin
// is written first, so a model.json always describes a complete model.bin.
//
// Checkpoint: a single file (written atomically) "TLCKPT01" + uint32 header length + JSON
// header + padding to 16 bytes + float32 data: parameters, Adam moments and the trainer state,
// plus whatever the caller keeps in `extra` (the training job's phase, finished folds…).
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { InterpreterConfig } from '../../../shared/interpreter'
import { writeFileAtomic, writeJsonAtomic } from '../io/atomic'
import type { FeatureLayout } from './layout'
import { PARAM_NAMES, TRAINABLE, packArrays, paramShapes, unpackArrays, type EnsembleDims, type EnsembleParams, type PackedEntry, type ParamName } from './model'
import type { TrainerSnapshot, TrainerState } from './trainer'

export const MODEL_FORMAT = 'twinlight-interpreter'
export const MODEL_JSON = 'model.json'
export const MODEL_BIN = 'model.bin'

export interface InterpreterModelMeta {
  format: typeof MODEL_FORMAT
  version: 1
  createdAt: string
  /** sha256 of the generator whose features it reads (null: synthetic/unknown). */
  generatorSha256: string | null
  classes: { id: number; name: string }[]
  layout: FeatureLayout
  dims: EnsembleDims
  config: InterpreterConfig | null
  bnEpsilon: number
  tensors: PackedEntry[]
  binSha256: string
  /** Free-form training facts (samples, steps, seconds…). */
  training?: Record<string, unknown>
}

export interface InterpreterModel {
  meta: InterpreterModelMeta
  params: EnsembleParams
}

export class ModelFileError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ModelFileError'
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

function floatBytes(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  if (LITTLE_ENDIAN) return bytes
  const copy = bytes.slice()
  for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse()
  return copy
}

function bytesToFloats(bytes: Uint8Array): Float32Array {
  // A fresh, aligned copy (Buffer#slice would share the – possibly pooled – memory).
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  if (!LITTLE_ENDIAN) for (let i = 0; i < copy.length; i += 4) copy.subarray(i, i + 4).reverse()
  return new Float32Array(copy.buffer, 0, Math.floor(copy.length / 4))
}

export async function saveModel(dir: string, model: Omit<InterpreterModelMeta, 'format' | 'version' | 'tensors' | 'binSha256' | 'bnEpsilon'> & { params: EnsembleParams; bnEpsilon: number }): Promise<InterpreterModelMeta> {
  const shapes = paramShapes(model.dims)
  const { entries, data } = packArrays(PARAM_NAMES.map((n) => [n, model.params[n], shapes[n]]))
  const bytes = floatBytes(data)
  await writeFileAtomic(join(dir, MODEL_BIN), bytes)
  const { params: _params, ...rest } = model
  const meta: InterpreterModelMeta = { format: MODEL_FORMAT, version: 1, ...rest, tensors: entries, binSha256: createHash('sha256').update(bytes).digest('hex') }
  await writeJsonAtomic(join(dir, MODEL_JSON), meta)
  return meta
}

/**
 * The metadata a run's ONNX exports carry (the fp32 one written at training, the int8 one built
 * for datasets, engine/dataset/project.ts): the generator and classes the model was trained for
 * and the run.
 */
export function exportMetadata(model: { generatorSha256: string | null; classes: readonly { id: number; name: string }[] }, runId: string): Record<string, string> {
  return { twinlight: JSON.stringify({ generatorSha256: model.generatorSha256, classes: model.classes.map((c) => ({ id: c.id, name: c.name })), runId }) }
}

export async function readModelMeta(dir: string): Promise<InterpreterModelMeta> {
  let meta: InterpreterModelMeta
  try {
    meta = JSON.parse(await readFile(join(dir, MODEL_JSON), 'utf8'))
  } catch (error) {
    throw new ModelFileError(`no interpreter model in ${dir}: ${(error as Error).message}`)
  }
  if (meta.format !== MODEL_FORMAT || meta.version !== 1) throw new ModelFileError(`${join(dir, MODEL_JSON)} is not a Twinlight interpreter model (format ${String(meta.format)} v${String(meta.version)})`)
  return meta
}

export async function loadModel(dir: string): Promise<InterpreterModel> {
  const meta = await readModelMeta(dir)
  const bytes = await readFile(join(dir, MODEL_BIN)).catch((error: Error) => {
    throw new ModelFileError(`${join(dir, MODEL_BIN)} cannot be read: ${error.message}`)
  })
  const sha = createHash('sha256').update(bytes).digest('hex')
  if (sha !== meta.binSha256) throw new ModelFileError(`${join(dir, MODEL_BIN)} does not match ${MODEL_JSON} (damaged or from another save)`)
  const arrays = unpackArrays(meta.tensors, bytesToFloats(bytes))
  const shapes = paramShapes(meta.dims)
  const params = {} as EnsembleParams
  for (const n of PARAM_NAMES) {
    const a = arrays.get(n)
    const expected = shapes[n].reduce((x, y) => x * y, 1)
    if (!a || a.length !== expected) throw new ModelFileError(`${join(dir, MODEL_BIN)}: parameter ${n} is missing or has the wrong size`)
    params[n] = a
  }
  return { meta, params }
}

// ------------------------------------------------------------------------------ checkpoints

const CKPT_MAGIC = 'TLCKPT01'

export interface CheckpointHeader {
  format: 'twinlight-interpreter-checkpoint'
  version: 1
  savedAt: string
  dims: EnsembleDims
  state: TrainerState
  tensors: PackedEntry[]
  extra: unknown
}

export async function writeCheckpoint(path: string, dims: EnsembleDims, snapshot: TrainerSnapshot, extra: unknown): Promise<void> {
  const shapes = paramShapes(dims)
  const arrays: Array<[string, Float32Array, number[]]> = PARAM_NAMES.map((n) => [`p.${n}`, snapshot.params[n], shapes[n]])
  for (const n of TRAINABLE) {
    if (snapshot.adamM[n]) arrays.push([`m.${n}`, snapshot.adamM[n]!, shapes[n]])
    if (snapshot.adamV[n]) arrays.push([`v.${n}`, snapshot.adamV[n]!, shapes[n]])
  }
  const { entries, data } = packArrays(arrays)
  const header: CheckpointHeader = { format: 'twinlight-interpreter-checkpoint', version: 1, savedAt: new Date().toISOString(), dims, state: snapshot.state, tensors: entries, extra }
  // JSON cannot hold Infinity (a member's best loss before its first plateau step).
  let json = Buffer.from(JSON.stringify(header, (_k, v) => (v === Infinity ? '__inf__' : v)), 'utf8')
  const pad = (16 - ((12 + json.length) % 16)) % 16
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)])
  const out = new Uint8Array(12 + json.length + data.byteLength)
  out.set(Buffer.from(CKPT_MAGIC, 'ascii'), 0)
  new DataView(out.buffer).setUint32(8, json.length, true)
  out.set(json, 12)
  out.set(floatBytes(data), 12 + json.length)
  await writeFileAtomic(path, out)
}

export interface LoadedCheckpoint {
  header: CheckpointHeader
  snapshot: TrainerSnapshot
}

/** null when there is no checkpoint file; throws on a damaged one. */
export async function readCheckpoint(path: string): Promise<LoadedCheckpoint | null> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch {
    return null
  }
  if (bytes.length < 12 || Buffer.from(bytes.subarray(0, 8)).toString('ascii') !== CKPT_MAGIC) throw new ModelFileError(`${path} is not an interpreter checkpoint`)
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true)
  const header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + length)).toString('utf8'), (_k, v) => (v === '__inf__' ? Infinity : v)) as CheckpointHeader
  const arrays = unpackArrays(header.tensors, bytesToFloats(bytes.subarray(12 + length)))
  const params = {} as EnsembleParams
  for (const n of PARAM_NAMES) {
    const a = arrays.get(`p.${n}`)
    if (!a) throw new ModelFileError(`${path}: parameter ${n} is missing`)
    params[n] = a
  }
  const adamM: Partial<Record<ParamName, Float32Array>> = {}
  const adamV: Partial<Record<ParamName, Float32Array>> = {}
  for (const n of TRAINABLE) {
    const m = arrays.get(`m.${n}`)
    const v = arrays.get(`v.${n}`)
    if (m) adamM[n] = m
    if (v) adamV[n] = v
  }
  return { header, snapshot: { state: header.state, params, adamM, adamV } }
}
