// The large matrix products of interpreter training (the first layer: [B, C]·[C, M·H1], its
// weight gradient, and the native-resolution partial sums) behind one small interface, with
// two implementations:
//   - 'tfjs': TensorFlow.js on the backend initTf chose (XNNPACK on wasm: one thread, 128-bit SIMD)
//   - 'onnxruntime': a one-node MatMul/Gemm graph in onnxruntime-node (MLAS: every core, AVX2/AVX-512)
// Both compute in float32; results agree to rounding. bench/interpreter.ts measures both.
import type { Tensor2D } from '@tensorflow/tfjs-core'
import type { Tf } from '../tf/types'
import { OnnxBuilder } from '../onnx/builder'

export type GemmEngineName = 'tfjs' | 'onnxruntime'

/** A row-major matrix. `constant` lets an engine keep it resident across calls (feature maps). */
export interface Matrix {
  data: Float32Array
  rows: number
  cols: number
  constant?: boolean
}

export interface GemmEngine {
  readonly name: GemmEngineName
  /** op(A)·B with op(A) = A, or Aᵀ when transposeA; returns a new row-major array. */
  matMul(a: Matrix, b: Matrix, transposeA?: boolean): Promise<Float32Array>
  /**
   * `batch` independent products stored one after another: op(A_i)·B_i with A_i [m, k] (or
   * [k, m] read transposed when transposeA) and B_i [k, n]; returns [batch, m, n].
   */
  batchMatMul(a: Float32Array, b: Float32Array, shape: BatchShape, transposeA?: boolean): Promise<Float32Array>
  dispose(): Promise<void>
}

export interface BatchShape {
  batch: number
  m: number
  k: number
  n: number
}

function checkBatch(a: Float32Array, b: Float32Array, { batch, m, k, n }: BatchShape): void {
  if (a.length < batch * m * k || b.length < batch * k * n) throw new Error(`batchMatMul: fewer values than ${batch} × [${m}, ${k}] · [${k}, ${n}]`)
}

function check(a: Matrix, b: Matrix, transposeA: boolean): { m: number; k: number; n: number } {
  const m = transposeA ? a.cols : a.rows
  const k = transposeA ? a.rows : a.cols
  if (k !== b.rows) throw new Error(`matMul: inner sizes differ (${k} vs ${b.rows})`)
  if (a.data.length < a.rows * a.cols || b.data.length < b.rows * b.cols) throw new Error('matMul: a matrix has fewer values than its shape')
  return { m, k, n: b.cols }
}

export class TfGemm implements GemmEngine {
  readonly name = 'tfjs' as const
  private readonly resident = new WeakMap<Float32Array, Tensor2D>()
  private readonly all: Tensor2D[] = []
  constructor(private readonly tf: Tf) {}

  private tensor(x: Matrix): { t: Tensor2D; owned: boolean } {
    if (x.constant) {
      let t = this.resident.get(x.data)
      if (!t) {
        t = this.tf.tensor2d(x.data.subarray(0, x.rows * x.cols), [x.rows, x.cols])
        this.resident.set(x.data, t)
        this.all.push(t)
      }
      return { t, owned: false }
    }
    return { t: this.tf.tensor2d(x.data.subarray(0, x.rows * x.cols), [x.rows, x.cols]), owned: true }
  }

  async matMul(a: Matrix, b: Matrix, transposeA = false): Promise<Float32Array> {
    check(a, b, transposeA)
    const ta = this.tensor(a)
    const tb = this.tensor(b)
    const c = this.tf.matMul(ta.t, tb.t, transposeA, false)
    const out = (c.dataSync() as Float32Array).slice()
    c.dispose()
    if (ta.owned) ta.t.dispose()
    if (tb.owned) tb.t.dispose()
    return out
  }

