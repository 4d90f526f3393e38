// Benchmark of the wasm training kernels (src/main/engine/tf/wasmKernels.ts).
//   npx tsx bench/tf-kernels.ts            (writes bench/results/tf-kernels.json)
//   TF_BENCH_QUICK=1 npx tsx bench/tf-kernels.ts   (fewer repetitions)
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Scalar, Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core'
import { initTf, toBackendRecord } from '../src/main/engine/tf/backend'
import { DEFAULT_WASM_KERNEL_MODES, setWasmKernelModes, type WasmKernelModes } from '../src/main/engine/tf/wasmKernels'

const quick = process.env.TF_BENCH_QUICK === '1'
// Shared machines: the 1-minute load average at start and end is recorded with the figures.
const loadAtStart = Math.round(loadavg()[0] * 100) / 100
const init = await initTf({ force: 'wasm' })
const tf = init.tf

interface Timing {
  medianMs: number
  minMs: number
  runs: number
}

/** Median wall time of `fn` (after `warmup` untimed runs); `fn` returns what must be synced. */
function time(fn: () => Tensor | Tensor[], runs: number, warmup = 1): Timing {
  const once = (): number => {
    const t0 = performance.now()
    const out = fn()
    for (const t of Array.isArray(out) ? out : [out]) {
      t.dataSync()
      t.dispose()
    }
    return performance.now() - t0
  }
  for (let i = 0; i < warmup; i++) once()
  const ts: number[] = []
  for (let i = 0; i < runs; i++) ts.push(once())
  ts.sort((a, b) => a - b)
  const round = (v: number): number => Math.round(v * 10) / 10
  return { medianMs: round(ts[Math.floor(ts.length / 2)]), minMs: round(ts[0]), runs }
}

function show(label: string, t: Timing): void {
  console.log(`  ${label.padEnd(58)} ${String(t.medianMs).padStart(9)} ms  (min ${t.minMs}, n=${t.runs})`)
}

function withModes<T>(modes: Partial<WasmKernelModes>, fn: () => T): T {
  setWasmKernelModes(tf, modes)
  try {
    return fn()
  } finally {
    setWasmKernelModes(tf, DEFAULT_WASM_KERNEL_MODES)
  }
}

const results: Record<string, unknown> = {}
/** A variable initialised from `t`, releasing `t` itself. */
const variable = (t: Tensor): Variable => {
  const v = tf.variable(t)
  t.dispose()
  return v
}
const tensorsAtStart = tf.memory().numTensors

// ---------------------------------------------------------------- MLP 2048→256→128→10, Adam
{
  console.log('MLP step 2048→256→128→10, batch 4096, softmax cross-entropy, Adam (wasm)')
  const x = tf.randomNormal([4096, 2048]) as Tensor2D
  const labels = tf.tidy(() => tf.oneHot(tf.randomUniform([4096], 0, 10, 'int32') as Tensor, 10))
  const glorot = (i: number, o: number): Variable => variable(tf.randomNormal([i, o], 0, Math.sqrt(2 / (i + o))))
  const w1 = glorot(2048, 256)
  const b1 = variable(tf.zeros([256]))
  const w2 = glorot(256, 128)
  const b2 = variable(tf.zeros([128]))
  const w3 = glorot(128, 10)
  const b3 = variable(tf.zeros([10]))
  const opt = tf.train.adam(1e-3)
  const plain = (): Scalar => {
    const h1 = tf.relu(tf.add(tf.matMul(x, w1), b1))
    const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2))
    return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(h2, w3), b3)) as Scalar
  }
  const fused = (): Scalar => {
    const h1 = tf.fused.matMul({ a: x, b: w1, bias: b1, activation: 'relu' })
    const h2 = tf.fused.matMul({ a: h1, b: w2, bias: b2, activation: 'relu' })
    return tf.losses.softmaxCrossEntropy(labels, tf.fused.matMul({ a: h2, b: w3, bias: b3 })) as Scalar
  }
  const step = (f: () => Scalar) => (): Tensor => opt.minimize(f, true) as Scalar
  const slowRuns = quick ? 1 : 2
  const runs = quick ? 2 : 5
  const mlp: Record<string, Timing> = {}
  mlp.stock = withModes({ matMulKernel: 'stock', matMulGradient: 'flags' }, () => time(step(plain), slowRuns))
  show('stock kernels + transpose-flag gradient (tfjs default)', mlp.stock)
  mlp.registeredGradient = withModes({ matMulKernel: 'stock', matMulGradient: 'explicit' }, () => time(step(plain), runs))
  show('registered BatchMatMul gradient (explicit transposes)', mlp.registeredGradient)
  mlp.transposingKernel = withModes({ matMulKernel: 'transposing', matMulGradient: 'flags' }, () => time(step(plain), runs))
  show('transposing BatchMatMul kernel, flag gradient', mlp.transposingKernel)
  mlp.both = time(step(plain), runs)
  show('both (what initTf installs)', mlp.both)
  mlp.fusedStock = withModes({ matMulKernel: 'stock' }, () => time(step(fused), slowRuns))
  show('tf.fused.matMul layers, stock _FusedMatMul kernel', mlp.fusedStock)
  mlp.fusedTransposing = time(step(fused), runs)
  show('tf.fused.matMul layers, transposing _FusedMatMul kernel', mlp.fusedTransposing)
  results.mlpStep = mlp
  tf.dispose([x, labels, w1, b1, w2, b2, w3, b3])
  opt.dispose()
}

