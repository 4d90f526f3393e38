// One-shot worker (started by interpreter.predict, outside the job list): the voted mask and
// uncertainty of one sample with a trained interpreter.
import { z } from 'zod'
import { runWorker } from './runtime'
import { initTf } from '../engine/tf/backend'
import { releaseFeatureRuntimes } from '../services/generatorFeatures'
import { predictProjectSample } from '../services/interpreter/predict'

const ParamsSchema = z.object({ runId: z.string().min(1), sampleId: z.string().min(1) })

runWorker(async (ctx) => {
  const { runId, sampleId } = ParamsSchema.parse(ctx.params)
  const { tf } = await initTf()
  try {
    return await predictProjectSample(tf, ctx.projectDir, runId, sampleId)
  } finally {
    await releaseFeatureRuntimes()
  }
})
