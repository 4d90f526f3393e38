// Electron entry: one secure window over the same backend the browser mode serves.
import { app, BrowserWindow } from 'electron'
import { join } from 'node:path'
import { StudioBackend } from './services/backend'
import { UtilityProcessWorkerHost } from './app/utilityWorkerHost'
import { hardenContents, hardenSession } from './app/security'
import { bindIpc } from './app/ipc'
import { installMenu } from './app/menu'
import { loadWindowState, trackWindowState } from './app/windowState'
import { handleAssets, registerAssetScheme } from './app/assets'
import { APP_VERSION } from './version'
import { openDemoProject } from './services/demoProject'

const devServerUrl = process.env.ELECTRON_RENDERER_URL
let mainWindow: BrowserWindow | null = null

registerAssetScheme()

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return
    if (mainWindow.isMinimized()) mainWindow.restore()
    mainWindow.focus()
  })
  app.whenReady().then(start)
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
}

async function start(): Promise<void> {
  const backend = new StudioBackend({ mode: 'desktop', version: APP_VERSION, workerHost: new UtilityProcessWorkerHost() })
  hardenSession(devServerUrl)
  handleAssets(backend)
  const rendererFile = join(__dirname, '../renderer/index.html')
  const isAppUrl = (url: string) => (devServerUrl ? url.startsWith(devServerUrl) : url.startsWith('file://'))
  bindIpc(backend, () => mainWindow?.webContents ?? null, (contents) => contents === mainWindow?.webContents && isAppUrl(contents.getURL()))
  installMenu(() => mainWindow)

  const projectArg = process.argv.find((arg) => arg.startsWith('--project='))?.slice('--project='.length)
  const opening = projectArg ? backend.call('project.open', { dir: projectArg }) : openDemoProject(backend)
  await opening.catch((error: Error) => console.error(`could not open the project: ${error.message}`))

  const state = loadWindowState()
  mainWindow = new BrowserWindow({
    ...state,
    minWidth: 720,
    minHeight: 480,
    show: false,
    backgroundColor: '#15171c',
    title: 'Twinlight Studio',
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false
    }
  })
  if (state.maximized) mainWindow.maximize()
  trackWindowState(mainWindow)
  hardenContents(mainWindow.webContents, isAppUrl)
  mainWindow.once('ready-to-show', () => mainWindow?.show())
  mainWindow.on('closed', () => {
    mainWindow = null
    void backend.shutdown()
  })
  if (devServerUrl) await mainWindow.loadURL(devServerUrl)
  else await mainWindow.loadFile(rendererFile)
}
