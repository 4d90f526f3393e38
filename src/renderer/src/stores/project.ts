import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { ProjectInfo, RecentProject } from '@shared/api'
import type { ProjectTemplate, TemplateId } from '@shared/project'
import { studio } from '../api/studio'

export const useProject = defineStore('project', () => {
  const current = ref<ProjectInfo | null>(null)
  const recent = ref<RecentProject[]>([])
  const templates = ref<ProjectTemplate[]>([])
  const classes = computed(() => current.value?.project.classes ?? [])
  const modalities = computed(() => current.value?.project.modalities ?? [])

  async function load(): Promise<void> {
    const api = studio()
    ;[current.value, recent.value, templates.value] = await Promise.all([api.project.current({}), api.project.recent({}), api.project.templates({})])
    api.events.subscribe((event) => {
      if (event.type === 'project.changed') current.value = event.project
    })
  }
  async function refreshRecent(): Promise<void> {
    recent.value = await studio().project.recent({})
  }
  async function create(name: string, template: TemplateId, dir?: string): Promise<ProjectInfo> {
    current.value = await studio().project.create({ name, template, ...(dir ? { dir } : {}) })
    await refreshRecent()
    return current.value
  }
  async function open(dir: string): Promise<ProjectInfo> {
    current.value = await studio().project.open({ dir })
    await refreshRecent()
    return current.value
  }
  async function close(): Promise<void> {
    await studio().project.close({})
    current.value = null
  }
  return { current, recent, templates, classes, modalities, load, refreshRecent, create, open, close }
})
