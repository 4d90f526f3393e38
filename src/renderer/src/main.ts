import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from './App.vue'
import { router } from './router'
import { connectStudio } from './api/studio'
import './styles/theme.css'

async function boot(): Promise<void> {
  try {
    await connectStudio()
  } catch (error) {
    document.getElementById('app')!.innerHTML = `<div class="boot-error"><h1>Twinlight Studio</h1><p></p></div>`
    document.querySelector('.boot-error p')!.textContent = (error as Error).message
    return
  }
  const app = createApp(App)
  app.use(createPinia())
  app.use(router)
  app.mount('#app')
  window.studioShell?.onNavigate((route) => void router.push(route))
}

void boot()
