// Where things live on disk, and the one check that keeps file access inside a project.
import { realpathSync, existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, relative, resolve, sep, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ApiError } from '../../shared/api'

/** Per-user state (recent projects, window state, the demo project). TWINLIGHT_HOME overrides it, for tests. */
export function twinlightHome(): string {
  return process.env.TWINLIGHT_HOME ? resolve(process.env.TWINLIGHT_HOME) : join(homedir(), '.twinlight')
}

/** Default parent folder of new projects. */
export function projectsHome(): string {
  return process.env.TWINLIGHT_PROJECTS_HOME ? resolve(process.env.TWINLIGHT_PROJECTS_HOME) : join(homedir(), 'Twinlight')
}

/**
 * Resolve a project-relative path, refusing anything that escapes the project folder:
 * absolute paths, `..` segments, and symlinks (anywhere on the path) that point outside.
 * The target itself need not exist yet; its nearest existing ancestor is what gets checked.
 */
export function resolveInProject(projectDir: string, relPath: string): string {
  const refuse = (why: string): never => {
    throw new ApiError({ code: 'forbidden', message: `path "${relPath}" is refused: ${why}` })
  }
  if (typeof relPath !== 'string' || relPath.length === 0) refuse('empty path')
  if (relPath.includes('\0')) refuse('it contains a NUL byte')
  if (isAbsolute(relPath) || /^[A-Za-z]:/.test(relPath) || relPath.startsWith('\\')) refuse('absolute paths are not allowed')
  const segments = relPath.split(/[\\/]+/)
  if (segments.includes('..')) refuse('".." is not allowed')
  const root = realpathSync(projectDir)
  const target = resolve(root, relPath)
  if (!isInside(root, target)) refuse('it is outside the project')
  // Follow symlinks on the part of the path that exists.
  let existing = target
  while (!existsSync(existing)) existing = dirname(existing)
  const real = realpathSync(existing)
  if (!isInside(root, real)) refuse('it leads outside the project through a symbolic link')
  return target
}

export function isInside(root: string, target: string): boolean {
  const rel = relative(root, target)
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel))
}

/** The repository (or installed package) root: the folder holding our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'main'))) return dir
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'out', 'main'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('cannot find the Twinlight package root')
    dir = parent
  }
}

/** True when this code runs from the electron-vite build (out/main) rather than from TypeScript sources. */
export function runningFromBuild(): boolean {
  return fileURLToPath(import.meta.url).includes(`${sep}out${sep}main${sep}`)
}

/**
 * The file a worker process runs for a job kind: the built `out/main/workers/<name>.js`
 * when running from the build, else the TypeScript source (run through tsx), so tests and
 * `electron-vite dev` work without a build.
 */
export function workerEntry(name: string): string {
  const root = packageRoot()
  return runningFromBuild() ? join(root, 'out', 'main', 'workers', `${name}.js`) : join(root, 'src', 'main', 'workers', `${name}.ts`)
}
