// The training loop of the dual-branch generator.
//
// One step (batch B, all randomness from the trainer's PRNG, in this order: batch indices,
// latents z, noise maps):
//   G phase  fakes = G(z, c, noise); loss_G = adversarial · Σ_m λ_m · softplus(−D_m(fake_m))
//            (from step loss.adversarialFromStep on)
//            + recon · Σ_m ρ_m · mean(ω · |fake_m − real_m|) (conditional, paired; ω = 1, or
//            per-pixel class weights from the renderer's mask, loss.reconClassWeights); Adam on G.
//            w_avg ← lerp(mean w, w_avg, wAvgBeta); G_ema ← lerp(G, G_ema, β(half-life)).
//   D phase  for every modality m with its own discriminator and its own Adam:
//            loss_D = softplus(D_m(fake_m)) + softplus(−D_m(real_m))
//            + every r1Interval steps: r1Interval · γ/2 · ‖∇_x D_m(real_m)‖²   (R1 on EVERY D,
//            computed by double back-propagation: tf.grad inside tf.variableGrads).
// Non-saturating logistic loss (Goodfellow et al. 2014; Karras et al. 2019), lazy R1 (Mescheder
// et al. 2018; Karras et al. 2020), BiFaceGAN's per-modality weights λ_m (0.1 for NIR).
import type { Scalar, Tensor, Tensor2D, Tensor4D, Variable } from '@tensorflow/tfjs-core'
import type { Tf } from '../tf/types'
import { paramsToVector, sampleParams } from '../render'
import { seededNormals, STREAM } from '../generator/random'
import { architecture, type GanArchitecture, type GanConfig } from './config'
import { GanCheckpointError, type CheckpointContents, type CheckpointHeader } from './checkpoint'
import type { DataSource, TrainingBatch } from './data'
import {
  discriminatorForward,
  discriminatorSpecs,
  generatorForward,
  generatorSpecs,
  initialWeights,
  type GeneratorBuffers,
  type ParamTensors,
  type WeightMap
} from './networks'
import { Prng } from './prng'

/** Supervised-only runs (loss.adversarial = 0) train no discriminator. */
export function hasDiscriminators(config: GanConfig): boolean {
  return config.loss.adversarial > 0
}

/** Seed streams of the trainer's PRNGs. */
const STREAMS = { train: 0, initG: 1, initD: 2 } as const

export type StepMetrics = Record<string, number>

class Adam {
  t = 0
  private m: Tensor[]
  private v: Tensor[]

  constructor(
    private readonly tf: Tf,
    readonly vars: Variable[]
  ) {
    this.m = vars.map((x) => tf.keep(tf.zerosLike(x)))
    this.v = vars.map((x) => tf.keep(tf.zerosLike(x)))
  }

  apply(grads: Tensor[], lr: number, beta1: number, beta2: number, epsilon: number): void {
    const tf = this.tf
    this.t++
    const c1 = 1 - Math.pow(beta1, this.t)
    const c2 = 1 - Math.pow(beta2, this.t)
    const oldM = this.m
    const oldV = this.v
    const next = tf.tidy(() =>
      this.vars.map((x, i) => {
        const g = grads[i]
        const m = beta1 === 0 ? tf.clone(g) : tf.add(tf.mul(oldM[i], tf.scalar(beta1)), tf.mul(g, tf.scalar(1 - beta1)))
        const v = tf.add(tf.mul(oldV[i], tf.scalar(beta2)), tf.mul(tf.square(g), tf.scalar(1 - beta2)))
        const update = tf.div(tf.mul(m, tf.scalar(lr / c1)), tf.add(tf.sqrt(tf.div(v, tf.scalar(c2))), tf.scalar(epsilon)))
        x.assign(tf.sub(x, update))
        return [tf.keep(m), tf.keep(v)] as const
      })
    )
    this.m = next.map(([m]) => m)
    this.v = next.map(([, v]) => v)
    oldM.forEach((t) => t.dispose())
    oldV.forEach((t) => t.dispose())
  }

  state(prefix: string, names: string[]): [string, Tensor][] {
    return [...names.map((n, i): [string, Tensor] => [`${prefix}/m/${n}`, this.m[i]]), ...names.map((n, i): [string, Tensor] => [`${prefix}/v/${n}`, this.v[i]])]
  }

