// Job worker: the Compare view's metrics over a selection of pairs (compare.metrics with more
// than a handful of pairs, or identity). Writes runs/<job-id>/compare-report.json.
import { join } from 'node:path'
import { runWorker } from './runtime'
import { compareReportPath, computeCompareReport } from '../services/compareService'
import { CompareJobParamsSchema, COMPARE_REPORT_FILE } from '../services/compareJob'
import { writeJsonAtomic } from '../engine/io/atomic'

runWorker(async (ctx) => {
  const params = CompareJobParamsSchema.parse(ctx.params)
  const total = params.input.pairs.length
  ctx.log(`measuring ${total} pair${total === 1 ? '' : 's'}: ${params.input.metrics.join(', ')}`)
  const report = await computeCompareReport(ctx.projectDir, params.input, {
    numClasses: params.numClasses,
    onProgress: (done) => {
      ctx.checkCancelled()
      ctx.progress(done / total, `${done}/${total} pairs`)
    }
  })
  for (const w of report.warnings) ctx.log(w, 'warn')
  await writeJsonAtomic(join(ctx.jobDir, COMPARE_REPORT_FILE), report)
  const path = compareReportPath(ctx.projectDir, ctx.jobDir)
  ctx.artifact(path)
  return { report: path, pairs: total, summary: report.summary.map((s) => `${s.title} ${s.display}`).join(' · ') }
})
