// Gradient functions for the kernels a training loop in Twinlight uses.
//
// Why this file exists: in Node, `@tensorflow/tfjs-core` resolves to its CommonJS bundle
// (dist/tf-core.node.js), and that bundle registers NO gradients at all – the gradient
// configs live in separate ES modules (dist/gradients/*.js, pulled in by the umbrella
// `@tensorflow/tfjs` package via register_all_gradients) which plain Node cannot even load
// (extensionless relative imports). With tfjs-core + a backend only, `tf.grad(x => tf.square(x))`
// fails with "gradient function not found for Square". tfjs-node brings the umbrella
// package, so on that path these are already present.
//
// `registerTrainingGradients` therefore fills in every gradient below that is missing from the
// (process-global) gradient registry and never replaces one that exists. The formulas are
// written from the maths of each op; every gradient is backend-neutral (it only calls tf ops).
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core'
import type { Tf } from './types'

type Thunks = Record<string, () => Tensor>
type GradFn = (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => Thunks
type MultiGradFn = (dy: Tensor[], saved: Tensor[], attrs: NamedAttrMap) => Thunks

interface SaveSpec {
  inputs?: string[]
  outputs?: boolean[]
  all?: boolean
}

function config(kernelName: string, save: SaveSpec, gradFunc: GradFn | MultiGradFn): GradConfig {
  const c: GradConfig = { kernelName, gradFunc: gradFunc as GradConfig['gradFunc'] }
  if (save.inputs) c.inputsToSave = save.inputs
  if (save.outputs) c.outputsToSave = save.outputs
  if (save.all) c.saveAllInputs = true
  return c
}

/** Numeric axis list for a reduction attribute (`undefined`/`null` means all axes). */
function reductionAxes(tf: Tf, axis: unknown, shape: number[]): number[] {
  return tf.util.parseAxisParam((axis ?? null) as number | number[], shape)
}

/** `shape` with the reduced axes kept as size 1 (what keepDims=true would give). */
function keptShape(shape: number[], axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d))
}

/**
 * Gradient matmul with the same meaning as tf.matMul(a, b, transposeA, transposeB).
 * With `explicit` the transposes are materialised first so the matmul kernel only sees
 * transposeA = transposeB = false (the wasm backend's XNNPACK fast path).
 */
export function gradMatMul(tf: Tf, a: Tensor, b: Tensor, ta: boolean, tb: boolean, explicit: boolean): Tensor {
  if (!explicit || (!ta && !tb)) return tf.matMul(a, b, ta, tb)
  const swapLast = (t: Tensor): Tensor => {
    const perm = t.shape.map((_, i) => i)
    const r = perm.length
    perm[r - 2] = r - 1
    perm[r - 1] = r - 2
    return tf.transpose(t, perm)
  }
  return tf.matMul(ta ? swapLast(a) : a, tb ? swapLast(b) : b)
}

/**
 * BatchMatMul gradient. `explicitTranspose()` is consulted at backward time, so the choice can
 * follow the active backend. Batch dimensions broadcast by matMul are summed back out.
 */
export function batchMatMulGradConfig(tf: Tf, explicitTranspose: () => boolean): GradConfig {
  return config('BatchMatMul', { inputs: ['a', 'b'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
    const [a, b] = saved
    const ta = attrs.transposeA === true
    const tb = attrs.transposeB === true
    const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean): Tensor =>
      gradMatMul(tf, x, y, tx, ty, explicitTranspose())
    // C = op(A)·op(B); dA and dB for the four transpose combinations.
    const da = (): Tensor => {
      const g = !ta ? (tb ? mm(dy, b, false, false) : mm(dy, b, false, true)) : tb ? mm(b, dy, true, true) : mm(b, dy, false, true)
      return sumToShape(tf, g, a.shape)
    }
    const db = (): Tensor => {
      const g = !tb ? (ta ? mm(a, dy, false, false) : mm(a, dy, true, false)) : ta ? mm(dy, a, true, true) : mm(dy, a, true, false)
      return sumToShape(tf, g, b.shape)
    }
    return { a: da, b: db }
  }) as GradFn)
}

/** Sum a broadcast gradient back down to `shape` (reverse of numpy-style broadcasting). */
export function sumToShape(tf: Tf, g: Tensor, shape: number[]): Tensor {
  // Always hand back a new Tensor object (reshape shares the data): the backprop loop disposes
  // accumulated gradients, so one tensor must never be returned for two inputs.
  const axes = tf.broadcast_util.getReductionAxes(shape, g.shape)
  const summed = axes.length > 0 ? tf.sum(g, axes) : g
  return tf.reshape(summed, shape)
}