  load(prefix: string, names: string[], tensors: Map<string, { shape: number[]; data: Float32Array }>, t: number): void {
    const get = (key: string, like: Tensor): Tensor => {
      const e = tensors.get(key)
      if (!e) throw new GanCheckpointError(`the checkpoint has no optimiser state "${key}"`)
      if (e.shape.join('x') !== like.shape.join('x')) throw new GanCheckpointError(`optimiser state "${key}" has shape [${e.shape}], expected [${like.shape}]`)
      return this.tf.keep(this.tf.tensor(e.data, e.shape))
    }
    const m = names.map((n, i) => get(`${prefix}/m/${n}`, this.vars[i]))
    const v = names.map((n, i) => get(`${prefix}/v/${n}`, this.vars[i]))
    this.m.forEach((x) => x.dispose())
    this.v.forEach((x) => x.dispose())
    this.m = m
    this.v = v
    this.t = t
  }

  dispose(): void {
    this.m.forEach((x) => x.dispose())
    this.v.forEach((x) => x.dispose())
  }
}

interface VarSet {
  names: string[]
  vars: Record<string, Variable>
  list: Variable[]
}

function makeVars(tf: Tf, weights: WeightMap): VarSet {
  const names = [...weights.keys()]
  const vars: Record<string, Variable> = {}
  for (const name of names) {
    const w = weights.get(name)!
    vars[name] = tf.variable(tf.tensor(w.data, w.shape), true)
  }
  return { names, vars, list: names.map((n) => vars[n]) }
}

/** Images of a few samples, uint8 NHWC per modality. */
export interface SampleImages {
  resolution: number
  count: number
  images: Record<string, { channels: number; data: Uint8Array }>
}

export interface TrainerState {
  step: number
  imagesSeen: number
  trainSeconds: number
}

export class GanTrainer {
  readonly arch: GanArchitecture
  readonly conditionSize: number
  step = 0
  imagesSeen = 0
  trainSeconds = 0
  private prng: Prng
  private readonly G: VarSet
  private readonly Gema: Record<string, Tensor>
  private readonly D: Record<string, VarSet>
  private readonly optG: Adam
  private readonly optD: Record<string, Adam>
  private wAvg: Tensor
  private readonly condMean: Tensor | null
  private readonly condInvStd: Tensor | null
  private disposed = false

  private constructor(
    readonly tf: Tf,
    readonly config: GanConfig,
    private readonly data: DataSource | null,
    init: {
      g: WeightMap
      gEma: WeightMap
      d: Record<string, WeightMap>
      wAvg: Float32Array
      condMean: Float32Array | null
      condStd: Float32Array | null
      prng: Prng
    }
  ) {
    this.arch = architecture(config)
    this.conditionSize = init.condMean?.length ?? 0
    this.prng = init.prng
    this.G = makeVars(tf, init.g)
    this.Gema = {}
    for (const [name, w] of init.gEma) this.Gema[name] = tf.keep(tf.tensor(w.data, w.shape))
    this.D = {}
    this.optD = {}
    // Discriminators exist only when the adversarial loss is on (supervised runs have none).
    for (const m of hasDiscriminators(config) ? config.modalities : []) {
      const d = init.d[m.id]
      if (!d) throw new GanCheckpointError(`no discriminator weights for modality "${m.id}"`)
      this.D[m.id] = makeVars(tf, d)
      this.optD[m.id] = new Adam(tf, this.D[m.id].list)
    }
    this.optG = new Adam(tf, this.G.list)
    this.wAvg = tf.keep(tf.tensor1d(init.wAvg))
    this.condMean = init.condMean ? tf.keep(tf.tensor1d(init.condMean)) : null
    this.condInvStd = init.condStd ? tf.keep(tf.tensor1d(init.condStd.map((s) => 1 / s))) : null
  }

