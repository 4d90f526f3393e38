// Semantic classes of the renderer's masks: the class lists live in src/shared/faceClasses.ts
// (the project templates use the same ids); palettes and colouring helpers are here.
export { FACE_CLASSES, OCULAR_CLASSES, type ClassInfo } from '../../../shared/faceClasses'
import type { ClassInfo } from '../../../shared/faceClasses'
import { FACE_CLASSES, OCULAR_CLASSES } from '../../../shared/faceClasses'

/** Value written for unlabeled pixels in mask PNGs (the renderer itself never produces it). */
export const UNLABELED = 255

export type RenderMode = 'face' | 'ocular'

export function classesFor(mode: RenderMode): readonly ClassInfo[] {
  return mode === 'ocular' ? OCULAR_CLASSES : FACE_CLASSES
}

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16)
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255]
}

/**
 * A 256-entry RGB palette for an 8-bit palette mask: class i gets its colour, every other
 * entry (unlabeled 255 included) is white.
 */
export function classPalette(classes: readonly ClassInfo[]): Uint8Array {
  const palette = new Uint8Array(256 * 3).fill(255)
  for (const c of classes) palette.set(hexToRgb(c.color), c.id * 3)
  return palette
}

/** Colour a mask with the class colours (RGB, 3 bytes per pixel). */
export function colorizeMask(mask: Uint8Array, classes: readonly ClassInfo[]): Uint8Array {
  const palette = classPalette(classes)
  const out = new Uint8Array(mask.length * 3)
  for (let i = 0; i < mask.length; i++) {
    const p = mask[i] * 3
    out[i * 3] = palette[p]
    out[i * 3 + 1] = palette[p + 1]
    out[i * 3 + 2] = palette[p + 2]
  }
  return out
}
