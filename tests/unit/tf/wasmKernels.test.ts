// The wasm training kernels against the cpu backend (forward and gradients), plus the resize
// gradients against a hand-written reference (the stock cpu resize gradients are wrong, so cpu
// cannot be the oracle there).
import { beforeAll, describe, expect, it } from 'vitest'
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core'
import type { Tf } from '../../../src/main/engine/tf/backend'
import { bilinearTaps, setWasmKernelModes, tilePlan, wasmKernelLimits, wasmKernelReport } from '../../../src/main/engine/tf/wasmKernels'
import { on, relDiff, setupTf, sizeOf, values } from './helpers'

const TOL = 1e-4
let tf: Tf

beforeAll(async () => {
  tf = await setupTf()
})

type Pad = 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]

async function expectSame(fn: () => Tensor | Tensor[], label: string): Promise<void> {
  const w = await on(tf, 'wasm', fn)
  const c = await on(tf, 'cpu', fn)
  expect(w.length).toBe(c.length)
  w.forEach((wv, i) => {
    const d = relDiff(wv, c[i])
    expect(d, `${label} output ${i}: wasm vs cpu relative difference ${d}`).toBeLessThanOrEqual(TOL)
  })
}

describe('registration', () => {
  it('reports what was added, replaced and fixed on wasm', () => {
    const report = wasmKernelReport()
    expect(report.added).toEqual(['Conv2DBackpropFilter'])
    expect(report.replaced).toEqual(['Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'Tile'])
    expect(report.fixed).toEqual(['ResizeNearestNeighborGrad', 'ResizeBilinearGrad', 'AvgPoolGrad', 'MaxPoolGrad'])
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined()
    expect(tf.getGradient('BatchMatMul')).toBeDefined()
    expect(tf.getBackend()).toBe('wasm')
  })
})

describe('conv2d on wasm vs cpu', () => {
  const cases: Array<{ x: number[]; f: number[]; s: number | [number, number]; pad: Pad }> = [
    { x: [1, 5, 5, 2], f: [3, 3, 2, 3], s: 1, pad: 'same' },
    { x: [2, 7, 5, 3], f: [3, 3, 3, 4], s: 2, pad: 'same' },
    { x: [2, 7, 6, 2], f: [3, 2, 2, 3], s: [2, 3], pad: 'valid' },
    { x: [1, 9, 7, 1], f: [4, 4, 1, 2], s: 2, pad: 'same' },
    { x: [1, 6, 6, 3], f: [5, 5, 3, 2], s: 3, pad: 'valid' },
    { x: [2, 5, 4, 2], f: [3, 3, 2, 2], s: 1, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
    { x: [1, 8, 7, 2], f: [3, 3, 2, 2], s: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
    { x: [1, 4, 4, 2], f: [1, 1, 2, 3], s: 2, pad: 'valid' },
    { x: [1, 3, 3, 1], f: [3, 3, 1, 1], s: 1, pad: [[0, 0], [4, 4], [3, 3], [0, 0]] }
  ]
  for (const c of cases) {
    const label = `x ${c.x} f ${c.f} s ${c.s} pad ${JSON.stringify(c.pad)}`
    it(`forward and gradients: ${label}`, async () => {
      const xv = values(sizeOf(c.x), 3)
      const fv = values(sizeOf(c.f), 7)
      await expectSame(() => {
        const x = tf.tensor4d(xv, c.x as [number, number, number, number])
        const f = tf.tensor4d(fv, c.f as [number, number, number, number])
        const y = tf.conv2d(x, f, c.s, c.pad)
        const w = tf.tensor(values(y.size, 11), y.shape)
        const loss = (a: Tensor, b: Tensor): Tensor => tf.sum(tf.mul(tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad), w))
        const [gx, gf] = tf.grads(loss)([x, f])
        return [y, gx, gf]
      }, label)
    })
  }

  it('conv2dTranspose (Conv2DBackpropInput forward) and its gradients', async () => {
    const cases2: Array<{ dy: number[]; f: number[]; out: number[]; s: number; pad: 'same' | 'valid' }> = [
      { dy: [2, 4, 3, 3], f: [3, 3, 2, 3], out: [2, 7, 5, 2], s: 2, pad: 'same' },
      { dy: [1, 3, 3, 2], f: [4, 4, 3, 2], out: [1, 8, 8, 3], s: 2, pad: 'valid' },
      { dy: [1, 5, 4, 2], f: [3, 3, 1, 2], out: [1, 5, 4, 1], s: 1, pad: 'same' }
    ]
    for (const c of cases2) {
      await expectSame(() => {
        const dy = tf.tensor4d(values(sizeOf(c.dy), 5), c.dy as [number, number, number, number])
        const f = tf.tensor4d(values(sizeOf(c.f), 9), c.f as [number, number, number, number])
        const out = c.out as [number, number, number, number]
        const y = tf.conv2dTranspose(dy, f, out, c.s, c.pad)
        const w = tf.tensor(values(y.size, 13), y.shape)
        const loss = (a: Tensor, b: Tensor): Tensor =>
          tf.sum(tf.mul(tf.conv2dTranspose(a as Tensor4D, b as Tensor4D, out, c.s, c.pad), w))
        return [y, ...tf.grads(loss)([dy, f])]
      }, `conv2dTranspose ${JSON.stringify(c)}`)
    }
  })

  it('Conv2DBackpropFilter in im2col chunks (bounded buffer) matches cpu', async () => {
    const saved = wasmKernelLimits.im2colMaxFloats
    // K = 3·3·2 = 18 and Wo = 3: 60 floats allows 1 output row per chunk.
    wasmKernelLimits.im2colMaxFloats = 60
    try {
      await expectSame(() => {
        const x = tf.tensor4d(values(2 * 7 * 5 * 2, 15), [2, 7, 5, 2])
        const dy = tf.tensor4d(values(2 * 4 * 3 * 3, 16), [2, 4, 3, 3])
        return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: 2,
          pad: 'same',
          dataFormat: 'NHWC',
          filterShape: [3, 3, 2, 3]
        } as unknown as Record<string, never>) as Tensor
      }, 'chunked Conv2DBackpropFilter')
    } finally {
      wasmKernelLimits.im2colMaxFloats = saved
    }
  })

  it('rewritten Conv2DBackpropInput equals the stock wasm kernel', async () => {
    const run = (): Tensor => {
      const dy = tf.tensor4d(values(2 * 4 * 3 * 3, 21), [2, 4, 3, 3])
      const f = tf.tensor4d(values(3 * 3 * 2 * 3, 22), [3, 3, 2, 3])
      return tf.conv2dTranspose(dy, f, [2, 8, 6, 2], 2, 'same')
    }
    const rewritten = await on(tf, 'wasm', run)
    setWasmKernelModes(tf, { conv2dBackpropInput: 'stock' })
    try {
      const stock = await on(tf, 'wasm', run)
      expect(relDiff(rewritten[0], stock[0])).toBeLessThanOrEqual(TOL)
    } finally {
      setWasmKernelModes(tf, { conv2dBackpropInput: 'rewritten' })
    }
  })

  it('fused conv2d (bias + activation) trains through the registered kernels', async () => {
    await expectSame(() => {
      const x = tf.tensor4d(values(2 * 6 * 5 * 2, 31), [2, 6, 5, 2])
      const f = tf.tensor4d(values(3 * 3 * 2 * 4, 32), [3, 3, 2, 4])
      const b = tf.tensor1d(values(4, 33))
      const loss = (a: Tensor, c: Tensor, d: Tensor): Tensor =>
        tf.sum(tf.square(tf.fused.conv2d({ x: a as Tensor4D, filter: c as Tensor4D, bias: d, strides: 2, pad: 'same', activation: 'relu' })))
      return tf.grads(loss)([x, f, b])
    }, 'fused conv2d')
  })
})

describe('matMul on wasm vs cpu', () => {
  const combos: Array<[boolean, boolean]> = [
    [false, false],
    [false, true],
    [true, false],
    [true, true]
  ]
  for (const [ta, tb] of combos) {
    it(`forward and gradients, transposeA=${ta} transposeB=${tb}`, async () => {
      const aShape: [number, number] = ta ? [5, 3] : [3, 5]
      const bShape: [number, number] = tb ? [4, 5] : [5, 4]
      for (const mode of ['explicit', 'flags'] as const) {
        setWasmKernelModes(tf, { matMulGradient: mode })
        try {
          await expectSame(() => {
            const a = tf.tensor2d(values(15, 41), aShape)
            const b = tf.tensor2d(values(20, 42), bShape)
            const w = tf.tensor2d(values(12, 43), [3, 4])
            const loss = (x: Tensor, y: Tensor): Tensor => tf.sum(tf.mul(tf.matMul(x as Tensor2D, y as Tensor2D, ta, tb), w))
            return [tf.matMul(a, b, ta, tb), ...tf.grads(loss)([a, b])]
          }, `matMul ${ta} ${tb} ${mode}`)
        } finally {
          setWasmKernelModes(tf, { matMulGradient: 'explicit' })
        }
      }
    })
  }

  it('batched matMul with broadcast batch dimensions', async () => {
    await expectSame(() => {
      const a = tf.tensor3d(values(2 * 3 * 4, 51), [2, 3, 4])
      const b = tf.tensor2d(values(4 * 5, 52), [4, 5])
      const loss = (x: Tensor, y: Tensor): Tensor => tf.sum(tf.square(tf.matMul(x as Tensor2D, y as Tensor2D)))
      return [tf.matMul(a, b), ...tf.grads(loss)([a, b])]
    }, 'batched matMul')
  })

  it('fused matMul (bias, linear and relu) gradients', async () => {
    for (const activation of ['linear', 'relu'] as const) {
      await expectSame(() => {
        const a = tf.tensor2d(values(6 * 7, 61), [6, 7])
        const b = tf.tensor2d(values(7 * 3, 62), [7, 3])
        const bias = tf.tensor1d(values(3, 63))
        const loss = (x: Tensor, y: Tensor, z: Tensor): Tensor =>
          tf.sum(tf.square(tf.fused.matMul({ a: x as Tensor2D, b: y as Tensor2D, bias: z, activation })))
        return tf.grads(loss)([a, b, bias])
      }, `fused matMul ${activation}`)
    }
  })

  it('transposing BatchMatMul kernel equals the stock kernel', async () => {
    const run = (): Tensor => tf.matMul(tf.tensor3d(values(2 * 5 * 3, 71), [2, 5, 3]), tf.tensor3d(values(2 * 4 * 5, 72), [2, 4, 5]), true, true)
    const ours = await on(tf, 'wasm', run)
    setWasmKernelModes(tf, { matMulKernel: 'stock' })
    try {
      expect(relDiff(ours[0], (await on(tf, 'wasm', run))[0])).toBeLessThanOrEqual(TOL)
    } finally {
      setWasmKernelModes(tf, { matMulKernel: 'transposing' })
    }
  })
})

describe('Tile as a broadcast', () => {
  it('folds axes and gives up above rank 6', () => {
    expect(tilePlan([1, 1, 1, 32], [8, 64, 64, 1])).toEqual({ xShape: [1, 32], target: [8 * 64 * 64, 32], outShape: [8, 64, 64, 32] })
    expect(tilePlan([3, 4], [2, 1])).toEqual({ xShape: [1, 12], target: [2, 12], outShape: [6, 4] })
    expect(tilePlan([2, 3, 5, 4], [2, 2, 2, 2])).toBeNull()
  })
})

describe('generator ops on wasm vs cpu (forward and gradient)', () => {
  const x = (): Tensor => tf.tensor4d(values(2 * 3 * 5 * 4, 81), [2, 3, 5, 4])
  const pos = (): Tensor => tf.add(tf.abs(x()), tf.scalar(0.1))
  const ops: Record<string, { input: () => Tensor; f: (t: Tensor) => Tensor }> = {
    'add/mul broadcast': { input: x, f: (t) => tf.mul(tf.add(t, tf.tensor1d([0.5, -1, 2, 0.25])), tf.tensor3d(values(15, 82), [3, 5, 1])) },
    'sub/div broadcast': { input: x, f: (t) => tf.div(tf.sub(t, tf.scalar(0.3)), tf.add(tf.abs(tf.tensor1d(values(4, 83))), tf.scalar(0.5))) },
    leakyRelu: { input: x, f: (t) => tf.leakyRelu(t, 0.2) },
    relu: { input: x, f: (t) => tf.relu(t) },
    sqrt: { input: pos, f: (t) => tf.sqrt(t) },
    rsqrt: { input: pos, f: (t) => tf.rsqrt(t) },
    'mean (axes 1,2, keepDims)': { input: x, f: (t) => tf.mean(t, [1, 2], true) },
    'sum (axis -1)': { input: x, f: (t) => tf.sum(t, -1) },
    sigmoid: { input: x, f: (t) => tf.sigmoid(t) },
    softplus: { input: x, f: (t) => tf.softplus(t) },
    tanh: { input: x, f: (t) => tf.tanh(t) },
    'logistic GAN loss': { input: x, f: (t) => tf.mean(tf.softplus(tf.neg(t))) },
    concat: { input: x, f: (t) => tf.concat([t, tf.mul(t, tf.scalar(2)), tf.slice(t, [0, 0, 0, 0], [2, 3, 5, 1])], 3) },
    slice: { input: x, f: (t) => tf.slice(t, [1, 0, 1, 1], [1, 2, 3, 2]) },
    transpose: { input: x, f: (t) => tf.transpose(t, [0, 3, 1, 2]) },
    reshape: { input: x, f: (t) => tf.reshape(t, [6, 20]) },
    'moments-based instance norm': {
      input: x,
      f: (t) => {
        const { mean, variance } = tf.moments(t, [1, 2], true)
        return tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, tf.scalar(1e-5))))
      }
    },
    'resizeBilinear 2x (half-pixel)': { input: x, f: (t) => tf.image.resizeBilinear(t as Tensor4D, [6, 10], false, true) },
    'resizeNearestNeighbor 2x': { input: x, f: (t) => tf.image.resizeNearestNeighbor(t as Tensor4D, [6, 10]) },
    'mirrorPad reflect': { input: x, f: (t) => tf.mirrorPad(t, [[0, 0], [2, 1], [1, 3], [0, 0]], 'reflect') },
    'pad + tile': { input: x, f: (t) => tf.tile(tf.pad(t, [[0, 0], [1, 0], [0, 2], [0, 0]]), [1, 2, 1, 1]) },
    'tile on every axis (8 broadcast axes: stock Tile fallback)': { input: x, f: (t) => tf.tile(t, [2, 2, 2, 2]) },
    'tile on three axes (6 broadcast axes)': { input: x, f: (t) => tf.tile(t, [2, 1, 3, 2]) },
    broadcastTo: { input: () => tf.tensor3d(values(5, 84), [1, 5, 1]), f: (t) => tf.broadcastTo(t, [2, 3, 5, 4]) }
  }
  for (const [name, op] of Object.entries(ops)) {
    it(name, async () => {
      await expectSame(() => {
        const t = op.input()
        const y = op.f(t)
        const w = tf.tensor(values(y.size, 91), y.shape)
        const g = tf.grad((u: Tensor) => tf.sum(tf.mul(op.f(u), w)))(t)
        return [y, g]
      }, name)
    })
  }
})

