// A backend with an open project and a few samples of a given size (sample.json only), in a
// temporary home, for the annotation service tests.
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { StudioBackend } from '../../../src/main/services/backend'
import { ApiError } from '../../../src/shared/api'
import type { ClassDef } from '../../../src/shared/project'

export interface ProjectFixture {
  root: string
  backend: StudioBackend
  /** The project folder. */
  dir: string
  classes: ClassDef[]
  dispose(): Promise<void>
}

export async function projectFixture(name: string, sampleIds: string[], width: number, height: number): Promise<ProjectFixture> {
  const root = await mkdtemp(join(tmpdir(), 'tl-annotations-'))
  process.env.TWINLIGHT_HOME = join(root, 'home')
  process.env.TWINLIGHT_PROJECTS_HOME = join(root, 'projects')
  const backend = new StudioBackend({ mode: 'browser', version: 'test' })
  const info = await backend.call('project.create', { name, template: 'rgb-nir-face' })
  for (const id of sampleIds) {
    await mkdir(join(info.dir, 'samples', id), { recursive: true })
    await writeFile(
      join(info.dir, 'samples', id, 'sample.json'),
      JSON.stringify({ id, seed: 1, width, height, modalities: ['rgb', 'nir'], generator: { kind: 'renderer', mode: 'face' }, createdAt: 'now' })
    )
  }
  return {
    root,
    backend,
    dir: info.dir,
    classes: info.project.classes,
    async dispose() {
      await backend.shutdown()
      await rm(root, { recursive: true, force: true })
    }
  }
}

/** The message of the ApiError a call is refused with (fails the test when it succeeds). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError)
    return (error as ApiError).message
  }
  throw new Error('expected a refusal')
}
