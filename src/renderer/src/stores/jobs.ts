import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { JobInfo, JobLogLine } from '@shared/jobs'
import { studio } from '../api/studio'

export const useJobs = defineStore('jobs', () => {
  const jobs = ref<JobInfo[]>([])
  const logs = ref<Record<string, JobLogLine[]>>({})
  const running = computed(() => jobs.value.filter((j) => j.state === 'running' || j.state === 'queued'))

  function upsert(job: JobInfo): void {
    const index = jobs.value.findIndex((j) => j.id === job.id)
    if (index >= 0) jobs.value[index] = job
    else jobs.value.unshift(job)
  }

  async function refresh(): Promise<void> {
    try {
      jobs.value = await studio().jobs.list({})
    } catch {
      jobs.value = [] // no project open
    }
  }

  function listen(): void {
    studio().events.subscribe((event) => {
      if (event.type === 'job.updated') upsert(event.job)
      else if (event.type === 'job.removed') jobs.value = jobs.value.filter((j) => j.id !== event.id)
      else if (event.type === 'job.log' && logs.value[event.jobId]) logs.value[event.jobId].push(event.line)
      else if (event.type === 'project.changed') void refresh()
    })
  }

  async function loadLog(id: string): Promise<void> {
    logs.value[id] = await studio().jobs.log({ id })
  }
  const start = async (kind: string, params: unknown) => upsert(await studio().jobs.start({ kind, params }))
  const cancel = async (id: string) => upsert(await studio().jobs.cancel({ id }))
  const resume = async (id: string) => upsert(await studio().jobs.resume({ id }))
  const remove = async (id: string) => {
    await studio().jobs.remove({ id })
    jobs.value = jobs.value.filter((j) => j.id !== id)
  }
  return { jobs, logs, running, refresh, listen, loadLog, start, cancel, resume, remove, upsert }
})
