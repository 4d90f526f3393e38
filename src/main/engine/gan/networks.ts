// The dual-branch generator and the per-modality discriminators, in TensorFlow.js (NHWC).
//
// Generator (StyleGAN2 "config E" with skip outputs, after Karras et al. 2020 and BiFaceGAN's
// DB-StyleGAN2; written from the papers):
//   mapping   z → normalise 2nd moment; conditional: c → (c − μ)/σ → embed → normalise;
//             concat → `mappingLayers` FC + lrelu (learning-rate multiplier mappingLrMul) → w.
//             A running average w_avg (for truncation ψ) is kept as a buffer.
//   synthesis one trunk shared by every modality: a learned constant 4×4 input (plus, with
//             inputFromW, a projection of w), then per block r = 8 … R: conv0 (bilinear 2×
//             upsampling) and conv1. Every conv is a modulated 3×3 convolution with weight
//             demodulation, its own style affine A(w), per-pixel noise with a learned strength,
//             bias and lrelu·√2. Written in the "fused = false" form (Karras et al., app. B):
//                 y = conv(x ⊙ s, W) ⊙ d,   d_o = 1/√(Σ_i s_i² Σ_k W_oik² + 1e-8)
//             which is exact and needs no per-sample weights, so the ONNX export is the same
//             arithmetic. Each conv's output is a feature map ('b8.conv0', …) for the style
//             interpreter.
//   heads     at every resolution one 1×1 modulated conv (no demodulation, own style affine)
//             per modality; outputs are upsampled (bilinear) and summed ("skip" generator).
// Discriminator (one per modality): fromRGB 1×1, residual blocks (conv 3×3, 2×2 average pool,
//   conv 3×3, 1×1 skip on the pooled input, sum·1/√2), minibatch stddev, conv, FC, output; in
//   conditional mode a projection head (Miyato & Koyama): out = ⟨φ(x), embed(c)⟩/√dim.
// Equalised learning rate everywhere: weights are stored N(0, 1)/lrMul and scaled at run time.
//
// Only ops whose gradients (and, for D, second gradients) are registered for Node
// (engine/tf/gradients.ts) are used: conv2d (stride 1), matMul, reshape, mean, resizeBilinear,
// leakyRelu, softplus, elementwise. Pooling is a reshape + mean (rank 6), not tf.avgPool, whose
// gradient kernel has no gradient of its own (R1 needs D's input-gradient differentiated again).
import type { Tensor, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core'
import type { Tf } from '../tf/types'
import { architecture, type GanArchitecture, type GanConfig } from './config'
import { Prng } from './prng'

export const SQRT2 = Math.SQRT2
export const LRELU_ALPHA = 0.2

export interface ParamSpec {
  name: string
  shape: number[]
  init: 'normal' | 'zeros' | 'ones'
  /** Normal init is N(0, 1) · scale (1 / lrMul for equalised learning rate). */
  scale?: number
}

/** Named float32 arrays (the portable form of a network: checkpoints, export). */
export type WeightMap = Map<string, { shape: number[]; data: Float32Array }>

/** Tensors by parameter name (tf.Variables while training, plain tensors for G_ema). */
export type ParamTensors = Record<string, Tensor>

// ---------------------------------------------------------------------------------------
// Parameter lists

export function generatorSpecs(config: GanConfig, conditionSize: number, arch: GanArchitecture = architecture(config)): ParamSpec[] {
  const specs: ParamSpec[] = []
  const wDim = config.wDim
  const lrMul = config.mappingLrMul
  if (config.conditional) {
    specs.push({ name: 'mapping.embed.weight', shape: [conditionSize, wDim], init: 'normal' })
    specs.push({ name: 'mapping.embed.bias', shape: [wDim], init: 'zeros' })
  }
  for (let i = 0; i < config.mappingLayers; i++) {
    const fanIn = i === 0 ? config.latentSize + (config.conditional ? wDim : 0) : wDim
    specs.push({ name: `mapping.fc${i}.weight`, shape: [fanIn, wDim], init: 'normal', scale: 1 / lrMul })
    specs.push({ name: `mapping.fc${i}.bias`, shape: [wDim], init: 'zeros' })
  }
  const c4 = arch.channels[4]
  specs.push({ name: 'synthesis.const', shape: [4, 4, c4], init: 'normal' })
  if (config.inputFromW) {
    specs.push({ name: 'synthesis.input.weight', shape: [wDim, 16 * c4], init: 'normal', scale: 0.5 })
    specs.push({ name: 'synthesis.input.bias', shape: [16 * c4], init: 'zeros' })
  }
  for (const layer of arch.layers) {
    specs.push({ name: `${layer.name}.affine.weight`, shape: [wDim, layer.cin], init: 'normal' })
    specs.push({ name: `${layer.name}.affine.bias`, shape: [layer.cin], init: 'ones' })
    specs.push({ name: `${layer.name}.weight`, shape: [3, 3, layer.cin, layer.cout], init: 'normal' })
    specs.push({ name: `${layer.name}.bias`, shape: [layer.cout], init: 'zeros' })
    specs.push({ name: `${layer.name}.noise_strength`, shape: [1], init: 'zeros' })
  }
  for (const r of arch.resolutions) {
    for (const m of config.modalities) {
      const prefix = `b${r}.to_${m.id}`
      specs.push({ name: `${prefix}.affine.weight`, shape: [wDim, arch.channels[r]], init: 'normal' })
      specs.push({ name: `${prefix}.affine.bias`, shape: [arch.channels[r]], init: 'ones' })
      specs.push({ name: `${prefix}.weight`, shape: [1, 1, arch.channels[r], m.channels], init: 'normal' })
      specs.push({ name: `${prefix}.bias`, shape: [m.channels], init: 'zeros' })
    }
  }
  return specs
}

export function discriminatorSpecs(config: GanConfig, channels: number, conditionSize: number, arch: GanArchitecture = architecture(config)): ParamSpec[] {
  const ch = arch.dChannels
  const R = config.resolution
  const specs: ParamSpec[] = [
    { name: 'fromrgb.weight', shape: [1, 1, channels, ch[R]], init: 'normal' },
    { name: 'fromrgb.bias', shape: [ch[R]], init: 'zeros' }
  ]
  for (let r = R; r > 4; r /= 2) {
    specs.push({ name: `b${r}.conv0.weight`, shape: [3, 3, ch[r], ch[r]], init: 'normal' })
    specs.push({ name: `b${r}.conv0.bias`, shape: [ch[r]], init: 'zeros' })
    specs.push({ name: `b${r}.conv1.weight`, shape: [3, 3, ch[r], ch[r / 2]], init: 'normal' })
    specs.push({ name: `b${r}.conv1.bias`, shape: [ch[r / 2]], init: 'zeros' })
    specs.push({ name: `b${r}.skip.weight`, shape: [1, 1, ch[r], ch[r / 2]], init: 'normal' })
  }
  const c4 = ch[4]
  const mb = config.discriminator.mbstd ? 1 : 0
  specs.push({ name: 'b4.conv.weight', shape: [3, 3, c4 + mb, c4], init: 'normal' })
  specs.push({ name: 'b4.conv.bias', shape: [c4], init: 'zeros' })
  specs.push({ name: 'b4.fc.weight', shape: [16 * c4, c4], init: 'normal' })
  specs.push({ name: 'b4.fc.bias', shape: [c4], init: 'zeros' })
  const outDim = config.conditional ? config.discriminator.cmapDim : 1
  specs.push({ name: 'b4.out.weight', shape: [c4, outDim], init: 'normal' })
  specs.push({ name: 'b4.out.bias', shape: [outDim], init: 'zeros' })
  if (config.conditional) {
    specs.push({ name: 'embed.weight', shape: [conditionSize, outDim], init: 'normal' })
    specs.push({ name: 'embed.bias', shape: [outDim], init: 'zeros' })
  }
  return specs
}

/** Initial values of a parameter list, drawn from the trainer's PRNG (backend independent). */
export function initialWeights(specs: readonly ParamSpec[], prng: Prng): WeightMap {
  const out: WeightMap = new Map()
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    let data: Float32Array
    if (spec.init === 'normal') data = prng.normals(size, spec.scale ?? 1)
    else data = new Float32Array(size).fill(spec.init === 'ones' ? 1 : 0)
    out.set(spec.name, { shape: [...spec.shape], data })
  }
  return out
}