// ------------------------------------------------------------------------------------------
// Resize: hand-written reference (TensorFlow's legacy resize semantics), forward and gradient.

interface Resize {
  shape: [number, number, number, number]
  size: [number, number]
  alignCorners: boolean
  halfPixelCenters: boolean
}

function scaleOf(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize
}

/** Source row/column of a nearest resize, written independently of the kernels under test. */
function nearestSource(inSize: number, outSize: number, o: number, r: Resize): number {
  const s = scaleOf(inSize, outSize, r.alignCorners)
  const p = r.halfPixelCenters ? s * (o + 0.5) : s * o
  const i = r.alignCorners ? Math.round(p) : Math.floor(p)
  return Math.max(0, Math.min(inSize - 1, i))
}

/** Dense [out, in] weights of a 1-D resize (nearest or bilinear). */
function weights1d(kind: 'nearest' | 'bilinear', inSize: number, outSize: number, r: Resize): number[][] {
  const m = Array.from({ length: outSize }, () => new Array<number>(inSize).fill(0))
  for (let o = 0; o < outSize; o++) {
    if (kind === 'nearest') {
      m[o][nearestSource(inSize, outSize, o, r)] = 1
    } else {
      const s = scaleOf(inSize, outSize, r.alignCorners)
      const p = r.halfPixelCenters ? s * (o + 0.5) - 0.5 : s * o
      const lo = Math.max(0, Math.floor(p))
      const hi = Math.min(inSize - 1, Math.ceil(p))
      const frac = p - lo
      m[o][Math.min(lo, inSize - 1)] += 1 - frac
      m[o][hi] += frac
    }
  }
  return m
}

