// Sample grid of the shipped demo generator against the renderer's own render of the same
// parameters: docs/images/demo-generator-grid.png.
//
//   npx tsx scripts/demo-generator-grid.ts [generator dir] [out.png] [first seed]
//
// Columns are sample seeds; rows are generator RGB, renderer RGB, generator NIR, renderer NIR.
// The generator is run in onnxruntime-node with exactly the inputs the studio feeds for a
// sample seed (z = twinlight-normal-v1 stream 0, c = renderer parameters of sampleParams(seed),
// noise input i = stream 2 + i), so the grid shows what a project using it would get.
import { readFile, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import * as ort from 'onnxruntime-node'
import { loadManifest } from '../src/shared/generator'
import { paramsToVector, sampleParams } from '../src/main/engine/render'
import { seededNormals, STREAM } from '../src/main/engine/generator/random'
import { composeGrid, renderReference, type GridRow } from '../src/main/engine/gan/preview'
import { encodePng } from '../src/main/engine/io/png'

const dir = resolve(process.argv[2] ?? 'resources/demo-generator')
const out = resolve(process.argv[3] ?? 'docs/images/demo-generator-grid.png')
const first = Number(process.argv[4] ?? 0)
const seeds = Array.from({ length: 8 }, (_, i) => first + i)

const loaded = loadManifest(await readFile(join(dir, 'generator.json'), 'utf8'))
if (!loaded.ok) throw new Error(loaded.error)
const manifest = loaded.manifest
const session = await ort.InferenceSession.create(join(dir, 'generator.onnx'))
const n = seeds.length
const R = manifest.resolution
const feeds: Record<string, ort.Tensor> = {}
const z = new Float32Array(n * manifest.latent.size)
seeds.forEach((s, i) => z.set(seededNormals(s, STREAM.latent, manifest.latent.size), i * manifest.latent.size))
feeds[manifest.latent.input] = new ort.Tensor('float32', z, [n, manifest.latent.size])
if (manifest.truncation) feeds[manifest.truncation.input] = new ort.Tensor('float32', Float32Array.of(manifest.truncation.default), [])
if (manifest.condition) {
  const c = new Float32Array(n * manifest.condition.size)
  seeds.forEach((s, i) => c.set(paramsToVector(sampleParams(s)), i * manifest.condition!.size))
  feeds[manifest.condition.input] = new ort.Tensor('float32', c, [n, manifest.condition.size])
}
if (manifest.noise.kind === 'explicit') {
  manifest.noise.inputs.forEach((input, k) => {
    const size = input.shape.reduce((a, b) => a * b, 1)
    const data = new Float32Array(n * size)
    seeds.forEach((s, i) => data.set(seededNormals(s, STREAM.noise + k, size), i * size))
    feeds[input.name] = new ort.Tensor('float32', data, [n, ...input.shape])
  })
}
const started = performance.now()
const result = await session.run(feeds)
const ms = performance.now() - started

/** NCHW float [-1, 1] → NHWC uint8. */
function toBytes(t: ort.Tensor, range: [number, number]): { channels: number; data: Uint8Array } {
  const [b, c, h, w] = t.dims as number[]
  const src = t.data as Float32Array
  const data = new Uint8Array(b * h * w * c)
  for (let i = 0; i < b; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const v = (src[((i * c + ch) * h + y) * w + x] - range[0]) / (range[1] - range[0])
          data[((i * h + y) * w + x) * c + ch] = Math.max(0, Math.min(255, Math.round(v * 255)))
        }
  return { channels: c, data }
}

const reference = renderReference(seeds, manifest.modalities, R)
const rows: GridRow[] = []
for (const m of manifest.modalities) {
  const generated = toBytes(result[m.output], m.range)
  rows.push({ label: `${m.id} generator`, channels: generated.channels, data: generated.data })
  if (reference[m.id]) rows.push({ label: `${m.id} renderer`, channels: m.channels, data: reference[m.id] })
}
const grid = composeGrid(rows, n, R, 2)
const scale = R < 128 ? 2 : 1
const width = grid.width * scale
const height = grid.height * scale
const big = new Uint8Array(width * height * 3)
for (let y = 0; y < height; y++)
  for (let x = 0; x < width; x++) {
    const s = ((Math.floor(y / scale) * grid.width + Math.floor(x / scale)) * 3) | 0
    big.set(grid.data.subarray(s, s + 3), (y * width + x) * 3)
  }
await mkdir(dirname(out), { recursive: true })
await writeFile(out, encodePng({ width, height, channels: 3, data: big }))
// Likeness: mean absolute difference to the renderer per modality, in 0..255 grey levels.
for (const m of manifest.modalities) {
  const g = toBytes(result[m.output], m.range).data
  const r = reference[m.id]
  let sum = 0
  for (let i = 0; i < g.length; i++) sum += Math.abs(g[i] - r[i])
  console.log(`${m.id}: mean |generator − renderer| = ${(sum / g.length).toFixed(1)} / 255`)
}
console.log(`wrote ${out} (${seeds.length} seeds from ${first}; onnxruntime batch of ${n} in ${ms.toFixed(0)} ms)`)
