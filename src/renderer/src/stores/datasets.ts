// The Dataset view's state: the project's datasets (datasets/<name>/), the one being browsed
// with its records, and the live counts and scores of running make-dataset jobs. Records and
// scores can number in the hundreds of thousands: they are kept out of Vue's deep reactivity
// (shallowRef + markRaw; the live scores are plain LiveScores objects, with `liveVersion` bumped
// when one changes).
import { defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import { datasetFolderName, type DatasetContents, type DatasetInfo, type MakeDatasetParamsInput } from '@shared/dataset'
import type { JobInfo, JobMetricPoint } from '@shared/jobs'
import { LiveScores } from '@shared/datasetLive'
import { studio } from '../api/studio'
import { useJobs } from './jobs'

export const MAKE_DATASET = 'make-dataset'

/** The datasets/ folder a make-dataset job writes, or null when it writes elsewhere (outDir). */
export function folderOfJob(job: JobInfo): string | null {
  const p = job.params as { name?: string; outDir?: string | null; shard?: { index: number; count: number } | null } | null
  if (!p?.name || p.outDir) return null
  return datasetFolderName({ name: p.name, shard: p.shard ?? null })
}

export const useDatasets = defineStore('datasets', () => {
  const jobs = useJobs()
  const list = shallowRef<DatasetInfo[]>([])
  const loaded = ref(false)
  const selectedName = ref<string | null>(null)
  const contents = shallowRef<DatasetContents | null>(null)
  const loadError = ref<string | null>(null)
  /** Latest metric point per make-dataset job id. */
  const live = shallowRef<Record<string, JobMetricPoint>>({})
  /** Scores of the samples each make-dataset job has reported so far (from its metric points' items), by job id. */
  const liveScores = new Map<string, LiveScores>()
  /** Bumped when a job's live scores change (the LiveScores objects themselves are not reactive). */
  const liveVersion = ref(0)
  /** Jobs whose earlier metric points have been asked for, so that their live scores hold the whole run, not just what came since. */
  const historyAsked = new Set<string>()
  let listening = false
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  const datasetJobs = computed(() => jobs.jobs.filter((j) => j.kind === MAKE_DATASET))
  /** The newest job that writes a folder (jobs are listed newest first). */
  const jobFor = (name: string): JobInfo | null => datasetJobs.value.find((j) => folderOfJob(j) === name) ?? null
  /** Folders on disk, plus those of jobs that have not written anything yet. */
  const names = computed(() => {
    const all = new Set(list.value.map((d) => d.name))
    for (const j of datasetJobs.value) {
      const f = folderOfJob(j)
      if (f) all.add(f)
    }
    return [...all].sort()
  })
  const selectedInfo = computed(() => list.value.find((d) => d.name === selectedName.value) ?? null)
  const selectedJob = computed(() => (selectedName.value ? jobFor(selectedName.value) : null))

  async function refresh(): Promise<void> {
    try {
      list.value = await studio().datasets.list({})
    } catch {
      list.value = [] // no project open
    }
    loaded.value = true
    if (!selectedName.value && names.value.length) await select(names.value[0])
  }

  async function loadContents(name: string): Promise<void> {
    const info = list.value.find((d) => d.name === name)
    if (!info || info.state !== 'finished') {
      contents.value = null
      loadError.value = null
      return
    }
    try {
      const read = await studio().datasets.read({ name })
      if (selectedName.value === name) {
        contents.value = markRaw({ ...read, records: markRaw(read.records) })
        loadError.value = null
      }
    } catch (error) {
      contents.value = null
      loadError.value = (error as Error).message
    }
  }

  async function select(name: string | null): Promise<void> {
    selectedName.value = name
    contents.value = null
    if (!name) return
    const job = jobFor(name)
    if (job) readHistory(job.id)
    await loadContents(name)
  }

  /** The scores a job has reported so far, or null when it has reported none. */
  function scoresOf(jobId: string): LiveScores | null {
    return liveScores.get(jobId) ?? null
  }

  /** Adds a metric point's new samples to its job's live scores. */
  function addScores(jobId: string, point: JobMetricPoint): void {
    if (!point.items) return
    let scores = liveScores.get(jobId)
    if (!scores) liveScores.set(jobId, (scores = markRaw(new LiveScores())))
    if (scores.add(point.items)) liveVersion.value++
  }

  /**
   * Reads a job's earlier metric points once: a view opened (or reloaded) mid-run, or one that
   * got a point before the job list said whose it was, still draws every score since the start.
   */
  function readHistory(jobId: string): void {
    if (historyAsked.has(jobId)) return
    historyAsked.add(jobId)
    void loadLive(jobId)
  }

  /** A job's counts and scores so far, from its metrics.jsonl (later points arrive as events; a seed seen twice counts once). */
  async function loadLive(jobId: string): Promise<void> {
    try {
      const points = await studio().jobs.metrics({ id: jobId })
      for (const point of points) addScores(jobId, point)
      const last = points[points.length - 1]
      if (last && !live.value[jobId]) live.value = { ...live.value, [jobId]: last }
    } catch {
      /* the job's metrics file is gone: no live counts */
    }
  }

  function scheduleRefresh(ms: number): void {
    if (refreshTimer) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refresh().then(() => {
        if (selectedName.value && !contents.value) void loadContents(selectedName.value)
      })
    }, ms)
  }

  function listen(): void {
    if (listening) return
    listening = true
    studio().events.subscribe((event) => {
      if (event.type === 'job.metrics') {
        const job = datasetJobs.value.find((j) => j.id === event.jobId)
        if (job) {
          live.value = { ...live.value, [event.jobId]: event.point }
          addScores(event.jobId, event.point)
          readHistory(event.jobId)
        }
      } else if (event.type === 'job.updated' && event.job.kind === MAKE_DATASET) {
        // Running: the folder's sample count moves; finished: metadata.jsonl is there to read.
        scheduleRefresh(event.job.state === 'running' ? 3000 : 200)
      } else if (event.type === 'project.changed') {
        live.value = {}
        liveScores.clear()
        historyAsked.clear()
        liveVersion.value++
        selectedName.value = null
        contents.value = null
        void refresh()
      }
    })
  }

  async function launch(params: MakeDatasetParamsInput): Promise<JobInfo> {
    const job = await studio().jobs.start({ kind: MAKE_DATASET, params })
    jobs.upsert(job)
    await select(folderOfJob(job))
    return job
  }

  return { list, loaded, names, selectedName, selectedInfo, selectedJob, contents, loadError, live, liveVersion, scoresOf, refresh, select, listen, launch, jobFor }
})