function referenceResize(kind: 'nearest' | 'bilinear', r: Resize, x: Float32Array, dy: Float32Array): { y: Float64Array; dx: Float64Array } {
  const [n, h, w, c] = r.shape
  const [oh, ow] = r.size
  const wy = weights1d(kind, h, oh, r)
  const wx = weights1d(kind, w, ow, r)
  const y = new Float64Array(n * oh * ow * c)
  const dx = new Float64Array(n * h * w * c)
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let p = 0; p < h; p++) {
          if (wy[i][p] === 0) continue
          for (let q = 0; q < w; q++) {
            const k = wy[i][p] * wx[j][q]
            if (k === 0) continue
            for (let ch = 0; ch < c; ch++) {
              const yi = ((b * oh + i) * ow + j) * c + ch
              const xi = ((b * h + p) * w + q) * c + ch
              y[yi] += k * x[xi]
              dx[xi] += k * dy[yi]
            }
          }
        }
  return { y, dx }
}

describe('resize gradients against a hand-written reference', () => {
  const cases: Resize[] = [
    { shape: [1, 3, 4, 2], size: [6, 8], alignCorners: false, halfPixelCenters: false },
    { shape: [1, 3, 4, 2], size: [6, 8], alignCorners: false, halfPixelCenters: true },
    { shape: [2, 5, 3, 1], size: [7, 4], alignCorners: true, halfPixelCenters: false },
    { shape: [2, 5, 3, 1], size: [7, 4], alignCorners: false, halfPixelCenters: true },
    { shape: [2, 6, 6, 2], size: [3, 4], alignCorners: false, halfPixelCenters: false },
    { shape: [1, 6, 7, 2], size: [4, 3], alignCorners: false, halfPixelCenters: true },
    { shape: [1, 2, 2, 1], size: [5, 3], alignCorners: true, halfPixelCenters: false }
  ]
  for (const kind of ['nearest', 'bilinear'] as const) {
    for (const r of cases) {
      it(`${kind} ${r.shape} → ${r.size} alignCorners=${r.alignCorners} halfPixelCenters=${r.halfPixelCenters}`, async () => {
        const xv = values(sizeOf(r.shape), 101)
        const dyv = values(r.shape[0] * r.size[0] * r.size[1] * r.shape[3], 102)
        const ref = referenceResize(kind, r, xv, dyv)
        const resize = (t: Tensor): Tensor =>
          kind === 'nearest'
            ? tf.image.resizeNearestNeighbor(t as Tensor4D, r.size, r.alignCorners, r.halfPixelCenters)
            : tf.image.resizeBilinear(t as Tensor4D, r.size, r.alignCorners, r.halfPixelCenters)
        for (const backend of ['wasm', 'cpu'] as const) {
          const [y, dx] = await on(tf, backend, () => {
            const x = tf.tensor4d(xv, r.shape)
            const dy = tf.tensor4d(dyv, [r.shape[0], r.size[0], r.size[1], r.shape[3]])
            return [resize(x), tf.grad((t: Tensor) => tf.sum(tf.mul(resize(t), dy)))(x)]
          })
          expect(relDiff(y, ref.y), `${backend} forward`).toBeLessThanOrEqual(TOL)
          expect(relDiff(dx, ref.dx), `${backend} gradient`).toBeLessThanOrEqual(TOL)
        }
      })
    }
  }

  it('bilinearTaps weights sum to one per output position', () => {
    const t = bilinearTaps(5, 9, { alignCorners: false, halfPixelCenters: true })
    for (let o = 0; o < 9; o++) {
      expect(t.lo[o]).toBeGreaterThanOrEqual(0)
      expect(t.hi[o]).toBeLessThanOrEqual(4)
    }
  })
})

