import { describe, it, expect } from 'vitest'
import * as ort from 'onnxruntime-node'
import { OnnxBuilder, OnnxBuilderError, attr, irVersionFor } from '../../../src/main/engine/onnx/builder'
import { inspectOnnx } from '../../../src/main/engine/onnx/inspect'
import { runOnnx, f32, pseudoRandom, expectClose, conv2d, bilinear } from './reference'

function data(t: ort.Tensor | undefined): Float32Array {
  if (!t) throw new Error('missing output')
  return t.data as Float32Array
}

describe('OnnxBuilder against onnxruntime', () => {
  it('runs a Gemm + LeakyRelu MLP', async () => {
    const [n, din, dh, dout] = [3, 5, 7, 4]
    const w1 = pseudoRandom(din * dh, 1)
    const b1 = pseudoRandom(dh, 2)
    const w2 = pseudoRandom(dout * dh, 3) // stored [dout, dh], used transposed
    const b2 = pseudoRandom(dout, 4)
    const x = pseudoRandom(n * din, 5)

    const g = new OnnxBuilder()
    const input = g.input('x', 'float32', ['N', din])
    const h = g.leakyRelu(g.gemm(input, g.constant(w1, [din, dh]), g.constant(b1)), 0.2)
    const y = g.gemm(h, g.constant(w2, [dout, dh]), g.constant(b2), { transB: true, alpha: 0.5, beta: 2 })
    g.output(y, 'y', ['N', dout])
    const out = await runOnnx(g.build(), { x: f32(x, [n, din]) })

    const expected = new Float32Array(n * dout)
    for (let r = 0; r < n; r++) {
      const hidden = Array.from({ length: dh }, (_, j) => {
        let s = b1[j]!
        for (let k = 0; k < din; k++) s += x[r * din + k]! * w1[k * dh + j]!
        return s > 0 ? s : 0.2 * s
      })
      for (let j = 0; j < dout; j++) {
        let s = 0
        for (let k = 0; k < dh; k++) s += hidden[k]! * w2[j * dh + k]!
        expected[r * dout + j] = 0.5 * s + 2 * b2[j]!
      }
    }
    expect(out.y!.dims).toEqual([n, dout])
    expectClose(data(out.y), expected)
  })

  it('runs a grouped Conv with strides, asymmetric pads and dilations', async () => {
    const xs = { n: 2, c: 4, h: 7, w: 6 }
    const [m, kh, kw] = [6, 3, 3]
    const x = pseudoRandom(xs.n * xs.c * xs.h * xs.w, 11)
    const w = pseudoRandom(m * (xs.c / 2) * kh * kw, 12)
    const b = pseudoRandom(m, 13)
    const options = { strides: [2, 1] as [number, number], pads: [1, 0, 2, 1] as [number, number, number, number], dilations: [1, 2] as [number, number], group: 2 }

    const g = new OnnxBuilder()
    const input = g.input('x', 'float32', ['N', xs.c, xs.h, xs.w])
    g.output(g.conv(input, g.constant(w, [m, xs.c / 2, kh, kw]), g.constant(b), options), 'y')
    const out = await runOnnx(g.build(), { x: f32(x, [xs.n, xs.c, xs.h, xs.w]) })

    const ref = conv2d(x, xs, w, m, kh, kw, b, options)
    expect(out.y!.dims).toEqual([ref.shape.n, ref.shape.c, ref.shape.h, ref.shape.w])
    expectClose(data(out.y), ref.data)
  })

  it('runs a depthwise Conv with a scalar pad and no bias', async () => {
    const xs = { n: 1, c: 3, h: 5, w: 5 }
    const x = pseudoRandom(75, 21)
    const w = pseudoRandom(3 * 9, 22)
    const g = new OnnxBuilder()
    g.output(g.conv(g.input('x', 'float32', [1, 3, 5, 5]), g.constant(w, [3, 1, 3, 3]), null, { pads: 1, group: 3 }), 'y')
    const out = await runOnnx(g.build(), { x: f32(x, [1, 3, 5, 5]) })
    expectClose(data(out.y), conv2d(x, xs, w, 3, 3, 3, null, { pads: [1, 1, 1, 1], group: 3 }).data)
  })

  it("runs onnxruntime's FusedConv: grouped 1×1 conv + sum input + Relu, with a declared intermediate shape", async () => {
    const xs = { n: 2, c: 6, h: 3, w: 4 }
    const m = 4
    const x = pseudoRandom(xs.n * xs.c * xs.h * xs.w, 31)
    const w = pseudoRandom(m * (xs.c / 2), 32)
    const z = pseudoRandom(xs.n * m * xs.h * xs.w, 33)
    const g = new OnnxBuilder()
    const input = g.input('x', 'float32', ['N', xs.c, xs.h, xs.w])
    // The sum arrives flattened and reshaped, as in the interpreter export; its declared shape keeps N.
    const flat = g.reshape(g.input('z', 'float32', ['N', m * xs.h * xs.w]), [-1, m, xs.h, xs.w])
    const sum = g.declareShape(flat, ['N', m, xs.h, xs.w])
    g.output(g.fusedConv(input, g.constant(w, [m, xs.c / 2, 1, 1]), null, { group: 2, sum, activation: 'Relu' }), 'y')
    const model = g.model()
    expect(model.graph?.valueInfo?.map((v) => v.name)).toEqual([flat.name])
    expect(model.graph?.node?.find((n) => n.opType === 'FusedConv')?.domain).toBe('com.microsoft')
    const out = await runOnnx(g.build(), { x: f32(x, [xs.n, xs.c, xs.h, xs.w]), z: f32(z, [xs.n, m * xs.h * xs.w]) })

    const conv = conv2d(x, xs, w, m, 1, 1, null, { group: 2 }).data
    expectClose(data(out.y), conv.map((v, i) => Math.max(0, v + z[i])))
    expect(() => g.declareShape(flat, ['N', m, xs.h, xs.w])).toThrow(/declared twice/)
  })

  it('runs ConvTranspose with stride 2', async () => {
    const [n, c, h, wd, m, k] = [1, 2, 3, 4, 3, 3]
    const x = pseudoRandom(n * c * h * wd, 31)
    const w = pseudoRandom(c * m * k * k, 32) // [C, M, k, k]
    const g = new OnnxBuilder()
    g.output(g.convTranspose(g.input('x', 'float32', [n, c, h, wd]), g.constant(w, [c, m, k, k]), null, { strides: 2, pads: 1, outputPadding: 1 }), 'y')
    const out = await runOnnx(g.build(), { x: f32(x, [n, c, h, wd]) })
    // Reference: scatter every input pixel through the kernel, then crop the pads.
    const oh = (h - 1) * 2 - 2 + k + 1
    const ow = (wd - 1) * 2 - 2 + k + 1
    const expected = new Float32Array(m * oh * ow)
    for (let ic = 0; ic < c; ic++)
      for (let iy = 0; iy < h; iy++)
        for (let ix = 0; ix < wd; ix++)
          for (let oc = 0; oc < m; oc++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const y = iy * 2 - 1 + ky
                const xx = ix * 2 - 1 + kx
                if (y < 0 || y >= oh || xx < 0 || xx >= ow) continue
                expected[(oc * oh + y) * ow + xx]! += x[(ic * h + iy) * wd + ix]! * w[((ic * m + oc) * k + ky) * k + kx]!
              }
    expect(out.y!.dims).toEqual([n, m, oh, ow])
    expectClose(data(out.y), expected)
  })

  it('Resize linear (half_pixel) matches bilinear with align_corners=False, by scales and by sizes', async () => {
    const xs = { n: 1, c: 2, h: 5, w: 4 }
    const x = pseudoRandom(40, 41)
    const g = new OnnxBuilder()
    const input = g.input('x', 'float32', ['N', 2, 5, 4])
    g.output(g.resize(input, { mode: 'linear', scales: [1, 1, 2, 2] }), 'up2', ['N', 2, 10, 8])
    g.output(g.resize(input, { mode: 'linear', sizes: [1, 2, 7, 9] }), 'sized')
    const out = await runOnnx(g.build(), { x: f32(x, [1, 2, 5, 4]) })
    expect(out.up2!.dims).toEqual([1, 2, 10, 8])
    expectClose(data(out.up2), bilinear(x, xs, 10, 8))
    expect(out.sized!.dims).toEqual([1, 2, 7, 9])
    expectClose(data(out.sized), bilinear(x, xs, 7, 9))
  })

  it('Resize nearest (asymmetric, floor) replicates pixels', async () => {
    const x = pseudoRandom(12, 51)
    const g = new OnnxBuilder()
    g.output(g.resize(g.input('x', 'float32', [1, 1, 3, 4]), { mode: 'nearest', scales: [1, 1, 2, 2] }), 'y')
    const out = await runOnnx(g.build(), { x: f32(x, [1, 1, 3, 4]) })
    const expected = Float32Array.from({ length: 6 * 8 }, (_, i) => x[Math.floor(Math.floor(i / 8) / 2) * 4 + Math.floor((i % 8) / 2)]!)
    expectClose(data(out.y), expected, 0)
  })

  it('runs the Reduce/Sqrt weight demodulation pattern (and its Pow and ReduceMean forms)', async () => {
    const [n, cout, cin, k] = [2, 3, 4, 3]
    const w = pseudoRandom(cout * cin * k * k, 61)
    const style = pseudoRandom(n * cin, 62).map((v) => v + 1.5)
    const eps = 1e-8

    const g = new OnnxBuilder()
    const s = g.input('style', 'float32', ['N', cin])
    const weight = g.constant(w, [1, cout, cin, k, k])
    const modulated = g.mul(weight, g.unsqueeze(s, [1, 3, 4])) // [N, cout, cin, k, k]
    const sumSq = g.reduceSum(g.mul(modulated, modulated), [2, 3, 4])
    const demod = g.reciprocal(g.sqrt(g.add(sumSq, g.scalar(eps))))
    g.output(g.mul(modulated, demod), 'w')
    g.output(g.mul(modulated, g.pow(g.add(sumSq, g.scalar(eps)), g.scalar(-0.5))), 'w_pow')
    g.output(g.reduceMean(g.mul(modulated, modulated), [2, 3, 4], false), 'mean_sq', ['N', cout])
    const out = await runOnnx(g.build(), { style: f32(style, [n, cin]) })

    const expected = new Float32Array(n * cout * cin * k * k)
    const meanSq = new Float32Array(n * cout)
    const per = cin * k * k
    for (let b = 0; b < n; b++)
      for (let o = 0; o < cout; o++) {
        let sum = 0
        for (let i = 0; i < per; i++) sum += (w[o * per + i]! * style[b * cin + Math.floor(i / (k * k))]!) ** 2
        meanSq[b * cout + o] = sum / per
        for (let i = 0; i < per; i++) expected[(b * cout + o) * per + i] = (w[o * per + i]! * style[b * cin + Math.floor(i / (k * k))]!) / Math.sqrt(sum + eps)
      }
    expect(out.w!.dims).toEqual([n, cout, cin, k, k])
    expectClose(data(out.w), expected)
    expectClose(data(out.w_pow), expected)
    expectClose(data(out.mean_sq), meanSq)
  })

  it('runs Concat, strided Slice and Transpose', async () => {
    const a = pseudoRandom(2 * 3 * 4, 71)
    const b = pseudoRandom(2 * 2 * 4, 72)
    const g = new OnnxBuilder()
    const cat = g.concat([g.input('a', 'float32', [2, 3, 4]), g.input('b', 'float32', [2, 2, 4])], 1) // [2, 5, 4]
    const sliced = g.slice(cat, [1, 1], [5, 4], [1, 2], [2, 2]) // rows 1, 3; cols 1, 3 -> [2, 2, 2]
    g.output(g.transpose(sliced, [2, 0, 1]), 'y') // [2 (col), 2 (batch), 2 (row)]
    const out = await runOnnx(g.build(), { a: f32(a, [2, 3, 4]), b: f32(b, [2, 2, 4]) })

    const catAt = (n: number, r: number, c: number): number => (r < 3 ? a[(n * 3 + r) * 4 + c]! : b[(n * 2 + r - 3) * 4 + c]!)
    const expected: number[] = []
    for (const col of [1, 3]) for (const n of [0, 1]) for (const row of [1, 3]) expected.push(catAt(n, row, col))
    expect(out.y!.dims).toEqual([2, 2, 2])
    expectClose(data(out.y), expected, 0)
  })

  it('runs the remaining helpers (MatMul, Softmax, ArgMax, Clip, BatchNorm, Gather, Shape, Expand, Squeeze, Cast...)', async () => {
    const x = pseudoRandom(2 * 3, 81)
    const m = pseudoRandom(3 * 2, 82)
    const g = new OnnxBuilder()
    const input = g.input('x', 'float32', ['N', 3])
    g.output(g.matMul(input, g.constant(m, [3, 2])), 'matmul')
    g.output(g.softmax(input, 1), 'softmax')
    g.output(g.argMax(input, 1, false), 'argmax', ['N'])
    g.output(g.clip(input, -0.25, 0.5), 'clip')
    g.output(g.sigmoid(g.relu(g.div(g.sub(input, g.scalar(0.1)), g.scalar(2)))), 'sigrelu')
    const bn = g.batchNormalization(
      g.reshape(input, [0, 3, 1, 1]),
      g.constant([1, 2, 3]),
      g.constant([0.5, 0, -0.5]),
      g.constant([0.1, 0.2, 0.3]),
      g.constant([1, 4, 9]),
      { epsilon: 0 }
    )
    g.output(g.squeeze(bn, [2, 3]), 'bn')
    g.output(g.gather(input, [2, 0], 1), 'gather')
    g.output(g.shape(input), 'shape')
    g.output(g.shape(input, { start: 1 }), 'shape_tail')
    g.output(g.expand(g.unsqueeze(input, [1]), [2, 4, 3]), 'expand')
    g.output(g.cast(g.argMax(input, 0), 'float32'), 'argmax0_f')
    g.output(g.tanh(g.abs(g.neg(input))), 'tanh_abs')
    g.output(g.log(g.exp(input)), 'log_exp')
    const out = await runOnnx(g.build(), { x: f32(x, [2, 3]) })

    const row = (r: number): number[] => [x[r * 3]!, x[r * 3 + 1]!, x[r * 3 + 2]!]
    const matmul: number[] = []
    const softmax: number[] = []
    const bnRef: number[] = []
    for (const r of [0, 1]) {
      const v = row(r)
      for (let j = 0; j < 2; j++) matmul.push(v[0]! * m[j]! + v[1]! * m[2 + j]! + v[2]! * m[4 + j]!)
      const e = v.map(Math.exp)
      const s = e.reduce((p, q) => p + q, 0)
      softmax.push(...e.map((q) => q / s))
      v.forEach((q, c) => bnRef.push(((q - [0.1, 0.2, 0.3][c]!) / Math.sqrt([1, 4, 9][c]!)) * [1, 2, 3][c]! + [0.5, 0, -0.5][c]!))
    }
    expectClose(data(out.matmul), matmul)
    expectClose(data(out.softmax), softmax)
    expect([...(out.argmax!.data as BigInt64Array)]).toEqual([0, 1].map((r) => BigInt(row(r).indexOf(Math.max(...row(r))))))
    expectClose(data(out.clip), [...x].map((v) => Math.min(0.5, Math.max(-0.25, v))))
    expectClose(data(out.sigrelu), [...x].map((v) => 1 / (1 + Math.exp(-Math.max(0, (v - 0.1) / 2)))))
    expectClose(data(out.bn), bnRef)
    expectClose(data(out.gather), [x[2]!, x[0]!, x[5]!, x[3]!], 0)
    expect([...(out.shape!.data as BigInt64Array)]).toEqual([2n, 3n])
    expect([...(out.shape_tail!.data as BigInt64Array)]).toEqual([3n])
    expect(out.expand!.dims).toEqual([2, 4, 3])
    expectClose(data(out.expand).subarray(9, 12), row(0), 0)
    expectClose(data(out.argmax0_f), [0, 1, 2].map((c) => (x[3 + c]! > x[c]! ? 1 : 0)), 0)
    expectClose(data(out.tanh_abs), [...x].map((v) => Math.tanh(Math.abs(v))))
    expectClose(data(out.log_exp), x, 1e-6)
  })

  it('emits the opset-specific forms of Reduce* and Squeeze', async () => {
    const x = pseudoRandom(2 * 3, 91)
    for (const opset of [13, 17, 18, 21]) {
      const g = new OnnxBuilder({ opset })
      const input = g.input('x', 'float32', [2, 3])
      g.output(g.reduceMean(input, [1]), 'mean', [2, 1])
      g.output(g.reduceSum(input, [0], false), 'sum', [3])
      g.output(g.reduceMax(input, [], false), 'max', [])
      g.output(g.squeeze(g.unsqueeze(input, [0])), 'same')
      const bytes = g.build()
      expect(inspectOnnx(bytes)).toMatchObject({ opset, irVersion: irVersionFor(opset) })
      const out = await runOnnx(bytes, { x: f32(x, [2, 3]) })
      expectClose(data(out.mean), [(x[0]! + x[1]! + x[2]!) / 3, (x[3]! + x[4]! + x[5]!) / 3])
      expectClose(data(out.sum), [x[0]! + x[3]!, x[1]! + x[4]!, x[2]! + x[5]!])
      expectClose(data(out.max), [Math.max(...x)], 0)
      expectClose(data(out.same), x, 0)
    }
  })

  it('runs int64 arithmetic and the generic node() helper', async () => {
    const g = new OnnxBuilder()
    const s = g.input('s', 'int64', ['N'])
    const half = g.constantInt64([65536], [])
    g.output(g.mod(s, half), 'lo')
    g.output(g.div(s, half), 'hi')
    const [y] = g.node('Elu', [g.cast(s, 'float32')], [attr.float('alpha', 1)])
    g.output(y!, 'elu')
    const out = await runOnnx(g.build(), { s: new ort.Tensor('int64', BigInt64Array.from([5n, 65537n * 3n, -1n]), [3]) })
    expect([...(out.lo!.data as BigInt64Array)]).toEqual([5n, 3n, 65535n])
    expect([...(out.hi!.data as BigInt64Array)]).toEqual([0n, 3n, 0n])
    expectClose(data(out.elu), [5, 65537 * 3, Math.exp(-1) - 1], 1e-6)
  })
})

