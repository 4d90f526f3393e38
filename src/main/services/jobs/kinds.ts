// The job kinds the studio ships. Each runs in its own worker entry (src/main/workers).
import { z } from 'zod'
import { GeneratorRefSchema } from '../../../shared/project'
import { PredictInterpreterParamsSchema, TrainInterpreterParamsSchema, type PredictInterpreterParams, type TrainInterpreterParams } from '../../../shared/interpreter'
import { ExportGeneratorParamsSchema, TrainGeneratorParamsSchema, type ExportGeneratorParams, type TrainGeneratorParams } from '../../../shared/ganConfig'
import { workerEntry } from '../paths'
import type { JobKind } from './jobManager'
import { compareMetricsJobKind } from '../compareJob'
import { MakeDatasetParamsSchema, type MakeDatasetParams } from '../../engine/dataset/params'

export const RenderSamplesParamsSchema = z.object({
  count: z.number().int().min(1).max(100_000),
  seedStart: z.number().int().min(0),
  size: z.number().int().min(64).max(1024),
  modalities: z.array(z.string()).min(1),
  generator: GeneratorRefSchema
})
export type RenderSamplesParams = z.infer<typeof RenderSamplesParamsSchema>

/** Samples from an ONNX generator (src/main/workers/generateSamples.ts). */
export const GenerateSamplesParamsSchema = z.object({
  count: z.number().int().min(1).max(100_000),
  seedStart: z.number().int().min(0),
  /** ψ; null = the manifest's default (ignored when the graph has no truncation input). */
  truncation: z.number().min(0).max(2).nullable().default(null),
  batchSize: z.number().int().min(1).max(64).default(8),
  generator: GeneratorRefSchema.refine((g) => g.kind === 'onnx', { message: 'generate-samples needs an ONNX generator' }),
  provider: z.enum(['cpu', 'auto', 'cuda', 'webgpu']).default('cpu')
})
export type GenerateSamplesParams = z.infer<typeof GenerateSamplesParamsSchema>

export function builtinJobKinds(): JobKind<never>[] {
  const kinds: JobKind<never>[] = [
    {
      kind: 'render-samples',
      entry: workerEntry('renderSamples'),
      params: RenderSamplesParamsSchema as never,
      title: (p: RenderSamplesParams) => `Render ${p.count} samples (seeds ${p.seedStart}–${p.seedStart + p.count - 1})`,
      // Samples already on disk are skipped, so a stopped run continues where it was.
      resumable: true
    } as JobKind<RenderSamplesParams> as JobKind<never>,
    {
      kind: 'generate-samples',
      entry: workerEntry('generateSamples'),
      params: GenerateSamplesParamsSchema as never,
      title: (p: GenerateSamplesParams) =>
        `Generate ${p.count} samples (seeds ${p.seedStart}–${p.seedStart + p.count - 1}${p.truncation !== null ? `, ψ ${p.truncation}` : ''})`,
      // Finished samples (sample.json present) are skipped, so a stopped run continues where it was.
      resumable: true
    } as JobKind<GenerateSamplesParams> as JobKind<never>,
    {
      kind: 'train-interpreter',
      entry: workerEntry('trainInterpreter'),
      params: TrainInterpreterParamsSchema as never,
      title: (p: TrainInterpreterParams) => {
        const c = p.config
        const stop =
          c.stop.kind === 'epochs' ? `${c.stop.epochs} epoch${c.stop.epochs === 1 ? '' : 's'}` : c.stop.kind === 'steps' ? `${c.stop.steps} steps` : `plateau after ${c.stop.minEpochs} epochs`
        return `Train interpreter (${c.ensembleSize} member${c.ensembleSize === 1 ? '' : 's'}, ${stop}${c.folds > 0 ? `, ${c.folds}-fold CV` : ''})`
      },
      // Checkpoints in runs/<id>/checkpoints: a stopped run continues the same run.
      resumable: true
    } as JobKind<TrainInterpreterParams> as JobKind<never>,
    {
      kind: 'predict-interpreter',
      entry: workerEntry('predictInterpreter'),
      params: PredictInterpreterParamsSchema as never,
      title: (p: PredictInterpreterParams) => `Predict unannotated samples with interpreter ${p.runId}`,
      // Predicted samples are kept in runs/<run>/predictions: a stopped job continues.
      resumable: true
    } as JobKind<PredictInterpreterParams> as JobKind<never>,
    {
      kind: 'train-generator',
      entry: workerEntry('trainGenerator'),
      params: TrainGeneratorParamsSchema as never,
      title: (p: TrainGeneratorParams) =>
        `Train generator ${p.preset ?? p.config.name} (${p.config.modalities.map((m) => m.id).join(' + ')}, ${p.config.resolution}², ${p.config.steps} steps)`,
      // Checkpoints (weights, Adam state, PRNG) in runs/<id>/checkpoints: resuming continues exactly.
      resumable: true,
      maxOldSpaceMb: 4096
    } as JobKind<TrainGeneratorParams> as JobKind<never>,
    {
      kind: 'export-generator',
      entry: workerEntry('trainGenerator'),
      params: ExportGeneratorParamsSchema as never,
      title: (p: ExportGeneratorParams) => `Export generator of run ${p.runId} to ONNX`,
      resumable: false
    } as JobKind<ExportGeneratorParams> as JobKind<never>
  ]
  kinds.push({
    kind: 'make-dataset',
    entry: workerEntry('makeDataset'),
    params: MakeDatasetParamsSchema as never,
    title: (p: MakeDatasetParams) =>
      `Make dataset ${p.name} (${p.count} seeds from ${p.seedStart}${p.shard ? `, shard ${p.shard.index}/${p.shard.count}` : ''})`,
    // Finished samples have a record in .twinlight/records: a stopped run continues, byte-identical.
    resumable: true
  } as JobKind<MakeDatasetParams> as JobKind<never>)
  kinds.push(compareMetricsJobKind())
  return kinds
}
