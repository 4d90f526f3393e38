// The Compare workspace: which panes show what, the viewing mode, the shared view transform,
// the grid, and the metrics (per item inline, over the selection as a job when it is large).
// Pixels and drawing live in components/compare; this store holds only plain state.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, watch } from 'vue'
import type { COMPARE_METRICS, CompareReport, CompareSourceInfo } from '@shared/api'
import type { InterpreterRunInfo } from '@shared/interpreter'
import { studio } from '../api/studio'
import { useSamples } from './samples'
import { useJobs } from './jobs'
import { useGenerators } from './generators'
import { IDENTITY_LEVELS, type ColormapName, type Levels } from '../components/compare/imageMath'
import type { ViewTransform } from '../components/compare/viewMath'
import { familyLabel, indexSamples, parseSampleId, sampleIdFor, seedsFrom, stepSeed } from '../components/compare/items'
import type { SourceOption } from '../components/compare/images'

export type CompareMode = 'side' | 'swipe' | 'blend' | 'flicker' | 'diff'

export const MODES: { id: CompareMode; label: string; title: string }[] = [
  { id: 'side', label: 'Side by side', title: 'Every pane next to the others (1)' },
  { id: 'swipe', label: 'Swipe', title: 'A on one side of a slider, B on the other (2)' },
  { id: 'blend', label: 'Blend', title: 'B over A with an opacity slider (3)' },
  { id: 'flicker', label: 'Flicker', title: 'A and B in turn at a set rate (4)' },
  { id: 'diff', label: 'Difference', title: '|A − B| per pixel as a heat-map (5)' }
]

export interface PaneState {
  uid: number
  sampleId: string | null
  /** Source key within the sample: a modality id or 'mask:groundtruth' / 'mask:annotation' / 'mask:prediction'. */
  key: string | null
  levels: Levels
  /** Mask source key drawn over the pane, or null. */
  overlay: string | null
  overlayOpacity: number
}

export const MAX_PANES = 4
/** Metrics the panel can ask for (pixel accuracy comes with mIoU). */
export type RequestMetric = (typeof COMPARE_METRICS)[number]
export const PAIR_METRICS: { id: RequestMetric; label: string }[] = [
  { id: 'psnr', label: 'PSNR' },
  { id: 'ssim', label: 'SSIM' },
  { id: 'mae', label: 'MAE' },
  { id: 'rmse', label: 'RMSE' },
  { id: 'identity', label: 'Identity' },
  { id: 'miou', label: 'mIoU' }
]

let nextUid = 1
const newPane = (sampleId: string | null = null, key: string | null = null): PaneState => ({
  uid: nextUid++,
  sampleId,
  key,
  levels: { ...IDENTITY_LEVELS },
  overlay: null,
  overlayOpacity: 0.5
})

/** A pair the metrics measure: b is pane A (the reference). */
export interface MetricPair {
  a: string
  b: string
  label: string
  kind: 'image' | 'mask'
}

