// `twinlight serve`: browser mode on its own (also how a remote GPU box is used from a laptop).
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { z } from 'zod'
import { StudioBackend } from '../services/backend'
import type { JobKind } from '../services/jobs/jobManager'
import { packageRoot } from '../services/paths'
import { startStudioServer } from '../server/server'
import { APP_VERSION } from '../version'
import { openDemoProject } from '../services/demoProject'

export interface ServeOptions {
  host: string
  port: number
  project?: string
  /** Open (creating on first use) the demo project. */
  demo?: boolean
  open: boolean
  token?: string
}

export async function serve(options: ServeOptions): Promise<void> {
  const staticDir = join(packageRoot(), 'out', 'renderer')
  if (!existsSync(join(staticDir, 'index.html'))) {
    throw new Error(`the studio UI is not built (${staticDir} is missing): run "npm run build" first`)
  }
  const backend = new StudioBackend({ mode: 'browser', version: APP_VERSION, extraJobKinds: testJobKinds() })
  if (options.project) await backend.call('project.open', { dir: options.project })
  else if (options.demo) await openDemoProject(backend)
  const server = await startStudioServer({ backend, staticDir, host: options.host, port: options.port, token: options.token })
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host)) {
    console.warn(`warning: listening on ${options.host}, reachable from other machines; anyone with the token controls the studio`)
  }
  console.log(`Twinlight Studio (browser mode) at ${server.launchUrl}`)
  if (options.open) openBrowser(server.launchUrl)
  const stop = async () => {
    await backend.shutdown()
    await server.close()
    process.exit(0)
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

/** Open the URL in the user's browser where there is one; silently do nothing otherwise. */
export function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'cmd' : 'xdg-open'
  const args = process.platform === 'win32' ? ['/c', 'start', '', url] : [url]
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return
  try {
    const child = spawn(command, args, { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    /* no browser here; the URL is printed */
  }
}

/**
 * The test-only worker (tests/fixtures/workers) is registered when TWINLIGHT_TEST_WORKER
 * names its file, so end-to-end tests can drive the job runner through the real server.
 */
function testJobKinds(): JobKind<never>[] {
  const entry = process.env.TWINLIGHT_TEST_WORKER
  if (!entry) return []
  return [
    {
      kind: 'test.sleep',
      entry,
      params: z.object({ steps: z.number().int().min(1).max(10_000), stepMs: z.number().int().min(0).max(60_000), failAt: z.number().int().optional(), crashAt: z.number().int().optional(), oomAt: z.number().int().optional() }) as never,
      title: () => 'Test job',
      resumable: true
    }
  ]
}