// ---------------------------------------------------------------------------------------
// Building blocks

function param(p: ParamTensors, name: string): Tensor {
  const t = p[name]
  if (t === undefined) throw new Error(`network parameter "${name}" is missing`)
  return t
}

/** Fully connected layer with equalised learning rate: x·(W·gain) + b·lrMul. */
function dense(tf: Tf, x: Tensor, weight: Tensor, bias: Tensor | null, lrMul = 1): Tensor2D {
  const gain = lrMul / Math.sqrt(weight.shape[0])
  const y: Tensor = tf.matMul(x as Tensor2D, tf.mul(weight, tf.scalar(gain)) as Tensor2D)
  return (bias ? tf.add(y, lrMul === 1 ? bias : tf.mul(bias, tf.scalar(lrMul))) : y) as Tensor2D
}

function lrelu(tf: Tf, x: Tensor): Tensor {
  return tf.mul(tf.leakyRelu(x, LRELU_ALPHA), tf.scalar(SQRT2))
}

function normalize2ndMoment(tf: Tf, x: Tensor): Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), tf.scalar(1e-8))))
}

function upsample2x(tf: Tf, x: Tensor4D): Tensor4D {
  return tf.image.resizeBilinear(x, [x.shape[1] * 2, x.shape[2] * 2], false, true)
}

