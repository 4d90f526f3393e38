// A small typed ONNX graph writer. Builds a ModelProto with onnx-proto (protobufjs) and
// encodes it to bytes that onnxruntime loads directly - no Python, no onnx package.
//
//   const g = new OnnxBuilder()
//   const z = g.input('z', 'float32', ['N', 8])
//   const w = g.constant(weights, [8, 16], 'fc.weight')
//   g.output(g.tanh(g.gemm(z, w)), 'y', ['N', 16])
//   const bytes = g.build()
//
// Values are handles ({ name, elemType }); every helper appends one node (plus the constant
// initializers it needs) and returns its output handle, so nodes are always in topological
// order. Intermediate names are generated ('Conv_3', 'gemm.out_7'); pass { name } to a helper
// to give its output a fixed name (e.g. a feature tap the generator manifest refers to).
//
// Opset: 17 by default (onnxruntime-node 1.30 implements opsets up to 23; 17 is what torch
// exports today and is the last opset before the Reduce* axes moved to inputs). Any opset from
// 13 to 21 is accepted and the helpers emit the form that opset wants (Squeeze/Unsqueeze/
// ReduceSum axes as inputs since 13, the other Reduce* axes as inputs since 18). IR version
// follows the opset: 8 up to opset 18, 9 for 19-20, 10 for 21.
//
// Determinism: no random ops (RandomNormal[Like], RandomUniform[Like], Multinomial, Bernoulli)
// can be emitted, not even through the generic node() helper - noise must come in as a graph
// input or an initializer. The same sequence of calls always encodes to the same bytes.
import { onnx, elemTypeCode, type Dim, type ElemType } from './types'

export type { Dim, ElemType } from './types'

/** Handle to a value in the graph under construction. */
export interface OnnxValue {
  readonly name: string
  readonly elemType: ElemType
}

/** Options every op helper takes: a fixed name for its output value. */
export interface OpOptions {
  name?: string
}

export interface BuilderOptions {
  /** Default-domain opset, 13..21. Default 17. */
  opset?: number
  graphName?: string
  producerVersion?: string
  docString?: string
  /** Stored as ModelProto.metadata_props (inspectOnnx reports it back). */
  metadata?: Record<string, string>
}

export class OnnxBuilderError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'OnnxBuilderError'
  }
}

export const PRODUCER_NAME = 'twinlight'
export const DEFAULT_OPSET = 17
export const MIN_OPSET = 13
export const MAX_OPSET = 21

/** Ops that draw random numbers inside the graph; the studio's generators must be deterministic. */
export const NONDETERMINISTIC_OPS: ReadonlySet<string> = new Set([
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli'
])

type Attribute = onnx.IAttributeProto
const AT = onnx.AttributeProto.AttributeType

/** Typed constructors for node attributes, for the generic {@link OnnxBuilder.node} helper. */
export const attr = {
  int: (name: string, value: number): Attribute => ({ name, type: AT.INT, i: checkInt(name, value) }),
  ints: (name: string, values: readonly number[]): Attribute => ({ name, type: AT.INTS, ints: values.map((v) => checkInt(name, v)) }),
  float: (name: string, value: number): Attribute => ({ name, type: AT.FLOAT, f: value }),
  floats: (name: string, values: readonly number[]): Attribute => ({ name, type: AT.FLOATS, floats: [...values] }),
  string: (name: string, value: string): Attribute => ({ name, type: AT.STRING, s: new TextEncoder().encode(value) })
}

function checkInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value)) throw new OnnxBuilderError(`attribute ${name}: ${value} is not an integer`)
  return value
}

/** Typed arrays an initializer can be made from, and the element type each one becomes. */
export type InitializerData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array

