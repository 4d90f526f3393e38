// Removing classes from the project's palette through the backend: refused while masks use
// the class (saying how many), or with the pixels relabelled; ids above shift down and every
// saved mask is rewritten to match, together with twinlight.json, and an interrupted
// removal is finished when the project is opened again.
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { mkdir, writeFile, readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { StudioBackend } from '../../../src/main/services/backend'
import { decodePng } from '../../../src/main/engine/io/png'
import { encodeMaskPng } from '../../../src/main/engine/io/masks'
import { writeJsonAtomic } from '../../../src/main/engine/io/atomic'
import { classUsage } from '../../../src/main/services/annotationClasses'
import type { ClassDef } from '../../../src/shared/project'
import { projectFixture, refusal, type ProjectFixture } from './projectFixture'

const W = 5
const H = 2
let fixture: ProjectFixture
let backend: StudioBackend
let dir: string
let classes: ClassDef[]

// s1 holds classes 1, 3, 5; s2 holds 3 and 9; s3 only 0 and 2; s4 has no mask.
const MASKS: Record<string, number[]> = {
  s1: [1, 1, 3, 5, 255, 255, 3, 3, 5, 1],
  s2: [9, 9, 9, 3, 255, 255, 255, 255, 255, 255],
  s3: [0, 0, 2, 2, 255, 0, 0, 2, 2, 255]
}

beforeEach(async () => {
  fixture = await projectFixture('Classes', ['s1', 's2', 's3', 's4'], W, H)
  ;({ backend, dir, classes } = fixture)
  for (const [id, values] of Object.entries(MASKS)) await backend.call('annotations.save', { sampleId: id, width: W, height: H, labels: Uint8Array.from(values) })
})
afterEach(() => fixture.dispose())

async function onDisk(id: string): Promise<{ values: number[]; palette: number[] }> {
  const png = decodePng(await readFile(join(dir, 'annotations', `${id}.png`)))
  return { values: [...png.data], palette: [...(png.palette ?? [])] }
}

const hexOf = (palette: number[], id: number) => '#' + palette.slice(3 * id, 3 * id + 3).map((v) => v.toString(16).padStart(2, '0')).join('')

describe('classUsage', () => {
  it('counts the samples and pixels of every class the saved masks hold', async () => {
    const usage = await classUsage(dir)
    expect(usage).toEqual([
      { classId: 0, samples: 1, pixels: 4 },
      { classId: 1, samples: 1, pixels: 3 },
      { classId: 2, samples: 1, pixels: 4 },
      { classId: 3, samples: 2, pixels: 4 },
      { classId: 5, samples: 1, pixels: 2 },
      { classId: 9, samples: 1, pixels: 3 }
    ])
  })
})

describe('annotations.removeClass', () => {
  it('refuses while masks use the class, saying how many, and never removes the background', async () => {
    const message = await refusal(backend.call('annotations.removeClass', { classId: 3 }))
    expect(message).toBe(`class 3 (${classes[3].name}) is painted in 2 samples (4 pixels): relabel those pixels to unlabeled or background to remove it`)
    expect(await refusal(backend.call('annotations.removeClass', { classId: 0, pixels: 'unlabeled' }))).toContain('background and cannot be removed')
    expect(await refusal(backend.call('annotations.removeClass', { classId: 10, pixels: 'unlabeled' }))).toContain('there is no class 10 (the classes are 0–9)')
    // Nothing changed.
    expect((await onDisk('s1')).values).toEqual(MASKS.s1)
    expect(JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8')).classes).toEqual(classes)
  })

  it('relabels the class to unlabeled, shifts the ids above it, and rewrites masks and twinlight.json together', async () => {
    const s3Before = await readFile(join(dir, 'annotations', 's3.png'))
    const result = await backend.call('annotations.removeClass', { classId: 3, pixels: 'unlabeled' })
    expect(result.rewritten).toBe(2)
    expect(result.relabelled).toEqual({ samples: 2, pixels: 4 })
    const expected = classes.filter((c) => c.id !== 3).map((c, id) => ({ ...c, id }))
    expect(result.project.project.classes).toEqual(expected)
    expect(JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8')).classes).toEqual(expected)
    // 3 → 255, 5 → 4, 9 → 8; classes below 3 keep their ids.
    const s1 = await onDisk('s1')
    expect(s1.values).toEqual([1, 1, 255, 4, 255, 255, 255, 255, 4, 1])
    expect((await onDisk('s2')).values).toEqual([8, 8, 8, 255, 255, 255, 255, 255, 255, 255])
    // Every pixel keeps its class: old class 5's colour is now at palette index 4.
    expect(hexOf(s1.palette, 4)).toBe(classes[5].color)
    // A mask with only lower ids is not touched.
    expect(Buffer.compare(await readFile(join(dir, 'annotations', 's3.png')), s3Before)).toBe(0)
    // The rewritten masks load under the new class list; no staging files are left.
    expect([...(await backend.call('annotations.load', { sampleId: 's2' }))!.labels]).toEqual([8, 8, 8, 255, 255, 255, 255, 255, 255, 255])
    expect(await readdir(join(dir, 'annotations'))).not.toContain('.class-removal')
  })

  it('relabels to background when asked, and removes an unused class without asking', async () => {
    await backend.call('annotations.removeClass', { classId: 1, pixels: 'background' })
    expect((await onDisk('s1')).values).toEqual([0, 0, 2, 4, 255, 255, 2, 2, 4, 0])
    expect((await onDisk('s3')).values).toEqual([0, 0, 1, 1, 255, 0, 0, 1, 1, 255])
    // Old class 7 (now 6) is unused: removed with no pixels option; old 9 (now 8) becomes 7.
    const result = await backend.call('annotations.removeClass', { classId: 6 })
    expect(result.relabelled).toEqual({ samples: 0, pixels: 0 })
    expect((await onDisk('s2')).values).toEqual([7, 7, 7, 2, 255, 255, 255, 255, 255, 255])
    expect(result.project.project.classes.map((c) => c.name)).toEqual(classes.filter((c) => c.id !== 1 && c.id !== 7).map((c) => c.name))
  })

  it('project.update may not drop classes that masks use', async () => {
    const message = await refusal(backend.call('project.update', { classes: classes.slice(0, 9) }))
    expect(message).toContain(`class 9 (${classes[9].name}) is painted in 1 sample (3 pixels)`)
    expect((await backend.call('project.update', { classes: classes.slice(0, 10) })).project.classes).toHaveLength(10)
    await backend.call('annotations.removeClass', { classId: 9, pixels: 'unlabeled' })
    // Now class 8 is the last and unused: dropping it from the list is fine.
    expect((await backend.call('project.update', { classes: classes.slice(0, 8) })).project.classes).toHaveLength(8)
  })

  it('an interrupted removal is rolled forward on open after its journal, and discarded before it', async () => {
    const staging = join(dir, 'annotations', '.class-removal')
    const nextClasses = classes.filter((c) => c.id !== 9).map((c, id) => ({ ...c, id }))
    const project = JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8'))

    // Before the commit point: a staged mask and no journal. The old project stays.
    await mkdir(staging, { recursive: true })
    await writeFile(join(staging, 's2.png'), encodeMaskPng(new Uint8Array(W * H).fill(255), W, H, nextClasses))
    await backend.call('project.open', { dir })
    expect((await onDisk('s2')).values).toEqual(MASKS.s2)
    expect(JSON.parse(await readFile(join(dir, 'twinlight.json'), 'utf8')).classes).toHaveLength(10)
    expect(await readdir(join(dir, 'annotations'))).not.toContain('.class-removal')

    // After it: the journal says s1 and s2; s1 was already renamed when the crash came.
    const s2 = Uint8Array.from(MASKS.s2.map((v) => (v === 9 ? 255 : v)))
    await mkdir(staging, { recursive: true })
    await writeFile(join(staging, 's2.png'), encodeMaskPng(s2, W, H, nextClasses))
    await writeJsonAtomic(join(staging, 'journal.json'), { project: { ...project, classes: nextClasses }, samples: ['s1', 's2'] })
    await backend.call('project.open', { dir })
    expect((await onDisk('s2')).values).toEqual([...s2])
    expect((await onDisk('s1')).values).toEqual(MASKS.s1)
    const current = await backend.call('project.current', {})
    expect(current!.project.classes).toEqual(nextClasses)
    expect(await readdir(join(dir, 'annotations'))).not.toContain('.class-removal')
  })
})
