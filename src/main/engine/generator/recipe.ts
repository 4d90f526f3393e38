// A sample's recipe: everything besides the generator file that determines its pixels and
// features. It is stored in sample.json (field `recipe`, see SampleFileSchema) so a sample can
// be regenerated exactly - same latent, same ψ, same noise - years later:
//
//   "recipe": {
//     "version": 1,
//     "truncation": 0.7,                       // ψ fed to the graph; null when it has no ψ input
//     "latent": { "prior": "normal", "size": 512, "sampler": "twinlight-normal-v1", "stream": 0 },
//     "condition": { "prior": "renderer-params", "size": 41, "sampler": "renderer-params-v1" },  // only with a condition input
//     "noise": { "kind": "explicit", "sampler": "twinlight-normal-v1",
//                "inputs": [{ "name": "noise0", "shape": [1, 8, 8], "stream": 2 }] }
//   }
//
// A latent (or condition) may instead carry its `values` (a user-edited or imported vector);
// values win over the sampler. The generator itself is identified by sample.json's
// `generator` ({ kind: 'onnx', path, sha256 }).
import { z } from 'zod'
import type { GeneratorManifest } from '../../../shared/generator'
import { paramsToVector, sampleParams, PARAM_VECTOR_LENGTH } from '../render'
import { NORMAL_SAMPLER, STREAM, seededNormals } from './random'

export const RENDERER_PARAMS_SAMPLER = 'renderer-params-v1'
export const RECIPE_VERSION = 1

const VectorSourceSchema = z.object({
  prior: z.enum(['normal', 'renderer-params']),
  size: z.number().int().positive(),
  /** 'twinlight-normal-v1' (prior normal) or 'renderer-params-v1' (sampleParams(seed) → paramsToVector). */
  sampler: z.string().min(1),
  /** Stream of the normal sampler; 0 for the latent, 1 for the condition. */
  stream: z.number().int().min(0).optional(),
  /** Explicit values (then the sampler is only a record of where they first came from). */
  values: z.array(z.number()).optional()
})

export const NoiseRecipeSchema = z.discriminatedUnion('kind', [
  /** The graph derives its noise from the int64 seed input: nothing to store besides the seed. */
  z.object({ kind: z.literal('seed') }),
  z.object({
    kind: z.literal('explicit'),
    sampler: z.string().min(1),
    inputs: z.array(z.object({ name: z.string().min(1), shape: z.array(z.number().int().positive()).min(1), stream: z.number().int().min(0) })).min(1)
  }),
  z.object({ kind: z.literal('none') })
])

export const SampleRecipeSchema = z.object({
  version: z.literal(RECIPE_VERSION),
  truncation: z.number().nullable(),
  latent: VectorSourceSchema,
  condition: VectorSourceSchema.optional(),
  noise: NoiseRecipeSchema
})
export type SampleRecipe = z.infer<typeof SampleRecipeSchema>
export type VectorSource = z.infer<typeof VectorSourceSchema>
export type NoiseRecipe = z.infer<typeof NoiseRecipeSchema>

export class RecipeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RecipeError'
  }
}

/**
 * The recipe of a new sample drawn from `seed` with this manifest. `truncation` undefined
 * uses the manifest's default ψ; it is ignored (stored as null) when the graph has no ψ input.
 */
export function recipeForSeed(manifest: GeneratorManifest, truncation?: number | null): SampleRecipe {
  const noise: NoiseRecipe =
    manifest.noise.kind === 'explicit'
      ? {
          kind: 'explicit',
          sampler: NORMAL_SAMPLER,
          inputs: manifest.noise.inputs.map((input, i) => ({ name: input.name, shape: [...input.shape], stream: STREAM.noise + i }))
        }
      : { kind: manifest.noise.kind }
  return {
    version: RECIPE_VERSION,
    truncation: manifest.truncation ? (truncation ?? manifest.truncation.default) : null,
    latent: vectorSource(manifest.latent.prior, manifest.latent.size, STREAM.latent),
    ...(manifest.condition ? { condition: vectorSource(manifest.condition.prior, manifest.condition.size, STREAM.condition) } : {}),
    noise
  }
}

