// The studio API over Electron IPC: one channel for calls, one for events.
import { ipcMain, type WebContents } from 'electron'
import type { StudioBackend } from '../services/backend'

export const IPC_INVOKE = 'studio:invoke'
export const IPC_EVENT = 'studio:event'

export function bindIpc(backend: StudioBackend, target: () => WebContents | null, isTrustedSender: (contents: WebContents) => boolean): void {
  ipcMain.handle(IPC_INVOKE, async (event, method: unknown, args: unknown) => {
    if (!isTrustedSender(event.sender)) return { ok: false, error: { code: 'forbidden', message: 'untrusted sender' } }
    return backend.dispatch(String(method), args)
  })
  backend.events.on('event', (studioEvent) => {
    const contents = target()
    if (contents && !contents.isDestroyed()) contents.send(IPC_EVENT, studioEvent)
  })
}
