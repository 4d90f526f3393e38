// Twinlight metrics library: pure TypeScript on typed arrays, used by the UI, the CLI and
// the benchmarks. See each module's header for its conventions.
export { MetricsError } from './errors'
export {
  type MetricImage,
  type MetricChannels,
  type ImagePrepOptions,
  type PreparedPair,
  type PixelErrors,
  describeImage,
  validateImage,
  luma601,
  toGrey,
  dropAlpha,
  cropBorder,
  preparePair,
  pixelErrors,
  pixelErrorsPrepared,
  psnrFromMse,
  mae,
  mse,
  rmse,
  psnr
} from './image'
export { ssim, ssimPrepared, reflectIndex, SSIM_SIGMA, SSIM_TRUNCATE, SSIM_K1, SSIM_K2, SSIM_DATA_RANGE, SSIM_RADIUS, SSIM_WIN_SIZE } from './ssim'
export { type ImageQuality, type ImageQualityOptions, type ImageSetQuality, imageQuality, evaluateImageSet } from './quality'
export { type Summary, type FiniteStats, type SummarizeOptions, summarize, formatMetric, formatSummary } from './summary'
export {
  type Embedding,
  type IdentityLabel,
  type LabelledEmbedding,
  type IdentificationOptions,
  type IdentificationResult,
  type VerificationPair,
  type VerificationOptions,
  type VerificationResult,
  type TarAtFar,
  l2Normalize,
  cosineSimilarity,
  combineFlipEmbeddings,
  squaredL2Distance,
  identify,
  verify,
  tarAtFar,
  thresholdGrid,
  kFoldBounds
} from './identity'
export {
  type FeatureVector,
  type FeatureSpace,
  type DistributionLabel,
  type DistributionOptions,
  type FrechetResult,
  type KidOptions,
  type KidResult,
  distributionLabel,
  frechetDistance,
  frechetDistanceFromStats,
  traceSqrtProduct,
  kernelDistance,
  Prng,
  sampleWithoutReplacement
} from './distribution'
export { type GaussianStats, type EigenResult, type JacobiOptions, type PivotedCholesky, gaussianStats, jacobiEigenSymmetric, pivotedCholesky, multiplyABt, dotAt } from './linalg'
export { type LabelMap, type SegmentationScores, ConfusionMatrix, segmentationScores, maskMetrics } from './masks'
