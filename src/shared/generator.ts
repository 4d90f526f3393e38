// generator.json: the manifest that turns an ONNX graph into a Twinlight generator. It names
// which graph inputs the studio feeds (latent, truncation ψ, condition, noise) and which graph
// outputs are images (one per modality) or intermediate features. Shared by main and renderer:
// zod only, no Node imports. Checking the manifest against the actual graph is done on the
// Node side (src/main/engine/onnx/manifest.ts), which also documents the tensor layouts:
//
//   latent / condition   float32 [N, size]
//   truncation ψ         float32 scalar, rank 0 ([])
//   seed noise           int64 [N], one seed per sample; the graph derives its noise from it
//   explicit noise       float32 [N, ...shape], standard-normal values drawn by the studio
//   modality outputs     float32 [N, channels, resolution, resolution] (NCHW)
//   feature outputs      float32 [N, channels, resolution, resolution] (NCHW)
//
// N is the batch dimension (symbolic in the graph, or a fixed size the studio then respects).
import { z } from 'zod'
import { formatIssues } from './zodIssues'

export const GENERATOR_MANIFEST_FORMAT = 'twinlight-generator'
export const GENERATOR_MANIFEST_VERSION = 1

const tensorName = z.string().min(1, 'must name a graph tensor')
const positiveInt = z.number().int().positive()

/**
 * Where latent / condition vectors come from. 'normal': i.i.d. N(0, 1) per component, drawn from
 * the sample's seed. 'renderer-params': the vector is the parameter vector of the studio's face
 * renderer (identity, expression, pose, lighting...) so samples can be steered by it.
 */
export const LatentPriorSchema = z.enum(['normal', 'renderer-params'])

export const LatentSpecSchema = z.strictObject({
  /** Graph input fed with float32 [N, size]. */
  input: tensorName,
  size: positiveInt,
  prior: LatentPriorSchema
})

/** The graph takes ψ as a float32 scalar input (w = w_avg + ψ (w - w_avg) happens in the graph). */
export const TruncationSpecSchema = z.strictObject({
  input: tensorName,
  /** ψ used when the user does not choose one; 1 = no truncation. */
  default: z.number()
})

export const ConditionSpecSchema = z.strictObject({
  /** Graph input fed with float32 [N, size]. */
  input: tensorName,
  size: positiveInt,
  prior: z.literal('renderer-params')
})

export const NoiseInputSchema = z.strictObject({
  name: tensorName,
  /** Per-sample shape, batch excluded: the graph input is [N, ...shape] (e.g. [1, 64, 64]). */
  shape: z.array(positiveInt).min(1)
})

/**
 * How per-sample randomness beyond the latent reaches the graph (graphs never draw random
 * numbers themselves, so a sample is reproducible from its seed):
 *  - 'seed': an int64 [N] input receives each sample's seed and the graph derives its noise;
 *  - 'explicit': the studio draws standard-normal noise tensors from the seed and feeds them;
 *  - 'none': the output depends on the latent (and condition) only.
 */
export const NoiseSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('seed'), input: tensorName }),
  z.strictObject({ kind: z.literal('explicit'), inputs: z.array(NoiseInputSchema).min(1) }),
  z.strictObject({ kind: z.literal('none') })
])

export const ModalitySpecSchema = z
  .strictObject({
    /** Modality id used across the studio ('rgb', 'nir', 'thermal', 'depth'...). */
    id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ or -, starting with a letter'),
    /** Graph output, float32 [N, channels, resolution, resolution]. */
    output: tensorName,
    channels: z.literal([1, 3]),
    /** Value range of the output, mapped linearly to 0..255 for display ([-1, 1] for tanh heads). */
    range: z.tuple([z.number(), z.number()]),
    resolution: positiveInt
  })
  .refine((m) => m.range[0] < m.range[1], { message: 'range must be [min, max] with min < max', path: ['range'] })