  /** A fresh run: weights initialised from config.seed. */
  static async create(tf: Tf, config: GanConfig, data: DataSource): Promise<GanTrainer> {
    let condMean: Float32Array | null = null
    let condStd: Float32Array | null = null
    if (config.conditional) {
      if (data.conditionSize === 0) throw new GanCheckpointError('conditional training needs data with condition vectors')
      const stats = await data.conditionStats()
      condMean = stats.mean
      condStd = stats.std
    }
    const conditionSize = condMean?.length ?? 0
    const arch = architecture(config)
    const g = initialWeights(generatorSpecs(config, conditionSize, arch), new Prng(config.seed, STREAMS.initG))
    const d: Record<string, WeightMap> = {}
    ;(hasDiscriminators(config) ? config.modalities : []).forEach((m, i) => {
      d[m.id] = initialWeights(discriminatorSpecs(config, m.channels, conditionSize, arch), new Prng(config.seed, STREAMS.initD + 16 * i))
    })
    return new GanTrainer(tf, config, data, {
      g,
      gEma: g,
      d,
      wAvg: new Float32Array(config.wDim),
      condMean,
      condStd,
      prng: new Prng(config.seed, STREAMS.train)
    })
  }

  /** Continue a run from checkpoint contents (data may be null for export / preview only). */
  static fromCheckpoint(tf: Tf, contents: CheckpointContents, data: DataSource | null): GanTrainer {
    const { header, tensors } = contents
    const config = header.config
    const pick = (prefix: string): WeightMap => {
      const out: WeightMap = new Map()
      for (const [name, t] of tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t)
      return out
    }
    const buffer = (name: string): Float32Array | null => tensors.get(`buffer/${name}`)?.data ?? null
    const arch = architecture(config)
    const conditionSize = header.conditionSize
    // Every parameter the config implies must be there with the right shape.
    const check = (map: WeightMap, specs: { name: string; shape: number[] }[], what: string): void => {
      for (const s of specs) {
        const t = map.get(s.name)
        if (!t) throw new GanCheckpointError(`the checkpoint lacks ${what} parameter "${s.name}"`)
        if (t.shape.join('x') !== s.shape.join('x')) throw new GanCheckpointError(`${what} parameter "${s.name}" has shape [${t.shape}], the config implies [${s.shape}]`)
      }
    }
    const gSpecs = generatorSpecs(config, conditionSize, arch)
    const g = pick('G/')
    const gEma = pick('G_ema/')
    check(g, gSpecs, 'G')
    check(gEma, gSpecs, 'G_ema')
    const ordered = (map: WeightMap, specs: { name: string }[]): WeightMap => new Map(specs.map((s) => [s.name, map.get(s.name)!]))
    const d: Record<string, WeightMap> = {}
    for (const m of hasDiscriminators(config) ? config.modalities : []) {
      const specs = discriminatorSpecs(config, m.channels, conditionSize, arch)
      const dm = pick(`D.${m.id}/`)
      check(dm, specs, `D.${m.id}`)
      d[m.id] = ordered(dm, specs)
    }
    const wAvg = buffer('w_avg')
    if (!wAvg) throw new GanCheckpointError('the checkpoint has no w_avg buffer')
    const trainer = new GanTrainer(tf, config, data, {
      g: ordered(g, gSpecs),
      gEma: ordered(gEma, gSpecs),
      d,
      wAvg,
      condMean: buffer('cond_mean'),
      condStd: buffer('cond_std'),
      prng: Prng.fromState(header.prng)
    })
    trainer.step = header.step
    trainer.imagesSeen = header.imagesSeen
    trainer.trainSeconds = header.trainSeconds
    trainer.optG.load('opt.G', trainer.G.names, tensors, header.optimizerSteps.G ?? 0)
    for (const m of trainer.discriminated()) trainer.optD[m.id].load(`opt.D.${m.id}`, trainer.D[m.id].names, tensors, header.optimizerSteps[`D.${m.id}`] ?? 0)
    return trainer
  }

  /** Modalities that have a discriminator (all of them in adversarial training, none otherwise). */
  discriminated(): GanConfig['modalities'] {
    return hasDiscriminators(this.config) ? this.config.modalities : []
  }

  private buffers(): GeneratorBuffers {
    return { wAvg: this.wAvg, condMean: this.condMean ?? undefined, condInvStd: this.condInvStd ?? undefined }
  }

