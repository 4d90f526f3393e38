// The demo project `npm start` opens: created on first launch in the user's Twinlight
// folder from the RGB + NIR face template; the studio then renders its first samples.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { PROJECT_FILE, PROJECT_FOLDERS, projectFromTemplate, templateById } from '../../shared/project'
import { writeJsonAtomic } from '../engine/io/atomic'
import { twinlightHome } from './paths'
import type { StudioBackend } from './backend'

export const DEMO_SAMPLE_COUNT = 24

/** Returns the demo project's folder, creating it when missing. */
export async function ensureDemoProject(): Promise<string> {
  const dir = join(twinlightHome(), 'demo-project')
  if (!existsSync(join(dir, PROJECT_FILE))) {
    for (const folder of PROJECT_FOLDERS) await mkdir(join(dir, folder), { recursive: true })
    await writeJsonAtomic(join(dir, PROJECT_FILE), projectFromTemplate(templateById('rgb-nir-face'), 'Demo: RGB + NIR faces', new Date().toISOString()))
  }
  return dir
}

/** Open the demo project in the backend and, on its first launch, render its first samples. */
export async function openDemoProject(backend: { call: StudioBackend['call'] }): Promise<void> {
  const dir = await ensureDemoProject()
  await backend.call('project.open', { dir })
  const [samples, jobs] = await Promise.all([backend.call('samples.list', {}), backend.call('jobs.list', {})])
  if (samples.length === 0 && !jobs.some((job) => job.kind === 'render-samples')) {
    await backend.call('samples.generate', { count: DEMO_SAMPLE_COUNT, seedStart: 0 })
  }
}
