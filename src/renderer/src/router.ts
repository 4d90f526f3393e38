import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'
import HomeView from './views/HomeView.vue'
import GalleryView from './views/GalleryView.vue'
import SampleView from './views/SampleView.vue'
import AnnotateView from './views/AnnotateView.vue'
import TrainView from './views/TrainView.vue'
import DatasetView from './views/DatasetView.vue'
import CompareView from './views/CompareView.vue'
import ModelsView from './views/ModelsView.vue'
import JobsView from './views/JobsView.vue'

export interface NavEntry {
  path: string
  label: string
  icon: string
  needsProject: boolean
}

export const NAV: NavEntry[] = [
  { path: '/', label: 'Projects', icon: '⌂', needsProject: false },
  { path: '/gallery', label: 'Gallery', icon: '▦', needsProject: true },
  { path: '/annotate', label: 'Annotate', icon: '✎', needsProject: true },
  { path: '/train', label: 'Train', icon: '◈', needsProject: true },
  { path: '/dataset', label: 'Dataset', icon: '⛁', needsProject: true },
  { path: '/compare', label: 'Compare', icon: '◧', needsProject: true },
  { path: '/models', label: 'Models', icon: '⬡', needsProject: true },
  { path: '/jobs', label: 'Jobs', icon: '☰', needsProject: true }
]

const routes: RouteRecordRaw[] = [
  { path: '/', component: HomeView },
  { path: '/gallery', component: GalleryView },
  // Under /gallery so the Gallery stays the active view in the rail.
  { path: '/gallery/:id', component: SampleView },
  { path: '/annotate/:sampleId?', component: AnnotateView },
  { path: '/train', component: TrainView },
  { path: '/dataset', component: DatasetView },
  { path: '/compare', component: CompareView },
  { path: '/models', component: ModelsView },
  { path: '/jobs', component: JobsView },
  { path: '/:rest(.*)*', redirect: '/' }
]

// Hash history: works the same from file:// (desktop) and from the server (browser mode).
export const router = createRouter({ history: createWebHashHistory(), routes })