  private normalizedCondition(c: Tensor2D | null): Tensor2D | null {
    if (!c || !this.condMean || !this.condInvStd) return null
    return this.tf.mul(this.tf.sub(c, this.condMean), this.condInvStd) as Tensor2D
  }

  /** One training step; returns its losses. */
  async trainStep(): Promise<StepMetrics> {
    if (!this.data) throw new Error('this trainer was opened without training data')
    const started = performance.now()
    const cpuBefore = process.cpuUsage()
    const cfg = this.config
    const B = cfg.batchSize
    const batch = await this.data.batch(this.prng, B)
    const z = this.prng.normals(B * cfg.latentSize)
    const noise = this.arch.layers.map((l) => this.prng.normals(B * l.res * l.res))
    const metrics: StepMetrics = {}
    const adversarial = this.adversarialActive()
    if (!this.reconClassWeightsActive()) batch.pixelWeights = null

    const fakes = this.generatorPhase(batch, z, noise, adversarial, metrics)
    try {
      if (adversarial) this.discriminatorPhase(batch, fakes, metrics)
    } finally {
      Object.values(fakes).forEach((t) => t.dispose())
    }
    this.step++
    this.imagesSeen += B
    const seconds = (performance.now() - started) / 1000
    this.trainSeconds += seconds
    metrics.sec_per_step = seconds
    const cpu = process.cpuUsage(cpuBefore)
    // CPU seconds of this process: on a shared machine, what the step would take on an idle one.
    metrics.cpu_sec_per_step = (cpu.user + cpu.system) / 1e6
    return metrics
  }

  /** Whether this step trains the discriminators and G's adversarial term (after a supervised warm-up, if any). */
  adversarialActive(): boolean {
    return hasDiscriminators(this.config) && this.step >= this.config.loss.adversarialFromStep
  }

  /** Whether this step's L1 term weights pixels by class (loss.reconClassWeights, from its step on). */
  reconClassWeightsActive(): boolean {
    return this.step >= this.config.loss.reconClassWeightsFromStep
  }

  /**
   * Learning-rate factor of this step: 1, then linearly down towards 0 over the last
   * rampDownSteps of the main schedule (all of it when it is shorter, e.g. a preset run with
   * fewer steps). The main schedule ends at `steps`, or at optimizer.restartAtStep when that
   * is earlier: a fine-tuning phase then restarts at restartLrScale and falls linearly to 0 at `steps`.
   */
  learningRateFactor(): number {
    const { rampDownSteps, restartAtStep, restartLrScale } = this.config.optimizer
    const steps = this.config.steps
    if (restartAtStep > 0 && this.step >= restartAtStep) return restartLrScale * Math.max(0, (steps - this.step) / (steps - restartAtStep))
    const end = restartAtStep > 0 ? Math.min(restartAtStep, steps) : steps
    const ramp = Math.min(rampDownSteps, end)
    if (ramp === 0) return 1
    return Math.max(0, Math.min(1, (end - this.step) / ramp))
  }

  private realTensors(batch: TrainingBatch): Record<string, Tensor4D> {
    const R = this.config.resolution
    const out: Record<string, Tensor4D> = {}
    for (const m of this.config.modalities) out[m.id] = this.tf.tensor4d(batch.images[m.id], [batch.size, R, R, m.channels])
    return out
  }