// Pooling: hand-written reference as well (stock AvgPoolGrad is wrong with 'same' padding on
// both backends, stock MaxPoolGrad is wrong on wasm).
function referencePool(
  kind: 'avg' | 'max',
  shape: [number, number, number, number],
  k: number,
  s: number,
  pad: 'same' | 'valid',
  x: Float32Array,
  dy: (outSize: number) => Float32Array
): { y: Float64Array; dx: Float64Array } {
  const [n, h, w, c] = shape
  const oh = pad === 'same' ? Math.ceil(h / s) : Math.ceil((h - k + 1) / s)
  const ow = pad === 'same' ? Math.ceil(w / s) : Math.ceil((w - k + 1) / s)
  const top = pad === 'same' ? Math.floor(Math.max((oh - 1) * s + k - h, 0) / 2) : 0
  const left = pad === 'same' ? Math.floor(Math.max((ow - 1) * s + k - w, 0) / 2) : 0
  const g = dy(n * oh * ow * c)
  const y = new Float64Array(n * oh * ow * c)
  const dx = new Float64Array(x.length)
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let q = 0; q < c; q++) {
          const cells: number[] = []
          for (let p = 0; p < k; p++)
            for (let t = 0; t < k; t++) {
              const r = i * s - top + p
              const cc = j * s - left + t
              if (r >= 0 && r < h && cc >= 0 && cc < w) cells.push(((b * h + r) * w + cc) * c + q)
            }
          const o = ((b * oh + i) * ow + j) * c + q
          if (kind === 'avg') {
            y[o] = cells.reduce((acc, idx) => acc + x[idx], 0) / cells.length
            for (const idx of cells) dx[idx] += g[o] / cells.length
          } else {
            let at = cells[0]
            for (const idx of cells) if (x[idx] > x[at]) at = idx
            y[o] = x[at]
            dx[at] += g[o]
          }
        }
  return { y, dx }
}

