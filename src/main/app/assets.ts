// Project files for <img src>: twinlight-asset://project/<encoded path>, confined to the open project.
import { protocol, net } from 'electron'
import { pathToFileURL } from 'node:url'
import type { StudioBackend } from '../services/backend'
import { resolveInProject } from '../services/paths'

export const ASSET_SCHEME = 'twinlight-asset'

/** Must run before the app is ready. */
export function registerAssetScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: ASSET_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }])
}

export function handleAssets(backend: StudioBackend): void {
  protocol.handle(ASSET_SCHEME, async (request) => {
    const project = backend.projects.current
    if (!project) return new Response('no project is open', { status: 404 })
    const url = new URL(request.url)
    try {
      const path = resolveInProject(project.dir, decodeURIComponent(url.pathname.replace(/^\/+/, '')))
      return net.fetch(pathToFileURL(path).toString())
    } catch (error) {
      return new Response((error as Error).message, { status: 403 })
    }
  })
}