/** All gradient configs this module provides, bound to one tf namespace. */
export function trainingGradientConfigs(tf: Tf): GradConfig[] {
  const f32 = (t: Tensor): Tensor => (t.dtype === 'float32' ? t : tf.cast(t, 'float32'))
  const mask = (t: Tensor): Tensor => tf.cast(t, 'float32')

  const binary = (
    name: string,
    da: (dy: Tensor, a: Tensor, b: Tensor) => Tensor,
    db: (dy: Tensor, a: Tensor, b: Tensor) => Tensor
  ): GradConfig =>
    config(name, { inputs: ['a', 'b'] }, ((dy: Tensor, saved: Tensor[]) => {
      const [a, b] = saved
      return {
        a: () => sumToShape(tf, da(dy, a, b), a.shape),
        b: () => sumToShape(tf, db(dy, a, b), b.shape)
      }
    }) as GradFn)

  // Unary op whose derivative is computed from its input x.
  const fromX = (name: string, g: (dy: Tensor, x: Tensor, attrs: NamedAttrMap) => Tensor): GradConfig =>
    config(name, { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => g(dy, f32(saved[0]), attrs)
    })) as GradFn)
  // Unary op whose derivative is cheapest from its output y.
  const fromY = (name: string, g: (dy: Tensor, y: Tensor) => Tensor): GradConfig =>
    config(name, { outputs: [true] }, ((dy: Tensor, saved: Tensor[]) => ({ x: () => g(dy, saved[0]) })) as GradFn)
  // Piecewise-constant ops: zero gradient.
  const flat = (name: string): GradConfig => config(name, {}, ((dy: Tensor) => ({ x: () => tf.zerosLike(dy) })) as GradFn)

  // Comparison / logical ops: zero gradient for both inputs (they only appear on a gradient
  // path through e.g. tf.where's condition).
  const zeroBinary = (name: string): GradConfig =>
    config(name, { inputs: ['a', 'b'] }, ((_dy: Tensor, saved: Tensor[]) => ({
      a: () => tf.zeros(saved[0].shape),
      b: () => tf.zeros(saved[1].shape)
    })) as GradFn)

  // Expand a reduced gradient back to the input shape with a broadcasting add (not broadcastTo:
  // that runs the Tile kernel, ~40× slower on stock wasm).
  const broadcastBack = (g: Tensor, shape: number[]): Tensor => tf.add(g, tf.zeros(shape))

  const reduceBack = (dy: Tensor, x: Tensor, axisAttr: unknown): { axes: number[]; dyK: Tensor } => {
    const axes = reductionAxes(tf, axisAttr, x.shape)
    return { axes, dyK: tf.reshape(dy, keptShape(x.shape, axes)) }
  }

  const extremumGrad = (name: string, axisKey: string): GradConfig =>
    config(name, { inputs: ['x'], outputs: [true] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, y] = saved
      return {
        x: () => {
          const { axes, dyK } = reduceBack(dy, x, attrs[axisKey])
          const yK = tf.reshape(y, keptShape(x.shape, axes))
          return tf.mul(mask(tf.equal(x, yK)), dyK)
        }
      }
    }) as GradFn)

  const configs: GradConfig[] = [
    // ---- element-wise binary (with broadcasting) ----
    binary('Add', (dy) => dy, (dy) => dy),
    binary('Sub', (dy) => dy, (dy) => tf.neg(dy)),
    binary('Multiply', (dy, _a, b) => tf.mul(dy, f32(b)), (dy, a) => tf.mul(dy, f32(a))),
    binary(
      'RealDiv',
      (dy, _a, b) => tf.div(dy, f32(b)),
      (dy, a, b) => tf.neg(tf.div(tf.mul(dy, f32(a)), tf.square(f32(b))))
    ),
    binary('Maximum', (dy, a, b) => tf.mul(dy, mask(tf.greaterEqual(a, b))), (dy, a, b) => tf.mul(dy, mask(tf.less(a, b)))),
    binary('Minimum', (dy, a, b) => tf.mul(dy, mask(tf.lessEqual(a, b))), (dy, a, b) => tf.mul(dy, mask(tf.greater(a, b)))),
    binary(
      'SquaredDifference',
      (dy, a, b) => tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(f32(a), f32(b)))),
      (dy, a, b) => tf.mul(dy, tf.mul(tf.scalar(2), tf.sub(f32(b), f32(a))))
    ),
    binary('Mod', (dy) => dy, (dy, a, b) => tf.mul(dy, tf.neg(tf.floor(tf.div(f32(a), f32(b)))))),
    config('Pow', { inputs: ['a', 'b'], outputs: [true] }, ((dy: Tensor, saved: Tensor[]) => {
      const [a, b, y] = saved
      return {
        a: () => {
          const af = f32(a)
          const bf = f32(b)
          return sumToShape(tf, tf.mul(dy, tf.mul(bf, tf.pow(af, tf.sub(bf, tf.scalar(1))))), a.shape)
        },
        b: () => {
          const af = f32(a)
          const positive = tf.greater(af, tf.scalar(0))
          // d(a^b)/db = a^b·ln a, defined for a > 0; 0 elsewhere (as TensorFlow does).
          const logA = tf.where(positive, tf.log(tf.where(positive, af, tf.onesLike(af))), tf.zerosLike(af))
          return sumToShape(tf, tf.mul(dy, tf.mul(f32(y), logA)), b.shape)
        }
      }
    }) as GradFn),

    // ---- element-wise unary ----
    config('Neg', {}, ((dy: Tensor) => ({ x: () => tf.neg(dy) })) as GradFn),
    config('Identity', {}, ((dy: Tensor) => ({ x: () => tf.clone(dy) })) as GradFn),
    config('Cast', {}, ((dy: Tensor) => ({ x: () => tf.clone(dy) })) as GradFn),
    fromX('Abs', (dy, x) => tf.mul(dy, tf.sign(x))),
    fromX('Square', (dy, x) => tf.mul(dy, tf.mul(x, tf.scalar(2)))),
    fromY('Sqrt', (dy, y) => tf.div(dy, tf.mul(y, tf.scalar(2)))),
    // y = x^-1/2  →  dy/dx = -1/2 · x^-3/2 = -1/2 · y³
    fromY('Rsqrt', (dy, y) => tf.mul(dy, tf.mul(tf.mul(y, tf.square(y)), tf.scalar(-0.5)))),
    fromY('Exp', (dy, y) => tf.mul(dy, y)),
    fromY('Expm1', (dy, y) => tf.mul(dy, tf.add(y, tf.scalar(1)))),
    fromX('Log', (dy, x) => tf.div(dy, x)),
    fromX('Log1p', (dy, x) => tf.div(dy, tf.add(x, tf.scalar(1)))),
    fromY('Reciprocal', (dy, y) => tf.neg(tf.mul(dy, tf.square(y)))),
    fromY('Sigmoid', (dy, y) => tf.mul(dy, tf.mul(y, tf.sub(tf.scalar(1), y)))),
    fromX('Softplus', (dy, x) => tf.mul(dy, tf.sigmoid(x))),
    fromY('Tanh', (dy, y) => tf.mul(dy, tf.sub(tf.scalar(1), tf.square(y)))),
    fromX('Relu', (dy, x) => tf.mul(dy, tf.step(x))),
    fromX('Relu6', (dy, x) =>
      tf.mul(dy, mask(tf.logicalAnd(tf.greater(x, tf.scalar(0)), tf.lessEqual(x, tf.scalar(6)))))
    ),
    fromX('LeakyRelu', (dy, x, attrs) =>
      tf.where(tf.greater(x, tf.scalar(0)), dy, tf.mul(dy, tf.scalar(Number(attrs.alpha ?? 0.2))))
    ),
    // elu(x) = x (x > 0), e^x - 1 otherwise; derivative 1 or e^x = y + 1.
    fromY('Elu', (dy, y) => tf.where(tf.greater(y, tf.scalar(0)), dy, tf.mul(dy, tf.add(y, tf.scalar(1))))),
    fromX('Selu', (dy, x) =>
      tf.where(
        tf.greater(x, tf.scalar(0)),
        tf.mul(dy, tf.scalar(tf.backend_util.SELU_SCALE)),
        tf.mul(dy, tf.mul(tf.exp(x), tf.scalar(tf.backend_util.SELU_SCALEALPHA)))
      )
    ),
    fromX('Erf', (dy, x) => tf.mul(dy, tf.mul(tf.exp(tf.neg(tf.square(x))), tf.scalar(2 / Math.sqrt(Math.PI))))),
    fromX('Sin', (dy, x) => tf.mul(dy, tf.cos(x))),
    fromX('Cos', (dy, x) => tf.neg(tf.mul(dy, tf.sin(x)))),
    fromX('Tan', (dy, x) => tf.div(dy, tf.square(tf.cos(x)))),
    fromX('Atan', (dy, x) => tf.div(dy, tf.add(tf.square(x), tf.scalar(1)))),
    fromX('ClipByValue', (dy, x, attrs) =>
      tf.mul(
        dy,
        mask(
          tf.logicalAnd(
            tf.greaterEqual(x, tf.scalar(Number(attrs.clipValueMin))),
            tf.lessEqual(x, tf.scalar(Number(attrs.clipValueMax)))
          )
        )
      )
    ),
    flat('Floor'),
    flat('Ceil'),
    flat('Round'),
    flat('Sign'),
    flat('Step'),
    flat('ZerosLike'),
    flat('OnesLike'),
    config('LogicalNot', {}, ((dy: Tensor) => ({ x: () => tf.zerosLike(dy) })) as GradFn),
    ...['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd', 'LogicalOr'].map(zeroBinary),
    config('Prelu', { inputs: ['x', 'alpha'] }, ((dy: Tensor, saved: Tensor[]) => {
      const [x, alpha] = saved
      const positive = (): Tensor => tf.greater(x, tf.scalar(0))
      return {
        x: () => tf.where(positive(), dy, tf.mul(dy, alpha)),
        alpha: () => sumToShape(tf, tf.where(positive(), tf.zerosLike(dy), tf.mul(dy, x)), alpha.shape)
      }
    }) as GradFn),
    config('Select', { inputs: ['condition'] }, ((dy: Tensor, saved: Tensor[]) => {
      const cond = mask(saved[0])
      return {
        condition: () => tf.zerosLike(cond),
        t: () => tf.mul(dy, cond),
        e: () => tf.mul(dy, tf.sub(tf.scalar(1), cond))
      }
    }) as GradFn),
    config('AddN', { all: true }, ((dy: Tensor, saved: Tensor[]) => {
      const out: Thunks = {}
      saved.forEach((_, i) => {
        out[i] = () => tf.clone(dy)
      })
      return out
    }) as GradFn),

    // ---- reductions ----
    config('Sum', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const x = saved[0]
        return broadcastBack(reduceBack(dy, x, attrs.axis).dyK, x.shape)
      }
    })) as GradFn),
    config('Mean', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const x = saved[0]
        const { axes, dyK } = reduceBack(dy, x, attrs.axis)
        const count = axes.reduce((n, a) => n * x.shape[a], 1)
        return broadcastBack(tf.div(dyK, tf.scalar(count)), x.shape)
      }
    })) as GradFn),
    extremumGrad('Max', 'reductionIndices'),
    extremumGrad('Min', 'axis'),

    // ---- shape / layout ----
    config('Reshape', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[]) => ({
      x: () => tf.reshape(dy, saved[0].shape)
    })) as GradFn),
    config('ExpandDims', { inputs: ['input'] }, ((dy: Tensor, saved: Tensor[]) => ({
      input: () => tf.reshape(dy, saved[0].shape)
    })) as GradFn),
    config('Transpose', {}, ((dy: Tensor, _saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const perm = attrs.perm as number[]
        const inverse = new Array<number>(perm.length)
        perm.forEach((p, i) => {
          inverse[p] = i
        })
        return tf.transpose(dy, inverse)
      }
    })) as GradFn),
    config('Concat', { all: true }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
      const axis = tf.util.parseAxisParam(attrs.axis as number, saved[0].shape)[0]
      const parts = tf.split(dy, saved.map((t) => t.shape[axis]), axis)
      const out: Thunks = {}
      parts.forEach((p, i) => {
        out[i] = () => p
      })
      return out
    }) as GradFn),
    config('Pack', { all: true }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
      const parts = tf.unstack(dy, attrs.axis as number)
      const out: Thunks = {}
      parts.forEach((p, i) => {
        out[i] = () => tf.reshape(p, saved[i].shape)
      })
      return out
    }) as GradFn),
    config('Unpack', {}, ((dys: Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => ({
      value: () => tf.stack(Array.isArray(dys) ? dys : [dys], attrs.axis as number)
    })) as MultiGradFn),
    config('SplitV', {}, ((dys: Tensor[], _saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => tf.concat(Array.isArray(dys) ? dys : [dys], attrs.axis as number)
    })) as MultiGradFn),
    config('Slice', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const x = saved[0]
        const [begin, size] = tf.slice_util.parseSliceParams(x, attrs.begin as number[], attrs.size as number[])
        const paddings = x.shape.map((d, i): [number, number] => [begin[i], d - begin[i] - size[i]])
        return tf.pad(dy, paddings)
      }
    })) as GradFn),
    config('PadV2', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const paddings = attrs.paddings as Array<[number, number]>
        return tf.slice(dy, paddings.map((p) => p[0]), saved[0].shape)
      }
    })) as GradFn),
    config('MirrorPad', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => mirrorPadGrad(tf, dy, saved[0].shape, attrs.paddings as Array<[number, number]>, attrs.mode as string)
    })) as GradFn),
    config('Tile', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => {
        const x = saved[0]
        const reps = attrs.reps as number[]
        // dy index along axis i is rep·d_i + j, so view it as [rep_0, d_0, rep_1, d_1, …]
        // and sum the rep axes.
        const interleaved: number[] = []
        x.shape.forEach((d, i) => interleaved.push(reps[i], d))
        const repAxes = x.shape.map((_, i) => 2 * i)
        return tf.reshape(tf.sum(tf.reshape(dy, interleaved), repAxes), x.shape)
      }
    })) as GradFn),
    config('Reverse', {}, ((dy: Tensor, _saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () => tf.reverse(dy, attrs.dims as number | number[])
    })) as GradFn),

    // ---- neural-network ops ----
    batchMatMulGradConfig(tf, () => false),
    config('Conv2D', { inputs: ['x', 'filter'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
      const [x, filter] = saved
      const dil = attrs.dilations as number | [number, number] | undefined
      if (dil != null && (Array.isArray(dil) ? dil.some((d) => d !== 1) : dil !== 1)) {
        throw new Error('Conv2D gradient: dilations other than 1 are not supported')
      }
      const common = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: attrs.dataFormat ?? 'NHWC',
        dimRoundingMode: attrs.dimRoundingMode
      } as unknown as NamedAttrMap
      return {
        x: () =>
          tf.engine().runKernel('Conv2DBackpropInput', { dy, filter }, { ...common, inputShape: x.shape }) as Tensor,
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...common, filterShape: filter.shape }) as Tensor
      }
    }) as GradFn),
    // The forward of conv2dTranspose. y = Aᵀ·d (A the conv operator with filter W), so
    // ∂/∂d = conv2d(g, W) and ∂/∂W = backprop-filter with x = g and dy = d.
    config('Conv2DBackpropInput', { inputs: ['dy', 'filter'] }, ((g: Tensor, saved: Tensor[], attrs: NamedAttrMap) => {
      const [d, filter] = saved
      const common = {
        strides: attrs.strides,
        pad: attrs.pad,
        dataFormat: attrs.dataFormat ?? 'NHWC',
        dimRoundingMode: attrs.dimRoundingMode
      } as unknown as NamedAttrMap
      return {
        dy: () =>
          tf.engine().runKernel('Conv2D', { x: g, filter }, { ...common, dilations: 1 } as unknown as NamedAttrMap) as Tensor,
        filter: () =>
          tf.engine().runKernel('Conv2DBackpropFilter', { x: g, dy: d }, {
            ...common,
            filterShape: filter.shape
          } as unknown as NamedAttrMap) as Tensor
      }
    }) as GradFn),
    config('AvgPool', { inputs: ['x'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () =>
        tf.engine().runKernel('AvgPoolGrad', { dy, input: saved[0] }, {
          filterSize: attrs.filterSize,
          strides: attrs.strides,
          pad: attrs.pad,
          dimRoundingMode: attrs.dimRoundingMode
        } as unknown as NamedAttrMap) as Tensor
    })) as GradFn),
    config('MaxPool', { inputs: ['x'], outputs: [true] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      x: () =>
        tf.engine().runKernel('MaxPoolGrad', { dy, input: saved[0], output: saved[1] }, {
          filterSize: attrs.filterSize,
          strides: attrs.strides,
          pad: attrs.pad,
          dimRoundingMode: attrs.dimRoundingMode
        } as unknown as NamedAttrMap) as Tensor
    })) as GradFn),
    config('ResizeBilinear', { inputs: ['images'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      images: () => tf.engine().runKernel('ResizeBilinearGrad', { images: saved[0], dy }, attrs) as Tensor
    })) as GradFn),
    config('ResizeNearestNeighbor', { inputs: ['images'] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      images: () => tf.engine().runKernel('ResizeNearestNeighborGrad', { images: saved[0], dy }, attrs) as Tensor
    })) as GradFn),
    config('Softmax', { outputs: [true] }, ((dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => ({
      logits: () => {
        const y = saved[0]
        const dim = attrs.dim as number
        return tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), dim, true)))
      }
    })) as GradFn),
    // y = (x - mean) · scale · r + offset with r = 1/sqrt(variance + eps); x arrives as 4-D,
    // mean/variance/scale/offset broadcast against it. Trap (tfjs-core itself): the tape cannot
    // record a kernel call with an undefined input (it reads input.id, and clones every input named
    // in inputsToSave), so under a gradient tf.batchNorm needs both offset and scale – pass
    // tf.zeros / tf.ones. offset is not saved: its gradient takes the shape of mean.
    config('FusedBatchNorm', { inputs: ['x', 'mean', 'variance', 'scale'] }, ((
      dy: Tensor,
      saved: Tensor[],
      attrs: NamedAttrMap
    ) => {
      const [x, mean, variance, scale] = saved
      const eps = Number(attrs.varianceEpsilon ?? 0.001)
      const r = (): Tensor => tf.rsqrt(tf.add(variance, tf.scalar(eps)))
      return {
        x: () => sumToShape(tf, tf.mul(dy, tf.mul(scale, r())), x.shape),
        mean: () => sumToShape(tf, tf.neg(tf.mul(dy, tf.mul(scale, r()))), mean.shape),
        variance: () => {
          const rr = r()
          const d = tf.mul(tf.mul(dy, tf.sub(x, mean)), tf.mul(scale, tf.mul(tf.mul(rr, tf.square(rr)), tf.scalar(-0.5))))
          return sumToShape(tf, d, variance.shape)
        },
        scale: () => sumToShape(tf, tf.mul(dy, tf.mul(tf.sub(x, mean), r())), scale.shape),
        offset: () => sumToShape(tf, dy, mean.shape)
      }
    }) as GradFn)
  ]
  return configs
}