  async batchMatMul(a: Float32Array, b: Float32Array, shape: BatchShape, transposeA = false): Promise<Float32Array> {
    checkBatch(a, b, shape)
    const { batch, m, k, n } = shape
    const out = this.tf.tidy(() => {
      const ta = this.tf.tensor3d(a.subarray(0, batch * m * k), transposeA ? [batch, k, m] : [batch, m, k])
      const tb = this.tf.tensor3d(b.subarray(0, batch * k * n), [batch, k, n])
      return this.tf.matMul(ta, tb, transposeA, false)
    })
    const data = (out.dataSync() as Float32Array).slice()
    out.dispose()
    return data
  }

  async dispose(): Promise<void> {
    for (const t of this.all) t.dispose()
    this.all.length = 0
  }
}

type Ort = typeof import('onnxruntime-node')
type Session = import('onnxruntime-node').InferenceSession

export class OrtGemm implements GemmEngine {
  readonly name = 'onnxruntime' as const
  private sessions = new Map<string, Promise<Session>>()
  private constructor(
    private readonly ort: Ort,
    private readonly threads: number
  ) {}

  static async create(threads = 0): Promise<OrtGemm> {
    const ort = (await import('onnxruntime-node')) as Ort
    return new OrtGemm((ort as unknown as { default?: Ort }).default ?? ort, threads)
  }

  private session(transposeA: boolean, batched: boolean): Promise<Session> {
    const key = `${transposeA ? 'tA' : 'nn'}${batched ? '-batched' : ''}`
    let s = this.sessions.get(key)
    if (!s) {
      const g = new OnnxBuilder()
      const lead = batched ? ['B'] : []
      const a = g.input('a', 'float32', [...lead, ...(transposeA ? ['K', 'M'] : ['M', 'K'])])
      const b = g.input('b', 'float32', [...lead, 'K', 'N'])
      // Gemm with transA reads Aᵀ without materialising it; Gemm is 2-D only, so a batch
      // transposes explicitly (onnxruntime fuses Transpose + MatMul into one kernel).
      const c = !transposeA ? g.matMul(a, b) : batched ? g.matMul(g.transpose(a, [0, 2, 1]), b) : g.gemm(a, b, null, { transA: true })
      g.output(c, 'c', [...lead, 'M', 'N'])
      // No spinning: idle intra-op threads that spin between runs steal the cores the JS loops
      // between two products need (measured 2–3× slower JS on the 2-core VM).
      s = this.ort.InferenceSession.create(g.build(), {
        intraOpNumThreads: this.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        // Outputs change size with every call: no arena, no memory pattern, so memory goes back.
        enableCpuMemArena: false,
        enableMemPattern: false,
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } }
      })
      this.sessions.set(key, s)
    }
    return s
  }

  async matMul(a: Matrix, b: Matrix, transposeA = false): Promise<Float32Array> {
    check(a, b, transposeA)
    const session = await this.session(transposeA, false)
    const A = new this.ort.Tensor('float32', a.data.subarray(0, a.rows * a.cols), [a.rows, a.cols])
    const B = new this.ort.Tensor('float32', b.data.subarray(0, b.rows * b.cols), [b.rows, b.cols])
    const out = await session.run({ a: A, b: B })
    return out.c.data as Float32Array
  }

  async batchMatMul(a: Float32Array, b: Float32Array, shape: BatchShape, transposeA = false): Promise<Float32Array> {
    checkBatch(a, b, shape)
    const { batch, m, k, n } = shape
    const session = await this.session(transposeA, true)
    const A = new this.ort.Tensor('float32', a.subarray(0, batch * m * k), transposeA ? [batch, k, m] : [batch, m, k])
    const B = new this.ort.Tensor('float32', b.subarray(0, batch * k * n), [batch, k, n])
    const out = await session.run({ a: A, b: B })
    return out.c.data as Float32Array
  }

  async dispose(): Promise<void> {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    for (const s of all) await (await s.catch(() => null))?.release()
  }
}

export async function createGemm(name: GemmEngineName, tf: Tf): Promise<GemmEngine> {
  return name === 'onnxruntime' ? OrtGemm.create() : new TfGemm(tf)
}
