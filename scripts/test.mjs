// `npm test`: the whole suite, in order: typecheck, lint, build, unit tests (Vitest),
// end-to-end tests (Playwright in Debian's Chromium against the real browser-mode server),
// and the desktop suite (Playwright _electron, skipped where no Electron binary is installed).
// It ends with one line, `N passed, N failed`, counted over everything that ran.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const reports = join(root, '.reports')
rmSync(reports, { recursive: true, force: true })
mkdirSync(reports, { recursive: true })
const bin = (name) => join(root, 'node_modules', '.bin', name)
const only = process.argv.slice(2) // e.g. `npm test -- unit e2e`
const wanted = (step) => only.length === 0 || only.includes(step)

let passed = 0
let failed = 0
let skipped = 0
const failures = []

function run(label, command, args, env = {}) {
  console.log(`\n━━ ${label}: ${[command, ...args].map((a) => a.replace(root + '/', '')).join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  return result.status === 0
}

function check(label, command, args) {
  if (run(label, command, args)) passed++
  else {
    failed++
    failures.push(label)
  }
}

/** Count Vitest results from its JSON report. */
function countVitest(file, label) {
  if (!existsSync(file)) {
    failed++
    failures.push(`${label} (no report: the runner did not finish)`)
    return
  }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + (report.numTodoTests ?? 0)
  // A file that fails to load has no tests but is a failure.
  for (const suite of report.testResults) {
    if (suite.status === 'failed' && suite.assertionResults.every((a) => a.status !== 'failed')) {
      failed++
      failures.push(`${label}: ${suite.name.replace(root + '/', '')}: ${suite.message.split('\n')[0]}`)
    }
    for (const a of suite.assertionResults) if (a.status === 'failed') failures.push(`${label}: ${a.fullName}`)
  }
}

/** Count Playwright results from its JSON report. */
function countPlaywright(file, label) {
  if (!existsSync(file)) {
    failed++
    failures.push(`${label} (no report: the runner did not finish)`)
    return
  }
  const report = JSON.parse(readFileSync(file, 'utf8'))
  const visit = (suite) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests ?? []) {
        if (t.status === 'skipped') skipped++
        else if (t.status === 'expected' || t.status === 'flaky') passed++
        else {
          failed++
          failures.push(`${label}: ${spec.title}`)
        }
      }
    }
    for (const child of suite.suites ?? []) visit(child)
  }
  for (const suite of report.suites ?? []) visit(suite)
  for (const error of report.errors ?? []) {
    failed++
    failures.push(`${label}: ${String(error.message).split('\n')[0]}`)
  }
}

if (wanted('check')) {
  check('typecheck (tsc, node)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.node.json'])
  check('typecheck (vue-tsc, web)', bin('vue-tsc'), ['--noEmit', '-p', 'tsconfig.web.json'])
  check('lint (eslint)', bin('eslint'), ['.', '--max-warnings=0'])
}
let built = true
if (wanted('e2e') || wanted('electron')) {
  built = run('build (electron-vite)', bin('electron-vite'), ['build'])
  if (!built) {
    failed++
    failures.push('build')
  }
}
if (wanted('unit')) {
  run('unit tests (vitest)', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${join(reports, 'vitest.json')}`])
  countVitest(join(reports, 'vitest.json'), 'unit')
}
if (built && wanted('e2e')) {
  run('end-to-end tests (playwright, chromium)', bin('playwright'), ['test'])
  countPlaywright(join(reports, 'playwright.json'), 'e2e')
}
if (built && wanted('electron')) {
  run('desktop tests (playwright, electron)', bin('playwright'), ['test', '-c', 'playwright.electron.config.ts'], {
    PLAYWRIGHT_JSON_OUTPUT_NAME: join(reports, 'electron.json')
  })
  countPlaywright(join(reports, 'electron.json'), 'electron')
}

if (failures.length) {
  console.log('\nFailed:')
  for (const f of failures) console.log(`  ✗ ${f}`)
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)
