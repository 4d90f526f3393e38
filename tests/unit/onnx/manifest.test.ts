import { describe, it, expect } from 'vitest'
import { loadManifest, GeneratorManifestSchema, type GeneratorManifest } from '../../../src/shared/generator'
import {
  validateManifestAgainstGraph,
  assertManifestMatchesGraph,
  ManifestMismatchError,
  type ManifestProblem
} from '../../../src/main/engine/onnx/manifest'
import { inspectOnnx, type OnnxGraphInfo } from '../../../src/main/engine/onnx/inspect'
import { OnnxBuilder } from '../../../src/main/engine/onnx/builder'
import { onnx } from '../../../src/main/engine/onnx/types'
import { buildToyGenerator } from './toyGenerator'

function toy(options: Parameters<typeof buildToyGenerator>[0] = {}): { manifest: GeneratorManifest; graph: OnnxGraphInfo } {
  const { onnx: bytes, manifest } = buildToyGenerator(options)
  return { manifest, graph: inspectOnnx(bytes) }
}

/** A deep copy of the manifest, edited by `edit`. */
function edited(manifest: GeneratorManifest, edit: (m: GeneratorManifest) => void): GeneratorManifest {
  const copy = structuredClone(manifest)
  edit(copy)
  return copy
}

function mismatch(manifest: GeneratorManifest, graph: OnnxGraphInfo): ManifestMismatchError {
  try {
    assertManifestMatchesGraph(manifest, graph)
  } catch (error) {
    expect(error).toBeInstanceOf(ManifestMismatchError)
    return error as ManifestMismatchError
  }
  throw new Error('expected a ManifestMismatchError')
}

function only(problems: ManifestProblem[]): ManifestProblem {
  expect(problems).toHaveLength(1)
  return problems[0]!
}

describe('loadManifest', () => {
  const valid = buildToyGenerator().manifest

  it('parses a valid generator.json', () => {
    const result = loadManifest(JSON.stringify(valid, null, 2))
    expect(result).toEqual({ ok: true, manifest: valid })
  })

  it('reports invalid JSON', () => {
    const result = loadManifest('{"format": ')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toMatch(/^generator.json is not valid JSON: /)
  })

  it.each([
    ['modalities[1].channels', (m: Record<string, unknown>) => ((m.modalities as Record<string, unknown>[])[1]!.channels = 2)],
    ['latent.size', (m: Record<string, unknown>) => delete (m.latent as Record<string, unknown>).size],
    ['latent.prior', (m: Record<string, unknown>) => ((m.latent as Record<string, unknown>).prior = 'uniform')],
    ['noise.kind', (m: Record<string, unknown>) => (m.noise = { kind: 'perlin' })],
    ['noise.inputs', (m: Record<string, unknown>) => (m.noise = { kind: 'explicit', inputs: [] })],
    ['features[0].resolution', (m: Record<string, unknown>) => ((m.features as Record<string, unknown>[])[0]!.resolution = 1.5)],
    ['modalities[0].range', (m: Record<string, unknown>) => ((m.modalities as Record<string, unknown>[])[0]!.range = [1, -1])],
    ['modalities[0].id', (m: Record<string, unknown>) => ((m.modalities as Record<string, unknown>[])[0]!.id = 'RGB image')],
    ['format', (m: Record<string, unknown>) => (m.format = 'stylegan')],
    ['version', (m: Record<string, unknown>) => (m.version = 2)]
  ])('names the field %s', (path, edit) => {
    const raw = structuredClone(valid) as unknown as Record<string, unknown>
    edit(raw)
    const result = loadManifest(JSON.stringify(raw))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toContain(`${path}: `)
  })

  it('rejects unknown keys (typos would otherwise silently drop a field)', () => {
    const result = loadManifest(JSON.stringify({ ...valid, truncaton: { input: 'psi', default: 0.7 } }))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error).toContain('truncaton')
  })

  it('rejects inputs fed twice, duplicate outputs and an inconsistent resolution', () => {
    const twice = edited(valid, (m) => (m.noise = { kind: 'seed', input: 'z' }))
    expect(GeneratorManifestSchema.safeParse(twice).error?.issues[0]).toMatchObject({ path: ['noise', 'input'], message: 'graph input "z" is used twice' })
    const dupOut = edited(valid, (m) => (m.features[0]!.name = 'rgb'))
    expect(loadManifest(JSON.stringify(dupOut))).toMatchObject({ ok: false, error: expect.stringContaining('features[0].name: graph output "rgb" is used twice') })
    const res = edited(valid, (m) => (m.resolution = 32))
    expect(loadManifest(JSON.stringify(res))).toMatchObject({ ok: false, error: expect.stringContaining('resolution: must equal the largest modality resolution (16)') })
  })
})