  private generatorPhase(batch: TrainingBatch, z: Float32Array, noise: Float32Array[], adversarial: boolean, metrics: StepMetrics): Record<string, Tensor4D> {
    const tf = this.tf
    const cfg = this.config
    const B = batch.size
    const kept: Record<string, Tensor4D> = {}
    tf.tidy(() => {
      const zT = tf.tensor2d(z, [B, cfg.latentSize])
      const cT = batch.condition && cfg.conditional ? tf.tensor2d(batch.condition, [B, this.conditionSize]) : null
      const cn = this.normalizedCondition(cT)
      const noiseT = this.arch.layers.map((l, i) => tf.tensor4d(noise[i], [B, l.res, l.res, 1]))
      const reals = this.realTensors(batch)
      const pixelWeights = batch.pixelWeights ? tf.tensor4d(batch.pixelWeights, [B, cfg.resolution, cfg.resolution, 1]) : null
      let wMean: Tensor | null = null
      const parts: Record<string, Tensor> = {}
      const lossFn = (): Tensor => {
        const out = generatorForward(tf, this.G.vars, this.buffers(), cfg, { z: zT, c: cT, noise: noiseT }, this.arch)
        wMean = tf.keep(tf.mean(out.w, 0))
        let loss: Tensor = tf.scalar(0)
        for (const m of cfg.modalities) {
          const fake = out.images[m.id]
          if (adversarial) kept[m.id] = tf.keep(tf.clone(fake))
          if (adversarial && m.ganWeight > 0) {
            const logits = discriminatorForward(tf, this.D[m.id].vars, cfg, fake, cn)
            const adv = tf.mean(tf.softplus(tf.neg(logits)))
            parts[`g_adv_${m.id}`] = tf.keep(adv)
            loss = tf.add(loss, tf.mul(adv, tf.scalar(cfg.loss.adversarial * m.ganWeight)))
          }
          if (cfg.loss.recon > 0 && m.reconWeight > 0) {
            const l1 = reconstructionL1(tf, fake, reals[m.id], pixelWeights)
            // g_l1_* stays plain L1 (comparable over the whole run); g_wl1_* is the weighted term.
            parts[`g_l1_${m.id}`] = tf.keep(pixelWeights ? reconstructionL1(tf, fake, reals[m.id], null) : l1)
            if (pixelWeights) parts[`g_wl1_${m.id}`] = tf.keep(l1)
            loss = tf.add(loss, tf.mul(l1, tf.scalar(cfg.loss.recon * m.reconWeight)))
          }
        }
        return loss
      }
      const { value, grads } = tf.variableGrads(lossFn as () => Scalar, this.G.list)
      metrics.g_loss = value.dataSync()[0]
      for (const [k, t] of Object.entries(parts)) {
        metrics[k] = t.dataSync()[0]
        t.dispose()
      }
      this.optG.apply(
        this.G.list.map((v) => grads[v.name]),
        cfg.optimizer.gLr * this.learningRateFactor(),
        cfg.optimizer.beta1,
        cfg.optimizer.beta2,
        cfg.optimizer.epsilon
      )
      // Running average of w (truncation centre).
      const mean = wMean as Tensor | null
      if (mean) {
        const next = tf.keep(tf.add(mean, tf.mul(tf.sub(this.wAvg, mean), tf.scalar(cfg.wAvgBeta))))
        this.wAvg.dispose()
        this.wAvg = next
        mean.dispose()
      }
      this.updateEma(B)
    })
    return kept
  }

  private updateEma(batchSize: number): void {
    const tf = this.tf
    const { halfLifeImages, rampup } = this.config.ema
    let halfLife = halfLifeImages
    if (rampup > 0) halfLife = Math.min(halfLife, (this.imagesSeen + batchSize) * rampup)
    const beta = halfLife > 0 ? Math.pow(0.5, batchSize / halfLife) : 0
    for (const name of this.G.names) {
      const old = this.Gema[name]
      const p = this.G.vars[name]
      this.Gema[name] = tf.keep(tf.add(p, tf.mul(tf.sub(old, p), tf.scalar(beta))))
      old.dispose()
    }
  }

