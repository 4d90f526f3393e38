import { defineConfig } from '@playwright/test'

// The desktop journeys, run against the real Electron app when its binary is installed.
export default defineConfig({
  testDir: 'tests/electron',
  timeout: 90_000,
  workers: 1,
  reporter: [['list'], ['json']],
  outputDir: 'test-results/electron'
})
