import { describe, it, expect } from 'vitest'
import { OnnxBuilder } from '../../../src/main/engine/onnx/builder'
import { inspectOnnx, OnnxFormatError } from '../../../src/main/engine/onnx/inspect'
import { onnx } from '../../../src/main/engine/onnx/types'
import { buildToyGenerator } from '../../../src/main/engine/onnx/toyGenerator'

function sample(): OnnxBuilder {
  const g = new OnnxBuilder({ metadata: { note: 'hello' }, producerVersion: '1.2.3' })
  const img = g.input('img', 'float32', ['N', 3, null, 'W'])
  const psi = g.input('psi', 'float32', [])
  const seed = g.input('seed', 'int64', ['N'])
  const mask = g.input('mask', 'uint8', [1, 1])
  const y = g.mul(g.conv(img, g.constant(new Float32Array(3 * 3), [1, 3, 1, 3], 'conv.weight')), psi)
  g.output(y, 'y', ['N', 1, null, 'W2'])
  g.output(g.cast(seed, 'float32'), 'seed_f') // no shape: rank unknown
  g.output(g.identity(mask), 'mask_out', [1, 1])
  return g
}

describe('inspectOnnx', () => {
  it('reports inputs, outputs, element types and shapes of a built graph', () => {
    const info = inspectOnnx(sample().build())
    expect(info.inputs).toEqual([
      { name: 'img', elemType: 'float32', shape: ['N', 3, null, 'W'] },
      { name: 'psi', elemType: 'float32', shape: [] },
      { name: 'seed', elemType: 'int64', shape: ['N'] },
      { name: 'mask', elemType: 'uint8', shape: [1, 1] }
    ])
    expect(info.outputs).toEqual([
      { name: 'y', elemType: 'float32', shape: ['N', 1, null, 'W2'] },
      { name: 'seed_f', elemType: 'float32', shape: null },
      { name: 'mask_out', elemType: 'uint8', shape: [1, 1] }
    ])
    expect(info).toMatchObject({ opset: 17, opsets: { '': 17 }, irVersion: 8, producer: 'twinlight', producerVersion: '1.2.3', metadata: { note: 'hello' } })
    expect(info.opTypes).toEqual(['Cast', 'Conv', 'Identity', 'Mul'])
  })

  it('reports the toy generator interface', () => {
    const { onnx: bytes } = buildToyGenerator({ resolution: 8, latentSize: 4 })
    const info = inspectOnnx(bytes)
    expect(info.inputs.map((i) => [i.name, i.elemType, i.shape])).toEqual([
      ['z', 'float32', ['N', 4]],
      ['psi', 'float32', []],
      ['seed', 'int64', ['N']]
    ])
    expect(info.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['rgb', ['N', 3, 8, 8]],
      ['nir', ['N', 1, 8, 8]],
      ['b4.conv0', ['N', 12, 4, 4]],
      ['b8.conv0', ['N', 8, 8, 8]]
    ])
  })

  it('leaves out graph inputs that are also initializers', () => {
    const model = sample().model()
    // Old exporters (IR < 4) list every weight as a graph input too.
    model.graph!.input!.push({ name: 'conv.weight', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimValue: 3 }, { dimValue: 1 }, { dimValue: 3 }] } } } })
    const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish()
    expect(inspectOnnx(bytes).inputs.map((i) => i.name)).toEqual(['img', 'psi', 'seed', 'mask'])
  })

  it('reports non-tensor values and unknown element types as unknown', () => {
    const model = sample().model()
    model.graph!.output!.push({ name: 'seq', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } })
    model.graph!.output!.push({ name: 'future', type: { tensorType: { elemType: 99, shape: { dim: [] } } } })
    model.graph!.output!.push({ name: 'e4m3', type: { tensorType: { elemType: 17, shape: { dim: [{ dimValue: 2 }] } } } })
    const info = inspectOnnx(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish())
    expect(info.outputs.slice(3)).toEqual([
      { name: 'seq', elemType: 'unknown', shape: null },
      { name: 'future', elemType: 'unknown', shape: [] },
      { name: 'e4m3', elemType: 'float8e4m3fn', shape: [2] }
    ])
  })

  it('throws OnnxFormatError for corrupt bytes', () => {
    const bytes = sample().build()
    const truncated = bytes.subarray(0, Math.floor(bytes.length / 2))
    expect(() => inspectOnnx(truncated)).toThrow(OnnxFormatError)
    expect(() => inspectOnnx(truncated)).toThrow(/^not an ONNX model: /)
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])
    expect(() => inspectOnnx(png)).toThrow(OnnxFormatError)
    const json = new TextEncoder().encode('{"format": "twinlight-generator"}')
    expect(() => inspectOnnx(json)).toThrow(OnnxFormatError)
  })

  it('throws "ONNX model has no graph" for a model without a graph', () => {
    expect(() => inspectOnnx(new Uint8Array(0))).toThrow('ONNX model has no graph')
    const noGraph = onnx.ModelProto.encode({ irVersion: 8, producerName: 'x', opsetImport: [{ domain: '', version: 17 }] }).finish()
    expect(() => inspectOnnx(noGraph)).toThrow(new OnnxFormatError('ONNX model has no graph'))
  })

  it('throws when the default-domain opset is missing', () => {
    const model = sample().model()
    model.opsetImport = [{ domain: 'com.example', version: 1 }]
    expect(() => inspectOnnx(onnx.ModelProto.encode(model).finish())).toThrow(/no opset for the default/)
  })
})
