// Shared helpers of the face-model tests: stand-in ONNX embedders and their manifests.
import type { OnnxFaceModelManifest } from '../../../src/main/engine/face/manifest'
import { OnnxBuilder } from '../../../src/main/engine/onnx/builder'

/** A "model" whose embedding is its input, flattened: the output shows exactly what was fed. */
export function flattenModel(inputName: string, shape: [number, number, number, number], outputName = 'embedding'): Uint8Array {
  const g = new OnnxBuilder()
  const x = g.input(inputName, 'float32', shape)
  const size = shape[1] * shape[2] * shape[3]
  g.output(g.reshape(x, [1, size]), outputName, [1, size])
  return g.build()
}

export type ManifestOverrides = Partial<Omit<OnnxFaceModelManifest, 'input'>> & { input?: Partial<OnnxFaceModelManifest['input']> }

/** The manifest of an 8×8 RGB test model with a 192-d output (flattenModel's at 8×8), with overrides. */
export function faceModelManifest(over: ManifestOverrides = {}): OnnxFaceModelManifest {
  const base: OnnxFaceModelManifest = {
    schema: 'twinlight.face-model/1',
    kind: 'onnx',
    id: 'tiny-test-model',
    name: 'tiny test model',
    model: { path: null },
    input: { name: 'pixels', width: 8, height: 8, channelOrder: 'RGB', layout: 'NCHW', normalization: { kind: 'minus-one-to-one' } },
    needsAlignment: false,
    output: { name: 'embedding', dims: 192 },
    defaultThreshold: 0.5,
    thresholdNote: 'test'
  }
  return { ...base, ...over, input: { ...base.input, ...over.input } }
}
