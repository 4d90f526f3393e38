// README grids of the built-in face renderer: 8×8 samples per modality at 128², plus an
// ocular-mode strip. Run: npx tsx scripts/render-grid.ts [outDir]
import { join } from 'node:path'
import { encodePng } from '../src/main/engine/io/png'
import { writeFileAtomic } from '../src/main/engine/io/atomic'
import { render, sampleParams, colorizeMask, FACE_CLASSES, OCULAR_CLASSES, type RenderResult } from '../src/main/engine/render'

const TILE = 128
const COLS = 8
const ROWS = 8
const outDir = process.argv[2] ?? join(import.meta.dirname, '..', 'docs', 'images')

type Tile = { data: Uint8Array; channels: 1 | 3 }

function grid(tiles: Tile[], cols: number, channels: 1 | 3): { width: number; height: number; data: Uint8Array } {
  const rows = Math.ceil(tiles.length / cols)
  const width = cols * TILE
  const height = rows * TILE
  const data = new Uint8Array(width * height * channels)
  tiles.forEach((tile, t) => {
    const ox = (t % cols) * TILE
    const oy = Math.floor(t / cols) * TILE
    for (let y = 0; y < TILE; y++) {
      for (let x = 0; x < TILE; x++) {
        const o = ((oy + y) * width + ox + x) * channels
        const i = y * TILE + x
        for (let c = 0; c < channels; c++) data[o + c] = tile.channels === 1 ? tile.data[i] : tile.data[i * 3 + (channels === 1 ? 0 : c)]
      }
    }
  })
  return { width, height, data }
}

async function save(name: string, tiles: Tile[], cols: number, channels: 1 | 3): Promise<void> {
  const g = grid(tiles, cols, channels)
  const path = join(outDir, `renderer-${name}.png`)
  await writeFileAtomic(path, encodePng({ width: g.width, height: g.height, channels, data: g.data }))
  console.log(`wrote ${path}`)
}

async function main(): Promise<void> {
  const results: RenderResult[] = []
  for (let seed = 0; seed < COLS * ROWS; seed++) results.push(render(sampleParams(seed), { size: TILE }))
  await save('rgb', results.map((r) => ({ data: r.rgb!, channels: 3 })), COLS, 3)
  await save('nir', results.map((r) => ({ data: r.nir!, channels: 1 })), COLS, 1)
  await save('sketch', results.map((r) => ({ data: r.sketch!, channels: 1 })), COLS, 1)
  await save('depth', results.map((r) => ({ data: r.depth!, channels: 1 })), COLS, 1)
  await save('mask', results.map((r) => ({ data: colorizeMask(r.mask!, FACE_CLASSES), channels: 3 })), COLS, 3)

  // Ocular mode: rows of RGB, NIR and coloured masks for eight people.
  const ocular: Tile[] = []
  const oc: RenderResult[] = []
  for (let seed = 0; seed < COLS; seed++) {
    oc.push(render(sampleParams(seed), { size: TILE, mode: 'ocular', eye: seed % 2 === 0 ? 'left' : 'right' }))
  }
  for (const r of oc) ocular.push({ data: r.rgb!, channels: 3 })
  for (const r of oc) ocular.push({ data: expand(r.nir!), channels: 3 })
  for (const r of oc) ocular.push({ data: colorizeMask(r.mask!, OCULAR_CLASSES), channels: 3 })
  await save('ocular', ocular, COLS, 3)
}

function expand(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3)
  for (let i = 0; i < grey.length; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = grey[i]
  return out
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