describe('validateManifestAgainstGraph', () => {
  it.each([
    ['seed noise', {}],
    ['explicit noise', { noise: 'explicit' as const }],
    ['no noise, no truncation', { noise: 'none' as const, truncation: false }],
    ['a condition input', { conditionSize: 5 }],
    ['another resolution', { resolution: 32, latentSize: 16 }]
  ])('accepts the toy generator with %s', (_label, options) => {
    const { manifest, graph } = toy(options)
    expect(validateManifestAgainstGraph(manifest, graph)).toEqual([])
    expect(() => assertManifestMatchesGraph(manifest, graph)).not.toThrow()
  })

  it('names a missing input', () => {
    const { manifest, graph } = toy()
    const problem = only(validateManifestAgainstGraph(edited(manifest, (m) => (m.latent.input = 'latent')), graph).filter((p) => p.kind === 'missing-input'))
    expect(problem.tensor).toBe('latent')
    expect(problem.message).toBe('latent input "latent" is not an input of the graph (graph inputs: "z", "psi", "seed")')
    // the graph's "z" is then not fed by anything either
    expect(mismatch(edited(manifest, (m) => (m.latent.input = 'latent')), graph).message).toMatch(/latent input "latent".*graph input "z"/)
  })

  it('names a missing output', () => {
    const { manifest, graph } = toy()
    const error = mismatch(edited(manifest, (m) => (m.modalities[1]!.output = 'nir_image')), graph)
    expect(only(error.problems)).toMatchObject({ kind: 'missing-output', tensor: 'nir_image' })
    expect(error.message).toContain('modality "nir" output "nir_image" is not an output of the graph')
    const feature = mismatch(edited(manifest, (m) => m.features.push({ name: 'b16.conv1', channels: 8, resolution: 16 })), graph)
    expect(feature.message).toContain('feature output "b16.conv1" is not an output of the graph')
  })

  it('names a tensor of the wrong rank (manifest side and graph side)', () => {
    const { manifest, graph } = toy({ noise: 'explicit' })
    const noise = mismatch(edited(manifest, (m) => m.noise.kind === 'explicit' && (m.noise.inputs[0]!.shape = [8, 8])), graph)
    expect(only(noise.problems)).toMatchObject({ kind: 'wrong-rank', tensor: 'noise0' })
    expect(noise.message).toContain('noise input "noise0" has rank 4 in the graph [N, 1, 8, 8], the manifest needs rank 3 [N, 8, 8]')

    // A graph that exports a feature flattened.
    const g = new OnnxBuilder()
    const z = g.input('z', 'float32', ['N', 8])
    g.output(g.tanh(g.reshape(g.gemm(z, g.constant(new Float32Array(8 * 48), [8, 48])), [-1, 3, 4, 4])), 'rgb', ['N', 3, 4, 4])
    g.output(g.gemm(z, g.constant(new Float32Array(8 * 32), [8, 32])), 'b4.conv0', ['N', 32])
    const flat: GeneratorManifest = {
      format: 'twinlight-generator',
      version: 1,
      name: 'flat',
      latent: { input: 'z', size: 8, prior: 'normal' },
      noise: { kind: 'none' },
      modalities: [{ id: 'rgb', output: 'rgb', channels: 3, range: [-1, 1], resolution: 4 }],
      features: [{ name: 'b4.conv0', channels: 2, resolution: 4 }],
      resolution: 4
    }
    const error = mismatch(flat, inspectOnnx(g.build()))
    expect(only(error.problems)).toMatchObject({ kind: 'wrong-rank', tensor: 'b4.conv0' })
    expect(error.message).toContain('feature output "b4.conv0" has rank 2 in the graph [N, 32], the manifest needs rank 4 [N, C, H, W] = [N, 2, 4, 4]')
  })

  it('names a wrong channel count', () => {
    const { manifest, graph } = toy()
    const error = mismatch(edited(manifest, (m) => (m.features[1]!.channels = 256)), graph)
    expect(only(error.problems)).toMatchObject({ kind: 'wrong-size', tensor: 'b16.conv0' })
    expect(error.message).toContain('feature output "b16.conv0" has 8 channels in the graph, the manifest says 256')
    const rgb = mismatch(edited(manifest, (m) => (m.modalities[1]!.channels = 3)), graph)
    expect(rgb.message).toContain('modality "nir" output "nir" has 1 channels in the graph, the manifest says 3')
  })

  it('names a wrong resolution', () => {
    const { manifest, graph } = toy()
    const error = mismatch(
      edited(manifest, (m) => {
        m.modalities[0]!.resolution = 32
        m.resolution = 32
      }),
      graph
    )
    expect(error.problems.map((p) => [p.kind, p.tensor])).toEqual([
      ['wrong-size', 'rgb'],
      ['wrong-size', 'rgb']
    ])
    expect(error.message).toContain('modality "rgb" output "rgb" has height 16 in the graph, the manifest says resolution 32')
    expect(error.message).toContain('modality "rgb" output "rgb" has width 16 in the graph, the manifest says resolution 32')
    const feature = mismatch(edited(manifest, (m) => (m.features[0]!.resolution = 4)), graph)
    expect(feature.message).toContain('feature output "b8.conv0" has height 8 in the graph, the manifest says resolution 4')
    const latent = mismatch(edited(manifest, (m) => (m.latent.size = 512)), graph)
    expect(latent.message).toContain('latent input "z" has size 8 in the graph, the manifest says size 512')
  })

  it('names a wrong element type', () => {
    const { manifest, graph } = toy({ noise: 'explicit' })
    // The manifest claims the float noise map is an int64 seed input.
    const error = mismatch(edited(manifest, (m) => (m.noise = { kind: 'seed', input: 'noise0' })), graph)
    expect(error.problems[0]).toMatchObject({ kind: 'wrong-type', tensor: 'noise0' })
    expect(error.message).toContain('seed input "noise0" has element type float32 in the graph, the manifest needs int64')

    const g = new OnnxBuilder()
    const z = g.input('z', 'float64', ['N', 3])
    g.output(g.cast(g.reshape(z, [-1, 3, 1, 1]), 'float32'), 'img', ['N', 3, 1, 1])
    g.output(g.reshape(z, [-1, 3, 1, 1]), 'feat', ['N', 3, 1, 1])
    const f64 = mismatch(
      {
        format: 'twinlight-generator',
        version: 1,
        name: 'f64',
        latent: { input: 'z', size: 3, prior: 'normal' },
        noise: { kind: 'none' },
        modalities: [{ id: 'rgb', output: 'img', channels: 3, range: [0, 1], resolution: 1 }],
        features: [{ name: 'feat', channels: 3, resolution: 1 }],
        resolution: 1
      },
      inspectOnnx(g.build())
    )
    expect(f64.problems.map((p) => p.tensor)).toEqual(['z', 'feat'])
    expect(f64.message).toContain('latent input "z" has element type float64 in the graph, the manifest needs float32')
    expect(f64.message).toContain('feature output "feat" has element type float64 in the graph, the manifest needs float32')
  })

  it('names a graph input the manifest does not declare', () => {
    const { manifest, graph } = toy()
    const error = mismatch(edited(manifest, (m) => delete m.truncation), graph)
    expect(only(error.problems)).toMatchObject({ kind: 'undeclared-input', tensor: 'psi' })
    expect(error.message).toContain('graph input "psi" [] is not declared in the manifest')
    const noNoise = mismatch(edited(manifest, (m) => (m.noise = { kind: 'none' })), graph)
    expect(noNoise.message).toContain('graph input "seed" [N] is not declared in the manifest')
  })

  it('rejects graphs with random ops', () => {
    const { onnx: bytes, manifest } = buildToyGenerator({ noise: 'none' })
    const model = onnx.ModelProto.decode(bytes)
    model.graph!.node!.push(onnx.NodeProto.create({ opType: 'RandomNormalLike', input: ['rgb'], output: ['unused_noise'], name: 'rnd' }))
    const error = mismatch(manifest, inspectOnnx(onnx.ModelProto.encode(model).finish()))
    expect(only(error.problems)).toMatchObject({ kind: 'nondeterministic-op', tensor: 'RandomNormalLike' })
  })

  it('accepts symbolic dims and warns about undeclared shapes', () => {
    const { manifest, graph } = toy()
    const symbolic: OnnxGraphInfo = {
      ...graph,
      outputs: graph.outputs.map((o) => (o.name === 'b16.conv0' ? { ...o, shape: ['N', 'C', 'H', null] } : o.name === 'nir' ? { ...o, shape: null } : o))
    }
    const problems = assertManifestMatchesGraph(manifest, symbolic)
    expect(only(problems)).toMatchObject({ kind: 'unknown-shape', severity: 'warning', tensor: 'nir' })
    // a fixed batch size is fine too
    const fixedBatch: OnnxGraphInfo = { ...graph, inputs: graph.inputs.map((i) => (i.name === 'z' ? { ...i, shape: [1, 8] } : i)) }
    expect(validateManifestAgainstGraph(manifest, fixedBatch)).toEqual([])
  })

  it('reports every problem at once', () => {
    const { manifest, graph } = toy()
    const broken = edited(manifest, (m) => {
      m.latent.size = 9
      m.modalities[0]!.output = 'image'
      m.features[0]!.channels = 3
    })
    const kinds = validateManifestAgainstGraph(broken, graph).map((p) => `${p.kind}:${p.tensor}`)
    expect(kinds).toEqual(['wrong-size:z', 'missing-output:image', 'wrong-size:b8.conv0'])
  })
})
