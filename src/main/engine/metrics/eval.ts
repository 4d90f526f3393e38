// Evaluation of a set of generated / translated images against ground truth: the engine of
// `twinlight eval` and of the Compare view's selection metrics.
//
//   const report = await evaluateFolders({ predDir, gtDir, metrics: ['psnr', 'ssim', 'fid'], pairBy: 'order' })
//
// Paired metrics (psnr, ssim, mae, rmse, identity, miou) go pair by pair (pairing.ts), one pair
// in memory at a time. Distribution metrics (fid, kid) compare the two folders as sets: with a
// feature extractor manifest (extractor.ts; Inception-v3 pool3 gives FID/KID proper), else on
// the face embedding, labelled "FD-face (not comparable to published FID)".
// Identity: the cosine similarity of the face embeddings of pred and gt where a face is found
// in both, plus closed-set identification (each gt is a gallery identity, each pred a probe:
// rank-1 and CMC), the protocol of CMOS-GAN / IDE's identity tables.
import { basename, join } from 'node:path'
import { MetricsError } from './errors'
import { imageQuality, type ImageQualityOptions } from './quality'
import type { MetricImage } from './image'
import { cosineSimilarity, identify, type IdentificationResult } from './identity'
import { frechetDistance, kernelDistance, type FeatureSpace, type DistributionLabel } from './distribution'
import { ConfusionMatrix } from './masks'
import { listImages, pairImages, type PairBy } from './pairing'
import { loadLabelMap, loadMetricImage } from './load'
import { openFeatureExtractor, type FeatureExtractor } from './extractor'
import { buildMetricTable, toJsonSafe, type MetricRow, type MetricTable, type PairMetricId, type PairValues } from './report'

export const EVAL_METRICS = ['psnr', 'ssim', 'mae', 'rmse', 'identity', 'fid', 'kid', 'miou'] as const
export type EvalMetric = (typeof EVAL_METRICS)[number]
export const DEFAULT_EVAL_METRICS: EvalMetric[] = ['psnr', 'ssim']
const PAIRED: ReadonlySet<EvalMetric> = new Set(['psnr', 'ssim', 'mae', 'rmse', 'identity', 'miou'])
const PIXEL: ReadonlySet<EvalMetric> = new Set(['psnr', 'ssim', 'mae', 'rmse'])

/** "psnr,ssim" → ['psnr', 'ssim']; an unknown name is an error that lists the known ones. */
export function parseMetricList(text: string): EvalMetric[] {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
  if (names.length === 0) throw new MetricsError(`no metrics given; choose from ${EVAL_METRICS.join(', ')}`)
  const out: EvalMetric[] = []
  for (const n of names) {
    const id = n === 'fd' || n === 'fd-face' ? 'fid' : n === 'cos' || n === 'cosine' ? 'identity' : n
    if (!(EVAL_METRICS as readonly string[]).includes(id)) throw new MetricsError(`unknown metric "${n}"; choose from ${EVAL_METRICS.join(', ')}`)
    if (!out.includes(id as EvalMetric)) out.push(id as EvalMetric)
  }
  return out
}

/** What the identity metrics need from a face embedder (the face engine's FaceEmbedder fits it). */
export interface IdentityEmbedder {
  readonly id: string
  embed(image: MetricImage): Promise<{ detected: boolean; embedding: Float32Array | null; reason?: string }>
  describe?(): { name: string }
  dispose?(): Promise<void> | void
}

/** The studio's default face embedder (face-api), loaded only when identity metrics are asked for. */
export async function defaultIdentityEmbedder(): Promise<IdentityEmbedder> {
  const face = await import('../face')
  return face.createFaceEmbedder()
}

export type EmbedderSource = IdentityEmbedder | (() => Promise<IdentityEmbedder>)

export interface EvalOptions {
  predDir: string
  gtDir: string
  metrics?: EvalMetric[]
  pairBy?: PairBy
  /** Compare in grey (Pillow's convert('L')), as CMOS-GAN does for sketches. */
  grey?: boolean
  /** Pixels cropped from every side before measuring (IDE crops 2). */
  crop?: number
  /** Feature extractor manifest (path) or an open extractor, for FID/KID. */
  extractor?: string | FeatureExtractor
  /** Face embedder for identity metrics and FD-face (default: face-api). */
  embedder?: EmbedderSource
  /** Classes of the masks for mIoU (default: the largest id found + 1; 255 = ignored). */
  classes?: number
  /** KID subsets (default 100) and subset size (default 1000, clamped to the smaller set). */
  kidSubsets?: number
  kidSubsetSize?: number
  onProgress?: (done: number, total: number, note?: string) => void
}

