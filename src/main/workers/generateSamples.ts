// Job worker: draw samples from the project's ONNX generator.
// One onnxruntime session for the whole job (opened once, reused by every batch). Each sample
// is samples/<id>/<modality>.png with sample.json written last (seed, ψ, latent and noise
// recipe, generator path + sha256): a folder without sample.json is unfinished, so a resumed
// job draws it again and skips the finished ones. Ids: sampleIdForGenerator(sha256, seed).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runWorker } from './runtime'
import { GenerateSamplesParamsSchema } from '../services/jobs/kinds'
import { sampleIdForGenerator, type SampleFile } from '../services/sampleStore'
import { loadProjectGenerator, type OnnxGeneratorRef } from '../services/generatorStore'
import { GeneratorRuntime, type GenerateRequest } from '../engine/generator/runtime'
import { recipeForSeed } from '../engine/generator/recipe'
import { encodePng } from '../engine/io/png'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'

runWorker(async (ctx) => {
  const params = GenerateSamplesParamsSchema.parse(ctx.params)
  const ref = params.generator as OnnxGeneratorRef
  const loaded = await loadProjectGenerator(ctx.projectDir, ref)
  const manifest = loaded.manifest
  const started = Date.now()
  const runtime = await GeneratorRuntime.open({ onnx: loaded.onnx, manifest }, { setting: params.provider, log: (text, level) => ctx.log(text, level) })
  try {
    ctx.log(`generator "${manifest.name}" (sha256 ${ref.sha256.slice(0, 12)}…) on the ${runtime.provider} provider, session ready in ${Date.now() - started} ms`)
    if (params.truncation !== null && !manifest.truncation) ctx.log(`"${manifest.name}" takes no truncation input; ψ ${params.truncation} is ignored`, 'warn')
    const recipe = recipeForSeed(manifest, params.truncation)
    const modalities = manifest.modalities.map((m) => m.id)

    const todo: number[] = []
    for (let i = 0; i < params.count; i++) {
      const seed = params.seedStart + i
      if (!existsSync(join(ctx.projectDir, 'samples', sampleIdForGenerator(ref.sha256, seed), 'sample.json'))) todo.push(seed)
    }
    const skipped = params.count - todo.length
    if (skipped) ctx.log(`${skipped} of ${params.count} samples are already there`)

    let written = 0
    const batchSize = runtime.fixedBatch ?? params.batchSize
    for (let start = 0; start < todo.length; start += batchSize) {
      ctx.checkCancelled()
      const requests: GenerateRequest[] = todo.slice(start, start + batchSize).map((seed) => ({ seed, recipe }))
      const samples = await runtime.run(requests, { images: true }, batchSize)
      for (const sample of samples) {
        const id = sampleIdForGenerator(ref.sha256, sample.seed)
        const dir = join(ctx.projectDir, 'samples', id)
        for (const modality of modalities) {
          const image = sample.images[modality]!
          await writeFileAtomic(join(dir, `${modality}.png`), encodePng({ width: image.width, height: image.height, channels: image.channels, data: image.data }))
        }
        const file: SampleFile = {
          id,
          seed: sample.seed,
          width: manifest.resolution,
          height: manifest.resolution,
          modalities,
          generator: ref,
          createdAt: new Date().toISOString(),
          recipe
        }
        await writeJsonAtomic(join(dir, 'sample.json'), file)
        written++
      }
      ctx.progress((skipped + written) / params.count, `generated ${skipped + written}/${params.count}`)
    }
    ctx.artifact('samples')
    const seconds = (Date.now() - started) / 1000
    ctx.log(`generated ${written} samples in ${seconds.toFixed(1)} s${written ? ` (${(written / seconds).toFixed(1)} samples/s)` : ''}, ${skipped} were already there`)
    return { written, skipped, provider: runtime.provider }
  } finally {
    await runtime.release()
  }
})
