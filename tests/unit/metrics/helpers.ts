// Deterministic test data for the metrics tests.
import type { MetricChannels, MetricImage } from '../../../src/main/engine/metrics'

/** Small LCG (Numerical Recipes constants): uniform [0, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
}

/** Standard normal samples from a uniform source (Box–Muller). */
export function normal(rand: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
}

const clamp8 = (v: number): number => Math.max(0, Math.min(255, Math.round(v)))

/** A smooth pattern with noise: a plausible "ground truth" image. */
export function patternImage(width: number, height: number, channels: MetricChannels, seed: number): MetricImage {
  const rand = lcg(seed)
  const data = new Uint8Array(width * height * channels)
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const v = 128 + 70 * Math.sin(x / 5 + c) + 50 * Math.cos(y / 7 - c * 0.5) + (rand() - 0.5) * 40
        data[(y * width + x) * channels + c] = clamp8(v)
      }
    }
  }
  return { width, height, channels, data }
}

/** `img` with added noise, a brightness shift and some saturated pixels: a "prediction". */
export function degrade(img: MetricImage, seed: number, amount = 30): MetricImage {
  const rand = lcg(seed)
  const data = new Uint8Array(img.data.length)
  for (let i = 0; i < data.length; i++) {
    const r = rand()
    data[i] = r < 0.01 ? 255 : r < 0.02 ? 0 : clamp8(img.data[i] + 6 + (rand() - 0.5) * amount)
  }
  return { ...img, data }
}

export function image(width: number, height: number, channels: MetricChannels, values: number[]): MetricImage {
  return { width, height, channels, data: Uint8Array.from(values) }
}