describe('OnnxBuilder bookkeeping', () => {
  function small(): OnnxBuilder {
    const g = new OnnxBuilder({ producerVersion: '0.1.0', metadata: { purpose: 'test' } })
    const x = g.input('x', 'float32', ['N', 4])
    g.output(g.tanh(g.gemm(x, g.constant(pseudoRandom(8, 1), [4, 2], 'fc.weight'))), 'y', ['N', 2])
    return g
  }

  it('is byte-deterministic', () => {
    expect(Buffer.from(small().build()).equals(Buffer.from(small().build()))).toBe(true)
  })

  it('writes opset 17, IR 8 and producer twinlight by default', () => {
    const model = small().model()
    expect(model.opsetImport).toEqual([{ domain: '', version: 17 }])
    expect(model.irVersion).toBe(8)
    expect(model.producerName).toBe('twinlight')
    expect(model.producerVersion).toBe('0.1.0')
  })

  it('imports every domain its nodes use, so strict checkers accept contrib ops', () => {
    const g = new OnnxBuilder()
    const x = g.input('x', 'float32', ['N', 4])
    g.output(g.node('Gelu', [x], [], { domain: 'com.microsoft' })[0], 'y', ['N', 4])
    expect(g.model().opsetImport).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 }
    ])
  })

  it('generates unique intermediate names and keeps fixed ones', () => {
    const g = new OnnxBuilder()
    const x = g.input('x', 'float32', [2])
    const a = g.relu(x)
    const b = g.relu(x)
    const c = g.relu(x, { name: 'tap' })
    expect(new Set([a.name, b.name, c.name]).size).toBe(3)
    expect(c.name).toBe('tap')
    // a hint that collides with an existing fixed name still gets a fresh name
    g.input('Relu_5', 'float32', [2])
    expect(g.uniqueName('Relu')).not.toBe('Relu_5')
    expect(() => g.relu(x, { name: 'tap' })).toThrow(/"tap".*already used/)
    expect(() => g.input('x', 'float32', [1])).toThrow(OnnxBuilderError)
  })

  it('renames outputs with Identity and keeps graph order topological', async () => {
    const g = new OnnxBuilder()
    const x = g.input('x', 'float32', [3])
    const y = g.sqrt(x)
    g.output(y, 'root', [3])
    g.output(y, 'root_again', [3])
    const nodes = g.model().graph!.node!
    expect(nodes.map((n) => n.opType)).toEqual(['Sqrt', 'Identity', 'Identity'])
    const out = await runOnnx(g.build(), { x: f32([1, 4, 9], [3]) })
    expect([...data(out.root_again)]).toEqual([1, 2, 3])
  })

  it('refuses random ops, foreign values, bad data and empty graphs', () => {
    const g = new OnnxBuilder()
    const x = g.input('x', 'float32', [2])
    expect(() => g.node('RandomNormalLike', [x])).toThrow(/RandomNormalLike is not allowed/)
    expect(() => g.node('RandomUniform', [])).toThrow(OnnxBuilderError)
    const other = new OnnxBuilder().input('elsewhere', 'float32', [1])
    expect(() => g.relu(other)).toThrow(/"elsewhere" is not a value of this graph/)
    expect(() => g.constant([1, 2, 3], [2, 2])).toThrow(/hold 4 values, the data has 3/)
    expect(() => g.resize(x, { mode: 'linear' })).toThrow(/exactly one of scales or sizes/)
    expect(() => g.build()).toThrow(/no outputs/)
    expect(() => new OnnxBuilder({ opset: 11 })).toThrow(/opset 11/)
    expect(() => new OnnxBuilder({ opset: 13 }).shape(new OnnxBuilder({ opset: 13 }).input('a', 'float32', [1]), { start: 0 })).toThrow()
  })

  it('stores int64 initializers exactly', async () => {
    const g = new OnnxBuilder()
    const x = g.input('x', 'int64', [2])
    g.output(g.add(x, g.constantInt64([2n ** 40n + 1n, -7n])), 'y')
    const out = await runOnnx(g.build(), { x: new ort.Tensor('int64', BigInt64Array.from([1n, 2n]), [2]) })
    expect([...(out.y!.data as BigInt64Array)]).toEqual([2n ** 40n + 2n, -5n])
  })
})