export const FeatureSpecSchema = z.strictObject({
  /** Graph output, float32 [N, channels, resolution, resolution]. */
  name: tensorName,
  channels: positiveInt,
  resolution: positiveInt
})

export const GeneratorManifestSchema = z
  .strictObject({
    format: z.literal(GENERATOR_MANIFEST_FORMAT),
    version: z.literal(GENERATOR_MANIFEST_VERSION),
    name: z.string().min(1),
    description: z.string().optional(),
    latent: LatentSpecSchema,
    truncation: TruncationSpecSchema.optional(),
    condition: ConditionSpecSchema.optional(),
    noise: NoiseSpecSchema,
    modalities: z.array(ModalitySpecSchema).min(1),
    features: z.array(FeatureSpecSchema),
    /** Image resolution of the generator: the largest modality resolution. */
    resolution: positiveInt
  })
  .superRefine((m, ctx) => {
    // Each graph input is fed from exactly one place.
    const inputs: [string, (string | number)[]][] = [[m.latent.input, ['latent', 'input']]]
    if (m.truncation) inputs.push([m.truncation.input, ['truncation', 'input']])
    if (m.condition) inputs.push([m.condition.input, ['condition', 'input']])
    if (m.noise.kind === 'seed') inputs.push([m.noise.input, ['noise', 'input']])
    if (m.noise.kind === 'explicit') m.noise.inputs.forEach((n, i) => inputs.push([n.name, ['noise', 'inputs', i, 'name']]))
    reportDuplicates(inputs, 'graph input', ctx)

    reportDuplicates(
      m.modalities.map((mod, i) => [mod.id, ['modalities', i, 'id']]),
      'modality id',
      ctx
    )
    reportDuplicates(
      [
        ...m.modalities.map((mod, i): [string, (string | number)[]] => [mod.output, ['modalities', i, 'output']]),
        ...m.features.map((f, i): [string, (string | number)[]] => [f.name, ['features', i, 'name']])
      ],
      'graph output',
      ctx
    )

    const largest = Math.max(...m.modalities.map((mod) => mod.resolution))
    if (m.resolution !== largest) {
      ctx.addIssue({ code: 'custom', path: ['resolution'], message: `must equal the largest modality resolution (${largest})` })
    }
    m.features.forEach((f, i) => {
      if (f.resolution > m.resolution) {
        ctx.addIssue({ code: 'custom', path: ['features', i, 'resolution'], message: `exceeds the generator resolution ${m.resolution}` })
      }
    })
  })

function reportDuplicates(entries: [string, (string | number)[]][], what: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>()
  for (const [name, path] of entries) {
    if (seen.has(name)) ctx.addIssue({ code: 'custom', path, message: `${what} "${name}" is used twice` })
    seen.add(name)
  }
}

export type GeneratorManifest = z.infer<typeof GeneratorManifestSchema>
export type LatentSpec = z.infer<typeof LatentSpecSchema>
export type NoiseSpec = z.infer<typeof NoiseSpecSchema>
export type ModalitySpec = z.infer<typeof ModalitySpecSchema>
export type FeatureSpec = z.infer<typeof FeatureSpecSchema>

export type ManifestLoadResult = { ok: true; manifest: GeneratorManifest } | { ok: false; error: string }

/**
 * Parses generator.json text. On failure `error` names each offending field by its path,
 * e.g. `modalities[1].channels: Invalid input: expected 1 or 3`.
 */
export function loadManifest(jsonText: string): ManifestLoadResult {
  let raw: unknown
  try {
    raw = JSON.parse(jsonText)
  } catch (error) {
    return { ok: false, error: `generator.json is not valid JSON: ${error instanceof Error ? error.message : String(error)}` }
  }
  const parsed = GeneratorManifestSchema.safeParse(raw)
  if (parsed.success) return { ok: true, manifest: parsed.data }
  return { ok: false, error: `generator.json: ${formatIssues(parsed.error.issues)}` }
}

