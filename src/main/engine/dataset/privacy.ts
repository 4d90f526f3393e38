// The identity privacy stage: engine/face's embedder + reference identity set +
// privacyDecision on one modality of each sample (RGB by default).
import type { FaceEmbedder, ReferenceEmbeddings, PrivacyOptions } from '../face'
import { privacyDecision } from '../face/privacy'
import type { PrivacyInfo, PrivacyResult, PrivacyStage, SourceSample } from './types'

export class FacePrivacyStage implements PrivacyStage {
  constructor(
    private readonly embedder: FaceEmbedder,
    private readonly references: ReferenceEmbeddings,
    private readonly options: PrivacyOptions,
    private readonly modality: string
  ) {}

  describe(): PrivacyInfo {
    return {
      model: this.references.modelId,
      threshold: this.options.threshold,
      references: this.references.size,
      modality: this.modality,
      noFace: this.options.noFace,
      ...(this.options.minDetectorScore !== undefined ? { minDetectorScore: this.options.minDetectorScore } : {})
    }
  }

  async check(sample: SourceSample): Promise<PrivacyResult> {
    const image = sample.images[this.modality]
    if (!image) throw new Error(`the privacy filter reads the "${this.modality}" modality, which the source does not have`)
    if (image.channels === 2) throw new Error('the privacy filter cannot read grey + alpha images')
    const result = await this.embedder.embed({ width: image.width, height: image.height, channels: image.channels, data: image.data })
    const d = privacyDecision(result, this.references, this.options)
    return { kept: d.kept, reason: d.reason, identityScore: d.maxSimilarity, closestIdentity: d.closestReference?.identity ?? null }
  }

  async release(): Promise<void> {
    await this.embedder.dispose?.()
  }
}
