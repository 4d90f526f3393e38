// Training configuration of a dual-branch generator (BiFaceGAN's DB-StyleGAN2, scaled to a
// laptop), its presets, the job parameters, and the architecture derived from it. Shared: zod
// only (the Models view builds configs from it; src/main/engine/gan re-exports it).
//
// A config is plain JSON (written to runs/<id>/config.json and stored in every checkpoint);
// `parseGanConfig` validates it with zod and names the offending field on error. Presets:
//   demo              conditional 64², RGB + NIR, supervised (L1 against the render of the
//                     same parameters, then class-weighted L1 fine-tuning), the generator
//                     shipped in resources/demo-generator
//   unconditional-64  the BiFaceGAN recipe: adversarial only, one D per modality, R1 on every D
//   conditional-128   Gecer-style 3DMM-conditioned generator at 128², L1 + adversarial
import { z } from 'zod'
import { FACE_CLASSES } from './faceClasses'
import { formatIssues } from './zodIssues'

export const GAN_CONFIG_VERSION = 1

export class GanConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'GanConfigError'
  }
}

const powerOfTwo = (min: number, max: number) =>
  z
    .number()
    .int()
    .refine((n) => n >= min && n <= max && (n & (n - 1)) === 0, { message: `must be a power of two from ${min} to ${max}` })

export const GanModalitySchema = z.strictObject({
  /** Modality id ('rgb', 'nir', …). With renderer data it must be one the renderer draws. */
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower-case letters, digits, _ or -'),
  channels: z.literal([1, 3]),
  /** Weight of this modality's adversarial term in the generator loss (BiFaceGAN: 0.1 for NIR). */
  ganWeight: z.number().min(0).default(1),
  /** Weight of this modality's L1 reconstruction term (conditional mode). */
  reconWeight: z.number().min(0).default(1)
})
export type GanModality = z.infer<typeof GanModalitySchema>

export const GanDataSchema = z.discriminatedUnion('source', [
  z.strictObject({
    /** Render training pairs on the fly with the built-in face renderer. */
    source: z.literal('renderer'),
    /** Sample i of the training set is sampleParams(seedStart + i). */
    seedStart: z.number().int().min(0).default(1_000_000),
    /** Number of distinct training faces. */
    count: z.number().int().min(1).max(100_000_000).default(1_000_000),
    /** Rendered samples kept in memory (uint8) for reuse; 0 = none. */
    cacheSize: z.number().int().min(0).max(1_000_000).default(0)
  }),
  z.strictObject({
    /** A folder in the renderer's dataset layout: <modality>/<stem>.png, metadata.jsonl (params, for conditional training). */
    source: z.literal('folder'),
    path: z.string().min(1, 'give the dataset folder')
  })
])
export type GanData = z.infer<typeof GanDataSchema>

