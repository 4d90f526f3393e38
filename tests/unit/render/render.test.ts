import { describe, it, expect } from 'vitest'
import { encodePng, encodeIndexedPng } from '../../../src/main/engine/io/png'
import { FaceScene, PART } from '../../../src/main/engine/render/scene'
import {
  render,
  renderSample,
  sampleParams,
  classPalette,
  FACE_CLASSES,
  OCULAR_CLASSES,
  MODALITIES,
  RenderArgumentError,
  type FaceParams,
  type RenderResult
} from '../../../src/main/engine/render'

const CLASS = Object.fromEntries(FACE_CLASSES.map((c) => [c.name, c.id])) as Record<string, number>

function pngs(r: RenderResult): Uint8Array[] {
  const s = r.size
  return [
    encodePng({ width: s, height: s, channels: 3, data: r.rgb! }),
    encodePng({ width: s, height: s, channels: 1, data: r.nir! }),
    encodePng({ width: s, height: s, channels: 1, data: r.sketch! }),
    encodePng({ width: s, height: s, channels: 1, data: r.depth! }),
    encodeIndexedPng({ width: s, height: s, indices: r.mask!, palette: classPalette(r.classes) })
  ]
}

/** Eyes open, looking ahead, no glasses: a clean view of the eyes. */
function openEyes(seed: number, over: Partial<FaceParams['identity']> = {}): FaceParams {
  const p = sampleParams(seed)
  p.expression.eyeOpen = 1
  p.expression.gazeX = 0
  p.expression.gazeY = 0
  p.expression.smile = 0
  p.accessories.glasses = false
  p.pose.yaw = 0.1
  Object.assign(p.identity, over)
  return p
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length)
}

/** Pixels whose 4-neighbourhood contains another class. */
function boundary(mask: Uint8Array, S: number): Uint8Array {
  const b = new Uint8Array(S * S)
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const i = y * S + x
      const m = mask[i]
      if ((x > 0 && mask[i - 1] !== m) || (x + 1 < S && mask[i + 1] !== m) || (y > 0 && mask[i - S] !== m) || (y + 1 < S && mask[i + S] !== m)) b[i] = 1
    }
  }
  return b
}

