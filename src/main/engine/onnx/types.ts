// Shared vocabulary of the ONNX writer (builder.ts) and reader (inspect.ts): element types
// by name instead of ONNX's numeric TensorProto.DataType codes, and dimensions that are a
// fixed size, a symbolic name ('N') or unknown (null).
import onnxProto from 'onnx-proto'

// onnx-proto is CommonJS (module.exports = root): take the default export, then alias the namespace
// so both its classes and its interfaces (onnx.IModelProto, ...) are usable.
export import onnx = onnxProto.onnx

/** One dimension of a declared shape: fixed size, symbolic name (e.g. 'N' for batch), or unknown. */
export type Dim = number | string | null

/** Element types the writer can declare. Names follow onnxruntime-node's tensor type names. */
export type ElemType =
  | 'float32'
  | 'float16'
  | 'bfloat16'
  | 'float64'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'string'

/**
 * Element types the reader may report: everything the writer knows plus the newer and rarer
 * ONNX types, and 'unknown' for code 0, codes newer than this table, or a non-tensor value
 * (sequence, map, optional).
 */
export type OnnxElemType =
  | ElemType
  | 'complex64'
  | 'complex128'
  | 'float8e4m3fn'
  | 'float8e4m3fnuz'
  | 'float8e5m2'
  | 'float8e5m2fnuz'
  | 'uint4'
  | 'int4'
  | 'float4e2m1'
  | 'unknown'

// ONNX TensorProto.DataType codes (onnx.proto3; codes above 16 postdate onnx-proto's copy).
const CODES: Record<Exclude<OnnxElemType, 'unknown'>, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
  complex64: 14,
  complex128: 15,
  bfloat16: 16,
  float8e4m3fn: 17,
  float8e4m3fnuz: 18,
  float8e5m2: 19,
  float8e5m2fnuz: 20,
  uint4: 21,
  int4: 22,
  float4e2m1: 23
}

const BY_CODE = new Map<number, OnnxElemType>(Object.entries(CODES).map(([name, code]) => [code, name as OnnxElemType]))

export function elemTypeCode(type: ElemType): number {
  return CODES[type]
}

export function elemTypeFromCode(code: number | null | undefined): OnnxElemType {
  return (code != null && BY_CODE.get(code)) || 'unknown'
}

/** protobufjs decodes int64 fields as numbers or as Long objects (when the `long` package is present). */
export function int64ToNumber(value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'bigint') return Number(value)
  if (value && typeof value === 'object' && 'toNumber' in value && typeof value.toNumber === 'function') {
    return Number(value.toNumber())
  }
  if (typeof value === 'string') return Number(value)
  return Number.NaN
}

/** Renders a shape the way error messages quote it: [N, 3, 256, 256], '?' for unknown dims. */
export function formatShape(shape: readonly Dim[] | null): string {
  if (shape === null) return '(unknown rank)'
  return `[${shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]`
}