export interface DistributionResult {
  /** "FID", "FD-face", "KID", "KID-face", … */
  label: string
  /** "FD-face, face-api (not comparable to published FID)". */
  long: string
  comparableToPublished: boolean
  value: number
  /** KID: population std over the subsets. */
  std?: number
  n1: number
  n2: number
  dims: number
  features: string
}

export interface IdentitySummary {
  model: string
  facesFound: { pred: number; gt: number; pairs: number }
  /** Closed-set identification over the pairs with a face on both sides (needs ≥ 2). */
  identification: { probes: number; rank1: number; cmc: Record<string, number> } | null
}

export interface MaskSummary {
  numClasses: number
  /** mIoU from the confusion matrix summed over every pair (the dataset-level figure papers report). */
  miou: number
  pixelAccuracy: number
  /** Per-class IoU; null for classes absent from both sets. */
  iou: (number | null)[]
}

export interface EvalReport {
  schema: 'twinlight.eval/1'
  createdAt: string
  pred: { dir: string; images: number }
  gt: { dir: string; images: number }
  pairBy: PairBy | null
  options: { grey: boolean; crop: number }
  metrics: EvalMetric[]
  warnings: string[]
  /** Per-pair values and their summaries (paired metrics). */
  table: MetricTable
  identity?: IdentitySummary
  masks?: MaskSummary
  distribution?: { fid?: DistributionResult; kid?: DistributionResult }
}

async function resolveEmbedder(source: EmbedderSource | undefined): Promise<IdentityEmbedder> {
  if (!source) return defaultIdentityEmbedder()
  return typeof source === 'function' ? source() : source
}

/** "face-api-128" for "face-api-128/dlib-chip-150/…": the model, without its pipeline details. */
export function shortModelName(embedder: IdentityEmbedder): string {
  return embedder.id.split('/')[0] || embedder.id
}

const pairName = (i: number, p: string, g: string) => `pair ${i + 1} (pred ${p}, gt ${g})`