export const GanConfigSchema = z
  .strictObject({
    version: z.literal(GAN_CONFIG_VERSION).default(GAN_CONFIG_VERSION),
    name: z.string().min(1).default('generator'),
    /** Which preset this config started from (informational). */
    preset: z.string().optional(),
    resolution: powerOfTwo(8, 512),
    modalities: z.array(GanModalitySchema).min(1).max(8),
    /** Conditional mode: the mapping network also takes the renderer's parameter vector. */
    conditional: z.boolean().default(false),
    latentSize: z.number().int().min(1).max(1024).default(64),
    wDim: z.number().int().min(4).max(1024).default(128),
    mappingLayers: z.number().int().min(1).max(8).default(2),
    /** Learning-rate multiplier of the mapping network (StyleGAN2: 0.01). */
    mappingLrMul: z.number().positive().max(1).default(0.01),
    /** Synthesis channels at resolution r: min(channelMax, channelBase / r). */
    channelBase: z.number().int().min(16).default(2048),
    channelMax: z.number().int().min(1).max(1024).default(128),
    /** Add a learned projection of w to the constant 4×4 input (helps supervised conditional training). */
    inputFromW: z.boolean().default(false),
    discriminator: z
      .strictObject({
        channelBase: z.number().int().min(16).default(2048),
        channelMax: z.number().int().min(1).max(1024).default(128),
        /** Minibatch standard deviation layer at 4×4. */
        mbstd: z.boolean().default(true),
        /** Conditional mode: size of the projection embedding of the condition. */
        cmapDim: z.number().int().min(1).max(1024).default(64)
      })
      .default({ channelBase: 2048, channelMax: 128, mbstd: true, cmapDim: 64 }),
    loss: z
      .strictObject({
        /** Weight of the non-saturating adversarial loss in G's objective; 0 trains no discriminator. */
        adversarial: z.number().min(0).default(1),
        /** Weight of the paired L1 reconstruction loss (conditional mode only). */
        recon: z.number().min(0).default(0),
        /** R1 penalty γ, applied to every discriminator. */
        r1Gamma: z.number().min(0).default(1),
        /** Lazy regularisation: R1 every k steps (weighted by k). */
        r1Interval: z.number().int().min(1).default(4),
        /**
         * Step from which the discriminators train and the adversarial term enters G's loss
         * (0: from the start). A supervised warm-up (loss.recon) converges far faster on a CPU;
         * the adversarial phase then sharpens what L1 leaves blurry.
         */
        adversarialFromStep: z.number().int().min(0).default(0),
        /**
         * Per-class pixel weights of the L1 reconstruction loss, by face class name
         * (src/shared/faceClasses.ts; classes not named weigh 1), from the renderer's exact
         * mask of the same parameters. Each image's weight map is scaled to mean 1, so the
         * loss keeps its scale and all weights 1 (or {}) is plain L1. Small parts (eyes,
         * brows, mouth: a few pixels at 64²) are otherwise averaged away by L1.
         */
        reconClassWeights: z.partialRecord(z.enum(FACE_CLASSES.map((c) => c.name) as [string, ...string[]]), z.number().min(0)).default({}),
        /** Step from which reconClassWeights apply (plain L1 before it). */
        reconClassWeightsFromStep: z.number().int().min(0).default(0)
      })
      .default({ adversarial: 1, recon: 0, r1Gamma: 1, r1Interval: 4, adversarialFromStep: 0, reconClassWeights: {}, reconClassWeightsFromStep: 0 }),
    optimizer: z
      .strictObject({
        gLr: z.number().positive().default(0.002),
        dLr: z.number().positive().default(0.002),
        beta1: z.number().min(0).max(0.999).default(0),
        beta2: z.number().min(0).max(0.9999).default(0.99),
        epsilon: z.number().positive().default(1e-8),
        /**
         * Both learning rates fall linearly towards 0 over the last N steps (the whole run if
         * shorter; 0: constant) of the main schedule, which ends at restartAtStep if set, else at `steps`.
         */
        rampDownSteps: z.number().int().min(0).default(0),
        /**
         * A fine-tuning phase (0: none): from this step on the learning rates restart at
         * restartLrScale × gLr / dLr and fall linearly to 0 at `steps`. Before it the schedule
         * is that of a run of restartAtStep steps, so a finished run's last checkpoint can be
         * fine-tuned (e.g. with loss.reconClassWeights) as one reproducible config. A run of
         * at most restartAtStep steps (a shortened preset) has no such phase.
         */
        restartAtStep: z.number().int().min(0).default(0),
        restartLrScale: z.number().positive().max(1).default(0.25)
      })
      .default({ gLr: 0.002, dLr: 0.002, beta1: 0, beta2: 0.99, epsilon: 1e-8, rampDownSteps: 0, restartAtStep: 0, restartLrScale: 0.25 }),
    ema: z
      .strictObject({
        /** Half-life of G_ema in images. */
        halfLifeImages: z.number().min(0).default(2000),
        /** The half-life is at most rampup × images seen (0 = no ramp-up). */
        rampup: z.number().min(0).default(0.05)
      })
      .default({ halfLifeImages: 2000, rampup: 0.05 }),
    /** Decay of the running average of w used for truncation. */
    wAvgBeta: z.number().min(0).max(1).default(0.995),
    batchSize: z.number().int().min(1).max(256).default(8),
    steps: z.number().int().min(1).max(100_000_000),
    /** Seed of the weights' initialisation, of the latents, noise and batches. */
    seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
    data: GanDataSchema.default({ source: 'renderer', seedStart: 1_000_000, count: 1_000_000, cacheSize: 0 }),
    checkpointEvery: z.number().int().min(1).default(500),
    /** Checkpoints kept on disk (the newest); older ones are deleted. */
    keepCheckpoints: z.number().int().min(1).default(2),
    previewEvery: z.number().int().min(1).default(250),
    /** Fixed sample seeds of the preview grid (latent, noise and condition as the studio draws them). */
    previewSeeds: z.array(z.number().int().min(0)).min(1).max(32).default([0, 1, 2, 3, 4, 5, 6, 7]),
    metricsEvery: z.number().int().min(1).default(10),
    export: z
      .strictObject({
        /** 'explicit': one noise input per layer (the studio feeds seeded normals); 'none': no noise. */
        noise: z.enum(['explicit', 'none']).default('explicit'),
        /** Default ψ written in generator.json. */
        truncation: z.number().min(0).max(2).default(1)
      })
      .default({ noise: 'explicit', truncation: 1 }),
    /** TensorFlow.js backend; 'auto' picks the best available (TWINLIGHT_TF_BACKEND overrides). */
    backend: z.enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).default('auto')
  })
  .superRefine((c, ctx) => {
    const ids = new Set<string>()
    c.modalities.forEach((m, i) => {
      if (ids.has(m.id)) ctx.addIssue({ code: 'custom', path: ['modalities', i, 'id'], message: `modality "${m.id}" is listed twice` })
      ids.add(m.id)
    })
    if (c.loss.recon > 0 && !c.conditional) {
      ctx.addIssue({ code: 'custom', path: ['loss', 'recon'], message: 'the L1 reconstruction loss needs conditional mode (paired renders)' })
    }
    if (c.loss.adversarialFromStep > 0 && (c.loss.adversarial === 0 || c.loss.recon === 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'adversarialFromStep'],
        message: 'a delayed adversarial phase needs both loss.recon (for the steps before it) and loss.adversarial'
      })
    }
    if (c.loss.adversarial === 0 && c.loss.recon === 0) {
      ctx.addIssue({ code: 'custom', path: ['loss'], message: 'nothing to train: both loss.adversarial and loss.recon are 0' })
    }
    const classWeighted = Object.values(c.loss.reconClassWeights).some((w) => w !== 1)
    if (classWeighted && (c.loss.recon === 0 || c.data.source !== 'renderer')) {
      ctx.addIssue({
        code: 'custom',
        path: ['loss', 'reconClassWeights'],
        message: 'per-class weights need the L1 reconstruction loss (loss.recon > 0) and renderer data (its exact masks)'
      })
    }
    if (c.conditional && c.data.source === 'folder') {
      // Checked when the folder is opened (metadata.jsonl must carry params).
    }
  })

