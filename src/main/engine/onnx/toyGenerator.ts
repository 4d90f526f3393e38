// A tiny, fully deterministic two-modality generator built with OnnxBuilder: an ONNX graph plus
// a matching generator.json manifest. It lives in src (not tests) because the studio can use it
// as a built-in demo generator that needs no downloaded weights (first-run experience, offline
// smoke checks, e2e tests), and the unit tests of other parts (gallery, generator service)
// import it from here.
//
// Graph (R = resolution, B = R / 2):
//   z [N, L] --(ψ: w = w_avg + ψ (z - w_avg))--(concat condition)--> Gemm -> LeakyRelu
//   -> Reshape [N, 8, B, B] -> + noise * per-channel strength
//   -> Conv3x3 -> LeakyRelu            = feature "b{B}.conv0" [N, 12, B, B]
//   -> Resize linear 2x -> Conv3x3 -> LeakyRelu = feature "b{R}.conv0" [N, 8, R, R]
//   -> Conv1x1 -> Tanh = "rgb" [N, 3, R, R];  Conv1x1 -> Tanh = "nir" [N, 1, R, R]
// Weights come from a seeded PRNG (weightSeed), so the same options give byte-identical
// models, and the same inputs give the same outputs. Outputs are in (-1, 1).
//
// Noise: 'seed' takes int64 seeds [N] and hashes them into a [N, 1, B, B] noise map inside the
// graph (Mod/Div split of the seed into two 16-bit halves, then sin-fract hashing - only
// deterministic ops); 'explicit' takes that map as float32 input "noise0" [N, 1, B, B];
// 'none' has no noise at all.
import { OnnxBuilder, type OnnxValue } from './builder'
import { mulberry32 } from '../random/mulberry32'
import type { GeneratorManifest } from '../../../shared/generator'

export interface ToyGeneratorOptions {
  /** Latent size L. Default 8. */
  latentSize?: number
  /** Output resolution R, even, at least 4. Default 16. */
  resolution?: number
  /** Default 'seed'. */
  noise?: 'seed' | 'explicit' | 'none'
  /** Adds a ψ scalar input "psi" (manifest default 0.7). Default true. */
  truncation?: boolean
  /** Adds a condition input "c" [N, conditionSize] concatenated to the latent. Default none. */
  conditionSize?: number
  /** Seed of the weights. Default 1. */
  weightSeed?: number
  /** Manifest name. Default 'toy'. */
  name?: string
}

export interface ToyGenerator {
  onnx: Uint8Array
  manifest: GeneratorManifest
}

const C0 = 8
const C1 = 12
const C2 = 8