export async function evaluateFolders(options: EvalOptions): Promise<EvalReport> {
  const metrics = options.metrics?.length ? [...new Set(options.metrics)] : [...DEFAULT_EVAL_METRICS]
  const grey = options.grey ?? false
  const crop = options.crop ?? 0
  if (!Number.isInteger(crop) || crop < 0) throw new MetricsError(`crop must be a whole number of pixels ≥ 0, got ${crop}`)
  const predFiles = await listImages(options.predDir, 'pred')
  const gtFiles = await listImages(options.gtDir, 'gt')
  const warnings: string[] = []
  const paired = metrics.filter((m) => PAIRED.has(m))
  const wantsDistribution = metrics.includes('fid') || metrics.includes('kid')
  const pairBy = options.pairBy ?? 'stem'
  const pairing = paired.length ? pairImages(predFiles, gtFiles, pairBy) : null
  if (pairing) warnings.push(...pairing.warnings)
  const pairs = pairing?.pairs ?? []

  const total = pairs.length + (wantsDistribution ? predFiles.length + gtFiles.length : 0)
  let done = 0
  const tick = (note?: string) => options.onProgress?.(++done, total, note)

  const needsFaces = metrics.includes('identity') || (wantsDistribution && !options.extractor)
  let embedder: IdentityEmbedder | null = null
  let extractor: FeatureExtractor | null = null
  const ownExtractor = typeof options.extractor === 'string'
  const ownEmbedder = !options.embedder || typeof options.embedder === 'function'
  try {
    if (wantsDistribution && options.extractor) extractor = typeof options.extractor === 'string' ? await openFeatureExtractor(options.extractor) : options.extractor
    if (needsFaces) embedder = await resolveEmbedder(options.embedder)

    // Embeddings are cached per file: identity and FD-face use the same ones.
    const faceCache = new Map<string, Float32Array | null>()
    const faceOf = async (path: string, image: MetricImage | null): Promise<Float32Array | null> => {
      if (faceCache.has(path)) return faceCache.get(path)!
      const result = await embedder!.embed(image ?? (await loadMetricImage(path)))
      const embedding = result.detected && result.embedding ? result.embedding : null
      faceCache.set(path, embedding)
      return embedding
    }

    // ---- mIoU: number of classes
    let cm: ConfusionMatrix | null = null
    if (metrics.includes('miou')) {
      let k = options.classes
      if (k === undefined) {
        let max = 0
        for (const p of pairs) {
          for (const file of [join(options.predDir, p.pred), join(options.gtDir, p.gt)]) {
            const map = await loadLabelMap(file)
            for (const v of map.data) if (v !== 255 && v > max) max = v
          }
        }
        k = max + 1
        warnings.push(`mIoU over ${k} classes (ids 0–${k - 1}, the largest id found; 255 = ignored); pass --classes N to fix the class count`)
      }
      cm = new ConfusionMatrix(k)
    }

    // ---- paired metrics
    const rows: MetricRow[] = []
    const probes: { label: number; embedding: Float32Array }[] = []
    const gallery: { label: number; embedding: Float32Array }[] = []
    const pixelOpts: ImageQualityOptions = { grey, crop, skipSsim: !metrics.includes('ssim') }
    const facesFound = { pred: 0, gt: 0, pairs: 0 }
    for (const pair of pairs) {
      const predPath = join(options.predDir, pair.pred)
      const gtPath = join(options.gtDir, pair.gt)
      const values: PairValues = {}
      const notes: string[] = []
      const wantsImages = paired.some((m) => PIXEL.has(m) || m === 'identity')
      if (wantsImages) {
        const [pred, gt] = [await loadMetricImage(predPath), await loadMetricImage(gtPath)]
        if (paired.some((m) => PIXEL.has(m))) {
          let q
          try {
            q = imageQuality(pred, gt, pixelOpts)
          } catch (error) {
            throw new MetricsError(`${pairName(pair.index, pair.pred, pair.gt)}: ${(error as Error).message}`)
          }
          for (const m of ['psnr', 'ssim', 'mae', 'rmse'] as const) if (metrics.includes(m)) values[m] = q[m]
        }
        if (metrics.includes('identity')) {
          const a = await faceOf(predPath, pred)
          const b = await faceOf(gtPath, gt)
          if (a) facesFound.pred++
          if (b) facesFound.gt++
          if (a && b) {
            facesFound.pairs++
            values.identity = cosineSimilarity(a, b)
            probes.push({ label: pair.index, embedding: a })
            gallery.push({ label: pair.index, embedding: b })
          } else {
            values.identity = null
            notes.push(`no face found in ${[a ? null : 'pred', b ? null : 'gt'].filter(Boolean).join(' and ')}`)
          }
        }
      }
      if (cm) {
        const [p, g] = [await loadLabelMap(predPath), await loadLabelMap(gtPath)]
        try {
          const one = new ConfusionMatrix(cm.numClasses).add(p, g)
          cm.merge(one)
          const s = one.scores()
          values.miou = Number.isNaN(s.miou) ? null : s.miou
        } catch (error) {
          throw new MetricsError(`${pairName(pair.index, pair.pred, pair.gt)}: ${(error as Error).message}`)
        }
      }
      rows.push({ item: basename(pair.pred).replace(/\.[^.]+$/, ''), a: pair.pred, b: pair.gt, values, ...(notes.length ? { notes } : {}) })
      tick(pair.pred)
    }
    // Every paired metric is a table column (PAIRED ⊂ PairMetricId).
    const tableMetrics = paired as PairMetricId[]
    const table = buildMetricTable(tableMetrics, rows)

    const report: EvalReport = {
      schema: 'twinlight.eval/1',
      createdAt: new Date().toISOString(),
      pred: { dir: options.predDir, images: predFiles.length },
      gt: { dir: options.gtDir, images: gtFiles.length },
      pairBy: pairing ? pairBy : null,
      options: { grey, crop },
      metrics,
      warnings,
      table
    }

    if (metrics.includes('identity') && embedder) {
      let identification: IdentitySummary['identification'] = null
      if (probes.length >= 2) {
        const r: IdentificationResult = identify(probes, gallery, [], { maxRank: Math.min(20, gallery.length) })
        const cmc: Record<string, number> = {}
        for (const k of [1, 5, 10, 20]) if (k <= r.cmc.length) cmc[`rank${k}`] = r.cmc[k - 1]
        identification = { probes: r.numProbes, rank1: r.rank1, cmc }
      } else warnings.push('identification (rank-1) needs at least 2 pairs with a face on both sides')
      if (facesFound.pairs < pairs.length) warnings.push(`identity: a face was found on both sides of ${facesFound.pairs} of ${pairs.length} pairs; the others are left out`)
      report.identity = { model: embedder.describe?.().name ?? embedder.id, facesFound, identification }
    }

    if (cm) {
      const s = cm.scores()
      report.masks = { numClasses: cm.numClasses, miou: s.miou, pixelAccuracy: s.pixelAccuracy, iou: s.iou.map((v) => (Number.isNaN(v) ? null : v)) }
    }

    // ---- distribution metrics
    if (wantsDistribution) {
      const features = async (dir: string, files: string[], role: string): Promise<Float32Array[]> => {
        const out: Float32Array[] = []
        let noFace = 0
        for (const f of files) {
          const path = join(dir, f)
          if (extractor) {
            const image = await loadMetricImage(path)
            out.push(await extractor.extract(image))
          } else {
            const e = await faceOf(path, null)
            if (e) out.push(e)
            else noFace++
          }
          tick(f)
        }
        if (noFace) warnings.push(`${metrics.includes('fid') ? 'FD-face' : 'KID-face'}: no face found in ${noFace} of ${files.length} ${role} images; they are left out`)
        if (out.length < 2) throw new MetricsError(`${role} has ${out.length} usable image${out.length === 1 ? '' : 's'}; FID/KID need at least 2 per set`)
        return out
      }
      const a = await features(options.predDir, predFiles, 'pred')
      const b = await features(options.gtDir, gtFiles, 'gt')
      const faceModel = embedder ? shortModelName(embedder) : 'face embedding'
      const space: FeatureSpace = extractor ? extractor.featureSpace : { kind: 'face-embedding', model: faceModel }
      const featuresName = extractor ? `${extractor.manifest.name}, ${extractor.manifest.output.dims}-d` : `face embedding ${faceModel}, ${a[0].length}-d`
      if (!extractor) warnings.push('FID/KID were computed on the face embedding (no --extractor given): labelled FD-face / KID-face, not comparable to published FID/KID')
      else if (space.kind !== 'inception') warnings.push(`the extractor '${extractor.manifest.id}' is not Inception-v3: its results are not comparable to published FID/KID`)
      report.distribution = {}
      const result = (label: DistributionLabel, value: number, n1: number, n2: number, dims: number, std?: number): DistributionResult => ({
        label: label.short,
        long: label.long,
        comparableToPublished: label.comparableToPublished,
        value,
        ...(std !== undefined ? { std } : {}),
        n1,
        n2,
        dims,
        features: featuresName
      })
      if (metrics.includes('fid')) {
        const fd = frechetDistance(a, b, { featureSpace: space })
        report.distribution.fid = result(fd.label, fd.value, fd.n1, fd.n2, fd.dims)
        if (space.kind === 'inception' && Math.min(a.length, b.length) < 2048) {
          warnings.push(`FID on ${Math.min(a.length, b.length)} images per set is biased upward (2048+ is the usual minimum); compare it only with FIDs computed on sets of the same size`)
        }
      }
      if (metrics.includes('kid')) {
        const kd = kernelDistance(a, b, { featureSpace: space, numSubsets: options.kidSubsets, subsetSize: Math.min(options.kidSubsetSize ?? 1000, a.length, b.length) })
        report.distribution.kid = result(kd.label, kd.mean, a.length, b.length, a[0].length, kd.std)
      }
    }
    return report
  } finally {
    if (extractor && ownExtractor) await extractor.dispose().catch(() => undefined)
    if (embedder && ownEmbedder) await Promise.resolve(embedder.dispose?.()).catch(() => undefined)
  }
}

/** The report as JSON text (infinities kept as "Infinity"; see report.ts). */
export function reportToJson(report: EvalReport): string {
  return JSON.stringify(toJsonSafe(report), null, 2) + '\n'
}
