/** App entry: Vue, router, i18n, styles; the sync engine starts once a session exists. */
import { createApp } from 'vue'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { i18n, savedLocale, setLocale } from './i18n'
import { engine, loadSession, refreshSession, session } from './composables/useApp'

async function boot() {
  await setLocale(savedLocale())
  await loadSession()
  createApp(App).use(router).use(i18n).mount('#app')
  if (session.value && !session.value.expired) {
    engine.start()
    if (navigator.onLine) void refreshSession()
  }
  // The service worker asks an open page to run the sync (Background Sync).
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'sync') void engine.requestSync()
  })
  // Ask once for storage the browser will not evict (kept records matter more than cache space).
  void navigator.storage?.persist?.().catch(() => undefined)
}

void boot()
