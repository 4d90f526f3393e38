// ONNX export of a trained ensemble, for dataset generation in onnxruntime.
//
// Inputs: the generator's feature maps at their native resolutions, named as in the generator
// manifest, NCHW float32 with a symbolic batch N. Outputs:
//   mask        [N, H, W] uint8   per-pixel majority vote (ties → smallest class id)
//   uncertainty [N, H, W] float32 JS divergence H(mean p) − mean H(p), nats
//   probs       [N, M, K, H, W]   every member's softmax
// The first layer uses the partial-sum identity W·up(F) = up(W·F): per member a 1×1 Conv per
// map at native resolution, the maps of one resolution added, then Resize (linear, half_pixel
// = align_corners=False) to the mask size and summed. Members are laid out one after the other
// so that onnxruntime only ever holds one member's H1-channel activations at mask size.
import { OnnxBuilder, type OnnxValue } from '../onnx/builder'
import { resolutionGroups } from './inference'
import { channelOffsets, type FeatureLayout } from './layout'
import { BN_EPSILON, type EnsembleDims, type EnsembleParams } from './model'
import { P_LOG_FLOOR } from './voting'

export interface InterpreterOnnxOptions {
  /** Stored as model metadata (JSON strings). */
  metadata?: Record<string, string>
  /** Also output per-member probabilities (default true). */
  probs?: boolean
}

export function buildInterpreterOnnx(params: EnsembleParams, dims: EnsembleDims, layout: FeatureLayout, options: InterpreterOnnxOptions = {}): Uint8Array {
  const { M, H1, H2, K } = dims
  const H = layout.height
  const W = layout.width
  const g = new OnnxBuilder({ graphName: 'twinlight-interpreter', metadata: options.metadata, docString: 'Twinlight style interpreter (DatasetGAN-style pixel classifier ensemble)' })
  const inputs = layout.maps.map((m) => g.input(m.name, 'float32', ['N', m.channels, m.height, m.width]))
  const offsets = channelOffsets(layout)
  const groups = resolutionGroups(layout)
  const cols = M * H1

  const perMember: OnnxValue[] = []
  for (let m = 0; m < M; m++) {
    let acc: OnnxValue | null = null
    for (const group of groups) {
      let part: OnnxValue | null = null
      for (const i of group.maps) {
        const C = layout.maps[i].channels
        // Conv weight [H1, C, 1, 1]: w[j, c] = w1[offset + c, m·H1 + j]
        const w = new Float32Array(H1 * C)
        for (let c = 0; c < C; c++) {
          const row = (offsets[i] + c) * cols + m * H1
          for (let j = 0; j < H1; j++) w[j * C + c] = params.w1[row + j]
        }
        const y = g.conv(inputs[i], g.constant(w, [H1, C, 1, 1], `m${m}.l1.${layout.maps[i].name}.weight`))
        part = part === null ? y : g.add(part, y)
      }
      if (group.height !== H || group.width !== W) {
        part = g.resize(part!, { mode: 'linear', scales: [1, 1, H / group.height, W / group.width] })
      }
      acc = acc === null ? part! : g.add(acc, part!)
    }
    const vec = (a: Float32Array, n: number, name: string) => g.constant(a.subarray(m * n, (m + 1) * n), [n], `m${m}.${name}`)
    let x = g.add(acc!, g.constant(params.b1.subarray(m * H1, (m + 1) * H1), [1, H1, 1, 1], `m${m}.l1.bias`))
    x = g.batchNormalization(g.relu(x), vec(params.g1, H1, 'bn1.scale'), vec(params.be1, H1, 'bn1.bias'), vec(params.rm1, H1, 'bn1.mean'), vec(params.rv1, H1, 'bn1.var'), { epsilon: BN_EPSILON })
    // Conv weight [H2, H1, 1, 1] from w2 [M, H1, H2]
    const w2 = new Float32Array(H2 * H1)
    for (let i = 0; i < H1; i++) for (let j = 0; j < H2; j++) w2[j * H1 + i] = params.w2[(m * H1 + i) * H2 + j]
    x = g.conv(x, g.constant(w2, [H2, H1, 1, 1], `m${m}.l2.weight`), vec(params.b2, H2, 'l2.bias'))
    x = g.batchNormalization(g.relu(x), vec(params.g2, H2, 'bn2.scale'), vec(params.be2, H2, 'bn2.bias'), vec(params.rm2, H2, 'bn2.mean'), vec(params.rv2, H2, 'bn2.var'), { epsilon: BN_EPSILON })
    const w3 = new Float32Array(K * H2)
    for (let i = 0; i < H2; i++) for (let k = 0; k < K; k++) w3[k * H2 + i] = params.w3[(m * H2 + i) * K + k]
    x = g.conv(x, g.constant(w3, [K, H2, 1, 1], `m${m}.l3.weight`), vec(params.b3, K, 'l3.bias'))
    perMember.push(g.unsqueeze(g.softmax(x, 1), [1]))
  }
  const probs = perMember.length === 1 ? perMember[0] : g.concat(perMember, 1) // [N, M, K, H, W]
  if (options.probs !== false) g.output(probs, 'probs', ['N', M, K, H, W])

  // JS uncertainty.
  const plogp = (p: OnnxValue): OnnxValue => g.mul(p, g.log(g.clip(p, P_LOG_FLOOR)))
  const mean = g.reduceMean(probs, [1], false) // [N, K, H, W]
  const entropyOfMean = g.neg(g.reduceSum(plogp(mean), [1], false)) // [N, H, W]
  const meanEntropy = g.neg(g.reduceMean(g.reduceSum(plogp(probs), [2], false), [1], false)) // [N, H, W]
  g.output(g.sub(entropyOfMean, meanEntropy), 'uncertainty', ['N', H, W])

  // Majority vote: one-hot of each member's argmax, summed over members, argmax (first max wins).
  const argmax = g.argMax(probs, 2, true) // [N, M, 1, H, W] int64
  const classes = g.constantInt64(Array.from({ length: K }, (_, k) => k), [1, 1, K, 1, 1])
  const [hit] = g.node('Equal', [argmax, classes], [], { elemType: 'bool' })
  const votes = g.reduceSum(g.cast(hit, 'float32'), [1], false) // [N, K, H, W]
  const voted = g.argMax(votes, 1, false) // [N, H, W]
  g.output(g.cast(voted, 'uint8'), 'mask', ['N', H, W])
  return g.build()
}
