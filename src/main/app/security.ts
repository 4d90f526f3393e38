// Window hardening: strict CSP, and navigation, new windows and permission requests denied.
import { session, shell, type WebContents } from 'electron'

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: twinlight-asset:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'"
].join('; ')

export function hardenSession(devServerUrl: string | undefined): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    // The dev server needs websockets and inline HMR; production gets the strict policy.
    const policy = devServerUrl ? CSP.replace("connect-src 'self'", `connect-src 'self' ${devServerUrl.replace(/^http/, 'ws')}`) : CSP
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [policy] } })
  })
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.defaultSession.setPermissionCheckHandler(() => false)
}

export function hardenContents(contents: WebContents, allowedUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (event, url) => {
    if (!allowedUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!allowedUrl(url)) event.preventDefault()
  })
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the system browser, never in a studio window.
    if (/^https:\/\//.test(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
}
