// Loading what the Compare panes show into pixels: project images through their asset URLs
// (drawn once into a canvas and read back), label maps (ground truth, annotation) through
// compare.labels, interpreter predictions through interpreter.predict. Results are cached
// (a few dozen, least recently used first out) so stepping back and forth is instant.
import type { ClassDef } from '@shared/project'
import { studio } from '../../api/studio'
import { applyLut, colorizeLabels, histogram, isGreyRgba, isIdentityLevels, levelsLut, type Levels } from './imageMath'

/** What a pane can show for a sample (compare.sources plus the interpreter's prediction). */
export interface SourceOption {
  key: string
  kind: 'modality' | 'mask'
  label: string
  /** Project-relative file; null for computed sources (prediction). */
  path: string | null
  version: string
  mask?: 'groundtruth' | 'annotation' | 'prediction'
}

export interface LoadedImage {
  id: string
  width: number
  height: number
  /** RGBA as displayed without adjustment (masks: in class colours, unlabeled transparent). */
  rgba: Uint8ClampedArray
  grey: boolean
  canvas: HTMLCanvasElement
  /** Class ids, for masks. */
  labels: Uint8Array | null
  histogram: Uint32Array[]
}

const MAX_CACHED = 48
const cache = new Map<string, Promise<LoadedImage>>()

function remember(key: string, promise: Promise<LoadedImage>): Promise<LoadedImage> {
  cache.set(key, promise)
  promise.catch(() => cache.delete(key))
  while (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string)
  return promise
}

function cached(key: string): Promise<LoadedImage> | undefined {
  const hit = cache.get(key)
  if (hit) {
    cache.delete(key)
    cache.set(key, hit)
  }
  return hit
}

export function canvasOf(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement('canvas')
  c.width = width
  c.height = height
  return c
}

function fromRgba(id: string, width: number, height: number, rgba: Uint8ClampedArray, labels: Uint8Array | null): LoadedImage {
  const canvas = canvasOf(width, height)
  canvas.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, width, height), 0, 0)
  const grey = labels ? false : isGreyRgba(rgba)
  return { id, width, height, rgba, grey, canvas, labels, histogram: histogram(rgba, grey) }
}

function loadElement(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image()
    img.decoding = 'async'
    img.onload = () => resolve(img)
    img.onerror = () => reject(new Error(`the image ${url.replace(/[?&]token=[^&]+/, '')} could not be loaded`))
    img.src = url
  })
}

/** A project image (modality PNG) as pixels. */
export function loadImageFile(path: string, version: string): Promise<LoadedImage> {
  const key = `img:${path}@${version}`
  return (
    cached(key) ??
    remember(
      key,
      (async () => {
        const el = await loadElement(studio().assetUrl(path, version))
        const w = el.naturalWidth
        const h = el.naturalHeight
        const c = canvasOf(w, h)
        const ctx = c.getContext('2d', { willReadFrequently: true })!
        ctx.drawImage(el, 0, 0)
        return fromRgba(key, w, h, ctx.getImageData(0, 0, w, h).data, null)
      })()
    )
  )
}

function fromLabels(key: string, width: number, height: number, labels: Uint8Array, classes: readonly ClassDef[]): LoadedImage {
  return fromRgba(key, width, height, colorizeLabels(labels, classes) as Uint8ClampedArray, labels)
}

/** A mask source as class ids plus its colouring in the project's class colours. */
export function loadMask(sampleId: string, source: SourceOption, classes: readonly ClassDef[]): Promise<LoadedImage> {
  const colours = classes.map((c) => c.color).join(',')
  const key = `mask:${sampleId}:${source.key}@${source.version}:${colours}`
  return (
    cached(key) ??
    remember(
      key,
      (async () => {
        if (source.mask === 'prediction') {
          const p = await studio().interpreter.predict({ sampleId })
          return fromLabels(key, p.width, p.height, p.labels, classes)
        }
        const m = await studio().compare.labels({ path: source.path! })
        return fromLabels(key, m.width, m.height, m.labels, classes)
      })()
    )
  )
}

export function loadSource(sampleId: string, source: SourceOption, classes: readonly ClassDef[]): Promise<LoadedImage> {
  if (source.kind === 'mask') return loadMask(sampleId, source, classes)
  return loadImageFile(source.path!, source.version)
}

const adjusted = new WeakMap<LoadedImage, { key: string; canvas: HTMLCanvasElement }>()

/** The image with a pane's levels applied (the original canvas when they are neutral). */
export function displayCanvas(image: LoadedImage, levels: Levels): HTMLCanvasElement {
  if (isIdentityLevels(levels) || image.labels) return image.canvas
  const key = `${levels.black}/${levels.white}/${levels.gamma}`
  const hit = adjusted.get(image)
  if (hit && hit.key === key) return hit.canvas
  const canvas = hit?.canvas ?? canvasOf(image.width, image.height)
  const out = new ImageData(image.width, image.height)
  applyLut(image.rgba, levelsLut(levels), out.data)
  canvas.getContext('2d')!.putImageData(out, 0, 0)
  adjusted.set(image, { key, canvas })
  return canvas
}
