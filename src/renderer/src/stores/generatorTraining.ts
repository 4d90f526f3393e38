// Generator training runs ('train-generator' jobs): starting one from a preset or a custom
// config, their live metrics (job.metrics events), the backend each run uses (from its log),
// and "use as project generator" (export the newest checkpoint when needed, then attach).
//
// Metric histories can grow to thousands of points: they live in plain arrays outside Vue's
// reactivity; `version` is bumped when one changes so charts know to redraw.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { JobInfo, JobMetricPoint } from '@shared/jobs'
import { EXPORT_GENERATOR_JOB, GAN_PRESETS, GAN_PRESET_NAMES, TRAIN_GENERATOR_JOB, type GanConfigInput, type GanPresetName } from '@shared/ganConfig'
import { studio } from '../api/studio'
import { useJobs } from './jobs'
import { useGenerators } from './generators'

export type TrainingStartParams = { preset: GanPresetName; config: Partial<GanConfigInput> } | { preset: null; config: GanConfigInput }

const BACKEND_LINE = /^TensorFlow\.js backend: (.*)$/

export const useGeneratorTraining = defineStore('generatorTraining', () => {
  const jobs = useJobs()
  const selectedId = ref<string | null>(null)
  /** Bumped whenever a run's metrics change (the arrays themselves are not reactive). */
  const version = ref(0)
  const backends = ref<Record<string, string>>({})
  const busy = ref(false)
  const metricStore = new Map<string, JobMetricPoint[]>()
  const lastPoint = shallowRef<Record<string, JobMetricPoint>>({})
  let listening = false

  const runs = computed(() => jobs.jobs.filter((j) => j.kind === TRAIN_GENERATOR_JOB))
  const selected = computed(() => runs.value.find((j) => j.id === selectedId.value) ?? runs.value[0] ?? null)

  function listen(): void {
    if (listening) return
    listening = true
    studio().events.subscribe((event) => {
      if (event.type === 'job.metrics') {
        const list = metricStore.get(event.jobId)
        if (list) {
          list.push(event.point)
          lastPoint.value = { ...lastPoint.value, [event.jobId]: event.point }
          version.value++
        }
      } else if (event.type === 'job.log') {
        const m = BACKEND_LINE.exec(event.line.text)
        if (m) backends.value = { ...backends.value, [event.jobId]: m[1] }
      } else if (event.type === 'project.changed') {
        metricStore.clear()
        lastPoint.value = {}
        backends.value = {}
        selectedId.value = null
      }
    })
  }

  /** The metric history of a run (loaded once, then kept current by events). */
  function metrics(id: string): JobMetricPoint[] {
    return metricStore.get(id) ?? []
  }

  async function load(id: string): Promise<void> {
    const [points, log] = await Promise.all([studio().jobs.metrics({ id }), studio().jobs.log({ id })])
    // Events that arrived meanwhile are already in the file: the file wins.
    metricStore.set(id, points)
    if (points.length) lastPoint.value = { ...lastPoint.value, [id]: points[points.length - 1] }
    for (const line of log) {
      const m = BACKEND_LINE.exec(line.text)
      if (m) backends.value = { ...backends.value, [id]: m[1] }
    }
    version.value++
  }

  /** Load a run's metrics and backend once (later changes arrive as events). */
  function ensureLoaded(id: string): void {
    if (!metricStore.has(id)) void load(id)
  }

  function select(id: string): void {
    selectedId.value = id
    ensureLoaded(id)
  }

  /** The running training job and its TensorFlow.js backend (for the status bar). */
  const activeBackend = computed<{ runId: string; backend: string | null } | null>(() => {
    const run = jobs.running.find((j) => j.kind === TRAIN_GENERATOR_JOB)
    return run ? { runId: run.id, backend: backends.value[run.id] ?? null } : null
  })

  async function start(params: TrainingStartParams): Promise<JobInfo> {
    busy.value = true
    try {
      const job = await studio().jobs.start({ kind: TRAIN_GENERATOR_JOB, params })
      jobs.upsert(job)
      metricStore.set(job.id, [])
      selectedId.value = job.id
      return job
    } finally {
      busy.value = false
    }
  }

  /** Newest preview grid of a run (project-relative), from its artifacts. */
  function latestPreview(job: JobInfo): string | null {
    const previews = job.artifacts.filter((a) => a.includes('/previews/') && a.endsWith('.png')).sort()
    return previews.length ? previews[previews.length - 1] : null
  }

  function exportedFiles(job: JobInfo): { onnx: string; manifest: string } | null {
    const onnx = job.artifacts.find((a) => a.endsWith('export/generator.onnx'))
    const manifest = job.artifacts.find((a) => a.endsWith('export/generator.json'))
    return onnx && manifest ? { onnx, manifest } : null
  }

  function waitForJob(id: string): Promise<JobInfo> {
    return new Promise((resolve) => {
      const off = studio().events.subscribe((event) => {
        if (event.type === 'job.updated' && event.job.id === id && ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(event.job.state)) {
          off()
          resolve(event.job)
        }
      })
    })
  }

  /**
   * Export the run (its finished export, or its newest checkpoint through an export job) into
   * the project's models/ and make it the project's generator.
   */
  async function useAsProjectGenerator(job: JobInfo): Promise<string[]> {
    busy.value = true
    try {
      let files = job.state === 'succeeded' ? exportedFiles(job) : null
      if (!files) {
        const exportJob = await studio().jobs.start({ kind: EXPORT_GENERATOR_JOB, params: { runId: job.id } })
        jobs.upsert(exportJob)
        const finished = await waitForJob(exportJob.id)
        if (finished.state !== 'succeeded') throw new Error(`exporting the run failed: ${finished.error ?? finished.message}`)
        const result = finished.result as { onnx: string; manifest: string }
        files = { onnx: result.onnx, manifest: result.manifest }
      }
      const project = await studio().project.current({})
      if (!project) throw new Error('no project is open')
      const root = project.dir.replace(/[\\/]+$/, '')
      return await useGenerators().attachPaths(`${root}/${files.onnx}`, `${root}/${files.manifest}`)
    } finally {
      busy.value = false
    }
  }

  return {
    runs,
    selected,
    selectedId,
    version,
    backends,
    busy,
    lastPoint,
    presets: GAN_PRESETS,
    presetNames: GAN_PRESET_NAMES,
    listen,
    load,
    metrics,
    select,
    ensureLoaded,
    activeBackend,
    start,
    latestPreview,
    exportedFiles,
    useAsProjectGenerator
  }
})