describe('pooling gradients against a hand-written reference', () => {
  const cases: Array<[number, number, 'same' | 'valid']> = [
    [2, 1, 'same'],
    [2, 2, 'valid'],
    [3, 2, 'same'],
    [3, 1, 'valid'],
    [2, 2, 'same']
  ]
  const shape: [number, number, number, number] = [2, 5, 7, 3]
  for (const kind of ['avg', 'max'] as const) {
    for (const [k, s, pad] of cases) {
      it(`${kind}Pool ${k}x${k} stride ${s} ${pad}`, async () => {
        const xv = values(sizeOf(shape), 121)
        const ref = referencePool(kind, shape, k, s, pad, xv, (m) => values(m, 122))
        const pool = (t: Tensor): Tensor => (kind === 'avg' ? tf.avgPool(t as Tensor4D, k, s, pad) : tf.maxPool(t as Tensor4D, k, s, pad))
        for (const backend of ['wasm', 'cpu'] as const) {
          const [y, dx] = await on(tf, backend, () => {
            const x = tf.tensor4d(xv, shape)
            const w = tf.tensor(values(ref.y.length, 122), pool(x).shape)
            return [pool(x), tf.grad((t: Tensor) => tf.sum(tf.mul(pool(t), w)))(x)]
          })
          expect(relDiff(y, ref.y), `${backend} forward`).toBeLessThanOrEqual(TOL)
          expect(relDiff(dx, ref.dx), `${backend} gradient`).toBeLessThanOrEqual(TOL)
        }
      })
    }
  }
})