describe('render', () => {
  it('is deterministic: same seed, same PNG bytes; other seeds differ', () => {
    const a = pngs(render(sampleParams(3), { size: 64 }))
    const b = pngs(render(sampleParams(3), { size: 64 }))
    const c = pngs(render(sampleParams(4), { size: 64 }))
    for (let k = 0; k < a.length; k++) {
      expect(Buffer.from(a[k]).equals(Buffer.from(b[k])), `modality ${k}`).toBe(true)
      expect(Buffer.from(a[k]).equals(Buffer.from(c[k])), `modality ${k}`).toBe(false)
    }
  })

  it('returns pixel-aligned outputs of the requested size only', () => {
    const r = render(sampleParams(1), { size: 80, modalities: ['rgb', 'mask'] })
    expect(r.rgb!.length).toBe(80 * 80 * 3)
    expect(r.mask!.length).toBe(80 * 80)
    expect(r.nir).toBeUndefined()
    expect(r.sketch).toBeUndefined()
    expect(r.depth).toBeUndefined()
    const all = render(sampleParams(1), { size: 64 })
    for (const m of MODALITIES) expect(all[m], m).toBeDefined()
  })

  it('gives each output the same bytes alone as with all the others', () => {
    // the outputs are written in one pass over the pixels, each only where it was asked for
    for (const mode of ['face', 'ocular'] as const) {
      const params = sampleParams(21)
      const all = render(params, { size: 72, mode })
      for (const m of MODALITIES) {
        const alone = render(params, { size: 72, mode, modalities: [m] })
        expect(Buffer.from(alone[m]!).equals(Buffer.from(all[m]!)), `${mode} ${m}`).toBe(true)
        for (const other of MODALITIES) if (other !== m) expect(alone[other], `${mode} ${m} alone: ${other}`).toBeUndefined()
      }
    }
  })

  it('writes only documented class ids, with no blended values in masks', () => {
    const ids = new Set(FACE_CLASSES.map((c) => c.id))
    const seen = new Set<number>()
    for (let seed = 0; seed < 5; seed++) {
      const mask = render(sampleParams(seed), { size: 64, modalities: ['mask'] }).mask!
      for (const v of mask) {
        expect(ids.has(v)).toBe(true)
        seen.add(v)
      }
    }
    for (const name of ['background', 'skin', 'hair', 'brows', 'sclera', 'iris', 'nose', 'lips']) {
      expect(seen.has(CLASS[name]), name).toBe(true)
    }
  })

  it('antialiases image edges but never the mask', () => {
    const r = render(sampleParams(2), { size: 96 })
    const S = 96
    const b = boundary(r.mask!, S)
    // Along the background/face outline the RGB takes in-between values...
    let mixed = 0
    let edges = 0
    for (let i = 0; i < S * S; i++) {
      if (!b[i]) continue
      edges++
      const x = i % S
      if (x > 0 && x + 1 < S) {
        const l = r.rgb![(i - 1) * 3]
        const c = r.rgb![i * 3]
        const rr = r.rgb![(i + 1) * 3]
        if ((c > Math.min(l, rr) && c < Math.max(l, rr)) || c !== l) mixed++
      }
    }
    expect(edges).toBeGreaterThan(100)
    expect(mixed / edges).toBeGreaterThan(0.5)
    // ...while the mask holds one documented id per pixel (already checked), and its palette
    // PNG decodes to the same ids.
    expect(new Set(r.mask!).size).toBeLessThanOrEqual(FACE_CLASSES.length)
  })

  it('aligns modalities: pupils are darkest in RGB and NIR, irises lighter in NIR', () => {
    const pupilRgb: number[] = []
    const pupilNir: number[] = []
    const skinRgb: number[] = []
    const skinNir: number[] = []
    const irisRgb: number[] = []
    const irisNir: number[] = []
    for (const seed of [11, 12]) {
      const r = render(openEyes(seed, { irisColor: 0.05 }), { size: 112, modalities: ['rgb', 'nir', 'mask'] })
      const { rgb, nir, mask } = r
      for (let i = 0; i < mask!.length; i++) {
        const lum = 0.3 * rgb![i * 3] + 0.59 * rgb![i * 3 + 1] + 0.11 * rgb![i * 3 + 2]
        if (mask![i] === CLASS.pupil) {
          pupilRgb.push(lum)
          pupilNir.push(nir![i])
        } else if (mask![i] === CLASS.skin) {
          skinRgb.push(lum)
          skinNir.push(nir![i])
        } else if (mask![i] === CLASS.iris) {
          irisRgb.push(lum)
          irisNir.push(nir![i])
        }
      }
    }
    expect(pupilRgb.length).toBeGreaterThan(3)
    expect(mean(pupilRgb)).toBeLessThan(0.5 * mean(skinRgb))
    expect(mean(pupilNir)).toBeLessThan(0.5 * mean(skinNir))
    expect(mean(pupilNir)).toBeLessThan(mean(irisNir))
    // near infrared: melanin absorbs less, so the iris is lighter relative to the skin
    expect(mean(irisNir) / mean(skinNir)).toBeGreaterThan(mean(irisRgb) / mean(skinRgb))
  })

  it('puts depth discontinuities on the head outline of the mask', () => {
    const S = 80
    let onOutline = 0
    let strong = 0
    for (const seed of [0, 5]) {
      const r = render(sampleParams(seed), { size: S, modalities: ['depth', 'mask'] })
      const { depth, mask } = r
      // outline: a pixel within one step of a change between background and the rest
      const fg = new Uint8Array(S * S)
      for (let i = 0; i < S * S; i++) fg[i] = mask![i] === 0 ? 0 : 1
      const outline = boundary(fg, S)
      const near = (x: number, y: number, m: Uint8Array): boolean => {
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx
            const yy = y + dy
            if (xx >= 0 && yy >= 0 && xx < S && yy < S && m[yy * S + xx]) return true
          }
        }
        return false
      }
      const anyClass = boundary(mask!, S)
      for (let y = 0; y + 1 < S; y++) {
        for (let x = 0; x + 1 < S; x++) {
          const i = y * S + x
          const g = Math.max(Math.abs(depth![i + 1] - depth![i]), Math.abs(depth![i + S] - depth![i]))
          if (g < 60) continue
          // clothing is geometry but class 0: its edges against the backdrop are not head outline
          if (!near(x, y, fg)) continue
          strong++
          if (near(x, y, outline) || near(x, y, anyClass)) onOutline++
        }
      }
    }
    expect(strong).toBeGreaterThan(30)
    expect(onOutline / strong).toBeGreaterThan(0.9)
  })

  it('draws sketch lines on mask boundaries more than elsewhere', () => {
    const S = 96
    const inkOn: number[] = []
    const inkOff: number[] = []
    for (const seed of [1, 6]) {
      const r = render(sampleParams(seed), { size: S, modalities: ['sketch', 'mask'] })
      const b = boundary(r.mask!, S)
      for (let i = 0; i < S * S; i++) (b[i] ? inkOn : inkOff).push(255 - r.sketch![i])
    }
    expect(mean(inkOn)).toBeGreaterThan(2 * mean(inkOff))
  })

  it('renders an ocular crop with the four ocular classes', () => {
    const r = render(openEyes(3), { size: 64, mode: 'ocular' })
    expect(r.classes).toBe(OCULAR_CLASSES)
    const seen = new Set(r.mask!)
    for (const v of seen) expect([0, 1, 2, 3]).toContain(v)
    expect(seen).toEqual(new Set([0, 1, 2, 3]))
    // the eye fills a good part of the crop
    const eye = r.mask!.filter((v) => v > 0).length
    expect(eye / r.mask!.length).toBeGreaterThan(0.1)
    const right = render(openEyes(3), { size: 64, mode: 'ocular', eye: 'right' })
    expect(Buffer.from(right.rgb!).equals(Buffer.from(r.rgb!))).toBe(false)
  })

  it('turns the head with yaw: features shift and the far side compresses', () => {
    const S = 80
    const centroid = (p: FaceParams, cls: number): number => {
      const m = render(p, { size: S, modalities: ['mask'] }).mask!
      let sx = 0
      let n = 0
      for (let i = 0; i < m.length; i++) {
        if (m[i] !== cls) continue
        sx += i % S
        n++
      }
      return sx / n
    }
    const left = openEyes(21)
    left.pose = { yaw: -0.45, pitch: 0, roll: 0 }
    const right = openEyes(21)
    right.pose = { yaw: 0.45, pitch: 0, roll: 0 }
    expect(centroid(right, CLASS.nose) - centroid(left, CLASS.nose)).toBeGreaterThan(3)
  })

  it('rejects bad arguments with clear errors', () => {
    const p = sampleParams(0)
    expect(() => render(p, { size: 0 })).toThrow(RenderArgumentError)
    expect(() => render(p, { size: 0 })).toThrow(/size must be an integer from 64 to 1024/)
    expect(() => render(p, { size: 2048 })).toThrow(/got 2048/)
    expect(() => render(p, { size: 100.5 })).toThrow(/size/)
    expect(() => render(p, { size: 64, modalities: ['rgb', 'thermal' as never] })).toThrow(/unknown modality "thermal"; valid modalities: rgb, nir, sketch, depth, mask/)
    expect(() => render(p, { size: 64, modalities: [] })).toThrow(/no modality/)
    expect(() => render(p, { size: 64, mode: 'iris' as never })).toThrow(/mode/)
  })

  it('renders a preview sample from a seed', () => {
    const s = renderSample(7, 64, ['rgb', 'mask'])
    expect(s.seed).toBe(7)
    expect(s.params).toEqual(sampleParams(7))
    expect(s.rgb!.length).toBe(64 * 64 * 3)
    expect(() => renderSample(-3, 64)).toThrow(RenderArgumentError)
    expect(() => renderSample(1, 64, ['x'])).toThrow(/valid modalities/)
  })
})

