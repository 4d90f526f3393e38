// annotations.import / annotations.export through the backend: the formats the mask
// editor offers, validated against the sample's size and the project's classes.
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import type { StudioBackend } from '../../../src/main/services/backend'
import { decodePng, encodePng } from '../../../src/main/engine/io/png'
import { decodeNpy, encodeMaskPng, encodeNpy } from '../../../src/main/engine/io/masks'
import type { ClassDef } from '../../../src/shared/project'
import { projectFixture, refusal, type ProjectFixture } from './projectFixture'

let fixture: ProjectFixture
let backend: StudioBackend
let classes: ClassDef[]
const W = 6
const H = 4
const labels = Uint8Array.from({ length: W * H }, (_, i) => (i % 5 === 0 ? 255 : i % 10))

beforeAll(async () => {
  fixture = await projectFixture('Transfer', ['s1'], W, H)
  ;({ backend, classes } = fixture)
})
afterAll(() => fixture.dispose())

describe('annotations.import', () => {
  it('reads index PNGs and .npy files of the sample size', async () => {
    const png = await backend.call('annotations.import', { sampleId: 's1', format: 'png', bytes: encodeMaskPng(labels, W, H, classes) })
    expect([...png.labels]).toEqual([...labels])
    expect(png).toMatchObject({ width: W, height: H, unmapped: [] })
    const npy = await backend.call('annotations.import', { sampleId: 's1', format: 'npy', bytes: encodeNpy(labels, H, W) })
    expect([...npy.labels]).toEqual([...labels])
  })

  it('refuses other sizes and values outside the class set, saying what it found', async () => {
    expect(await refusal(backend.call('annotations.import', { sampleId: 's1', format: 'npy', bytes: encodeNpy(new Uint8Array(9), 3, 3) }))).toBe('mask is 3×3, the sample is 6×4')
    const bad = labels.slice()
    bad[3] = 40
    expect(await refusal(backend.call('annotations.import', { sampleId: 's1', format: 'npy', bytes: encodeNpy(bad, H, W) }))).toBe('value 40 is not a class (0–9) or 255 (1 pixel)')
    const grey = encodePng({ width: W, height: H, channels: 1, data: bad })
    expect(await refusal(backend.call('annotations.import', { sampleId: 's1', format: 'png', bytes: grey }))).toContain('value 40 is not a class')
    expect(await refusal(backend.call('annotations.import', { sampleId: 'nope', format: 'png', bytes: grey }))).toBe('no sample "nope"')
  })

  it('maps a colour PNG to the nearest class colour within the tolerance and reports unmapped colours', async () => {
    const rgb = new Uint8Array(W * H * 3)
    const c1 = classes[1].color
    const skin = [parseInt(c1.slice(1, 3), 16), parseInt(c1.slice(3, 5), 16), parseInt(c1.slice(5, 7), 16)]
    for (let i = 0; i < W * H; i++) rgb.set(i < 12 ? [Math.min(255, skin[0] + 3), Math.max(0, skin[1] - 2), skin[2]] : [1, 2, 250], i * 3)
    const bytes = encodePng({ width: W, height: H, channels: 3, data: rgb })
    const exact = await backend.call('annotations.import', { sampleId: 's1', format: 'colour', bytes })
    expect(exact.labels.every((v) => v === 255)).toBe(true)
    const near = await backend.call('annotations.import', { sampleId: 's1', format: 'colour', bytes, tolerance: 8 })
    expect([...near.labels.subarray(0, 12)].every((v) => v === 1)).toBe(true)
    expect(near.unmapped).toEqual([{ color: '#0102fa', count: 12 }])
    const table = [{ color: '#0102fa', classId: 5 }]
    const custom = await backend.call('annotations.import', { sampleId: 's1', format: 'colour', bytes, table })
    expect([...custom.labels.subarray(12)].every((v) => v === 5)).toBe(true)
    expect(await refusal(backend.call('annotations.import', { sampleId: 's1', format: 'colour', bytes, table: [{ color: '#0102fa', classId: 77 }] }))).toContain('77, which is not a class')
  })
})

describe('annotations.export', () => {
  it('refuses a sample without a mask, then writes index PNG, .npy and colour PNG of the saved mask', async () => {
    expect(await refusal(backend.call('annotations.export', { sampleId: 's1', format: 'png' }))).toContain('has no annotation yet')
    await backend.call('annotations.save', { sampleId: 's1', width: W, height: H, labels })
    const png = await backend.call('annotations.export', { sampleId: 's1', format: 'png' })
    expect(png.fileName).toBe('s1.png')
    const decoded = decodePng(png.bytes)
    expect(decoded.colorType).toBe(3)
    expect([...decoded.data]).toEqual([...labels])
    const npy = await backend.call('annotations.export', { sampleId: 's1', format: 'npy' })
    expect(npy.fileName).toBe('s1.npy')
    expect([...decodeNpy(npy.bytes).labels]).toEqual([...labels])
    const colour = await backend.call('annotations.export', { sampleId: 's1', format: 'colour' })
    expect(colour.fileName).toBe('s1_colour.png')
    const rgba = decodePng(colour.bytes)
    expect(rgba.channels).toBe(4)
    const c1 = classes[1].color
    expect([...rgba.data.subarray(4, 8)]).toEqual([parseInt(c1.slice(1, 3), 16), parseInt(c1.slice(3, 5), 16), parseInt(c1.slice(5, 7), 16), 255]) // pixel 1 is class 1
    expect(rgba.data[3]).toBe(0) // pixel 0 is unlabeled: transparent
    // And back again through the colour importer.
    const back = await backend.call('annotations.import', { sampleId: 's1', format: 'colour', bytes: colour.bytes })
    expect([...back.labels]).toEqual([...labels])
  })
})