describe('a small training loop on wasm', () => {
  it('Adam on a conv + resize + dense model decreases the loss and leaks nothing', async () => {
    await tf.setBackend('wasm')
    const x = tf.tensor4d(values(2 * 8 * 8 * 3, 111), [2, 8, 8, 3])
    const target = tf.tensor2d(values(2 * 4, 112), [2, 4])
    const scaled = (v: Float32Array): Float32Array => v.map((e) => e * 0.3)
    const w1 = tf.variable(tf.tensor4d(scaled(values(3 * 3 * 3 * 4, 113)), [3, 3, 3, 4]))
    const w2 = tf.variable(tf.tensor4d(scaled(values(3 * 3 * 4 * 4, 114)), [3, 3, 4, 4]))
    const dense = tf.variable(tf.tensor2d(scaled(values(4 * 4, 115)), [4, 4]))
    const opt = tf.train.adam(0.02)
    const before = tf.memory().numTensors
    const lossFn = (): Tensor => {
      let h = tf.leakyRelu(tf.conv2d(x, w1 as Tensor4D, 2, 'same'), 0.2)
      h = tf.image.resizeNearestNeighbor(h as Tensor4D, [8, 8])
      h = tf.leakyRelu(tf.conv2d(h as Tensor4D, w2 as Tensor4D, 2, 'same'), 0.2)
      const pooled = tf.mean(h, [1, 2])
      return tf.losses.meanSquaredError(target, tf.matMul(pooled as Tensor2D, dense))
    }
    const losses: number[] = []
    for (let i = 0; i < 15; i++) {
      const l = opt.minimize(lossFn as () => ReturnType<typeof tf.scalar>, true, [w1, w2, dense])
      losses.push(l!.dataSync()[0])
      l!.dispose()
    }
    expect(losses.every(Number.isFinite)).toBe(true)
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7)
    // Steps leave only Adam's moment variables behind, which dispose() releases.
    opt.dispose()
    expect(tf.memory().numTensors).toBe(before - 2)
    tf.dispose([x, target, w1, w2, dense])
  })
})