describe('antialiasing between painted features', () => {
  // The antialiasing pass classifies sub-samples between face features from face points
  // interpolated between pixel centres (FaceScene.classifySurface); at a centre's own face
  // point that must give the part the centre was shaded as.
  it('classifies a pixel centre\'s face point as the centre\'s part', () => {
    const seen = new Set<number>()
    let checked = 0
    for (const seed of [1, 2, 5, 8]) {
      const p = openEyes(seed)
      p.expression.mouthOpen = 0.6
      const scene = new FaceScene(p, 'face', 'left')
      const S = 96
      const pix = (2 * scene.view.half) / S
      scene.pix = pix
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          scene.sx = scene.view.cx - scene.view.half + (x + 0.5) * pix
          scene.sy = scene.view.cy - scene.view.half + (y + 0.5) * pix
          const part = scene.sampleAt()
          if (Number.isNaN(scene.surfX)) continue
          expect(scene.classifySurface(scene.surfX, scene.surfY, scene.surfNose), `seed ${seed} at ${x},${y}`).toBe(part)
          seen.add(part)
          checked++
        }
      }
    }
    expect(checked).toBeGreaterThan(4000)
    for (const part of [PART.SKIN, PART.BROW, PART.SCLERA, PART.IRIS, PART.PUPIL, PART.NOSE, PART.LIP_UPPER, PART.LIP_LOWER]) expect(seen.has(part), `part ${part}`).toBe(true)
  })
})