function elemTypeOfArray(data: InitializerData): ElemType {
  if (data instanceof Float32Array) return 'float32'
  if (data instanceof Float64Array) return 'float64'
  if (data instanceof Int8Array) return 'int8'
  if (data instanceof Uint8Array) return 'uint8'
  if (data instanceof Int16Array) return 'int16'
  if (data instanceof Uint16Array) return 'uint16'
  if (data instanceof Int32Array) return 'int32'
  if (data instanceof Uint32Array) return 'uint32'
  if (data instanceof BigInt64Array) return 'int64'
  return 'uint64'
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// TensorProto.raw_data is little-endian whatever the host; copy (and byte-swap on a big-endian host).
function rawBytes(data: InitializerData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice()
  if (!LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    const n = data.BYTES_PER_ELEMENT
    for (let i = 0; i < bytes.length; i += n) bytes.subarray(i, i + n).reverse()
  }
  return bytes
}

export type ConvPads = number | readonly number[]

export interface ConvOptions extends OpOptions {
  /** Per spatial axis; default 1. A single number applies to every axis. */
  strides?: number | readonly number[]
  /** ONNX order [begin_0, begin_1, ..., end_0, end_1, ...]; a single number pads every side. Default 0. */
  pads?: ConvPads
  dilations?: number | readonly number[]
  group?: number
  /** Only needed when the weight's shape is not an initializer the runtime can see; normally omitted. */
  kernelShape?: readonly number[]
}

export interface FusedConvOptions extends ConvOptions {
  /** Added to the convolution before the activation (same shape as the output). */
  sum?: OnnxValue | null
  /** Fused activation; those without parameters. Default none. */
  activation?: 'Relu' | 'Sigmoid' | 'Tanh'
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: number | readonly number[]
}

export interface ResizeOptions extends OpOptions {
  /** 'nearest' defaults to asymmetric + floor (PyTorch's nearest); 'linear' to half_pixel (align_corners=False). */
  mode: 'nearest' | 'linear'
  /** One scale per axis, N and C included (e.g. [1, 1, 2, 2]); or a float32 value. Exactly one of scales/sizes. */
  scales?: readonly number[] | OnnxValue
  /** Output size per axis, N and C included; or an int64 value. */
  sizes?: readonly number[] | OnnxValue
  coordinateTransformationMode?: 'half_pixel' | 'pytorch_half_pixel' | 'align_corners' | 'asymmetric' | 'tf_crop_and_resize'
  nearestMode?: 'round_prefer_floor' | 'round_prefer_ceil' | 'floor' | 'ceil'
}

export interface GemmOptions extends OpOptions {
  alpha?: number
  beta?: number
  transA?: boolean
  transB?: boolean
}

export interface NodeOptions {
  /** Number of outputs; default 1. */
  outputs?: number
  /** Element type of the outputs; default that of the first input. */
  elemType?: ElemType | readonly ElemType[]
  /** Fixed output names (one per output); generated otherwise. */
  names?: readonly (string | undefined)[]
  domain?: string
}

type IntList = readonly (number | bigint)[]

export class OnnxBuilder {
  readonly opset: number
  private readonly options: BuilderOptions
  private readonly nodes: onnx.INodeProto[] = []
  private readonly initializers: onnx.ITensorProto[] = []
  private readonly inputs: onnx.IValueInfoProto[] = []
  private readonly outputs: onnx.IValueInfoProto[] = []
  private readonly valueInfos: onnx.IValueInfoProto[] = []
  /** Every value name in use (inputs, initializers, node outputs) and every node name. */
  private readonly names = new Set<string>()
  private readonly nodeNames = new Set<string>()
  private readonly defined = new Map<string, ElemType>()
  private counter = 0

  constructor(options: BuilderOptions = {}) {
    const opset = options.opset ?? DEFAULT_OPSET
    if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
      throw new OnnxBuilderError(`opset ${opset} is not supported (use ${MIN_OPSET}..${MAX_OPSET})`)
    }
    this.opset = opset
    this.options = options
  }

  // ---------------------------------------------------------------- names

  /** A value name not used yet, derived from the hint ('conv' -> 'conv_4'). */
  uniqueName(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v'
    for (;;) {
      const name = `${base}_${this.counter++}`
      if (!this.names.has(name)) return name
    }
  }

  private claim(name: string, what: string): string {
    if (name === '') throw new OnnxBuilderError(`${what} needs a non-empty name`)
    if (this.names.has(name)) throw new OnnxBuilderError(`${what} "${name}": the name is already used in this graph`)
    this.names.add(name)
    return name
  }

  private use(value: OnnxValue, op: string): string {
    if (this.defined.get(value.name) === undefined) {
      throw new OnnxBuilderError(`${op}: input "${value.name}" is not a value of this graph`)
    }
    return value.name
  }

  // ---------------------------------------------------------------- graph interface

  /** Declares a graph input. Use a string dim ('N') for a symbolic size, null for an unknown one. */
  input(name: string, elemType: ElemType, shape: readonly Dim[]): OnnxValue {
    this.claim(name, 'input')
    this.inputs.push(valueInfo(name, elemType, shape))
    this.defined.set(name, elemType)
    return { name, elemType }
  }

  /**
   * Declares a graph output. If `name` differs from the value's name an Identity node renames
   * it. `shape` is recorded in the model (inspectOnnx and manifest validation read it); omit
   * it only when the rank really is unknown.
   */
  output(value: OnnxValue, name: string = value.name, shape?: readonly Dim[]): OnnxValue {
    this.use(value, 'output')
    if (this.outputs.some((o) => o.name === name)) throw new OnnxBuilderError(`output "${name}" is declared twice`)
    const out = name === value.name ? value : this.identity(value, { name })
    this.outputs.push(valueInfo(out.name, out.elemType, shape))
    return out
  }

  /**
   * Records an intermediate value's shape in the graph (value_info). onnxruntime keeps symbolic
   * dims from it where its own inference loses them (a Reshape of a flattened batch gives an
   * unknown dim), and its memory planner reuses a buffer in place only between values whose
   * shapes it can prove equal.
   */
  declareShape(value: OnnxValue, shape: readonly Dim[]): OnnxValue {
    this.use(value, 'declareShape')
    if (this.valueInfos.some((v) => v.name === value.name)) throw new OnnxBuilderError(`the shape of "${value.name}" is declared twice`)
    this.valueInfos.push(valueInfo(value.name, value.elemType, shape))
    return value
  }

  // ---------------------------------------------------------------- initializers

  /** Adds an initializer (constant tensor). `name` fixes its name (e.g. 'b16.conv0.weight'). */
  initializer(data: InitializerData, dims: readonly number[], name?: string): OnnxValue {
    const count = dims.reduce((a, b) => a * b, 1)
    if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new OnnxBuilderError(`initializer ${name ?? ''}: bad dims [${dims.join(', ')}]`)
    if (count !== data.length) {
      throw new OnnxBuilderError(`initializer ${name ?? ''}: dims [${dims.join(', ')}] hold ${count} values, the data has ${data.length}`)
    }
    const elemType = elemTypeOfArray(data)
    const finalName = this.claim(name ?? this.uniqueName('const'), 'initializer')
    this.initializers.push({ name: finalName, dims: [...dims], dataType: elemTypeCode(elemType), rawData: rawBytes(data) })
    this.defined.set(finalName, elemType)
    return { name: finalName, elemType }
  }

  /** float32 constant; `dims` defaults to [data.length]. */
  constant(data: Float32Array | readonly number[], dims?: readonly number[], name?: string): OnnxValue {
    const array = data instanceof Float32Array ? data : Float32Array.from(data)
    return this.initializer(array, dims ?? [array.length], name)
  }

  /** float32 scalar (rank 0). */
  scalar(value: number, name?: string): OnnxValue {
    return this.initializer(Float32Array.of(value), [], name)
  }

  /** int64 constant (shapes, axes, indices); `dims` defaults to [values.length]. */
  constantInt64(values: IntList | BigInt64Array, dims?: readonly number[], name?: string): OnnxValue {
    const array = values instanceof BigInt64Array ? values : BigInt64Array.from(values, (v) => BigInt(v))
    return this.initializer(array, dims ?? [array.length], name)
  }

  private ints(values: IntList | OnnxValue): OnnxValue {
    return isValue(values) ? values : this.constantInt64(values)
  }

  // ---------------------------------------------------------------- generic node

  /**
   * Appends a node of any op. Inputs may be null for omitted optional inputs (written as '').
   * Random ops are refused (see NONDETERMINISTIC_OPS).
   */
  node(opType: string, inputs: readonly (OnnxValue | null)[], attributes: readonly Attribute[] = [], options: NodeOptions = {}): OnnxValue[] {
    if (NONDETERMINISTIC_OPS.has(opType)) {
      throw new OnnxBuilderError(`${opType} is not allowed: generators must be deterministic, pass noise as a graph input or initializer`)
    }
    const inputNames = inputs.map((v) => (v === null ? '' : this.use(v, opType)))
    while (inputNames.length > 0 && inputNames[inputNames.length - 1] === '') inputNames.pop()
    const count = options.outputs ?? 1
    const types = options.elemType
    const outputs: OnnxValue[] = []
    for (let i = 0; i < count; i++) {
      const fixed = options.names?.[i]
      const name = fixed !== undefined ? this.claim(fixed, opType + ' output') : this.claim(this.uniqueName(opType), opType + ' output')
      const elemType = (typeof types === 'string' ? types : types?.[i]) ?? inputs.find((v) => v !== null)?.elemType ?? 'float32'
      this.defined.set(name, elemType)
      outputs.push({ name, elemType })
    }
    let nodeName = `${opType}_${this.nodes.length}`
    while (this.nodeNames.has(nodeName)) nodeName += '_'
    this.nodeNames.add(nodeName)
    this.nodes.push({
      name: nodeName,
      opType,
      domain: options.domain ?? '',
      input: inputNames,
      output: outputs.map((o) => o.name),
      attribute: [...attributes]
    })
    return outputs
  }

  private op(opType: string, inputs: readonly (OnnxValue | null)[], attributes: readonly Attribute[], options: OpOptions | undefined, elemType?: ElemType): OnnxValue {
    return this.node(opType, inputs, attributes, { names: [options?.name], elemType })[0]!
  }

  // ---------------------------------------------------------------- arithmetic (numpy broadcasting)

  add(a: OnnxValue, b: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Add', [a, b], [], options)
  }
  sub(a: OnnxValue, b: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Sub', [a, b], [], options)
  }
  mul(a: OnnxValue, b: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Mul', [a, b], [], options)
  }
  div(a: OnnxValue, b: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Div', [a, b], [], options)
  }
  pow(a: OnnxValue, exponent: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Pow', [a, exponent], [], options)
  }
  /** Remainder; integer Mod takes the divisor's sign (Python %), fmod=true takes the dividend's (C fmod, required for floats). */
  mod(a: OnnxValue, b: OnnxValue, options: OpOptions & { fmod?: boolean } = {}): OnnxValue {
    return this.op('Mod', [a, b], options.fmod ? [attr.int('fmod', 1)] : [], options)
  }
  matMul(a: OnnxValue, b: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('MatMul', [a, b], [], options)
  }

  /** Y = alpha * A' * B' + beta * C, A' = transA ? Aᵀ : A. C is optional and broadcasts to [M, N]. */
  gemm(a: OnnxValue, b: OnnxValue, c?: OnnxValue | null, options: GemmOptions = {}): OnnxValue {
    const attributes: Attribute[] = []
    if (options.alpha !== undefined) attributes.push(attr.float('alpha', options.alpha))
    if (options.beta !== undefined) attributes.push(attr.float('beta', options.beta))
    if (options.transA) attributes.push(attr.int('transA', 1))
    if (options.transB) attributes.push(attr.int('transB', 1))
    return this.op('Gemm', [a, b, c ?? null], attributes, options)
  }

  // ---------------------------------------------------------------- elementwise

  relu(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Relu', [x], [], options)
  }
  leakyRelu(x: OnnxValue, alpha = 0.01, options?: OpOptions): OnnxValue {
    return this.op('LeakyRelu', [x], [attr.float('alpha', alpha)], options)
  }
  sigmoid(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Sigmoid', [x], [], options)
  }
  tanh(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Tanh', [x], [], options)
  }
  sqrt(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Sqrt', [x], [], options)
  }
  reciprocal(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Reciprocal', [x], [], options)
  }
  neg(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Neg', [x], [], options)
  }
  abs(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Abs', [x], [], options)
  }
  exp(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Exp', [x], [], options)
  }
  log(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Log', [x], [], options)
  }
  sin(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Sin', [x], [], options)
  }
  floor(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Floor', [x], [], options)
  }
  identity(x: OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Identity', [x], [], options)
  }
  cast(x: OnnxValue, to: ElemType, options?: OpOptions): OnnxValue {
    return this.op('Cast', [x], [attr.int('to', elemTypeCode(to))], options, to)
  }

  /** Clamps to [min, max]; bounds are numbers (made into scalars of x's type, float32 only) or values. */
  clip(x: OnnxValue, min?: number | OnnxValue | null, max?: number | OnnxValue | null, options?: OpOptions): OnnxValue {
    const bound = (v: number | OnnxValue | null | undefined): OnnxValue | null => {
      if (v === null || v === undefined) return null
      if (isValue(v)) return v
      if (x.elemType !== 'float32') throw new OnnxBuilderError(`clip: numeric bounds need a float32 input, "${x.name}" is ${x.elemType}`)
      return this.scalar(v)
    }
    return this.op('Clip', [x, bound(min), bound(max)], [], options)
  }

  softmax(x: OnnxValue, axis = -1, options?: OpOptions): OnnxValue {
    return this.op('Softmax', [x], [attr.int('axis', axis)], options)
  }

  /** int64 indices of the maxima along `axis`. */
  argMax(x: OnnxValue, axis = 0, keepdims = true, options?: OpOptions): OnnxValue {
    return this.op('ArgMax', [x], [attr.int('axis', axis), attr.int('keepdims', keepdims ? 1 : 0)], options, 'int64')
  }

  // ---------------------------------------------------------------- reductions

  /** Sum over `axes` (all axes when empty). Axes are an input since opset 13. */
  reduceSum(x: OnnxValue, axes: readonly number[], keepdims = true, options?: OpOptions): OnnxValue {
    return this.reduce('ReduceSum', 13, x, axes, keepdims, options)
  }
  /** Mean over `axes`. Axes are an attribute before opset 18, an input from 18 on. */
  reduceMean(x: OnnxValue, axes: readonly number[], keepdims = true, options?: OpOptions): OnnxValue {
    return this.reduce('ReduceMean', 18, x, axes, keepdims, options)
  }
  reduceMax(x: OnnxValue, axes: readonly number[], keepdims = true, options?: OpOptions): OnnxValue {
    return this.reduce('ReduceMax', 18, x, axes, keepdims, options)
  }
  reduceSumSquare(x: OnnxValue, axes: readonly number[], keepdims = true, options?: OpOptions): OnnxValue {
    return this.reduce('ReduceSumSquare', 18, x, axes, keepdims, options)
  }

  private reduce(opType: string, axesAsInputSince: number, x: OnnxValue, axes: readonly number[], keepdims: boolean, options?: OpOptions): OnnxValue {
    const attributes = [attr.int('keepdims', keepdims ? 1 : 0)]
    if (this.opset >= axesAsInputSince) {
      return this.op(opType, [x, axes.length > 0 ? this.constantInt64(axes) : null], attributes, options)
    }
    if (axes.length > 0) attributes.push(attr.ints('axes', axes))
    return this.op(opType, [x], attributes, options)
  }

  // ---------------------------------------------------------------- shape ops

  /** `shape` follows ONNX rules: 0 copies the input dim, -1 is inferred. */
  reshape(x: OnnxValue, shape: IntList | OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Reshape', [x, this.ints(shape)], [], options)
  }
  transpose(x: OnnxValue, perm: readonly number[], options?: OpOptions): OnnxValue {
    return this.op('Transpose', [x], [attr.ints('perm', perm)], options)
  }
  concat(values: readonly OnnxValue[], axis: number, options?: OpOptions): OnnxValue {
    if (values.length === 0) throw new OnnxBuilderError('concat needs at least one input')
    return this.op('Concat', values, [attr.int('axis', axis)], options)
  }
  /** Slice [starts, ends) along `axes` (default: the first starts.length axes) with `steps` (default 1). */
  slice(x: OnnxValue, starts: IntList | OnnxValue, ends: IntList | OnnxValue, axes?: IntList | OnnxValue, steps?: IntList | OnnxValue, options?: OpOptions): OnnxValue {
    return this.op(
      'Slice',
      [x, this.ints(starts), this.ints(ends), axes ? this.ints(axes) : null, steps ? this.ints(steps) : null],
      [],
      options
    )
  }
  unsqueeze(x: OnnxValue, axes: IntList, options?: OpOptions): OnnxValue {
    return this.op('Unsqueeze', [x, this.ints(axes)], [], options)
  }
  /** Removes `axes` (all size-1 axes when omitted). */
  squeeze(x: OnnxValue, axes?: IntList, options?: OpOptions): OnnxValue {
    return this.op('Squeeze', [x, axes ? this.ints(axes) : null], [], options)
  }
  gather(x: OnnxValue, indices: OnnxValue | IntList | number, axis = 0, options?: OpOptions): OnnxValue {
    const idx = typeof indices === 'number' ? this.constantInt64([indices], []) : this.ints(indices)
    return this.op('Gather', [x, idx], [attr.int('axis', axis)], options)
  }
  /** int64 shape of x; start/end (opset 15+) select a range of axes. */
  shape(x: OnnxValue, range: { start?: number; end?: number } = {}, options?: OpOptions): OnnxValue {
    const attributes: Attribute[] = []
    if (range.start !== undefined || range.end !== undefined) {
      if (this.opset < 15) throw new OnnxBuilderError(`Shape start/end need opset 15, this graph is opset ${this.opset}`)
      if (range.start !== undefined) attributes.push(attr.int('start', range.start))
      if (range.end !== undefined) attributes.push(attr.int('end', range.end))
    }
    return this.op('Shape', [x], attributes, options, 'int64')
  }
  expand(x: OnnxValue, shape: IntList | OnnxValue, options?: OpOptions): OnnxValue {
    return this.op('Expand', [x, this.ints(shape)], [], options)
  }

  // ---------------------------------------------------------------- convolution and resampling

  /** NCHW convolution; weight [M, C/group, kH, kW]; bias [M]. */
  conv(x: OnnxValue, weight: OnnxValue, bias?: OnnxValue | null, options: ConvOptions = {}): OnnxValue {
    return this.op('Conv', [x, weight, bias ?? null], convAttributes(options), options)
  }

  /**
   * onnxruntime's contrib FusedConv (com.microsoft, CPU): activation(Conv(x) + sum). `sum` has the
   * output's shape; MLAS accumulates the products into it (beta = 1) and onnxruntime reuses its
   * buffer for the output when nothing else reads it, so a running sum costs no extra pass. The
   * activation is applied per output block while it is still in cache. Not standard ONNX.
   */
  fusedConv(x: OnnxValue, weight: OnnxValue, bias: OnnxValue | null, options: FusedConvOptions = {}): OnnxValue {
    const attributes = convAttributes(options)
    if (options.activation) attributes.push(attr.string('activation', options.activation))
    return this.node('FusedConv', [x, weight, bias, options.sum ?? null], attributes, { names: [options.name], domain: 'com.microsoft' })[0]!
  }

  /** Transposed convolution; weight [C, M/group, kH, kW]; bias [M]. */
  convTranspose(x: OnnxValue, weight: OnnxValue, bias?: OnnxValue | null, options: ConvTransposeOptions = {}): OnnxValue {
    const attributes = convAttributes(options)
    if (options.outputPadding !== undefined) attributes.push(attr.ints('output_padding', perAxis(options.outputPadding, 2)))
    return this.op('ConvTranspose', [x, weight, bias ?? null], attributes, options)
  }

  /**
   * Resize (opset 13 signature: X, roi, scales, sizes). 'linear' uses half_pixel coordinates,
   * i.e. bilinear with align_corners=False; 'nearest' uses asymmetric + floor, i.e. PyTorch's
   * nearest (exact pixel replication for integer upscales).
   */
  resize(x: OnnxValue, options: ResizeOptions): OnnxValue {
    if ((options.scales === undefined) === (options.sizes === undefined)) {
      throw new OnnxBuilderError('resize needs exactly one of scales or sizes')
    }
    const scales = options.scales === undefined ? null : isValue(options.scales) ? options.scales : this.constant(options.scales)
    const sizes = options.sizes === undefined ? null : this.ints(options.sizes)
    const mode = options.coordinateTransformationMode ?? (options.mode === 'linear' ? 'half_pixel' : 'asymmetric')
    const attributes = [attr.string('mode', options.mode), attr.string('coordinate_transformation_mode', mode)]
    if (options.mode === 'nearest') attributes.push(attr.string('nearest_mode', options.nearestMode ?? 'floor'))
    return this.op('Resize', [x, null, scales, sizes], attributes, options)
  }

  /** Inference-mode batch norm: (x - mean) / sqrt(var + epsilon) * scale + bias, per channel (axis 1). */
  batchNormalization(
    x: OnnxValue,
    scale: OnnxValue,
    bias: OnnxValue,
    mean: OnnxValue,
    variance: OnnxValue,
    options: OpOptions & { epsilon?: number } = {}
  ): OnnxValue {
    const attributes = options.epsilon === undefined ? [] : [attr.float('epsilon', options.epsilon)]
    return this.op('BatchNormalization', [x, scale, bias, mean, variance], attributes, options)
  }

  // ---------------------------------------------------------------- output

  /**
   * The default domain at this.opset, plus every other domain a node uses: a strict ONNX
   * checker refuses a node whose domain is not imported (onnxruntime is lenient). Custom
   * domains get version 1, the only one of com.microsoft's contrib ops.
   */
  private opsetImports(): { domain: string; version: number }[] {
    const others = [...new Set(this.nodes.map((n) => n.domain ?? ''))].filter((d) => d !== '').sort()
    return [{ domain: '', version: this.opset }, ...others.map((domain) => ({ domain, version: 1 }))]
  }

  /** The ModelProto, for callers that want to inspect it before encoding. */
  model(): onnx.IModelProto {
    if (this.outputs.length === 0) throw new OnnxBuilderError('the graph has no outputs')
    const metadata = Object.entries(this.options.metadata ?? {}).map(([key, value]) => ({ key, value }))
    return {
      irVersion: irVersionFor(this.opset),
      opsetImport: this.opsetImports(),
      producerName: PRODUCER_NAME,
      producerVersion: this.options.producerVersion ?? '',
      docString: this.options.docString ?? '',
      metadataProps: metadata,
      graph: {
        name: this.options.graphName ?? 'twinlight',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
        valueInfo: this.valueInfos
      }
    }
  }

  /** Encoded ModelProto bytes, ready for ort.InferenceSession.create or a .onnx file. */
  build(): Uint8Array {
    return onnx.ModelProto.encode(onnx.ModelProto.create(this.model())).finish()
  }
}

