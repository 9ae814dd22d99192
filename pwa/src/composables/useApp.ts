/** App-wide state: the session, the API client and the one sync engine, with reactive status. */
import { computed, reactive, ref } from 'vue'
import { currentSession, exportKeyKey, getDeviceId, getLastSync, getSession, setMeta, setSession } from '../db/meta'
import { adoptReplicaFor, dropReplica } from '../db/replica'
import type { Session } from '../db/types'
import { ApiError } from '../lib/http'
import { savedMessageKey } from '../lib/syncState'
import { i18n } from '../i18n'
import { showToast } from 'vant'
import { createApi } from '../sync/api'
import { SyncEngine, type SyncStatus } from '../sync/engine'

const t = i18n.global.t

export const session = ref<Session | null>(null)
export const sessionLoaded = ref(false)
export const deviceId = ref('')

export const api = createApi({ getCsrfToken: async () => (await currentSession())?.csrf_token ?? session.value?.csrf_token })

export const syncStatus = reactive<SyncStatus>({
  running: false, lastOutcome: null, lastErrorCode: null, lastSyncAt: null, failures: 0, nextRetryAt: null,
})

const expiredListeners = new Set<() => void>()
export function onSessionExpired(fn: () => void): () => void {
  expiredListeners.add(fn)
  return () => expiredListeners.delete(fn)
}

const loginListeners = new Set<(userId: string) => void>()
/** Run after each successful login (e.g. renew the push subscription the server dropped at logout). */
export function onLogin(fn: (userId: string) => void): () => void {
  loginListeners.add(fn)
  return () => loginListeners.delete(fn)
}

export const engine = new SyncEngine({
  api,
  onSessionExpired: () => {
    void getSession().then((s) => (session.value = s ?? null))
    expiredListeners.forEach((fn) => fn())
  },
})
// Until the engine's first round has read this user's last sync time, keep the one loadSession/login read.
engine.subscribe((s) => Object.assign(syncStatus, s, s.lastSyncAt ? {} : { lastSyncAt: syncStatus.lastSyncAt }))

export async function loadSession(): Promise<void> {
  session.value = (await getSession()) ?? null
  deviceId.value = await getDeviceId()
  if (session.value) {
    const last = await getLastSync(String(session.value.user.id))
    if (last) syncStatus.lastSyncAt = last
  }
  sessionLoaded.value = true
}

/** Check the stored session with the server when online; a 401 marks it expired (the queue stays). */
export async function refreshSession(): Promise<void> {
  if (!session.value || session.value.expired) return
  try {
    const me = await api.me()
    const next: Session = { user: me.user, csrf_token: me.csrf_token ?? session.value.csrf_token, expired: false }
    await setSession(next)
    if (me.export_key) await setMeta(exportKeyKey(String(me.user.id)), me.export_key)
    session.value = next
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      const next = { ...session.value, expired: true }
      await setSession(next)
      session.value = next
      expiredListeners.forEach((fn) => fn())
    }
  }
}

export async function login(username: string, password: string): Promise<void> {
  const answer = await api.login(username, password)
  const next: Session = { user: answer.user, csrf_token: answer.csrf_token, expired: false }
  await setSession(next)
  if (answer.export_key) await setMeta(exportKeyKey(String(answer.user.id)), answer.export_key)
  await setMeta('last_username', username)
  await adoptReplicaFor(String(answer.user.id))
  session.value = next
  const last = await getLastSync(String(answer.user.id))
  syncStatus.lastSyncAt = last ?? null
  engine.start()
  void engine.requestSync()
  loginListeners.forEach((fn) => fn(String(answer.user.id)))
}

export async function logout(): Promise<void> {
  try {
    await api.logout()
  } catch {
    /* offline or already expired: the local session is dropped anyway */
  }
  engine.stop()
  await setSession(null)
  session.value = null
  await dropReplica()
}

/** Sync now if possible, and ask for Background Sync where the browser has it (a retry, a save). */
export function syncSoon(): void {
  void engine.requestSync()
  if (typeof navigator !== 'undefined' && 'serviceWorker' in navigator) {
    navigator.serviceWorker.ready
      .then((reg) => (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync?.register('zoufang-sync'))
      .catch(() => undefined)
  }
}

/**
 * After every local save: say what happens next ("已保存 · 正在同步" / "… 联网后自动同步"), then sync. The one
 * toast every form's save ends with (it replaces the form's own, shown a moment before: Vant keeps one toast),
 * so the wording cannot drift between forms. The exception to "composables show no toasts": it is the save's
 * last step, run by every form.
 */
export function afterSave(): void {
  const online = typeof navigator === 'undefined' || navigator.onLine
  showToast({ type: 'success', message: t(savedMessageKey(online, !!session.value?.expired)) })
  syncSoon()
}

/** The logged-in user's id as the outbox keys it (a string, whatever type the server uses). */
export const currentUserId = computed(() => (session.value ? String(session.value.user.id) : ''))

export function userId(): string {
  if (!session.value) throw new Error('not logged in')
  return String(session.value.user.id)
}