// ---------------------------------------------------------------- conv kernels
type Shape4 = [number, number, number, number]
const convShapes: Array<{ name: string; x: Shape4; f: Shape4; s: number; pad: 'same' | 'valid' }> = [
  { name: '8x64x64x32, 3x3x32x32, stride 1, same', x: [8, 64, 64, 32], f: [3, 3, 32, 32], s: 1, pad: 'same' },
  { name: '8x64x64x32, 3x3x32x32, stride 2, same', x: [8, 64, 64, 32], f: [3, 3, 32, 32], s: 2, pad: 'same' },
  { name: '8x64x64x32, 4x4x32x16, stride 2, valid', x: [8, 64, 64, 32], f: [4, 4, 32, 16], s: 2, pad: 'valid' }
]
{
  const runs = quick ? 2 : 5
  const bpi: Record<string, Record<string, Timing | number>> = {}
  const bpf: Record<string, Record<string, Timing>> = {}
  for (const c of convShapes) {
    const x = tf.randomNormal(c.x) as Tensor4D
    const filter = tf.randomNormal(c.f) as Tensor4D
    const dy = tf.tidy(() => tf.conv2d(x, filter, c.s, c.pad))
    const inputShape = c.x
    console.log(`Conv2D kernels on ${c.name} (dy ${dy.shape.join('x')})`)
    const fwd = time(() => tf.conv2d(x, filter, c.s, c.pad), runs)
    show('Conv2D forward (reference)', fwd)
    const backpropInput = (): Tensor => tf.conv2dTranspose(dy, filter, inputShape, c.s, c.pad)
    const stock = withModes({ conv2dBackpropInput: 'stock' }, () => time(backpropInput, runs))
    show('Conv2DBackpropInput stock wasm kernel', stock)
    const rewritten = time(backpropInput, runs)
    show('Conv2DBackpropInput zero insertion + flipped-filter conv', rewritten)
    bpi[c.name] = { forward: fwd, stock, rewritten, speedup: Math.round((stock.medianMs / rewritten.medianMs) * 10) / 10 }
    const filterGrad = time(
      () =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: c.s,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: c.f
        } as unknown as Record<string, never>) as Tensor,
      runs
    )
    show('Conv2DBackpropFilter (registered; wasm has none)', filterGrad)
    bpf[c.name] = { forward: fwd, registered: filterGrad }
    tf.dispose([x, filter, dy])
  }
  results.conv2dBackpropInput = bpi
  results.conv2dBackpropFilter = bpf
}

// ---------------------------------------------------------------- Tile / broadcastTo
{
  console.log('tf.broadcastTo [1,1,1,32] → [8,64,64,32] (Tile kernel)')
  const runs = quick ? 2 : 5
  const bias = tf.randomNormal([1, 1, 1, 32])
  const stock = withModes({ tile: 'stock' }, () => time(() => tf.broadcastTo(bias, [8, 64, 64, 32]), runs))
  show('stock wasm Tile', stock)
  const broadcast = time(() => tf.broadcastTo(bias, [8, 64, 64, 32]), runs)
  show('Tile as add(reshape(x), zeros)', broadcast)
  results.tile = { stock, broadcast }
  bias.dispose()
}

