// Job worker: render samples for a project from the built-in face renderer.
// Each sample is samples/<id>/<modality>.png plus groundtruth.png (the renderer's exact
// mask in the project's class ids), with sample.json written last: a sample folder without
// sample.json is unfinished, so a resumed job renders it again and skips the finished ones.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { runWorker } from './runtime'
import { RenderSamplesParamsSchema } from '../services/jobs/kinds'
import { readProject } from '../services/projectStore'
import { sampleIdForSeed, type SampleFile } from '../services/sampleStore'
import { paletteFor } from '../services/annotationStore'
import { renderSample, RenderArgumentError } from '../engine/render'
import { encodeIndexedPng, encodePng } from '../engine/io/png'
import { writeFileAtomic, writeJsonAtomic } from '../engine/io/atomic'

runWorker(async (ctx) => {
  const params = RenderSamplesParamsSchema.parse(ctx.params)
  if (params.generator.kind !== 'renderer') throw new Error('this project uses an ONNX generator; the renderer job cannot sample it')
  const { project } = await readProject(ctx.projectDir)
  const mode = params.generator.mode
  const classCount = project.classes.length
  const palette = paletteFor(project.classes)
  // Renderer classes beyond the project's set (ears 10, glasses 11 in face mode) become skin.
  const toProjectClass = new Uint8Array(256).map((_, id) => (id < classCount ? id : classCount > 1 ? 1 : 0))

  let written = 0
  for (let i = 0; i < params.count; i++) {
    ctx.checkCancelled()
    const seed = params.seedStart + i
    const id = sampleIdForSeed(seed)
    const dir = join(ctx.projectDir, 'samples', id)
    if (existsSync(join(dir, 'sample.json'))) {
      ctx.progress((i + 1) / params.count, `sample ${i + 1}/${params.count} already there`)
      continue
    }
    let result
    try {
      result = renderSample(seed, params.size, [...params.modalities, 'mask'], mode)
    } catch (error) {
      if (error instanceof RenderArgumentError) throw new Error(`the renderer cannot draw this project's samples: ${error.message}`)
      throw error
    }
    const size = result.size
    for (const modality of params.modalities) {
      const data = result[modality as 'rgb' | 'nir' | 'sketch' | 'depth']
      if (!data) throw new Error(`the renderer has no "${modality}" modality`)
      await writeFileAtomic(join(dir, `${modality}.png`), encodePng({ width: size, height: size, channels: modality === 'rgb' ? 3 : 1, data }))
    }
    const truth = result.mask!.map((v) => toProjectClass[v])
    await writeFileAtomic(join(dir, 'groundtruth.png'), encodeIndexedPng({ width: size, height: size, indices: truth, palette }))
    const sample: SampleFile = {
      id,
      seed,
      width: size,
      height: size,
      modalities: params.modalities,
      generator: params.generator,
      createdAt: new Date().toISOString()
    }
    await writeJsonAtomic(join(dir, 'sample.json'), sample)
    written++
    ctx.progress((i + 1) / params.count, `rendered ${i + 1}/${params.count}`)
  }
  ctx.artifact('samples')
  ctx.log(`rendered ${written} samples, ${params.count - written} were already there`)
  return { written, skipped: params.count - written }
})
