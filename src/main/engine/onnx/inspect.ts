// Reads the interface of an ONNX model (inputs, outputs, opset, producer) by decoding the
// ModelProto with onnx-proto. No onnxruntime session is created, so this is cheap, works on
// any machine, and a corrupt or foreign file gets a clear OnnxFormatError instead of a
// native runtime error.
import { onnx, elemTypeFromCode, int64ToNumber, type Dim, type OnnxElemType } from './types'

export type { Dim, OnnxElemType } from './types'

export class OnnxFormatError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OnnxFormatError'
  }
}

export interface OnnxTensorInfo {
  name: string
  /** 'unknown' for a non-tensor value (sequence, map, optional) or an unrecognised type code. */
  elemType: OnnxElemType
  /** Declared shape: fixed sizes, symbolic names ('N', 'batch'), null for unnamed unknown dims; null when the rank itself is not declared. */
  shape: Dim[] | null
}

export interface OnnxGraphInfo {
  /** Graph inputs the caller must feed: inputs that are also initializers are left out. */
  inputs: OnnxTensorInfo[]
  outputs: OnnxTensorInfo[]
  /** Opset of the default (ai.onnx) domain. */
  opset: number
  /** Every imported opset by domain ('' for ai.onnx). */
  opsets: Record<string, number>
  irVersion: number
  producer: string
  producerVersion: string
  /** Distinct op types of the main graph's nodes, sorted ('Conv', 'Gemm', 'com.microsoft:FusedConv'). */
  opTypes: string[]
  metadata: Record<string, string>
}

export function inspectOnnx(bytes: Uint8Array): OnnxGraphInfo {
  let model: onnx.ModelProto
  try {
    model = onnx.ModelProto.decode(bytes)
  } catch (error) {
    throw new OnnxFormatError(`not an ONNX model: ${error instanceof Error ? error.message : String(error)}`)
  }
  const graph = model.graph
  if (!graph) throw new OnnxFormatError('ONNX model has no graph')

  const opsets: Record<string, number> = {}
  for (const entry of model.opsetImport) {
    const domain = entry.domain === 'ai.onnx' ? '' : (entry.domain ?? '')
    opsets[domain] = int64ToNumber(entry.version)
  }
  const opset = opsets['']
  if (opset === undefined) throw new OnnxFormatError('ONNX model imports no opset for the default (ai.onnx) domain')

  const initialized = new Set<string>()
  for (const t of graph.initializer ?? []) if (t.name) initialized.add(t.name)
  for (const t of graph.sparseInitializer ?? []) if (t.values?.name) initialized.add(t.values.name)

  const opTypes = new Set<string>()
  for (const node of graph.node ?? []) {
    const domain = node.domain === 'ai.onnx' ? '' : (node.domain ?? '')
    opTypes.add(domain ? `${domain}:${node.opType}` : (node.opType ?? ''))
  }

  const metadata: Record<string, string> = {}
  for (const entry of model.metadataProps) if (entry.key) metadata[entry.key] = entry.value ?? ''

  return {
    inputs: (graph.input ?? []).filter((v) => !initialized.has(v.name ?? '')).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
    opset,
    opsets,
    irVersion: int64ToNumber(model.irVersion),
    producer: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    opTypes: [...opTypes].sort(),
    metadata
  }
}

function tensorInfo(value: onnx.IValueInfoProto): OnnxTensorInfo {
  const tensor = value.type?.tensorType
  const name = value.name ?? ''
  if (!tensor) return { name, elemType: 'unknown', shape: null }
  const shape = tensor.shape ? (tensor.shape.dim ?? []).map(dimension) : null
  return { name, elemType: elemTypeFromCode(tensor.elemType), shape }
}

function dimension(dim: onnx.TensorShapeProto.IDimension): Dim {
  // dim_value and dim_param are a oneof; decoded messages say which one is set in `value`.
  const which = (dim as onnx.TensorShapeProto.Dimension).value
  if (which === 'dimValue') return int64ToNumber(dim.dimValue)
  if (which === 'dimParam') return dim.dimParam ? dim.dimParam : null
  return null
}