/** 2×2 box downsampling as reshape + mean (rank 6; differentiable twice). */
export function avgPool2(tf: Tf, x: Tensor4D): Tensor4D {
  const [n, h, w, c] = x.shape
  return tf.reshape(tf.mean(tf.reshape(x, [n, h / 2, 2, w / 2, 2, c]), [2, 4]), [n, h / 2, w / 2, c])
}

// ---------------------------------------------------------------------------------------
// Generator

export interface GeneratorInputs {
  /** [N, latentSize] */
  z: Tensor2D
  /** [N, conditionSize], raw renderer parameter vectors (conditional mode). */
  c?: Tensor2D | null
  /** One [N, H, W, 1] map per synthesis layer (arch.layers order); null = no noise. */
  noise: Tensor4D[] | null
  /** Truncation ψ toward the buffer w_avg; 1 or undefined = none. */
  psi?: number
}

export interface GeneratorBuffers {
  /** [wDim] running average of w. */
  wAvg: Tensor
  /** [conditionSize] mean and 1/std of the condition prior (conditional mode). */
  condMean?: Tensor
  condInvStd?: Tensor
}

export interface GeneratorOutputs {
  w: Tensor2D
  /** Per modality id, NHWC, nominal range [-1, 1]. */
  images: Record<string, Tensor4D>
  /** Per synthesis layer name, NHWC, after the activation. */
  features: Record<string, Tensor4D>
}

export function mappingForward(tf: Tf, p: ParamTensors, buffers: GeneratorBuffers, config: GanConfig, z: Tensor2D, c?: Tensor2D | null): Tensor2D {
  let x: Tensor = normalize2ndMoment(tf, z)
  if (config.conditional) {
    if (!c) throw new Error('this generator is conditional: give the condition vector c')
    if (!buffers.condMean || !buffers.condInvStd) throw new Error('conditional generator without condition statistics')
    const cn = tf.mul(tf.sub(c, buffers.condMean), buffers.condInvStd)
    const e = normalize2ndMoment(tf, dense(tf, cn, param(p, 'mapping.embed.weight'), param(p, 'mapping.embed.bias')))
    x = tf.concat([x, e], 1)
  }
  for (let i = 0; i < config.mappingLayers; i++) {
    x = lrelu(tf, dense(tf, x, param(p, `mapping.fc${i}.weight`), param(p, `mapping.fc${i}.bias`), config.mappingLrMul))
  }
  return x as Tensor2D
}

