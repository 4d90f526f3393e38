// Where each file of a dataset goes, per layout preset. Every preset keeps the studio's
// own files at the root: metadata.jsonl (every sample, kept or not), id2label.json,
// classes.json, README.md; kept samples go where the preset's readers look for them.
//
// Stems are the seed, zero-padded to 8 digits ("00000042"): unique across shards, the same
// stem in every folder of one sample. "mask" is the key of the mask file; the first modality
// is the primary one (the "image" of single-image formats).
//
//   twinlight  <modality>/<stem>.png, masks/<stem>.png                  (design.md)
//   hf         data/<modality>/<stem>.png, data/masks/<stem>.png, data/metadata.jsonl with
//              file_name (primary modality), <modality>_file_name for the others and
//              mask_file_name, relative to data/ – Hugging Face `imagefolder`
//              (load_dataset("imagefolder", data_dir="…/data")); kept samples only
//   mmseg      img_dir/{train,val}/<stem>.png (primary), <modality>_dir/{train,val}/<stem>.png
//              (other modalities), ann_dir/{train,val}/<stem>.png (palette PNG of class ids,
//              255 = ignore_index), splits/{train,val}.txt (stems); split by seed hash
//   cvat       CVAT "Segmentation mask 1.1" (Pascal VOC segmentation): labelmap.txt
//              ("# label:color_rgb:parts:actions", then "name:r,g,b::" per class, in id order),
//              SegmentationClass/<stem>.png (pixels coloured with the labelmap colours; stored
//              as a palette PNG whose palette holds those colours), ImageSets/Segmentation/
//              default.txt (kept stems, one a line), JPEGImages/<stem>.png (primary modality;
//              VOC readers match images by stem, any extension), <modality>/<stem>.png for the
//              other modalities. No SegmentationObject/ (instance masks): the interpreter
//              predicts classes only, and CVAT imports class masks without it.
// Rejected samples (when kept) go to rejected/<modality|masks>/<stem>.png in every preset.
import type { DatasetClass } from './types'
import { mix32 } from '../random/xoshiro128'
import { DATASET_LAYOUTS, type DatasetLayoutId } from '../../../shared/dataset'

export const LAYOUTS = DATASET_LAYOUTS
export type DatasetLayout = DatasetLayoutId

export function stemForSeed(seed: number): string {
  return String(seed).padStart(8, '0')
}

/** mmseg split: "val" when MurmurHash3's 32-bit finaliser of the seed, mod 100, is < valPercent, else "train". */
export function splitOf(seed: number, valPercent: number): 'train' | 'val' {
  return mix32(seed) % 100 < valPercent ? 'val' : 'train'
}

const folderOf = (key: string) => (key === 'mask' ? 'masks' : key)

/** Dataset-relative path of a kept sample's file. */
export function keptPath(layout: DatasetLayout, key: string, seed: number, modalities: readonly string[], valPercent: number): string {
  const stem = stemForSeed(seed)
  const primary = key === modalities[0]
  switch (layout) {
    case 'twinlight':
      return `${folderOf(key)}/${stem}.png`
    case 'hf':
      return `data/${folderOf(key)}/${stem}.png`
    case 'mmseg': {
      const split = splitOf(seed, valPercent)
      if (key === 'mask') return `ann_dir/${split}/${stem}.png`
      return `${primary ? 'img' : key}_dir/${split}/${stem}.png`
    }
    case 'cvat':
      if (key === 'mask') return `SegmentationClass/${stem}.png`
      return primary ? `JPEGImages/${stem}.png` : `${key}/${stem}.png`
  }
}

export function rejectedPath(key: string, seed: number): string {
  return `rejected/${folderOf(key)}/${stemForSeed(seed)}.png`
}

export interface KeptSample {
  seed: number
  score: number
  identityScore: number | null
}

function hexRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}

/** Preset-specific index files: [dataset-relative path, contents]. `kept` is in seed order. */
export function layoutIndexFiles(layout: DatasetLayout, kept: readonly KeptSample[], classes: readonly DatasetClass[], modalities: readonly string[], valPercent: number): Array<[string, string]> {
  const lines = (rows: string[]) => rows.map((r) => r + '\n').join('')
  switch (layout) {
    case 'twinlight':
      return []
    case 'hf': {
      const rows = kept.map((s) => {
        const stem = stemForSeed(s.seed)
        const row: Record<string, unknown> = { file_name: `${modalities[0]}/${stem}.png` }
        for (const m of modalities.slice(1)) row[`${m}_file_name`] = `${m}/${stem}.png`
        row.mask_file_name = `masks/${stem}.png`
        row.seed = s.seed
        row.uncertainty = s.score
        row.identity_score = s.identityScore
        return JSON.stringify(row)
      })
      return [['data/metadata.jsonl', lines(rows)]]
    }
    case 'mmseg': {
      const train = kept.filter((s) => splitOf(s.seed, valPercent) === 'train').map((s) => stemForSeed(s.seed))
      const val = kept.filter((s) => splitOf(s.seed, valPercent) === 'val').map((s) => stemForSeed(s.seed))
      return [
        ['splits/train.txt', lines(train)],
        ['splits/val.txt', lines(val)]
      ]
    }
    case 'cvat': {
      const labelmap = ['# label:color_rgb:parts:actions', ...classes.map((c) => `${c.name}:${hexRgb(c.color).join(',')}::`)]
      return [
        ['labelmap.txt', lines(labelmap)],
        ['ImageSets/Segmentation/default.txt', lines(kept.map((s) => stemForSeed(s.seed)))]
      ]
    }
  }
}
