// Job worker (`predict-interpreter`): predicts every unannotated sample with a trained
// interpreter into runs/<run>/predictions/ (model in the loop; samples done before are kept,
// so a stopped job continues). The training job does the same right after its final model.
import { runWorker } from './runtime'
import { initTf } from '../engine/tf/backend'
import { releaseFeatureRuntimes } from '../services/generatorFeatures'
import { predictUnannotated } from '../services/interpreter/predict'
import { PredictInterpreterParamsSchema } from '../../shared/interpreter'

runWorker(async (ctx) => {
  const { runId } = PredictInterpreterParamsSchema.parse(ctx.params)
  const { tf } = await initTf()
  try {
    return await predictUnannotated(ctx, tf, runId)
  } finally {
    await releaseFeatureRuntimes()
  }
})
