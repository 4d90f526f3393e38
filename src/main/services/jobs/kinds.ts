// The job kinds the studio ships. Each runs in its own worker entry (src/main/workers).
import { z } from 'zod'
import { GeneratorRefSchema } from '../../../shared/project'
import { workerEntry } from '../paths'
import type { JobKind } from './jobManager'

export const RenderSamplesParamsSchema = z.object({
  count: z.number().int().min(1).max(100_000),
  seedStart: z.number().int().min(0),
  size: z.number().int().min(64).max(1024),
  modalities: z.array(z.string()).min(1),
  generator: GeneratorRefSchema
})
export type RenderSamplesParams = z.infer<typeof RenderSamplesParamsSchema>

export function builtinJobKinds(): JobKind<never>[] {
  const kinds: JobKind<never>[] = [
    {
      kind: 'render-samples',
      entry: workerEntry('renderSamples'),
      params: RenderSamplesParamsSchema as never,
      title: (p: RenderSamplesParams) => `Render ${p.count} samples (seeds ${p.seedStart}–${p.seedStart + p.count - 1})`,
      // Samples already on disk are skipped, so a stopped run continues where it was.
      resumable: true
    } as JobKind<RenderSamplesParams> as JobKind<never>
  ]
  return kinds
}
