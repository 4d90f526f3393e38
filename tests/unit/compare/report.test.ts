// CSV / Markdown / JSON forms of a metric table (shared by `twinlight eval` and the Compare view).
import { describe, it, expect } from 'vitest'
import { buildMetricTable, tableToCsv, tableToMarkdown, summaryToText, toJsonSafe, csvField } from '../../../src/main/engine/metrics/report'

const table = buildMetricTable(
  ['psnr', 'ssim', 'identity'],
  [
    { item: 's00000001', a: 'samples/s00000001/rgb.png', b: 'samples/s00000001/nir.png', values: { psnr: Infinity, ssim: 1, identity: 0.75 } },
    { item: 's00000002', a: 'samples/s00000002/rgb.png', b: 'samples/s00000002/nir.png', values: { psnr: 30, ssim: 0.5, identity: null } },
    { item: 'a,"b"', a: 'x|y.png', b: 'z.png', values: { psnr: 20, ssim: 0.25, identity: 0.25 } }
  ]
)

describe('metric tables', () => {
  it('CSV: header, one row per pair, mean and std rows; inf for ∞, empty for n/a, quoted fields', () => {
    expect(tableToCsv(table)).toBe(
      [
        'item,a,b,psnr,ssim,identity',
        's00000001,samples/s00000001/rgb.png,samples/s00000001/nir.png,inf,1,0.75',
        's00000002,samples/s00000002/rgb.png,samples/s00000002/nir.png,30,0.5,',
        '"a,""b""",x|y.png,z.png,20,0.25,0.25',
        'mean,,,inf,0.5833333333333334,0.5',
        'std,,,,0.31180478223116176,0.25',
        ''
      ].join('\n')
    )
    expect(csvField('plain')).toBe('plain')
  })

  it('Markdown: a summary table with ∞ and n/a counts, then the pairs', () => {
    const md = tableToMarkdown(table, { title: 'RGB vs NIR', notes: ['compared in grey'] })
    const lines = md.trimEnd().split('\n')
    expect(lines.slice(0, 4)).toEqual(['## RGB vs NIR', '', '- compared in grey', ''])
    expect(lines[4]).toBe('| Metric | Mean ± std | Min | Max | N |')
    expect(lines[5]).toBe('| --- | ---: | ---: | ---: | ---: |')
    expect(lines[6]).toBe('| PSNR (dB) | ∞ (1 of 3 identical; 25.00 ± 5.00 over the rest) | 20.00 | ∞ | 3 |')
    expect(lines[7]).toBe('| SSIM | 0.5833 ± 0.3118 | 0.2500 | 1.0000 | 3 |')
    expect(lines[8]).toBe('| Identity cosine | 0.5000 ± 0.2500 | 0.2500 | 0.7500 | 2 (1 n/a) |')
    expect(lines[10]).toBe('| Item | A | B | PSNR (dB) | SSIM | Identity cosine |')
    expect(lines[12]).toBe('| s00000001 | samples/s00000001/rgb.png | samples/s00000001/nir.png | ∞ | 1.0000 | 0.7500 |')
    expect(lines[13]).toBe('| s00000002 | samples/s00000002/rgb.png | samples/s00000002/nir.png | 30.00 | 0.5000 | — |')
    expect(lines[14]).toBe('| a,"b" | x\\|y.png | z.png | 20.00 | 0.2500 | 0.2500 |')
    expect(tableToMarkdown(table, { summaryOnly: true })).not.toContain('| Item |')
  })

  it('plain text for the terminal', () => {
    const text = summaryToText(table)
    expect(text.split('\n')[0]).toMatch(/^Metric\s+Mean ± std\s+Min\s+Max\s+N$/)
    expect(text).toMatch(/SSIM\s+0\.5833 ± 0\.3118\s+0\.2500\s+1\.0000\s+3/)
  })

  it('JSON keeps infinities as strings and NaN as null', () => {
    expect(toJsonSafe({ a: Infinity, b: -Infinity, c: NaN, d: [1, Infinity], e: Float32Array.of(0.5), f: undefined })).toEqual({ a: 'Infinity', b: '-Infinity', c: null, d: [1, 'Infinity'], e: [0.5] })
  })
})