export function buildToyGenerator(options: ToyGeneratorOptions = {}): ToyGenerator {
  const latentSize = options.latentSize ?? 8
  const resolution = options.resolution ?? 16
  const noise = options.noise ?? 'seed'
  const truncation = options.truncation ?? true
  const conditionSize = options.conditionSize ?? 0
  if (!Number.isInteger(resolution) || resolution < 4 || resolution % 2 !== 0) {
    throw new Error(`toy generator: resolution must be an even integer >= 4, got ${resolution}`)
  }
  if (!Number.isInteger(latentSize) || latentSize < 1) throw new Error(`toy generator: bad latent size ${latentSize}`)
  const base = resolution / 2
  const random = gaussian(options.weightSeed ?? 1)
  const weights = (count: number, scale: number): Float32Array => Float32Array.from({ length: count }, () => random() * scale)

  const g = new OnnxBuilder({ graphName: 'toy_generator', docString: 'Twinlight toy generator (demo and tests)' })
  const z = g.input('z', 'float32', ['N', latentSize])

  let w: OnnxValue = z
  if (truncation) {
    const psi = g.input('psi', 'float32', [])
    const wAvg = g.constant(weights(latentSize, 0.1), [1, latentSize], 'mapping.w_avg')
    w = g.add(wAvg, g.mul(psi, g.sub(z, wAvg)), { name: 'w' })
  }
  if (conditionSize > 0) {
    const c = g.input('c', 'float32', ['N', conditionSize])
    w = g.concat([w, c], 1)
  }
  const inSize = latentSize + conditionSize

  const fcWeight = g.constant(weights(inSize * C0 * base * base, 1 / Math.sqrt(inSize)), [inSize, C0 * base * base], 'fc.weight')
  const fcBias = g.constant(weights(C0 * base * base, 0.1), [C0 * base * base], 'fc.bias')
  let x = g.leakyRelu(g.gemm(w, fcWeight, fcBias), 0.2)
  x = g.reshape(x, [-1, C0, base, base])

  let noiseMap: OnnxValue | null = null
  if (noise === 'seed') {
    noiseMap = seedNoise(g, g.input('seed', 'int64', ['N']), base)
  } else if (noise === 'explicit') {
    noiseMap = g.input('noise0', 'float32', ['N', 1, base, base])
  }
  if (noiseMap) {
    const strength = g.constant(weights(C0, 0.3), [1, C0, 1, 1], 'noise.strength')
    x = g.add(x, g.mul(noiseMap, strength))
  }

  const conv = (input: OnnxValue, cin: number, cout: number, k: number, prefix: string, gain = 1): OnnxValue => {
    const weight = g.constant(weights(cout * cin * k * k, gain / Math.sqrt(cin * k * k)), [cout, cin, k, k], `${prefix}.weight`)
    const bias = g.constant(weights(cout, 0.05), [cout], `${prefix}.bias`)
    return g.conv(input, weight, bias, { pads: (k - 1) / 2 })
  }

  const lowName = `b${base}.conv0`
  const highName = `b${resolution}.conv0`
  const low = g.leakyRelu(conv(x, C0, C1, 3, lowName), 0.2, { name: lowName })
  const up = g.resize(low, { mode: 'linear', scales: [1, 1, 2, 2] })
  const high = g.leakyRelu(conv(up, C1, C2, 3, highName), 0.2, { name: highName })
  const rgb = g.tanh(conv(high, C2, 3, 1, 'torgb', 3), { name: 'rgb' })
  const nir = g.tanh(conv(high, C2, 1, 1, 'tonir', 3), { name: 'nir' })

  g.output(rgb, 'rgb', ['N', 3, resolution, resolution])
  g.output(nir, 'nir', ['N', 1, resolution, resolution])
  g.output(low, lowName, ['N', C1, base, base])
  g.output(high, highName, ['N', C2, resolution, resolution])

  const manifest: GeneratorManifest = {
    format: 'twinlight-generator',
    version: 1,
    name: options.name ?? 'toy',
    description: 'Tiny deterministic RGB + NIR demo generator built in-process (no weights to download).',
    latent: { input: 'z', size: latentSize, prior: 'normal' },
    ...(truncation ? { truncation: { input: 'psi', default: 0.7 } } : {}),
    ...(conditionSize > 0 ? { condition: { input: 'c', size: conditionSize, prior: 'renderer-params' as const } } : {}),
    noise:
      noise === 'seed'
        ? { kind: 'seed', input: 'seed' }
        : noise === 'explicit'
          ? { kind: 'explicit', inputs: [{ name: 'noise0', shape: [1, base, base] }] }
          : { kind: 'none' },
    modalities: [
      { id: 'rgb', output: 'rgb', channels: 3, range: [-1, 1], resolution },
      { id: 'nir', output: 'nir', channels: 1, range: [-1, 1], resolution }
    ],
    features: [
      { name: lowName, channels: C1, resolution: base },
      { name: highName, channels: C2, resolution }
    ],
    resolution
  }
  return { onnx: g.build(), manifest }
}

/** int64 seeds [N] -> float32 noise map [N, 1, size, size] in [-1, 1), using deterministic ops only. */
function seedNoise(g: OnnxBuilder, seed: OnnxValue, size: number): OnnxValue {
  const fract = (v: OnnxValue): OnnxValue => g.sub(v, g.floor(v))
  const half = g.constantInt64([65536], [])
  const lo = g.cast(g.mod(seed, half), 'float32')
  const hi = g.cast(g.mod(g.div(seed, half), half), 'float32')
  // Two phases in [0, 1) from the two 16-bit halves of the seed (golden-ratio style sequences).
  const phaseLo = fract(g.mul(lo, g.scalar(0.7548776662)))
  const phaseHi = fract(g.mul(hi, g.scalar(0.5698402910)))
  const phase = g.reshape(g.add(g.mul(phaseLo, g.scalar(78.233)), g.mul(phaseHi, g.scalar(37.719))), [-1, 1, 1, 1])
  const positions = g.constant(
    Float32Array.from({ length: size * size }, (_, i) => (i % size) * 12.9898 + Math.floor(i / size) * 4.1414),
    [1, 1, size, size],
    'noise.positions'
  )
  const hashed = fract(g.mul(g.sin(g.add(positions, phase)), g.scalar(43758.5453)))
  return g.sub(g.mul(hashed, g.scalar(2)), g.scalar(1))
}

/** Seeded standard-normal generator (mulberry32 + Box-Muller). */
function gaussian(seed: number): () => number {
  const uniform = mulberry32(seed)
  return () => {
    const u = 1 - uniform()
    const v = uniform()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
}
