// Export a trained dual-branch generator (G_ema) to ONNX with OnnxBuilder, plus its
// generator.json manifest (src/shared/generator.ts).
//
// Graph inputs: z [N, latentSize]; psi (ψ, scalar); c [N, conditionSize] (conditional);
// one explicit noise input per synthesis layer, "noise.<layer>" [N, 1, H, W] (export.noise =
// 'explicit'; the studio feeds seeded standard normals, so a sample is reproducible from its
// seed) – or none (export.noise = 'none').
// Outputs: one image per modality, named by its id, [N, C, R, R] in [-1, 1] (not clamped), and
// one feature map per synthesis conv, named like the layer ('b4.conv1', 'b8.conv0', …).
//
// Modulated convolutions are written in the "fused = false" form, exactly as the trainer
// computes them: x·s (broadcast [N, Cin, 1, 1]) → Conv with the shared weight → ·d, with
// d = 1/√(s² · ΣₖW² + 1e-8) computed by a MatMul against the constant ΣₖW² [Cin, Cout].
// Equalised-learning-rate gains are folded into the stored weights. Layout NCHW.
import { OnnxBuilder, type OnnxValue } from '../onnx/builder'
import type { GeneratorManifest } from '../../../shared/generator'
import { architecture, type GanConfig } from './config'
import { LRELU_ALPHA, SQRT2, type WeightMap } from './networks'

export interface GeneratorExportInput {
  config: GanConfig
  /** G_ema weights (trainer.weights('G_ema')). */
  weights: WeightMap
  buffers: { wAvg: Float32Array; condMean: Float32Array | null; condStd: Float32Array | null }
  /** Extra metadata_props (training step, run id…). */
  metadata?: Record<string, string>
  description?: string
}

export interface ExportedGenerator {
  onnx: Uint8Array
  manifest: GeneratorManifest
}

export const NOISE_INPUT_PREFIX = 'noise.'

function get(weights: WeightMap, name: string): { shape: number[]; data: Float32Array } {
  const w = weights.get(name)
  if (!w) throw new Error(`export: weight "${name}" is missing`)
  return w
}

function scaled(data: Float32Array, gain: number): Float32Array {
  return data.map((v) => v * gain)
}

/** [kh, kw, cin, cout] (tf) → [cout, cin, kh, kw] (ONNX), times gain. */
function convWeight(w: { shape: number[]; data: Float32Array }, gain: number): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, cout] = w.shape
  const out = new Float32Array(w.data.length)
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < cin; i++)
        for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = w.data[((y * kw + x) * cin + i) * cout + o] * gain
  return { data: out, dims: [cout, cin, kh, kw] }
}

