import { describe, it, expect } from 'vitest'
import {
  sampleParams,
  paramsToVector,
  paramsFromVector,
  vectorFromParams,
  PARAM_VECTOR_LAYOUT,
  PARAM_VECTOR_LENGTH,
  HAIR_STYLES,
  type FaceParams
} from '../../../src/main/engine/render'

describe('face model parameters', () => {
  it('draws the same parameters for the same seed and different ones for other seeds', () => {
    expect(sampleParams(42)).toEqual(sampleParams(42))
    expect(sampleParams(42)).not.toEqual(sampleParams(43))
    // seeds beyond 32 bits are distinct too
    expect(sampleParams(2 ** 40)).not.toEqual(sampleParams(0))
  })

  it('keeps every value inside its documented range', () => {
    const outside: string[] = []
    for (let seed = 0; seed < 200; seed++) {
      const v = paramsToVector(sampleParams(seed))
      for (const e of PARAM_VECTOR_LAYOUT) {
        if (!(v[e.index] >= e.min && v[e.index] <= e.max)) outside.push(`seed ${seed}: ${e.name} = ${v[e.index]}`)
      }
    }
    expect(outside).toEqual([])
  })

  it('samples every hair style and some glasses', () => {
    const styles = new Set<string>()
    let glasses = 0
    for (let seed = 0; seed < 300; seed++) {
      const p = sampleParams(seed)
      styles.add(p.identity.hairStyle)
      if (p.accessories.glasses) glasses++
    }
    expect([...styles].sort()).toEqual([...HAIR_STYLES].sort())
    expect(glasses).toBeGreaterThan(30)
    expect(glasses).toBeLessThan(150)
  })

  it('round-trips through the flat vector of documented length', () => {
    expect(PARAM_VECTOR_LENGTH).toBe(PARAM_VECTOR_LAYOUT.length)
    PARAM_VECTOR_LAYOUT.forEach((e, i) => expect(e.index).toBe(i))
    const names = PARAM_VECTOR_LAYOUT.map((e) => e.name)
    expect(new Set(names).size).toBe(names.length)
    for (const seed of [0, 1, 7, 99]) {
      const p = sampleParams(seed)
      const v = paramsToVector(p)
      expect(v.length).toBe(PARAM_VECTOR_LENGTH)
      const oneHot = PARAM_VECTOR_LAYOUT.filter((e) => e.kind === 'onehot').map((e) => v[e.index])
      expect(oneHot.reduce((a, b) => a + b, 0)).toBe(1)
      expect(paramsFromVector(v)).toEqual(p)
      // vectorFromParams converts either way
      expect(vectorFromParams(v)).toEqual(p)
      expect([...vectorFromParams(p)]).toEqual([...v])
    }
    expect(() => paramsFromVector([1, 2, 3])).toThrow(/expected/)
  })

  it('keeps the identity and redraws everything else for identity-labelled sets', () => {
    const person = sampleParams(5).identity
    const a = sampleParams(100, { identity: person })
    const b = sampleParams(101, { identity: person })
    expect(a.identity).toEqual(person)
    expect(b.identity).toEqual(person)
    expect(a.expression).not.toEqual(b.expression)
    expect(a.pose).not.toEqual(b.pose)
    expect(a.illumination).not.toEqual(b.illumination)
    // the non-identity groups equal those of a free draw with the same seed
    const free = sampleParams(100)
    expect(a.expression).toEqual(free.expression)
    expect(a.pose).toEqual(free.pose)
    // the caller's object is not shared
    a.identity.skinTone = 0.123
    expect(person.skinTone).not.toBe(0.123)
  })

  it('rejects bad seeds', () => {
    expect(() => sampleParams(-1)).toThrow(RangeError)
    expect(() => sampleParams(1.5)).toThrow(/non-negative integer/)
  })

  it('has pose values small enough to stay frontal', () => {
    let maxYaw = 0
    for (let seed = 0; seed < 200; seed++) {
      const p: FaceParams = sampleParams(seed)
      maxYaw = Math.max(maxYaw, Math.abs(p.pose.yaw))
    }
    expect(maxYaw).toBeLessThanOrEqual(0.6)
    expect(maxYaw).toBeGreaterThan(0.2)
  })
})