/** Style vector of a layer: A(w) = w·(A·1/√wDim) + b. */
function style(tf: Tf, p: ParamTensors, prefix: string, w: Tensor2D): Tensor2D {
  return dense(tf, w, param(p, `${prefix}.affine.weight`), param(p, `${prefix}.affine.bias`))
}

function modulatedConv(tf: Tf, p: ParamTensors, prefix: string, x: Tensor4D, w: Tensor2D, up: boolean, noise: Tensor4D | null): Tensor4D {
  const n = x.shape[0]
  const weight = param(p, `${prefix}.weight`)
  const [kh, kw, cin, cout] = weight.shape
  const s = style(tf, p, prefix, w)
  const wg = tf.mul(weight, tf.scalar(1 / Math.sqrt(cin * kh * kw))) as Tensor4D
  let y = tf.mul(x, tf.reshape(s, [n, 1, 1, cin])) as Tensor4D
  if (up) y = upsample2x(tf, y)
  y = tf.conv2d(y, wg, 1, 'same')
  const wsq = tf.sum(tf.square(wg), [0, 1]) as Tensor2D // [cin, cout]
  const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), wsq), tf.scalar(1e-8)))
  y = tf.mul(y, tf.reshape(d, [n, 1, 1, cout]))
  if (noise) y = tf.add(y, tf.mul(noise, param(p, `${prefix}.noise_strength`)))
  y = tf.add(y, param(p, `${prefix}.bias`))
  return lrelu(tf, y) as Tensor4D
}

function toImage(tf: Tf, p: ParamTensors, prefix: string, x: Tensor4D, w: Tensor2D): Tensor4D {
  const n = x.shape[0]
  const weight = param(p, `${prefix}.weight`)
  const cin = weight.shape[2] as number
  const s = tf.mul(style(tf, p, prefix, w), tf.scalar(1 / Math.sqrt(cin)))
  const y = tf.conv2d(tf.mul(x, tf.reshape(s, [n, 1, 1, cin])) as Tensor4D, weight as Tensor4D, 1, 'valid')
  return tf.add(y, param(p, `${prefix}.bias`)) as Tensor4D
}

export function generatorForward(
  tf: Tf,
  p: ParamTensors,
  buffers: GeneratorBuffers,
  config: GanConfig,
  inputs: GeneratorInputs,
  arch: GanArchitecture = architecture(config)
): GeneratorOutputs {
  const n = inputs.z.shape[0]
  let w = mappingForward(tf, p, buffers, config, inputs.z, inputs.c)
  if (inputs.psi !== undefined && inputs.psi !== 1) {
    w = tf.add(buffers.wAvg, tf.mul(tf.sub(w, buffers.wAvg), tf.scalar(inputs.psi))) as Tensor2D
  }
  const c4 = arch.channels[4]
  let x = tf.add(tf.zeros([n, 4, 4, c4]), param(p, 'synthesis.const')) as Tensor4D
  if (config.inputFromW) {
    x = tf.add(x, tf.reshape(dense(tf, w, param(p, 'synthesis.input.weight'), param(p, 'synthesis.input.bias')), [n, 4, 4, c4])) as Tensor4D
  }
  if (inputs.noise && inputs.noise.length !== arch.layers.length) {
    throw new Error(`the generator has ${arch.layers.length} noise layers, ${inputs.noise.length} noise maps were given`)
  }
  const features: Record<string, Tensor4D> = {}
  const images: Record<string, Tensor4D> = {}
  let li = 0
  for (const r of arch.resolutions) {
    const blockLayers = arch.layers.filter((l) => l.res === r)
    for (const layer of blockLayers) {
      x = modulatedConv(tf, p, layer.name, x, w, layer.up, inputs.noise ? inputs.noise[li] : null)
      features[layer.name] = x
      li++
    }
    for (const m of config.modalities) {
      const y = toImage(tf, p, `b${r}.to_${m.id}`, x, w)
      const prev = images[m.id]
      images[m.id] = prev ? (tf.add(upsample2x(tf, prev), y) as Tensor4D) : y
    }
  }
  return { w, images, features }
}

