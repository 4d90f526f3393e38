// Plain-JS reference implementations the ONNX tests compare onnxruntime against, and a helper
// that runs builder bytes in onnxruntime-node.
import * as ort from 'onnxruntime-node'
import { expect } from 'vitest'

export type Feeds = Record<string, ort.Tensor>

export async function runOnnx(bytes: Uint8Array, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(Buffer.from(bytes))
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

export function f32(data: ArrayLike<number>, dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(data), dims)
}

/** Deterministic pseudo-random values in [-1, 1). */
export function pseudoRandom(count: number, seed: number): Float32Array {
  let s = seed >>> 0
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2147483648 - 1
  })
}

export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance = 1e-5): void {
  expect(actual.length).toBe(expected.length)
  let worst = 0
  let at = -1
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!)
    if (!(error <= worst)) {
      worst = error
      at = i
    }
  }
  expect(worst, `largest difference at index ${at}: ${actual[at]} vs ${expected[at]}`).toBeLessThanOrEqual(tolerance)
}

export interface Shape4 {
  n: number
  c: number
  h: number
  w: number
}

/** NCHW convolution with ONNX semantics: weight [M, C/group, kH, kW], pads [top, left, bottom, right]. */
export function conv2d(
  input: Float32Array,
  xs: Shape4,
  weight: Float32Array,
  m: number,
  kh: number,
  kw: number,
  bias: Float32Array | null,
  o: { strides?: [number, number]; pads?: [number, number, number, number]; dilations?: [number, number]; group?: number } = {}
): { data: Float32Array; shape: Shape4 } {
  const [sh, sw] = o.strides ?? [1, 1]
  const [pt, pl, pb, pr] = o.pads ?? [0, 0, 0, 0]
  const [dh, dw] = o.dilations ?? [1, 1]
  const group = o.group ?? 1
  const cg = xs.c / group
  const mg = m / group
  const oh = Math.floor((xs.h + pt + pb - dh * (kh - 1) - 1) / sh) + 1
  const ow = Math.floor((xs.w + pl + pr - dw * (kw - 1) - 1) / sw) + 1
  const out = new Float32Array(xs.n * m * oh * ow)
  for (let n = 0; n < xs.n; n++)
    for (let oc = 0; oc < m; oc++) {
      const g = Math.floor(oc / mg)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let sum = bias ? bias[oc]! : 0
          for (let ic = 0; ic < cg; ic++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh - pt + ky * dh
                const ix = ox * sw - pl + kx * dw
                if (iy < 0 || iy >= xs.h || ix < 0 || ix >= xs.w) continue
                const c = g * cg + ic
                sum += input[((n * xs.c + c) * xs.h + iy) * xs.w + ix]! * weight[((oc * cg + ic) * kh + ky) * kw + kx]!
              }
          out[((n * m + oc) * oh + oy) * ow + ox] = sum
        }
    }
  return { data: out, shape: { n: xs.n, c: m, h: oh, w: ow } }
}

/** Bilinear resize with PyTorch align_corners=False semantics (src = (dst + 0.5) / scale - 0.5, clamped at 0). */
export function bilinear(input: Float32Array, xs: Shape4, oh: number, ow: number): Float32Array {
  const out = new Float32Array(xs.n * xs.c * oh * ow)
  const source = (dst: number, inSize: number, outSize: number): [number, number, number] => {
    const src = Math.max((dst + 0.5) * (inSize / outSize) - 0.5, 0)
    const i0 = Math.floor(src)
    const i1 = Math.min(i0 + 1, inSize - 1)
    return [i0, i1, src - i0]
  }
  for (let nc = 0; nc < xs.n * xs.c; nc++)
    for (let y = 0; y < oh; y++) {
      const [y0, y1, ly] = source(y, xs.h, oh)
      for (let x = 0; x < ow; x++) {
        const [x0, x1, lx] = source(x, xs.w, ow)
        const at = (yy: number, xx: number): number => input[(nc * xs.h + yy) * xs.w + xx]!
        out[(nc * oh + y) * ow + x] =
          (1 - ly) * ((1 - lx) * at(y0, x0) + lx * at(y0, x1)) + ly * ((1 - lx) * at(y1, x0) + lx * at(y1, x1))
      }
    }
  return out
}
