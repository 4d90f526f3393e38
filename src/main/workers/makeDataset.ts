// Job worker: generate a labelled, filtered dataset (engine/dataset). Resumable: finished
// samples have a record in datasets/<name>/.twinlight/records, so a stopped job continues
// where it was and ends with the same bytes as an uninterrupted one.
import { runWorker } from './runtime'
import { makeDataset } from '../engine/dataset/pipeline'
import { MakeDatasetParamsSchema, openProjectStages } from '../engine/dataset/project'
import { relative } from 'node:path'
import { LiveSampleBuffer } from '../../shared/datasetLive'

runWorker(async (ctx) => {
  const params = MakeDatasetParamsSchema.parse(ctx.params)
  const stages = await openProjectStages(ctx.projectDir, params, (text, level) => ctx.log(text, level))
  try {
    const started = Date.now()
    // Live counts and scores for the Dataset view: a metric point at most twice a second, and
    // always for the last sample. Each point carries the samples drawn since the previous one
    // (shared/datasetLive.ts), so the view's histograms fill in while the run goes.
    let lastMetrics = 0
    const newSamples = new LiveSampleBuffer()
    const latest = { step: 0, values: {} as Record<string, number> }
    const sendMetrics = () => ctx.metrics(latest.step, latest.values, newSamples.take())
    ctx.log(`writing ${relative(ctx.projectDir, stages.options.outDir) || '.'} (${params.layout} layout)${params.shard ? `, shard ${params.shard.index}/${params.shard.count}` : ''}`)
    const summary = await makeDataset({
      ...stages.options,
      signal: ctx.signal,
      onProgress: (p) => {
        const drawn = p.done - p.skipped
        const rate = drawn / Math.max(1e-3, (Date.now() - started) / 1000)
        const eta = rate > 0 ? Math.round((p.total - p.done) / rate) : null
        ctx.progress(p.done / Math.max(1, p.total), `${p.done}/${p.total} samples, ${p.counts.kept ?? 0} kept${eta !== null ? `, ETA ${eta} s` : ''}`)
        if (p.sample) newSamples.push(p.sample)
        latest.step = p.done
        latest.values = { ...p.counts, samplesPerSecond: rate, done: p.done, total: p.total }
        if (Date.now() - lastMetrics >= 500 || p.done === p.total) {
          lastMetrics = Date.now()
          sendMetrics()
        }
      }
    })
    // Cancelled between two points: the samples drawn since the last one are on disk, so they are reported too.
    if (newSamples.size) sendMetrics()
    ctx.checkCancelled()
    ctx.artifact(relative(ctx.projectDir, summary.outDir))
    const t = summary.times
    ctx.log(`${summary.written} samples drawn, ${summary.skipped} were already there; ms per stage: source ${t.source.toFixed(0)}, interpreter ${t.predict.toFixed(0)}, privacy ${t.privacy.toFixed(0)}, encode ${t.encode.toFixed(0)}, write ${t.write.toFixed(0)}`)
    ctx.log(`counts: ${Object.entries(summary.counts).map(([k, v]) => `${k} ${v}`).join(', ')}${summary.finalized ? '' : ' (shard: merge the shards with `twinlight merge-datasets`)'}`)
    return { outDir: summary.outDir, finalized: summary.finalized, counts: summary.counts }
  } finally {
    await stages.release()
  }
})