export type GanConfig = z.output<typeof GanConfigSchema>
export type GanConfigInput = z.input<typeof GanConfigSchema>

/** Validate a config object; throws GanConfigError naming each bad field. */
export function parseGanConfig(raw: unknown, where = 'config'): GanConfig {
  const parsed = GanConfigSchema.safeParse(raw)
  if (!parsed.success) throw new GanConfigError(`${where}: ${formatIssues(parsed.error.issues)}`)
  return parsed.data
}

/** Parse config JSON text (a config file); throws GanConfigError with the reason. */
export function parseGanConfigText(text: string, where = 'config'): GanConfig {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new GanConfigError(`${where} is not valid JSON: ${(error as Error).message}`)
  }
  return parseGanConfig(raw, where)
}

const RGB_NIR: GanConfigInput['modalities'] = [
  { id: 'rgb', channels: 3, ganWeight: 1, reconWeight: 1 },
  { id: 'nir', channels: 1, ganWeight: 0.1, reconWeight: 1 }
]

export const GAN_PRESETS = {
  /** The shipped demo generator: conditional 64², RGB + NIR, supervised. */
  demo: {
    name: 'Twinlight demo generator',
    preset: 'demo',
    resolution: 64,
    modalities: RGB_NIR,
    conditional: true,
    latentSize: 16,
    wDim: 128,
    mappingLayers: 2,
    mappingLrMul: 1,
    channelBase: 1024,
    channelMax: 96,
    inputFromW: true,
    // Plain L1 for the first 4000 steps, then a fine-tuning phase with eyes, brows and mouth
    // weighted up (a few pixels each at 64², ~1.2% of the image: plain L1 averages them away).
    // With these weights they carry ~18% of the L1 term (measured on 200 renders).
    loss: {
      adversarial: 0,
      recon: 1,
      r1Gamma: 1,
      r1Interval: 4,
      reconClassWeights: { sclera: 20, iris: 20, pupil: 20, 'mouth interior': 20, brows: 12, lips: 12, nose: 3 },
      reconClassWeightsFromStep: 4000
    },
    // Supervised: a much larger step than StyleGAN's 0.002 converges ~3× faster (measured).
    // At a constant 0.02 the L1 loss stalls on Adam's noise (blurry faces); ramping the rate
    // down over the last 1600 steps of the main schedule lets it settle (measured: L1 0.126 →
    // 0.113 within 50 steps). The fine-tuning phase restarts at a quarter of the rate.
    optimizer: { gLr: 0.02, dLr: 0.002, beta1: 0.5, beta2: 0.99, epsilon: 1e-8, rampDownSteps: 1600, restartAtStep: 4000, restartLrScale: 0.25 },
    ema: { halfLifeImages: 1000, rampup: 0.1 },
    batchSize: 8,
    // 5200 steps = 41 600 images: ~0.6 CPU-s per step on one core of a 2-core laptop. An
    // adversarial step (one D per modality, R1) costs over 6× as much here, so the demo stays
    // supervised; the adversarial presets are below. Steps 4000… are the class-weighted fine-tuning.
    steps: 5200,
    seed: 1,
    // 5000 distinct faces rendered once and kept in memory (64² RGB + NIR + mask: 100 MB).
    data: { source: 'renderer', seedStart: 1_000_000, count: 5000, cacheSize: 5000 },
    checkpointEvery: 100,
    previewEvery: 100,
    metricsEvery: 10,
    export: { noise: 'explicit', truncation: 1 }
  },
  /** BiFaceGAN-style unconditional dual-branch generator at 64²: adversarial only. */
  'unconditional-64': {
    name: 'Dual-branch generator (unconditional, 64²)',
    preset: 'unconditional-64',
    resolution: 64,
    modalities: RGB_NIR,
    conditional: false,
    latentSize: 128,
    wDim: 128,
    mappingLayers: 4,
    channelBase: 2048,
    channelMax: 128,
    discriminator: { channelBase: 2048, channelMax: 128, mbstd: true, cmapDim: 64 },
    loss: { adversarial: 1, recon: 0, r1Gamma: 0.2, r1Interval: 16 },
    batchSize: 16,
    steps: 100_000,
    export: { noise: 'explicit', truncation: 0.7 }
  },
  /** Gecer-style 3DMM(renderer)-conditioned generator at 128²: L1 + adversarial. */
  'conditional-128': {
    name: 'Conditional dual-branch generator (128²)',
    preset: 'conditional-128',
    resolution: 128,
    modalities: RGB_NIR,
    conditional: true,
    latentSize: 32,
    wDim: 256,
    mappingLayers: 2,
    mappingLrMul: 0.1,
    channelBase: 4096,
    channelMax: 128,
    inputFromW: true,
    discriminator: { channelBase: 2048, channelMax: 128, mbstd: true, cmapDim: 64 },
    loss: { adversarial: 0.05, recon: 1, r1Gamma: 0.5, r1Interval: 16 },
    batchSize: 8,
    steps: 50_000,
    export: { noise: 'explicit', truncation: 1 }
  }
} satisfies Record<string, GanConfigInput>

