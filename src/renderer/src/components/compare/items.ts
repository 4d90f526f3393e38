// Samples as the Compare view navigates them: a sample id names a "family" (the generator
// that drew it) and a seed. Renderer samples are s<seed8>; ONNX samples g<sha8>-<seed8>, so the
// same seed from another generator is the same seed in another family. Next/previous steps
// through the seeds of pane A's family and every pane follows to the same seed in its own.
// No DOM here (unit-tested in tests/unit/compare).

export interface SampleRef {
  family: string
  seed: number | null
}

const RENDERER = /^s(\d{8})$/
const ONNX = /^(g[0-9a-f]{8})-(\d{8})$/

/** Family and seed of a sample id; other ids are a family of their own with no seed. */
export function parseSampleId(id: string): SampleRef {
  let m = RENDERER.exec(id)
  if (m) return { family: 's', seed: Number(m[1]) }
  m = ONNX.exec(id)
  if (m) return { family: m[1], seed: Number(m[2]) }
  return { family: id, seed: null }
}

/** The id of `seed` in a family, or null for a family without seeds. */
export function sampleIdFor(family: string, seed: number): string | null {
  const pad = String(seed).padStart(8, '0')
  if (family === 's') return `s${pad}`
  if (/^g[0-9a-f]{8}$/.test(family)) return `${family}-${pad}`
  return null
}

/** A family's name for people: the renderer, or the attached generator whose hash it carries. */
export function familyLabel(family: string, generators: readonly { sha256: string; name: string }[] = []): string {
  if (family === 's') return 'Renderer'
  if (/^g[0-9a-f]{8}$/.test(family)) {
    const g = generators.find((x) => x.sha256.startsWith(family.slice(1)))
    return g ? g.name : `Generator ${family.slice(1)}`
  }
  return family
}

export interface FamilyIndex {
  /** Family → its seeds, ascending. */
  seeds: Map<string, number[]>
  /** Family → seed → sample id. */
  ids: Map<string, Map<number, string>>
}

export function indexSamples(ids: readonly string[]): FamilyIndex {
  const seeds = new Map<string, number[]>()
  const byId = new Map<string, Map<number, string>>()
  for (const id of ids) {
    const { family, seed } = parseSampleId(id)
    if (seed === null) continue
    if (!byId.has(family)) {
      byId.set(family, new Map())
      seeds.set(family, [])
    }
    byId.get(family)!.set(seed, id)
    seeds.get(family)!.push(seed)
  }
  for (const list of seeds.values()) list.sort((a, b) => a - b)
  return { seeds, ids: byId }
}

/** The seed `delta` steps from `seed` in the family's list (clamped), or null when there is none. */
export function stepSeed(index: FamilyIndex, family: string, seed: number, delta: number): number | null {
  const list = index.seeds.get(family)
  if (!list || list.length === 0) return null
  let i = list.indexOf(seed)
  if (i < 0) {
    // Not in the list: start from the nearest seed above (or below).
    i = list.findIndex((s) => s > seed)
    if (i < 0) i = list.length
    if (delta > 0) i -= 1
  }
  const j = Math.min(list.length - 1, Math.max(0, i + delta))
  return list[j]
}

/** `count` seeds of the family starting at `seed` (the grid's columns). */
export function seedsFrom(index: FamilyIndex, family: string, seed: number, count: number): number[] {
  const list = index.seeds.get(family) ?? []
  let i = list.indexOf(seed)
  if (i < 0) i = Math.max(0, list.findIndex((s) => s >= seed))
  return list.slice(i, i + count)
}