// ---------------------------------------------------------------------------------------
// Discriminator

function conv(tf: Tf, x: Tensor4D, weight: Tensor, bias: Tensor | null): Tensor4D {
  const [kh, kw, cin] = weight.shape
  const y = tf.conv2d(x, tf.mul(weight, tf.scalar(1 / Math.sqrt(kh * kw * cin))) as Tensor4D, 1, 'same')
  return (bias ? tf.add(y, bias) : y) as Tensor4D
}

function minibatchStd(tf: Tf, x: Tensor4D): Tensor4D {
  const [n, h, w, c] = x.shape as [number, number, number, number]
  let g = Math.min(4, n)
  while (n % g !== 0) g--
  const m = n / g
  const y = tf.reshape(x, [g, m, h, w, c])
  const centred = tf.sub(y, tf.mean(y, 0, true))
  const std = tf.sqrt(tf.add(tf.mean(tf.square(centred), 0), tf.scalar(1e-8))) // [m, h, w, c]
  const s = tf.reshape(tf.mean(std, [1, 2, 3]), [1, m, 1, 1, 1])
  const map = tf.reshape(tf.add(s, tf.zeros([g, m, h, w, 1])), [n, h, w, 1])
  return tf.concat([x, map as Tensor4D], 3) as Tensor4D
}

/**
 * D(x[, c]) → [N] logits. `cond` is the normalised condition (conditional mode).
 */
export function discriminatorForward(tf: Tf, p: ParamTensors, config: GanConfig, img: Tensor4D, cond?: Tensor2D | null): Tensor {
  const n = img.shape[0]
  let x = lrelu(tf, conv(tf, img, param(p, 'fromrgb.weight'), param(p, 'fromrgb.bias'))) as Tensor4D
  for (let r = config.resolution; r > 4; r /= 2) {
    let y = lrelu(tf, conv(tf, x, param(p, `b${r}.conv0.weight`), param(p, `b${r}.conv0.bias`))) as Tensor4D
    y = avgPool2(tf, y)
    y = lrelu(tf, conv(tf, y, param(p, `b${r}.conv1.weight`), param(p, `b${r}.conv1.bias`))) as Tensor4D
    const skip = conv(tf, avgPool2(tf, x), param(p, `b${r}.skip.weight`), null)
    x = tf.mul(tf.add(y, skip), tf.scalar(Math.SQRT1_2)) as Tensor4D
  }
  if (config.discriminator.mbstd) x = minibatchStd(tf, x)
  x = lrelu(tf, conv(tf, x, param(p, 'b4.conv.weight'), param(p, 'b4.conv.bias'))) as Tensor4D
  const flat = tf.reshape(x, [n, -1]) as Tensor2D
  const h = lrelu(tf, dense(tf, flat, param(p, 'b4.fc.weight'), param(p, 'b4.fc.bias'))) as Tensor2D
  let out: Tensor = dense(tf, h, param(p, 'b4.out.weight'), param(p, 'b4.out.bias'))
  if (config.conditional) {
    if (!cond) throw new Error('conditional discriminator without a condition')
    const cmap = dense(tf, cond, param(p, 'embed.weight'), param(p, 'embed.bias'))
    const dim = cmap.shape[1]
    out = tf.mul(tf.sum(tf.mul(out, cmap), 1), tf.scalar(1 / Math.sqrt(dim)))
  } else {
    out = tf.reshape(out, [n])
  }
  return out
}
