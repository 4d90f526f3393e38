// Job worker: train the style interpreter on the project's annotated samples
// (services/interpreter/trainRun.ts has the run layout, phases and resume rules).
import { runWorker } from './runtime'
import { trainFromProject } from '../services/interpreter/projectTraining'

runWorker((ctx) => trainFromProject(ctx, ctx.params))
