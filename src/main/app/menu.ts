// The application menu. Views are reached by route; the renderer listens for `navigate`.
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'

export function installMenu(window: () => BrowserWindow | null): void {
  const go = (route: string) => () => window()?.webContents.send('studio:navigate', route)
  const template: MenuItemConstructorOptions[] = [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [{ label: 'Projects…', accelerator: 'CmdOrCtrl+O', click: go('/') }, { type: 'separator' }, { role: process.platform === 'darwin' ? 'close' : 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        { label: 'Gallery', accelerator: 'CmdOrCtrl+1', click: go('/gallery') },
        { label: 'Annotate', accelerator: 'CmdOrCtrl+2', click: go('/annotate') },
        { label: 'Train', accelerator: 'CmdOrCtrl+3', click: go('/train') },
        { label: 'Dataset', accelerator: 'CmdOrCtrl+4', click: go('/dataset') },
        { label: 'Compare', accelerator: 'CmdOrCtrl+5', click: go('/compare') },
        { label: 'Models', accelerator: 'CmdOrCtrl+6', click: go('/models') },
        { type: 'separator' },
        { role: 'reload' },
        { role: 'toggleDevTools' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' }
      ]
    },
    { role: 'windowMenu' }
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