export type GanPresetName = keyof typeof GAN_PRESETS
export const GAN_PRESET_NAMES = Object.keys(GAN_PRESETS) as GanPresetName[]

/** A preset as a validated config, with optional overrides (shallow per top-level key). */
export function presetConfig(name: string, overrides: Partial<GanConfigInput> = {}): GanConfig {
  if (!Object.hasOwn(GAN_PRESETS, name)) {
    throw new GanConfigError(`unknown preset "${name}" (presets: ${GAN_PRESET_NAMES.join(', ')})`)
  }
  return parseGanConfig({ ...GAN_PRESETS[name as GanPresetName], ...overrides }, `preset ${name}`)
}

// ---------------------------------------------------------------------------------------
// Derived architecture.

export interface SynthesisLayer {
  /** Feature / parameter prefix: 'b4.conv1', 'b8.conv0', 'b8.conv1', … */
  name: string
  res: number
  cin: number
  cout: number
  /** conv0 of every block above 4×4 upsamples its input 2× first. */
  up: boolean
}

export interface GanArchitecture {
  resolution: number
  /** Block resolutions 4, 8, …, resolution. */
  resolutions: number[]
  /** Synthesis channels per block resolution. */
  channels: Record<number, number>
  layers: SynthesisLayer[]
  /** Discriminator channels per resolution (same resolutions). */
  dChannels: Record<number, number>
}

