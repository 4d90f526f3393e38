// Shared helpers of the generator tests: temporary projects and toy generators.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StudioBackend } from '../../../src/main/services/backend'
import { buildToyGenerator, type ToyGeneratorOptions } from '../../../src/main/engine/onnx/toyGenerator'

export interface TempStudio {
  root: string
  backend: StudioBackend
  cleanup(): Promise<void>
}

/** A backend with its own Twinlight home; create projects with `project(name)`. */
export async function tempStudio(prefix = 'tl-gen-'): Promise<TempStudio & { project(name: string): Promise<string> }> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  process.env.TWINLIGHT_HOME = join(root, 'home')
  process.env.TWINLIGHT_PROJECTS_HOME = join(root, 'projects')
  const backend = new StudioBackend({ mode: 'browser', version: 'test' })
  return {
    root,
    backend,
    project: async (name: string) => (await backend.call('project.create', { name, template: 'rgb-nir-face' })).dir,
    cleanup: async () => {
      await backend.shutdown()
      await rm(root, { recursive: true, force: true })
    }
  }
}

/** A toy generator as the Models view would upload it. */
export function toyUpload(options: ToyGeneratorOptions = {}): { source: 'upload'; onnx: Uint8Array<ArrayBuffer>; manifest: string; fileName: string } {
  const toy = buildToyGenerator(options)
  return { source: 'upload', onnx: new Uint8Array(toy.onnx), manifest: JSON.stringify(toy.manifest), fileName: 'toy.onnx' }
}

export async function waitForJobs(backend: StudioBackend, timeoutMs = 60_000): Promise<void> {
  const start = Date.now()
  for (;;) {
    const jobs = await backend.call('jobs.list', {})
    if (jobs.every((j) => !['queued', 'running'].includes(j.state))) return
    if (Date.now() - start > timeoutMs) throw new Error(`jobs still running: ${JSON.stringify(jobs.map((j) => [j.kind, j.state, j.message]))}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