export const useCompare = defineStore('compare', () => {
  const samples = useSamples()
  const jobs = useJobs()
  const generators = useGenerators()

  const panes = ref<PaneState[]>([newPane(), newPane()])
  const mode = ref<CompareMode>('side')
  /** Pane shown as B in the two-image modes. */
  const pairB = ref(1)
  const sync = ref(true)
  const swipe = reactive({ orientation: 'vertical' as 'vertical' | 'horizontal', position: 0.5 })
  const blend = ref(0.5)
  const flickerHz = ref(2)
  const diff = reactive({ colormap: 'magma' as ColormapName, range: 'auto' as 'auto' | number })
  /** Per-pane view transforms (all equal while synced); null until the panes are fitted. */
  const transforms = ref<(ViewTransform | null)[]>([null, null, null, null])
  const layout = ref<'viewer' | 'grid'>('viewer')
  const gridColumns = ref(6)

  // ---------------------------------------------------------------- sources
  const sources = ref<Record<string, CompareSourceInfo[]>>({})
  const runs = shallowRef<InterpreterRunInfo[]>([])

  const index = computed(() => indexSamples(samples.samples.map((s) => s.id)))
  const families = computed(() => {
    const attached = (generators.info?.attached ?? []).map((g) => ({ sha256: g.ref.sha256, name: g.summary.name }))
    return [...index.value.seeds.keys()].map((f) => ({ id: f, label: familyLabel(f, attached), count: index.value.seeds.get(f)!.length }))
  })
  function familyName(sampleId: string | null): string {
    if (!sampleId) return ''
    const f = parseSampleId(sampleId).family
    return families.value.find((x) => x.id === f)?.label ?? f
  }

  /** Whether the interpreter can predict masks for a sample (a trained run for its generator). */
  function predictionAvailable(sampleId: string): boolean {
    const family = parseSampleId(sampleId).family
    return runs.value.some((r) => r.modelReady && (r.generatorSha256 === null ? family === 's' : family === `g${r.generatorSha256.slice(0, 8)}`))
  }

  function optionsFor(sampleId: string | null): SourceOption[] {
    if (!sampleId) return []
    const list: SourceOption[] = (sources.value[sampleId] ?? []).map((s: CompareSourceInfo) => ({ ...s }))
    if (list.length && predictionAvailable(sampleId)) list.push({ key: 'mask:prediction', kind: 'mask', mask: 'prediction', label: 'Prediction (interpreter)', path: null, version: runs.value[0]?.id ?? '' })
    return list
  }
  function optionFor(sampleId: string | null, key: string | null): SourceOption | null {
    if (!sampleId || !key) return null
    return optionsFor(sampleId).find((o) => o.key === key) ?? null
  }

  async function ensureSources(ids: string[], force = false): Promise<void> {
    const missing = [...new Set(ids.filter((id) => id && (force || !sources.value[id])))]
    for (let i = 0; i < missing.length; i += 2000) {
      const chunk = missing.slice(i, i + 2000)
      const got = await studio().compare.sources({ sampleIds: chunk })
      sources.value = { ...sources.value, ...got }
      // Ids the backend did not list (deleted): remember them as empty.
      for (const id of chunk) if (!got[id]) sources.value[id] = []
    }
  }

  async function loadRuns(): Promise<void> {
    try {
      runs.value = (await studio().interpreter.runs({})).filter((r) => r.modelReady)
    } catch {
      runs.value = []
    }
  }

  /** First view: A = the main set's first sample's first modality, B = its second (or its ground truth). */
  async function init(): Promise<void> {
    if (!samples.samples.length) await samples.refresh()
    void loadRuns()
    if (!generators.info) void generators.refresh()
    const valid = new Set(samples.samples.map((s) => s.id))
    for (const p of panes.value) if (p.sampleId && !valid.has(p.sampleId)) Object.assign(p, { sampleId: null, key: null, overlay: null })
    // The family with the most samples (the project's main set), at its lowest seed.
    let best: { family: string; n: number } | null = null
    for (const [family, seeds] of index.value.seeds) if (!best || seeds.length > best.n) best = { family, n: seeds.length }
    const firstId = best ? index.value.ids.get(best.family)!.get(index.value.seeds.get(best.family)![0])! : samples.samples[0]?.id
    const first = firstId ? { id: firstId } : null
    if (!first) return
    if (!panes.value[0].sampleId) {
      await ensureSources([first.id])
      const opts = optionsFor(first.id)
      panes.value[0].sampleId = first.id
      panes.value[0].key = opts[0]?.key ?? null
      if (!panes.value[1]?.sampleId) {
        panes.value[1] ??= newPane()
        panes.value[1].sampleId = first.id
        panes.value[1].key = (opts[1] ?? opts[0])?.key ?? null
      }
    }
    // Masks may have been painted since the last visit: ask again for the panes' samples.
    await ensureSources(panes.value.map((p) => p.sampleId ?? '').filter(Boolean), true)
  }

  /** Re-reads the sources of the samples on screen (an annotation saved, samples regenerated). */
  async function refreshSources(): Promise<void> {
    const ids = panes.value.map((p) => p.sampleId ?? '').filter(Boolean)
    if (ids.length) await ensureSources(ids, true)
  }

  // ---------------------------------------------------------------- panes
  async function setPaneSample(i: number, sampleId: string): Promise<void> {
    await ensureSources([sampleId])
    const p = panes.value[i]
    const opts = optionsFor(sampleId)
    p.sampleId = sampleId
    if (!opts.some((o) => o.key === p.key)) p.key = opts[0]?.key ?? null
    if (p.overlay && !opts.some((o) => o.key === p.overlay)) p.overlay = null
  }
  function setPaneKey(i: number, key: string): void {
    panes.value[i].key = key
  }
  function addPane(): void {
    if (panes.value.length >= MAX_PANES) return
    const last = panes.value[panes.value.length - 1]
    panes.value.push(newPane(last?.sampleId ?? null, last?.key ?? null))
  }
  function removePane(i: number): void {
    if (panes.value.length <= 2) return
    panes.value.splice(i, 1)
    transforms.value.splice(i, 1)
    transforms.value.push(null)
    if (pairB.value >= panes.value.length) pairB.value = panes.value.length - 1
  }
  /** Swaps pane A and the B pane (sources and display settings). */
  function swap(): void {
    const b = pairB.value
    const list = panes.value
    if (!list[0] || !list[b]) return
    ;[list[0], list[b]] = [list[b], list[0]]
  }

  // ---------------------------------------------------------------- navigation
  const current = computed(() => {
    const id = panes.value[0]?.sampleId
    return id ? parseSampleId(id) : null
  })
  const itemList = computed(() => (current.value ? (index.value.seeds.get(current.value.family) ?? []) : []))
  const itemPosition = computed(() => (current.value?.seed == null ? -1 : itemList.value.indexOf(current.value.seed)))

  /** The sample a pane shows for a seed: the same seed in its own family. */
  function paneSampleFor(p: PaneState, seed: number): string | null {
    if (!p.sampleId) return null
    const fam = parseSampleId(p.sampleId)
    if (fam.seed === null) return p.sampleId
    const id = sampleIdFor(fam.family, seed)
    return id && index.value.ids.get(fam.family)?.has(seed) ? id : null
  }

  /** Moves every pane to the seed `delta` items away in pane A's family. */
  async function step(delta: number): Promise<void> {
    const cur = current.value
    if (!cur || cur.seed === null) return
    const seed = stepSeed(index.value, cur.family, cur.seed, delta)
    if (seed === null || seed === cur.seed) return
    await goToSeed(seed)
  }
  async function goToSeed(seed: number): Promise<void> {
    const ids = panes.value.map((p) => paneSampleFor(p, seed))
    await ensureSources(ids.filter((x): x is string => !!x))
    panes.value.forEach((p, i) => {
      const id = ids[i]
      if (id) p.sampleId = id
      else if (p.sampleId) {
        // This family has no sample for the seed: keep the family, show "missing".
        const fam = parseSampleId(p.sampleId)
        if (fam.seed !== null) p.sampleId = sampleIdFor(fam.family, seed)
      }
    })
  }

  // ---------------------------------------------------------------- view
  function setTransform(i: number, t: ViewTransform): void {
    if (sync.value) transforms.value = transforms.value.map(() => ({ ...t }))
    else transforms.value[i] = { ...t }
  }
  function resetTransforms(): void {
    transforms.value = transforms.value.map(() => null)
  }
  function toggleSync(): void {
    sync.value = !sync.value
    // Locking again aligns every pane on pane A.
    if (sync.value && transforms.value[0]) setTransform(0, transforms.value[0])
  }
  function cycleMode(delta = 1): void {
    const i = MODES.findIndex((m) => m.id === mode.value)
    mode.value = MODES[(i + delta + MODES.length) % MODES.length].id
  }

  // ---------------------------------------------------------------- metrics
  const metricIds = ref<RequestMetric[]>(['psnr', 'ssim', 'mae', 'rmse', 'miou'])
  const grey = ref(false)
  const crop = ref(0)
  const itemReport = shallowRef<CompareReport | null>(null)
  const itemError = ref<string | null>(null)
  const itemBusy = ref(false)
  const selection = reactive({ report: null as CompareReport | null, jobId: null as string | null, busy: false, error: null as string | null, skipped: 0, scope: 'all' as 'all' | 'grid' })

  function pathOf(sampleId: string | null, key: string | null): { path: string; kind: 'image' | 'mask' } | null {
    const o = optionFor(sampleId, key)
    if (!o || !o.path) return null
    return { path: o.path, kind: o.kind === 'mask' ? 'mask' : 'image' }
  }

  /** Pairs of one item: every pane against pane A. Pairs of an image and a mask are left out. */
  function pairsFor(ids: (string | null)[], label: (i: number) => string): MetricPair[] {
    const out: MetricPair[] = []
    const ref0 = pathOf(ids[0], panes.value[0]?.key ?? null)
    if (!ref0) return out
    for (let i = 1; i < panes.value.length; i++) {
      const other = pathOf(ids[i], panes.value[i].key)
      if (!other || other.kind !== ref0.kind) continue
      out.push({ a: other.path, b: ref0.path, label: label(i), kind: ref0.kind })
    }
    return out
  }
  const paneLetter = (i: number) => String.fromCharCode(65 + i)
  const itemPairs = computed(() => pairsFor(panes.value.map((p) => p.sampleId), (i) => `${paneLetter(i)} vs A`))

  let itemSeq = 0
  async function computeItem(): Promise<void> {
    const pairs = itemPairs.value
    const seq = ++itemSeq
    itemError.value = null
    const metrics = metricIds.value.filter((m) => m !== 'identity' || identityPerItem.value)
    if (!pairs.length || !metrics.length) {
      itemReport.value = null
      return
    }
    itemBusy.value = true
    try {
      const result = await studio().compare.metrics({ pairs, metrics, grey: grey.value, crop: crop.value, run: metrics.includes('identity') ? 'job' : 'inline' })
      if (seq !== itemSeq) return
      if (result.kind === 'report') itemReport.value = result.report
      else {
        jobs.upsert(result.job)
        const report = await waitForReport(result.job.id)
        if (seq === itemSeq) itemReport.value = report
      }
    } catch (e) {
      if (seq === itemSeq) {
        itemReport.value = null
        itemError.value = e instanceof Error ? e.message : String(e)
      }
    } finally {
      if (seq === itemSeq) itemBusy.value = false
    }
  }
  /** Identity per item needs the face model in a worker (seconds): off unless asked. */
  const identityPerItem = ref(false)

  function waitForReport(jobId: string): Promise<CompareReport> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const job = jobs.jobs.find((j) => j.id === jobId)
        if (!job) return false
        if (job.state === 'succeeded') {
          stop()
          studio().compare.report({ jobId }).then(resolve, reject)
          return true
        }
        if (job.state === 'failed' || job.state === 'cancelled' || job.state === 'interrupted') {
          stop()
          reject(new Error(job.error ?? `the metrics job ${job.state}`))
          return true
        }
        return false
      }
      const stop = watch(
        () => jobs.jobs.find((j) => j.id === jobId)?.state,
        () => void check()
      )
      if (check()) return
    })
  }

  /** Seeds of the selection: every item of pane A's family, or the grid's columns. */
  function selectionSeeds(): number[] {
    const cur = current.value
    if (!cur || cur.seed === null) return []
    if (selection.scope === 'grid') return seedsFrom(index.value, cur.family, cur.seed, gridColumns.value)
    return itemList.value
  }

  async function computeSelection(): Promise<void> {
    selection.error = null
    selection.busy = true
    selection.report = null
    selection.skipped = 0
    try {
      const seeds = selectionSeeds()
      if (!seeds.length) throw new Error('pane A shows no sample with a seed: pick one first')
      const rows = seeds.map((seed) => panes.value.map((p) => paneSampleFor(p, seed)))
      await ensureSources(rows.flat().filter((x): x is string => !!x))
      const pairs: MetricPair[] = []
      rows.forEach((ids, r) => {
        const found = pairsFor(ids, (i) => `${seeds[r]} ${paneLetter(i)} vs A`)
        if (found.length < panes.value.length - 1) selection.skipped += panes.value.length - 1 - found.length
        pairs.push(...found)
      })
      if (!pairs.length) throw new Error('no pair to measure: the panes show nothing comparable (an image against a mask is not measured)')
      const result = await studio().compare.metrics({ pairs, metrics: metricIds.value, grey: grey.value, crop: crop.value })
      if (result.kind === 'report') selection.report = result.report
      else {
        jobs.upsert(result.job)
        selection.jobId = result.job.id
        selection.report = await waitForReport(result.job.id)
      }
    } catch (e) {
      selection.error = e instanceof Error ? e.message : String(e)
    } finally {
      selection.busy = false
      selection.jobId = null
    }
  }
  const selectionJob = computed(() => (selection.jobId ? (jobs.jobs.find((j) => j.id === selection.jobId) ?? null) : null))

  return {
    panes,
    mode,
    pairB,
    sync,
    swipe,
    blend,
    flickerHz,
    diff,
    transforms,
    layout,
    gridColumns,
    sources,
    runs,
    index,
    families,
    familyName,
    optionsFor,
    optionFor,
    ensureSources,
    refreshSources,
    init,
    setPaneSample,
    setPaneKey,
    addPane,
    removePane,
    swap,
    current,
    itemList,
    itemPosition,
    paneSampleFor,
    step,
    goToSeed,
    setTransform,
    resetTransforms,
    toggleSync,
    cycleMode,
    metricIds,
    grey,
    crop,
    itemReport,
    itemError,
    itemBusy,
    itemPairs,
    identityPerItem,
    computeItem,
    selection,
    selectionJob,
    selectionSeeds,
    computeSelection
  }
})