function vectorSource(prior: 'normal' | 'renderer-params', size: number, stream: number): VectorSource {
  return prior === 'normal' ? { prior, size, sampler: NORMAL_SAMPLER, stream } : { prior, size, sampler: RENDERER_PARAMS_SAMPLER }
}

/** The vector a latent/condition source describes for this seed (float32). */
export function resolveVector(source: VectorSource, seed: number, what = 'latent'): Float32Array {
  if (source.values) {
    if (source.values.length !== source.size) throw new RecipeError(`${what}: ${source.values.length} values stored, size is ${source.size}`)
    return Float32Array.from(source.values)
  }
  if (source.sampler === NORMAL_SAMPLER) return seededNormals(seed, source.stream ?? (what === 'condition' ? STREAM.condition : STREAM.latent), source.size)
  if (source.sampler === RENDERER_PARAMS_SAMPLER) {
    if (source.size !== PARAM_VECTOR_LENGTH) {
      throw new RecipeError(`${what}: the renderer-params prior gives ${PARAM_VECTOR_LENGTH} values, the generator wants ${source.size}`)
    }
    return Float32Array.from(paramsToVector(sampleParams(seed)))
  }
  throw new RecipeError(`${what}: unknown sampler "${source.sampler}" (this Twinlight knows ${NORMAL_SAMPLER} and ${RENDERER_PARAMS_SAMPLER})`)
}

/** The explicit noise tensors of a recipe, per input name, each of the input's per-sample shape. */
export function resolveNoise(recipe: SampleRecipe, seed: number): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>()
  if (recipe.noise.kind !== 'explicit') return out
  if (recipe.noise.sampler !== NORMAL_SAMPLER) throw new RecipeError(`noise: unknown sampler "${recipe.noise.sampler}"`)
  for (const input of recipe.noise.inputs) {
    out.set(input.name, seededNormals(seed, input.stream, input.shape.reduce((a, b) => a * b, 1)))
  }
  return out
}

/**
 * Checks that a stored recipe can drive this manifest's graph (same latent size, noise inputs,
 * truncation input present when ψ is stored). Returns a message, or null when it fits.
 */
export function recipeMismatch(manifest: GeneratorManifest, recipe: SampleRecipe): string | null {
  if (recipe.latent.size !== manifest.latent.size) return `the latent has ${recipe.latent.size} values, the generator wants ${manifest.latent.size}`
  if (!!manifest.condition !== !!recipe.condition) return manifest.condition ? 'the generator wants a condition the sample has none of' : 'the sample has a condition the generator does not take'
  if (manifest.condition && recipe.condition && manifest.condition.size !== recipe.condition.size) return `the condition has ${recipe.condition.size} values, the generator wants ${manifest.condition.size}`
  if (manifest.noise.kind !== recipe.noise.kind) return `the sample's noise is "${recipe.noise.kind}", the generator's is "${manifest.noise.kind}"`
  if (manifest.noise.kind === 'explicit' && recipe.noise.kind === 'explicit') {
    for (const input of manifest.noise.inputs) {
      const stored = recipe.noise.inputs.find((n) => n.name === input.name)
      if (!stored || stored.shape.join('x') !== input.shape.join('x')) return `noise input "${input.name}" does not match the sample's noise`
    }
  }
  return null
}

export interface VectorStats {
  size: number
  mean: number
  std: number
  min: number
  max: number
}

/** Mean, population standard deviation, min and max (float64 accumulation). */
export function vectorStats(values: ArrayLike<number>): VectorStats {
  const n = values.length
  if (n === 0) return { size: 0, mean: 0, std: 0, min: 0, max: 0 }
  let sum = 0
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = values[i]
    sum += v
    if (v < min) min = v
    if (v > max) max = v
  }
  const mean = sum / n
  let squares = 0
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2
  return { size: n, mean, std: Math.sqrt(squares / n), min, max }
}
