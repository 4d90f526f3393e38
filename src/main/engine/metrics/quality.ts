// All image-quality metrics of a pair or of a set of pairs in one pass.
import { MetricsError, checkPairedSets } from './errors'
import { ImagePrepOptions, MetricImage, PixelErrors, pixelErrorsPrepared, preparePair } from './image'
import { ssimPrepared } from './ssim'
import { Summary, summarize } from './summary'

export interface ImageQuality extends PixelErrors {
  ssim: number
}

export interface ImageQualityOptions extends ImagePrepOptions {
  /** Skip SSIM (e.g. for images smaller than 11×11). Default false. */
  skipSsim?: boolean
}

/** MAE, MSE, RMSE, PSNR and SSIM of one pair (ssim is NaN when skipSsim is set). */
export function imageQuality(pred: MetricImage, gt: MetricImage, opts: ImageQualityOptions = {}): ImageQuality {
  const p = preparePair(pred, gt, opts)
  return { ...pixelErrorsPrepared(p), ssim: opts.skipSsim ? NaN : ssimPrepared(p) }
}

export interface ImageSetQuality {
  perImage: ImageQuality[]
  /** Per-metric summaries over the set (see summarize: population std, Infinity rules); no ssim when skipped. */
  summary: Record<keyof PixelErrors, Summary> & { ssim?: Summary }
}

/** Metrics of preds[i] against gts[i] for every i, with their summaries. */
export function evaluateImageSet(preds: MetricImage[], gts: MetricImage[], opts: ImageQualityOptions = {}): ImageSetQuality {
  checkPairedSets('image quality', 'pred', preds.length, 'gt', gts.length)
  const perImage: ImageQuality[] = []
  for (let i = 0; i < preds.length; i++) {
    try {
      perImage.push(imageQuality(preds[i], gts[i], opts))
    } catch (e) {
      throw new MetricsError(`pair ${i}: ${(e as Error).message}`)
    }
  }
  const summary: ImageSetQuality['summary'] = {
    mae: summarize(perImage.map((q) => q.mae)),
    mse: summarize(perImage.map((q) => q.mse)),
    rmse: summarize(perImage.map((q) => q.rmse)),
    psnr: summarize(perImage.map((q) => q.psnr))
  }
  if (!opts.skipSsim) summary.ssim = summarize(perImage.map((q) => q.ssim))
  return { perImage, summary }
}
