import { resolve } from 'node:path'
import { readdirSync } from 'node:fs'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// electron-vite reads Electron's major version from the installed package. Where the
// Electron binary could not be installed (npm drops the optional package), say it here;
// keep it in step with optionalDependencies.electron.
process.env.ELECTRON_MAJOR_VER ??= '41'

// One worker entry per job kind: src/main/workers/<name>.ts → out/main/workers/<name>.js.
const workerEntries = Object.fromEntries(
  readdirSync(resolve(__dirname, 'src/main/workers'))
    .filter((file) => file.endsWith('.ts') && file !== 'runtime.ts')
    .map((file) => [`workers/${file.replace(/\.ts$/, '')}`, resolve(__dirname, 'src/main/workers', file)])
)

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/index.ts'),
          ...workerEntries
        },
        output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' }
      }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // Sandboxed preload scripts must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    resolve: {
      alias: {
        '@renderer': resolve(__dirname, 'src/renderer/src'),
        '@shared': resolve(__dirname, 'src/shared')
      }
    },
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } }
    },
    plugins: [vue()]
  }
})
