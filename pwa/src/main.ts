/** App entry: Vue, router, i18n, styles; the sync engine starts once a session exists. */
import { createApp } from 'vue'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import 'vant/es/notify/style'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { i18n, savedLocale, setLocale } from './i18n'
import { api, engine, loadSession, onLogin, refreshSession, session, unlocked } from './composables/useApp'
import { refreshUnread, startInboxPolling } from './composables/useInbox'
import { resubscribeAtLogin } from './composables/usePushSubscription'

// Worker messages start flowing at DOMContentLoaded, before boot() has mounted anything: listen now, act once mounted.
let markMounted: () => void = () => undefined
const mounted = new Promise<void>((resolve) => (markMounted = resolve))
navigator.serviceWorker?.addEventListener('message', (e) => {
  // A push arrived (refresh the badge) or its notification was tapped (route to its screen).
  if (e.data?.type === 'notification') void mounted.then(refreshUnread)
  if (e.data?.type === 'open-url' && typeof e.data.url === 'string' && e.data.url.startsWith('/')) {
    const url: string = e.data.url
    void mounted.then(() => router.push(url)).then(refreshUnread)
  }
})

async function boot() {
  await setLocale(savedLocale())
  await loadSession()
  createApp(App).use(router).use(i18n).mount('#app')
  markMounted()
  // A cold start is locked (the data key lives only in memory): the unlock starts the engine. The server is still
  // asked about the session at once, so a revoked one is wiped before anyone unlocks.
  if (session.value && navigator.onLine) void refreshSession()
  // The service worker asks an open page to run the sync (Background Sync).
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data?.type === 'sync' && unlocked.value) void engine.requestSync()
  })
  // The inbox badge works with no Web Push at all (unreachable in mainland China): poll.
  startInboxPolling()
  onLogin((uid) => void resubscribeAtLogin(api, uid).catch(() => undefined))
  // Ask once for storage the browser will not evict (kept records matter more than cache space).
  void navigator.storage?.persist?.().catch(() => undefined)
}

void boot()