/** IR version matching an opset (ONNX 1.12/1.13 -> 8, 1.14/1.15 -> 9, 1.16 -> 10). */
export function irVersionFor(opset: number): number {
  if (opset <= 18) return 8
  if (opset <= 20) return 9
  return 10
}

function isValue(v: unknown): v is OnnxValue {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as OnnxValue).name === 'string'
}

function perAxis(value: number | readonly number[], axes: number): number[] {
  return typeof value === 'number' ? Array.from({ length: axes }, () => value) : [...value]
}

function convAttributes(options: ConvOptions): Attribute[] {
  // Number of spatial axes: from whichever option is given as a list, else 2 (images).
  const spatial =
    options.kernelShape?.length ??
    (typeof options.strides === 'object' ? options.strides.length : undefined) ??
    (typeof options.dilations === 'object' ? options.dilations.length : undefined) ??
    (typeof options.pads === 'object' ? options.pads.length / 2 : undefined) ??
    2
  const attributes: Attribute[] = []
  if (options.kernelShape) attributes.push(attr.ints('kernel_shape', options.kernelShape))
  if (options.strides !== undefined) attributes.push(attr.ints('strides', perAxis(options.strides, spatial)))
  if (options.pads !== undefined) attributes.push(attr.ints('pads', perAxis(options.pads, spatial * 2)))
  if (options.dilations !== undefined) attributes.push(attr.ints('dilations', perAxis(options.dilations, spatial)))
  if (options.group !== undefined) attributes.push(attr.int('group', options.group))
  return attributes
}

function valueInfo(name: string, elemType: ElemType, shape: readonly Dim[] | undefined): onnx.IValueInfoProto {
  const tensorType: onnx.TypeProto.ITensor = { elemType: elemTypeCode(elemType) }
  if (shape !== undefined) {
    tensorType.shape = {
      dim: shape.map((d) => {
        if (d === null) return {}
        if (typeof d === 'string') return { dimParam: d }
        if (!Number.isInteger(d) || d < 0) throw new OnnxBuilderError(`"${name}": bad dimension ${d}`)
        return { dimValue: d }
      })
    }
  }
  return { name, type: { tensorType } }
}