export function channelsAt(base: number, max: number, res: number): number {
  return Math.max(1, Math.min(max, Math.floor(base / res)))
}

export function architecture(config: GanConfig): GanArchitecture {
  const resolutions: number[] = []
  for (let r = 4; r <= config.resolution; r *= 2) resolutions.push(r)
  const channels: Record<number, number> = {}
  const dChannels: Record<number, number> = {}
  for (const r of resolutions) {
    channels[r] = channelsAt(config.channelBase, config.channelMax, r)
    dChannels[r] = channelsAt(config.discriminator.channelBase, config.discriminator.channelMax, r)
  }
  const layers: SynthesisLayer[] = [{ name: 'b4.conv1', res: 4, cin: channels[4], cout: channels[4], up: false }]
  for (const r of resolutions.slice(1)) {
    layers.push({ name: `b${r}.conv0`, res: r, cin: channels[r / 2], cout: channels[r], up: true })
    layers.push({ name: `b${r}.conv1`, res: r, cin: channels[r], cout: channels[r], up: false })
  }
  return { resolution: config.resolution, resolutions, channels, layers, dChannels }
}

// ---------------------------------------------------------------------------------------
// Job parameters (job kinds 'train-generator' and 'export-generator', one worker:
// src/main/workers/trainGenerator.ts).

export const TRAIN_GENERATOR_JOB = 'train-generator'
export const EXPORT_GENERATOR_JOB = 'export-generator'

/**
 * A training job: a preset plus top-level overrides, or (preset null) a whole config. Parsing
 * resolves it, so the stored job params hold the exact config that ran.
 */
export const TrainGeneratorParamsSchema = z
  .object({
    preset: z.string().nullable().default(null),
    config: z.record(z.string(), z.unknown()).default({})
  })
  .transform((p, ctx) => {
    if (p.preset === null) {
      // A whole config: its issues keep their own paths (config.resolution: …).
      const parsed = GanConfigSchema.safeParse(p.config)
      if (parsed.success) return { preset: p.preset, config: parsed.data }
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['config', ...issue.path], message: issue.message })
      return z.NEVER
    }
    try {
      return { preset: p.preset, config: presetConfig(p.preset, p.config as Partial<GanConfigInput>) }
    } catch (error) {
      ctx.addIssue({ code: 'custom', path: [Object.hasOwn(GAN_PRESETS, p.preset) ? 'config' : 'preset'], message: (error as Error).message })
      return z.NEVER
    }
  })
export type TrainGeneratorParams = z.output<typeof TrainGeneratorParamsSchema>

/** Export the newest checkpoint of a training job's run folder (runs/<runId>/export/). */
export const ExportGeneratorParamsSchema = z.object({
  runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'a job id')
})
export type ExportGeneratorParams = z.output<typeof ExportGeneratorParamsSchema>