/** Gradient of tf.mirrorPad, one axis at a time (the op is separable). */
function mirrorPadGrad(tf: Tf, dy: Tensor, xShape: number[], paddings: Array<[number, number]>, mode: string): Tensor {
  const offset = mode === 'reflect' ? 1 : 0
  let g = dy
  for (let axis = 0; axis < xShape.length; axis++) {
    const [before, after] = paddings[axis]
    if (before === 0 && after === 0) continue
    const n = xShape[axis]
    const sliceAxis = (t: Tensor, start: number, size: number): Tensor => {
      const begin = t.shape.map(() => 0)
      const sizes = t.shape.slice()
      begin[axis] = start
      sizes[axis] = size
      return tf.slice(t, begin, sizes)
    }
    const padAxis = (t: Tensor, lo: number, hi: number): Tensor =>
      tf.pad(t, t.shape.map((_, i): [number, number] => (i === axis ? [lo, hi] : [0, 0])))
    let acc = sliceAxis(g, before, n)
    if (before > 0) {
      // out[i] (i < before) = x[offset + before - 1 - i]
      const left = tf.reverse(sliceAxis(g, 0, before), axis)
      acc = tf.add(acc, padAxis(left, offset, n - offset - before))
    }
    if (after > 0) {
      // out[before + n + j] = x[n - 1 - offset - j]
      const right = tf.reverse(sliceAxis(g, before + n, after), axis)
      acc = tf.add(acc, padAxis(right, n - offset - after, offset))
    }
    g = acc
  }
  return g
}

export interface GradientRegistration {
  /** Kernels whose gradient this call added. */
  added: string[]
  /** Kernels that already had a gradient (left untouched). */
  present: string[]
}

/** Register every gradient above that the registry lacks. Safe to call repeatedly. */
export function registerTrainingGradients(tf: Tf): GradientRegistration {
  const added: string[] = []
  const present: string[] = []
  for (const c of trainingGradientConfigs(tf)) {
    if (tf.getGradient(c.kernelName) != null) {
      present.push(c.kernelName)
    } else {
      tf.registerGradient(c)
      added.push(c.kernelName)
    }
  }
  return { added, present }
}
