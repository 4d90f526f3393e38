// The dataset card (README.md), written last. Deterministic: no dates, no host names, so
// the same inputs give the same bytes.
import type { DatasetPlan } from './pipeline'
import { dropCount } from './filters'

const LAYOUT_TEXT: Record<string, string> = {
  twinlight: 'Twinlight layout: `<modality>/<stem>.png`, `masks/<stem>.png`.',
  hf: 'Hugging Face imagefolder: `data/<modality>/<stem>.png`, `data/masks/<stem>.png` and `data/metadata.jsonl` (`file_name` = first modality, `<modality>_file_name`, `mask_file_name`). Load with `load_dataset("imagefolder", data_dir="<this folder>/data")`.',
  mmseg: 'mmsegmentation: `img_dir/{train,val}/<stem>.png` (first modality), `<modality>_dir/{train,val}/<stem>.png`, `ann_dir/{train,val}/<stem>.png` (class ids, 255 = ignore), `splits/{train,val}.txt`. Split: val when murmur3-fmix32(seed) mod 100 < val percent.',
  cvat: 'CVAT "Segmentation mask 1.1": `labelmap.txt`, `SegmentationClass/<stem>.png`, `ImageSets/Segmentation/default.txt`, `JPEGImages/<stem>.png` (first modality), `<modality>/<stem>.png` for the others.'
}

function describe(value: unknown): string {
  if (value == null) return 'none'
  const v = value as Record<string, unknown>
  const rest = Object.entries(v)
    .filter(([k]) => k !== 'name' && k !== 'kind')
    .map(([k, x]) => `${k} ${typeof x === 'object' ? JSON.stringify(x) : String(x)}`)
  return `${String(v.kind ?? '')} **${String(v.name ?? '')}**${rest.length ? ` (${rest.join(', ')})` : ''}`
}

export function datasetCard(plan: DatasetPlan, counts: Record<string, number>, kept: number, rejected: number): string {
  const last = plan.seedStart + plan.count - 1
  const f = plan.filter
  const reasons = Object.entries(counts)
    .filter(([k]) => k !== 'kept')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const lines = [
    `# ${plan.name}`,
    '',
    `Synthetic ${plan.modalities.join(' + ')} face dataset with segmentation masks (${plan.classes.length} classes), ${plan.size}×${plan.size}, made by Twinlight Studio.`,
    '',
    '## Counts',
    '',
    `| | samples |`,
    `| --- | --- |`,
    `| generated (seeds ${plan.seedStart}–${last}) | ${plan.count} |`,
    `| kept | ${kept} |`,
    `| rejected | ${rejected} |`,
    ...reasons.map(([k, n]) => `| rejected: ${k} | ${n} |`),
    '',
    '## How it was made',
    '',
    `- Source: ${describe(plan.source)}`,
    `- Masks: ${describe(plan.predictor)}`,
    `- Privacy filter: ${describe(plan.privacy)}`,
    `- Uncertainty filter: ${f.dropFraction > 0 ? `the ${dropCount(f.dropFraction, plan.count)} most uncertain samples (${(f.dropFraction * 100).toFixed(2)} % of ${plan.count}, k = floor(x·N)) are dropped, ties by smaller seed first` : 'no top-fraction drop'}; ${f.maxScore !== null ? `samples with score > ${f.maxScore} are dropped` : 'no absolute threshold'}. The score is the mean of an image's top 10 % per-pixel Jensen–Shannon uncertainties (nats).`,
    `- Rejected samples: ${plan.keepRejected ? 'kept in `rejected/`' : 'deleted (their decisions stay in metadata.jsonl)'}.`,
    '',
    '## Files',
    '',
    `- ${LAYOUT_TEXT[plan.layout]}`,
    '- Masks: 8-bit palette PNGs, pixel value = class id, 255 = unlabeled; `id2label.json`, `classes.json` (id, name, colour).',
    '- `metadata.jsonl`: one line per generated sample in seed order: `seed`, `latent` (how to redraw it), `uncertainty` (score), `identity_score` (highest cosine similarity to a reference identity, or null), `kept`, `reason` (`ok` or the first rejecting filter), `reasons`, `files`.',
    '- Stems are the seed, zero-padded to 8 digits.',
    ''
  ]
  return lines.join('\n')
}
