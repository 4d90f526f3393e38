// The Train view's state: interpreter runs (runs/<id>/ of train-interpreter jobs and CLI runs),
// the selected run, and its live metrics. Metric points are kept out of Vue's deep reactivity
// (a long run has thousands); `version` ticks when they change so charts redraw.
import { defineStore } from 'pinia'
import { ref, shallowRef } from 'vue'
import type { JobMetricPoint } from '@shared/jobs'
import type { InterpreterConfigInput, InterpreterPredictionsInfo, InterpreterRunInfo } from '@shared/interpreter'
import { studio } from '../api/studio'
import { useJobs } from './jobs'

export const useInterpreter = defineStore('interpreter', () => {
  const runs = shallowRef<InterpreterRunInfo[]>([])
  const selectedId = ref<string | null>(null)
  const version = ref(0)
  const loaded = ref(false)
  const points = new Map<string, JobMetricPoint[]>()
  let listening = false
  let refreshTimer: ReturnType<typeof setTimeout> | null = null

  async function refresh(): Promise<void> {
    try {
      runs.value = await studio().interpreter.runs({})
    } catch {
      runs.value = []
    }
    loaded.value = true
    if (selectedId.value && !runs.value.some((r) => r.id === selectedId.value)) selectedId.value = null
    if (!selectedId.value && runs.value.length) select(runs.value[0].id)
  }

  function scheduleRefresh(ms = 300): void {
    if (refreshTimer) return
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refresh()
    }, ms)
  }

  async function loadMetrics(id: string): Promise<void> {
    try {
      const all = await studio().jobs.metrics({ id })
      points.set(id, dedupe(all))
    } catch {
      points.set(id, [])
    }
    version.value++
  }

  function select(id: string | null): void {
    selectedId.value = id
    if (id && !points.has(id)) void loadMetrics(id)
    version.value++
  }

  function metrics(id: string): JobMetricPoint[] {
    return points.get(id) ?? []
  }

  function listen(): void {
    if (listening) return
    listening = true
    studio().events.subscribe((event) => {
      if (event.type === 'job.metrics') {
        const list = points.get(event.jobId)
        if (list) {
          // A resumed run repeats the steps after its last checkpoint: keep the newest value.
          const last = list[list.length - 1]
          if (last && event.point.step <= last.step && Object.keys(event.point.values).some((k) => k in last.values)) {
            while (list.length && list[list.length - 1].step >= event.point.step) list.pop()
          }
          list.push(event.point)
          version.value++
        }
      } else if (event.type === 'job.updated' && event.job.kind === 'train-interpreter') {
        if (!points.has(event.job.id)) points.set(event.job.id, [])
        scheduleRefresh(event.job.state === 'running' ? 2000 : 200)
      } else if (event.type === 'project.changed') {
        points.clear()
        selectedId.value = null
        void refresh()
      }
    })
  }

  /** The stored predictions (model in the loop): which run, how many, stale or current. */
  const predictions = ref<InterpreterPredictionsInfo | null>(null)
  async function refreshPredictions(): Promise<void> {
    try {
      predictions.value = await studio().interpreter.predictions({})
    } catch {
      predictions.value = null
    }
  }
  /** Predicts every unannotated sample with the newest trained run (a predict-interpreter job). */
  async function predictAll(): Promise<void> {
    useJobs().upsert(await studio().interpreter.predictAll({}))
  }

  async function train(config: InterpreterConfigInput): Promise<string> {
    const job = await studio().jobs.start({ kind: 'train-interpreter', params: { config } })
    useJobs().upsert(job)
    points.set(job.id, [])
    await refresh()
    select(job.id)
    return job.id
  }

  return { runs, selectedId, version, loaded, refresh, select, metrics, loadMetrics, listen, train, predictions, refreshPredictions, predictAll }
})

/** Keeps, per step and metric family, the last point (a resumed run re-reports some steps). */
function dedupe(all: JobMetricPoint[]): JobMetricPoint[] {
  const byKey = new Map<string, JobMetricPoint>()
  for (const p of all) byKey.set(`${Object.keys(p.values).sort()[0] ?? ''}@${p.step}`, p)
  return [...byKey.values()].sort((a, b) => a.step - b.step)
}
