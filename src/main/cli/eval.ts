// `twinlight eval`: the metrics the papers report, for a folder of generated or translated
// images against a folder of ground truth. Prints a table and writes a JSON report.
import { Command, InvalidArgumentError } from 'commander'
import { resolve } from 'node:path'
import { writeFile } from 'node:fs/promises'
import { createProgress } from './progress'
import { evaluateFolders, parseMetricList, reportToJson, EVAL_METRICS, type EvalReport } from '../engine/metrics/eval'
import { formatMetric } from '../engine/metrics/summary'
import { summaryToText, tableToCsv, tableToMarkdown } from '../engine/metrics/report'

function wholeNumber(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`)
    return n
  }
}

interface EvalCliOptions {
  pred: string
  gt: string
  metrics: string
  pairBy: string
  grey?: boolean
  crop: number
  out: string
  extractor?: string
  classes?: number
  csv?: string
  markdown?: string
}

/** The report's figures as the terminal shows them. */
export function formatEvalReport(report: EvalReport): string {
  const lines: string[] = []
  const settings = [
    report.pairBy ? `${report.table.rows.length} pairs by ${report.pairBy === 'stem' ? 'stem' : 'sorted order'}` : 'unpaired sets',
    `pred ${report.pred.dir} (${report.pred.images} images)`,
    `gt ${report.gt.dir} (${report.gt.images} images)`
  ]
  if (report.options.grey) settings.push('grey')
  if (report.options.crop) settings.push(`crop ${report.options.crop} px`)
  lines.push(`twinlight eval: ${settings.join(' · ')}`)
  if (report.table.metrics.length) lines.push('', summaryToText(report.table))
  const extra: string[] = []
  if (report.identity) {
    const id = report.identity
    const ident = id.identification
    extra.push(
      `Identity (${id.model}): faces on both sides of ${id.facesFound.pairs}/${report.table.rows.length} pairs` +
        (ident ? `; rank-1 ${formatMetric(ident.rank1, 4)}${ident.cmc.rank5 !== undefined ? `, rank-5 ${formatMetric(ident.cmc.rank5, 4)}` : ''} over ${ident.probes} probes` : '')
    )
  }
  if (report.masks) extra.push(`mIoU over the whole set (${report.masks.numClasses} classes): ${formatMetric(report.masks.miou, 4)} · pixel accuracy ${formatMetric(report.masks.pixelAccuracy, 4)}`)
  for (const d of [report.distribution?.fid, report.distribution?.kid]) {
    if (!d) continue
    const value = d.std !== undefined ? `${formatMetric(d.value, 6)} ± ${formatMetric(d.std, 6)}` : formatMetric(d.value, 4)
    extra.push(`${d.long}: ${value} (${d.n1} vs ${d.n2} images; ${d.features})`)
  }
  if (extra.length) lines.push('', ...extra)
  return lines.join('\n')
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('image metrics of generated/translated images against ground truth: PSNR, SSIM, MAE/RMSE, identity, FID/KID, mIoU')
    .requiredOption('--pred <dir>', 'folder of generated or translated images')
    .requiredOption('--gt <dir>', 'folder of ground-truth images (or masks for miou)')
    .option('--metrics <list>', `comma-separated, of ${EVAL_METRICS.join(', ')}`, 'psnr,ssim')
    .option('--pair-by <how>', 'stem (same file name without extension) or order (sorted order, as CMOS-GAN pairs)', 'stem')
    .option('--grey', 'compare in grey (Pillow convert("L")), as CMOS-GAN does for sketches')
    .option('--crop <px>', 'pixels cropped from every side before measuring (IDE uses 2)', wholeNumber(0, 4096), 0)
    .option('--out <file>', 'JSON report to write', 'twinlight-eval.json')
    .option('--extractor <manifest>', 'feature extractor manifest for FID/KID (ONNX; Inception-v3 pool3 gives FID proper). Without one: FD-face on the face embedding')
    .option('--classes <n>', 'number of mask classes for miou (default: the largest id found + 1)', wholeNumber(1, 255))
    .option('--csv <file>', 'also write the per-pair table as CSV')
    .option('--markdown <file>', 'also write the tables as Markdown')
    .action(async (options: EvalCliOptions) => {
      if (options.pairBy !== 'stem' && options.pairBy !== 'order') throw new InvalidArgumentError(`--pair-by must be stem or order, not "${options.pairBy}"`)
      const metrics = parseMetricList(options.metrics)
      const progress = createProgress('eval')
      let report: EvalReport
      try {
        report = await evaluateFolders({
          predDir: resolve(options.pred),
          gtDir: resolve(options.gt),
          metrics,
          pairBy: options.pairBy,
          grey: options.grey ?? false,
          crop: options.crop,
          extractor: options.extractor ? resolve(options.extractor) : undefined,
          classes: options.classes,
          onProgress: (done, total, note) => progress.update(done, total, note)
        })
      } catch (error) {
        // The library speaks in options; on the command line they are flags.
        if (error instanceof Error) error.message = error.message.replace('set grey: true to compare them in grey', 'pass --grey to compare them in grey')
        throw error
      } finally {
        progress.stop()
      }
      for (const w of report.warnings) console.error(`warning: ${w}`)
      console.log(formatEvalReport(report))
      const out = resolve(options.out)
      await writeFile(out, reportToJson(report))
      const written = [out]
      if (options.csv) {
        await writeFile(resolve(options.csv), tableToCsv(report.table))
        written.push(resolve(options.csv))
      }
      if (options.markdown) {
        const notes = report.warnings.map((w) => `warning: ${w}`)
        await writeFile(resolve(options.markdown), tableToMarkdown(report.table, { title: `twinlight eval: ${report.pred.dir} vs ${report.gt.dir}`, notes }))
        written.push(resolve(options.markdown))
      }
      console.log(`\nwrote ${written.join(', ')}`)
    })
}