  private discriminatorPhase(batch: TrainingBatch, fakes: Record<string, Tensor4D>, metrics: StepMetrics): void {
    const tf = this.tf
    const cfg = this.config
    const B = batch.size
    const doR1 = cfg.loss.r1Gamma > 0 && this.step % cfg.loss.r1Interval === 0
    for (const m of this.discriminated()) {
      tf.tidy(() => {
        const cT = batch.condition && cfg.conditional ? tf.tensor2d(batch.condition, [B, this.conditionSize]) : null
        const cn = this.normalizedCondition(cT)
        const real = this.realTensors(batch)[m.id]
        const D = this.D[m.id]
        const parts: Record<string, Tensor> = {}
        const lossFn = (): Tensor => {
          const fakeLogits = discriminatorForward(tf, D.vars, cfg, fakes[m.id], cn)
          const realLogits = discriminatorForward(tf, D.vars, cfg, real, cn)
          parts.fake = tf.keep(tf.mean(fakeLogits))
          parts.real = tf.keep(tf.mean(realLogits))
          let loss: Tensor = tf.add(tf.mean(tf.softplus(fakeLogits)), tf.mean(tf.softplus(tf.neg(realLogits))))
          if (doR1) {
            const gradient = tf.grad((x: Tensor) => tf.sum(discriminatorForward(tf, D.vars, cfg, x as Tensor4D, cn)))(real)
            const penalty = tf.mean(tf.sum(tf.square(gradient), [1, 2, 3]))
            parts.r1 = tf.keep(penalty)
            loss = tf.add(loss, tf.mul(penalty, tf.scalar((cfg.loss.r1Gamma / 2) * cfg.loss.r1Interval)))
          }
          return loss
        }
        const { value, grads } = tf.variableGrads(lossFn as () => Scalar, D.list)
        metrics[`d_loss_${m.id}`] = value.dataSync()[0]
        metrics[`d_real_${m.id}`] = parts.real.dataSync()[0]
        metrics[`d_fake_${m.id}`] = parts.fake.dataSync()[0]
        if (parts.r1) metrics[`r1_${m.id}`] = parts.r1.dataSync()[0]
        Object.values(parts).forEach((t) => t.dispose())
        this.optD[m.id].apply(
          D.list.map((v) => grads[v.name]),
          cfg.optimizer.dLr * this.learningRateFactor(),
          cfg.optimizer.beta1,
          cfg.optimizer.beta2,
          cfg.optimizer.epsilon
        )
      })
    }
  }

  // -------------------------------------------------------------------------------------
  // Inspection, sampling and persistence

  /** Plain copies of the weights: G, G_ema or a D ('D.rgb'). */
  weights(which: 'G' | 'G_ema' | `D.${string}`): WeightMap {
    const out: WeightMap = new Map()
    const copy = (name: string, t: Tensor): void => {
      out.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) })
    }
    if (which === 'G') for (const n of this.G.names) copy(n, this.G.vars[n])
    else if (which === 'G_ema') for (const n of this.G.names) copy(n, this.Gema[n])
    else {
      const d = this.D[which.slice(2)]
      if (!d) throw new Error(`no discriminator ${which}`)
      for (const n of d.names) copy(n, d.vars[n])
    }
    return out
  }

  /** Buffers the exported generator needs: w_avg and the condition statistics. */
  generatorBuffers(): { wAvg: Float32Array; condMean: Float32Array | null; condStd: Float32Array | null } {
    return {
      wAvg: Float32Array.from(this.wAvg.dataSync() as Float32Array),
      condMean: this.condMean ? Float32Array.from(this.condMean.dataSync() as Float32Array) : null,
      condStd: this.condInvStd ? Float32Array.from(this.condInvStd.dataSync() as Float32Array, (v) => 1 / v) : null
    }
  }

  prngState(): ReturnType<Prng['state']> {
    return this.prng.state()
  }

  checkpointContents(): CheckpointContents {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>()
    const add = (name: string, t: Tensor): void => {
      tensors.set(name, { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) })
    }
    for (const n of this.G.names) add(`G/${n}`, this.G.vars[n])
    for (const n of this.G.names) add(`G_ema/${n}`, this.Gema[n])
    for (const m of this.discriminated()) for (const n of this.D[m.id].names) add(`D.${m.id}/${n}`, this.D[m.id].vars[n])
    for (const [k, t] of this.optG.state('opt.G', this.G.names)) add(k, t)
    for (const m of this.discriminated()) for (const [k, t] of this.optD[m.id].state(`opt.D.${m.id}`, this.D[m.id].names)) add(k, t)
    const buffers = this.generatorBuffers()
    tensors.set('buffer/w_avg', { shape: [buffers.wAvg.length], data: buffers.wAvg })
    if (buffers.condMean && buffers.condStd) {
      tensors.set('buffer/cond_mean', { shape: [buffers.condMean.length], data: buffers.condMean })
      tensors.set('buffer/cond_std', { shape: [buffers.condStd.length], data: buffers.condStd })
    }
    const optimizerSteps: Record<string, number> = { G: this.optG.t }
    for (const m of this.discriminated()) optimizerSteps[`D.${m.id}`] = this.optD[m.id].t
    const header: CheckpointContents['header'] = {
      step: this.step,
      imagesSeen: this.imagesSeen,
      trainSeconds: this.trainSeconds,
      createdAt: new Date().toISOString(),
      config: this.config,
      prng: this.prng.state(),
      optimizerSteps,
      conditionSize: this.conditionSize
    }
    return { header, tensors }
  }

  /**
   * Generate the samples the studio would draw for these seeds from the exported model
   * (latent, noise and condition from the sample seed), with G_ema and the export's ψ.
   */
  sample(seeds: readonly number[], options: { ema?: boolean; psi?: number } = {}): SampleImages {
    const tf = this.tf
    const cfg = this.config
    const n = seeds.length
    const R = cfg.resolution
    const params = options.ema === false ? this.G.vars : this.Gema
    const inputs = sampleInputs(cfg, this.arch, seeds, this.conditionSize)
    const images: SampleImages['images'] = {}
    tf.tidy(() => {
      const out = generatorForward(
        tf,
        params as ParamTensors,
        this.buffers(),
        cfg,
        {
          z: tf.tensor2d(inputs.z, [n, cfg.latentSize]),
          c: inputs.c ? tf.tensor2d(inputs.c, [n, this.conditionSize]) : null,
          noise: cfg.export.noise === 'none' ? null : this.arch.layers.map((l, i) => tf.tensor4d(inputs.noise[i], [n, l.res, l.res, 1])),
          psi: options.psi ?? cfg.export.truncation
        },
        this.arch
      )
      for (const m of cfg.modalities) {
        const v = out.images[m.id].dataSync()
        const bytes = new Uint8Array(v.length)
        for (let i = 0; i < v.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round((v[i] + 1) * 127.5)))
        images[m.id] = { channels: m.channels, data: bytes }
      }
    })
    return { resolution: R, count: n, images }
  }

  state(): TrainerState {
    return { step: this.step, imagesSeen: this.imagesSeen, trainSeconds: this.trainSeconds }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.G.list.forEach((v) => v.dispose())
    Object.values(this.Gema).forEach((t) => t.dispose())
    for (const d of Object.values(this.D)) d.list.forEach((v) => v.dispose())
    this.optG.dispose()
    Object.values(this.optD).forEach((o) => o.dispose())
    this.wAvg.dispose()
    this.condMean?.dispose()
    this.condInvStd?.dispose()
  }
}

