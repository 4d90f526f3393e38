// The `compare-metrics` job kind: its parameters and worker entry. Kept apart from
// compareService.ts so that the job table (jobs/kinds.ts) does not load the metrics code.
import { z } from 'zod'
import { CompareMetricsInputSchema } from '../../shared/api'
import { workerEntry } from './paths'
import type { JobKind } from './jobs/jobManager'

export type CompareMetricsInput = z.output<typeof CompareMetricsInputSchema>

export const CompareJobParamsSchema = z.object({
  input: CompareMetricsInputSchema,
  /** The project's class count (mask pairs). */
  numClasses: z.number().int().min(1).max(255)
})
export type CompareJobParams = z.output<typeof CompareJobParamsSchema>

export const COMPARE_JOB_KIND = 'compare-metrics'
/** What the job writes in its run folder. */
export const COMPARE_REPORT_FILE = 'compare-report.json'

export function compareMetricsJobKind(): JobKind<never> {
  return {
    kind: COMPARE_JOB_KIND,
    entry: workerEntry('compareMetrics'),
    params: CompareJobParamsSchema as never,
    title: (p: CompareJobParams) => `Compare metrics: ${p.input.pairs.length} pair${p.input.pairs.length === 1 ? '' : 's'} (${p.input.metrics.join(', ')})`,
    resumable: false
  } as JobKind<CompareJobParams> as JobKind<never>
}