export function exportGeneratorOnnx(input: GeneratorExportInput): ExportedGenerator {
  const { config, weights, buffers } = input
  const arch = architecture(config)
  const R = config.resolution
  const g = new OnnxBuilder({
    graphName: 'twinlight_dual_branch_generator',
    docString: `Twinlight dual-branch generator "${config.name}" (${config.modalities.map((m) => m.id).join(' + ')}, ${R}²${config.conditional ? ', conditional' : ''})`,
    metadata: { 'twinlight.kind': 'dual-branch-generator', 'twinlight.config': JSON.stringify(config), ...(input.metadata ?? {}) }
  })
  const eps = g.scalar(1e-8, 'eps')
  const sqrt2 = g.scalar(SQRT2, 'sqrt2')
  const act = (x: OnnxValue, name?: string): OnnxValue => g.mul(g.leakyRelu(x, LRELU_ALPHA), sqrt2, name ? { name } : undefined)
  const denseW = (name: string, gain: number): OnnxValue => {
    const w = get(weights, `${name}.weight`)
    return g.constant(scaled(w.data, gain), w.shape, `${name}.weight`)
  }
  const denseB = (name: string, gain = 1): OnnxValue => {
    const b = get(weights, `${name}.bias`)
    return g.constant(scaled(b.data, gain), b.shape, `${name}.bias`)
  }
  const normalize = (x: OnnxValue): OnnxValue => g.mul(x, g.reciprocal(g.sqrt(g.add(g.reduceMean(g.mul(x, x), [1], true), eps))))

  // ---- mapping
  const z = g.input('z', 'float32', ['N', config.latentSize])
  const psi = g.input('psi', 'float32', [])
  let x = normalize(z)
  if (config.conditional) {
    if (!buffers.condMean || !buffers.condStd) throw new Error('export: conditional generator without condition statistics')
    const size = buffers.condMean.length
    const c = g.input('c', 'float32', ['N', size])
    const mean = g.constant(buffers.condMean, [1, size], 'mapping.cond_mean')
    const invStd = g.constant(buffers.condStd.map((s) => 1 / s), [1, size], 'mapping.cond_inv_std')
    const cn = g.mul(g.sub(c, mean), invStd)
    const embed = g.gemm(cn, denseW('mapping.embed', 1 / Math.sqrt(size)), denseB('mapping.embed'))
    x = g.concat([x, normalize(embed)], 1)
  }
  for (let i = 0; i < config.mappingLayers; i++) {
    const fanIn = get(weights, `mapping.fc${i}.weight`).shape[0]
    const lrMul = config.mappingLrMul
    x = act(g.gemm(x, denseW(`mapping.fc${i}`, lrMul / Math.sqrt(fanIn)), denseB(`mapping.fc${i}`, lrMul)))
  }
  const wAvg = g.constant(buffers.wAvg, [1, config.wDim], 'mapping.w_avg')
  const w = g.add(wAvg, g.mul(g.sub(x, wAvg), psi), { name: 'w' })

  // ---- synthesis
  const c4 = arch.channels[4]
  const constant = get(weights, 'synthesis.const')
  const constNchw = new Float32Array(constant.data.length)
  for (let h = 0; h < 4; h++) for (let ww = 0; ww < 4; ww++) for (let ch = 0; ch < c4; ch++) constNchw[ch * 16 + h * 4 + ww] = constant.data[(h * 4 + ww) * c4 + ch]
  let feat: OnnxValue = g.constant(constNchw, [1, c4, 4, 4], 'synthesis.const')
  if (config.inputFromW) {
    const wIn = get(weights, 'synthesis.input.weight')
    const bIn = get(weights, 'synthesis.input.bias')
    const gain = 1 / Math.sqrt(config.wDim)
    const cols = 16 * c4
    // Columns are (h, w, c) in the trainer's NHWC reshape; reorder to (c, h, w).
    const perm = new Int32Array(cols)
    for (let h = 0; h < 4; h++) for (let ww = 0; ww < 4; ww++) for (let ch = 0; ch < c4; ch++) perm[ch * 16 + h * 4 + ww] = (h * 4 + ww) * c4 + ch
    const wData = new Float32Array(wIn.data.length)
    for (let r = 0; r < config.wDim; r++) for (let j = 0; j < cols; j++) wData[r * cols + j] = wIn.data[r * cols + perm[j]] * gain
    const bData = new Float32Array(cols)
    for (let j = 0; j < cols; j++) bData[j] = bIn.data[perm[j]]
    const proj = g.gemm(w, g.constant(wData, [config.wDim, cols], 'synthesis.input.weight'), g.constant(bData, [cols], 'synthesis.input.bias'))
    feat = g.add(feat, g.reshape(proj, [-1, c4, 4, 4]))
  }

  const noiseInputs: { name: string; shape: number[] }[] = []
  const style = (prefix: string, extraGain = 1): OnnxValue => {
    const a = get(weights, `${prefix}.affine.weight`)
    return g.gemm(w, g.constant(scaled(a.data, extraGain / Math.sqrt(a.shape[0])), a.shape, `${prefix}.affine.weight`), denseB(`${prefix}.affine`, extraGain))
  }
  const modconv = (prefix: string, input: OnnxValue, up: boolean, res: number): OnnxValue => {
    const wt = get(weights, `${prefix}.weight`)
    const [kh, kw, cin, cout] = wt.shape
    const conv = convWeight(wt, 1 / Math.sqrt(cin * kh * kw))
    const s = style(prefix)
    let y = g.mul(input, g.reshape(s, [-1, cin, 1, 1]))
    if (up) y = g.resize(y, { mode: 'linear', scales: [1, 1, 2, 2] })
    y = g.conv(y, g.constant(conv.data, conv.dims, `${prefix}.weight`), null, { pads: 1 })
    // Σₖ W² per (cin, cout).
    const wsq = new Float32Array(cin * cout)
    for (let o = 0; o < cout; o++)
      for (let i = 0; i < cin; i++) {
        let sum = 0
        for (let k = 0; k < kh * kw; k++) sum += conv.data[(o * cin + i) * kh * kw + k] ** 2
        wsq[i * cout + o] = sum
      }
    const d = g.reciprocal(g.sqrt(g.add(g.matMul(g.mul(s, s), g.constant(wsq, [cin, cout], `${prefix}.weight_sq`)), eps)))
    y = g.mul(y, g.reshape(d, [-1, cout, 1, 1]))
    if (config.export.noise === 'explicit') {
      const name = `${NOISE_INPUT_PREFIX}${prefix}`
      const noise = g.input(name, 'float32', ['N', 1, res, res])
      noiseInputs.push({ name, shape: [1, res, res] })
      const strength = get(weights, `${prefix}.noise_strength`)
      y = g.add(y, g.mul(noise, g.scalar(strength.data[0], `${prefix}.noise_strength`)))
    }
    const bias = get(weights, `${prefix}.bias`)
    y = g.add(y, g.constant(bias.data, [1, cout, 1, 1], `${prefix}.bias`))
    return act(y, prefix)
  }
  const toImage = (prefix: string, input: OnnxValue): OnnxValue => {
    const wt = get(weights, `${prefix}.weight`)
    const cin = wt.shape[2]
    const conv = convWeight(wt, 1)
    // tf: (w·A·g + b)/√cin ; folded into the affine.
    const s = style(prefix, 1 / Math.sqrt(cin))
    const y = g.conv(g.mul(input, g.reshape(s, [-1, cin, 1, 1])), g.constant(conv.data, conv.dims, `${prefix}.weight`), null)
    const bias = get(weights, `${prefix}.bias`)
    return g.add(y, g.constant(bias.data, [1, bias.shape[0], 1, 1], `${prefix}.bias`))
  }

  const featureSpecs: GeneratorManifest['features'] = []
  const images: Record<string, OnnxValue> = {}
  for (const r of arch.resolutions) {
    for (const layer of arch.layers.filter((l) => l.res === r)) {
      feat = modconv(layer.name, feat, layer.up, r)
      g.output(feat, layer.name, ['N', layer.cout, r, r])
      featureSpecs.push({ name: layer.name, channels: layer.cout, resolution: r })
    }
    const last = r === R
    for (const m of config.modalities) {
      const y = toImage(`b${r}.to_${m.id}`, feat)
      const prev = images[m.id]
      const sum = prev ? g.add(g.resize(prev, { mode: 'linear', scales: [1, 1, 2, 2] }), y, last ? { name: m.id } : undefined) : y
      images[m.id] = sum
    }
  }
  for (const m of config.modalities) g.output(images[m.id], m.id, ['N', m.channels, R, R])

  const manifest: GeneratorManifest = {
    format: 'twinlight-generator',
    version: 1,
    name: config.name,
    description:
      input.description ??
      `Dual-branch generator trained in Twinlight (${config.modalities.map((m) => m.id).join(' + ')}, ${R}²${config.conditional ? ', conditioned on the face renderer parameters' : ''}).`,
    latent: { input: 'z', size: config.latentSize, prior: 'normal' },
    truncation: { input: 'psi', default: config.export.truncation },
    ...(config.conditional ? { condition: { input: 'c', size: buffers.condMean!.length, prior: 'renderer-params' as const } } : {}),
    noise: noiseInputs.length > 0 ? { kind: 'explicit', inputs: noiseInputs } : { kind: 'none' },
    modalities: config.modalities.map((m) => ({ id: m.id, output: m.id, channels: m.channels, range: [-1, 1] as [number, number], resolution: R })),
    features: featureSpecs,
    resolution: R
  }
  return { onnx: g.build(), manifest }
}