// ---------------------------------------------------------------- conv training step
{
  console.log('Conv training steps on 8x64x64x32 input, Adam (wasm)')
  const x = tf.randomNormal([8, 64, 64, 32]) as Tensor4D
  const target = tf.randomNormal([8, 64, 64, 32]) as Tensor4D
  const init = (shape: number[]): Variable => variable(tf.randomNormal(shape, 0, 0.05))
  const runs = quick ? 2 : 5
  const convStep: Record<string, Timing> = {}
  // Adam keys its moments by position in the variable list: one optimizer per model.
  const optimizers: Array<{ dispose(): void }> = []
  const stepOf = (loss: () => Scalar, vars: Variable[]): (() => Tensor) => {
    const opt = tf.train.adam(1e-3)
    optimizers.push(opt)
    return () => opt.minimize(loss, true, vars) as Scalar
  }

  // The brief's step: one 3x3 conv, 32 channels, + bias + leakyRelu, MSE (x is data, so only
  // the filter gradient – Conv2DBackpropFilter – is needed).
  const w = init([3, 3, 32, 32])
  const b = variable(tf.zeros([32]))
  const single = stepOf(
    () => tf.losses.meanSquaredError(target, tf.leakyRelu(tf.add(tf.conv2d(x, w as Tensor4D, 1, 'same'), b), 0.2)) as Scalar,
    [w, b]
  )
  convStep.singleConv = time(single, runs)
  show('3x3 conv 32→32 + bias + leakyRelu, MSE', convStep.singleConv)

  // Two stacked convs: the second needs dx of its input (Conv2DBackpropInput).
  const w2 = init([3, 3, 32, 32])
  const two = stepOf(() => {
    const h = tf.leakyRelu(tf.conv2d(x, w as Tensor4D, 1, 'same'), 0.2)
    return tf.losses.meanSquaredError(target, tf.conv2d(h as Tensor4D, w2 as Tensor4D, 1, 'same')) as Scalar
  }, [w, w2])
  convStep.twoConvs = time(two, runs)
  show('two 3x3 convs (needs Conv2DBackpropInput)', convStep.twoConvs)
  convStep.twoConvsStockBackpropInput = withModes({ conv2dBackpropInput: 'stock' }, () => time(two, runs))
  show('same, stock Conv2DBackpropInput', convStep.twoConvsStockBackpropInput)

  // A strided encoder/decoder pair, the shape of a generator block.
  const wDown = init([4, 4, 32, 64])
  const wUp = init([4, 4, 32, 64])
  const block = stepOf(() => {
    const down = tf.leakyRelu(tf.conv2d(x, wDown as Tensor4D, 2, 'same'), 0.2)
    const up = tf.conv2dTranspose(down as Tensor4D, wUp as Tensor4D, [8, 64, 64, 32], 2, 'same')
    return tf.losses.meanSquaredError(target, up) as Scalar
  }, [wDown, wUp])
  convStep.stridedBlock = time(block, runs)
  show('4x4/2 conv + 4x4/2 conv2dTranspose', convStep.stridedBlock)
  convStep.stridedBlockStockBackpropInput = withModes({ conv2dBackpropInput: 'stock' }, () => time(block, runs))
  show('same, stock Conv2DBackpropInput', convStep.stridedBlockStockBackpropInput)
  results.convTrainingStep = convStep
  tf.dispose([x, target, w, b, w2, wDown, wUp])
  for (const o of optimizers) o.dispose()
}

const leaked = tf.memory().numTensors - tensorsAtStart
console.log(`tensors left over after the benchmark: ${leaked}`)

const out = {
  date: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? 'unknown',
    loadavg1AtStart: loadAtStart,
    loadavg1AtEnd: Math.round(loadavg()[0] * 100) / 100,
    node: process.version
  },
  tf: toBackendRecord(init),
  quick,
  leakedTensors: leaked,
  results
}
const file = join(dirname(fileURLToPath(import.meta.url)), 'results', 'tf-kernels.json')
mkdirSync(dirname(file), { recursive: true })
writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
console.log(`wrote ${file}`)
