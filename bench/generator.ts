// Generator benchmark: samples per second of the ONNX generator runtime (one warm session, as
// the generate-samples worker uses it) at batch 1 and 8, images only and images + every feature
// map, plus the PNG encoding the worker adds per sample. Uses the demo generator
// (resources/demo-generator) when it is there, else the built-in toy generator at 64² (the
// output says which). CPU execution provider. Run: npx tsx bench/generator.ts
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadManifest, type GeneratorManifest } from '../src/shared/generator'
import { GeneratorRuntime, type GenerateRequest } from '../src/main/engine/generator/runtime'
import { recipeForSeed } from '../src/main/engine/generator/recipe'
import { buildToyGenerator } from '../src/main/engine/onnx/toyGenerator'
import { encodePng } from '../src/main/engine/io/png'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

function generator(): { onnx: Uint8Array; manifest: GeneratorManifest; which: string } {
  const dir = join(root, 'resources', 'demo-generator')
  if (existsSync(join(dir, 'generator.onnx')) && existsSync(join(dir, 'generator.json'))) {
    const loaded = loadManifest(readFileSync(join(dir, 'generator.json'), 'utf8'))
    if (!loaded.ok) throw new Error(loaded.error)
    return { onnx: readFileSync(join(dir, 'generator.onnx')), manifest: loaded.manifest, which: `demo generator "${loaded.manifest.name}" (resources/demo-generator)` }
  }
  const toy = buildToyGenerator({ resolution: 64, noise: 'explicit' })
  return { ...toy, which: 'toy generator at 64² (resources/demo-generator is not there)' }
}

interface Result {
  batch: number
  features: boolean
  samples: number
  samplesPerSecond: number
  msPerSample: number
}

async function measure(runtime: GeneratorRuntime, manifest: GeneratorManifest, batch: number, features: boolean, minSeconds: number): Promise<Result> {
  const recipe = recipeForSeed(manifest)
  let seed = 1000
  const next = (): GenerateRequest[] => Array.from({ length: batch }, () => ({ seed: seed++, recipe }))
  await runtime.run(next(), { features }, batch) // warm-up
  let samples = 0
  const start = performance.now()
  while (performance.now() - start < minSeconds * 1000 || samples < batch * 3) {
    const out = await runtime.run(next(), { features }, batch)
    samples += out.length
  }
  const seconds = (performance.now() - start) / 1000
  return { batch, features, samples, samplesPerSecond: Number((samples / seconds).toFixed(2)), msPerSample: Number(((seconds * 1000) / samples).toFixed(3)) }
}

async function main(): Promise<void> {
  const { onnx, manifest, which } = generator()
  const minSeconds = Number(process.env.BENCH_SECONDS ?? 3)
  console.log(`Generator benchmark: ${which}`)
  console.log(`  ${manifest.resolution}², modalities ${manifest.modalities.map((m) => m.id).join(' + ')}, ${manifest.features.length} feature maps (${manifest.features.reduce((s, f) => s + f.channels, 0)} channels)`)
  const opened = performance.now()
  const runtime = await GeneratorRuntime.open({ onnx, manifest }, { setting: 'cpu' })
  const sessionMs = performance.now() - opened
  const results: Result[] = []
  for (const batch of [1, 8]) {
    for (const features of [false, true]) {
      const r = await measure(runtime, manifest, batch, features, minSeconds)
      results.push(r)
      console.log(`  batch ${String(batch).padStart(2)}  ${features ? 'images + features' : 'images only     '}  ${r.samplesPerSecond.toFixed(1).padStart(8)} samples/s  (${r.msPerSample} ms/sample)`)
    }
  }
  // What the worker adds per sample: one PNG per modality.
  const [sample] = await runtime.run([{ seed: 1, recipe: recipeForSeed(manifest) }])
  let encodes = 0
  const t0 = performance.now()
  while (performance.now() - t0 < 1000) {
    for (const image of Object.values(sample.images)) encodePng(image)
    encodes++
  }
  const pngMsPerSample = Number(((performance.now() - t0) / encodes).toFixed(3))
  console.log(`  PNG encoding: ${pngMsPerSample} ms per sample (all modalities); session created in ${sessionMs.toFixed(0)} ms`)
  await runtime.release()

  const out = {
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    provider: runtime.provider,
    generator: which,
    resolution: manifest.resolution,
    featureMaps: manifest.features.length,
    sessionCreateMs: Number(sessionMs.toFixed(1)),
    results,
    pngEncodeMsPerSample: pngMsPerSample
  }
  const file = join(root, 'bench', 'results', 'generator.json')
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n')
  console.log(`wrote ${file.replace(root + '/', '')}`)
}

await main()
