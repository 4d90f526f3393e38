#!/usr/bin/env node
// `twinlight` / `npx twinlight`: runs the built CLI, building the studio first if needed.
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'out', 'main', 'cli.js')
if (!existsSync(cli) || !existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.error('twinlight: building the studio (first run)…')
  const built = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] })
  if (built.status !== 0) {
    console.error('twinlight: the build failed; run "npm run build" to see why')
    process.exit(1)
  }
}
await import(pathToFileURL(cli).href)