/**
 * The L1 reconstruction loss mean(ω · |fake − real|) over [B, R, R, C]; ω [B, R, R, 1] (each
 * image's map of mean 1, broadcast over channels) or null for plain L1 (ω = 1).
 */
export function reconstructionL1(tf: Tf, fake: Tensor4D, real: Tensor4D, pixelWeights: Tensor4D | null): Tensor {
  const error = tf.abs(tf.sub(fake, real))
  return tf.mean(pixelWeights ? tf.mul(error, pixelWeights) : error)
}

/**
 * The generator inputs the studio feeds for sample seeds (engine/generator/recipe.ts):
 * z = twinlight-normal-v1 stream 0, c = renderer params of sampleParams(seed), noise input i =
 * stream 2 + i. NHWC-compatible flat arrays ([n, H, W] per noise layer).
 */
export function sampleInputs(
  config: GanConfig,
  arch: GanArchitecture,
  seeds: readonly number[],
  conditionSize: number
): { z: Float32Array; c: Float32Array | null; noise: Float32Array[] } {
  const n = seeds.length
  const z = new Float32Array(n * config.latentSize)
  const c = config.conditional ? new Float32Array(n * conditionSize) : null
  const noise = arch.layers.map((l) => new Float32Array(n * l.res * l.res))
  seeds.forEach((seed, i) => {
    z.set(seededNormals(seed, STREAM.latent, config.latentSize), i * config.latentSize)
    if (c) c.set(paramsToVector(sampleParams(seed)), i * conditionSize)
    arch.layers.forEach((l, li) => noise[li].set(seededNormals(seed, STREAM.noise + li, l.res * l.res), i * l.res * l.res))
  })
  return { z, c, noise }
}

export type { CheckpointHeader }
