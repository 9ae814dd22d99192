/** App-wide state: the session, the API client and the one sync engine, with reactive status. */
import { computed, reactive, ref } from 'vue'
import { currentSession, getDeviceId, getMeta, getSession, setMeta, setSession } from '../db/meta'
import { adoptReplicaFor, dropReplica } from '../db/replica'
import type { Session } from '../db/types'
import { ApiError } from '../lib/http'
import { createApi } from '../sync/api'
import { SyncEngine, type SyncStatus } from '../sync/engine'

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
engine.subscribe((s) => Object.assign(syncStatus, s))

export async function loadSession(): Promise<void> {
  session.value = (await getSession()) ?? null
  deviceId.value = await getDeviceId()
  if (session.value) {
    const last = await getMeta<string>(`last_sync:${session.value.user.id}`)
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
  await setMeta('last_username', username)
  await adoptReplicaFor(String(answer.user.id))
  session.value = next
  const last = await getMeta<string>(`last_sync:${answer.user.id}`)
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

/** After every local save: sync now if possible, and ask for Background Sync where the browser has it. */
export function afterSave(): void {
  void engine.requestSync()
  if (typeof navigator !== 'undefined' && 'serviceWorker' in navigator) {
    navigator.serviceWorker.ready
      .then((reg) => (reg as ServiceWorkerRegistration & { sync?: { register(tag: string): Promise<void> } }).sync?.register('zoufang-sync'))
      .catch(() => undefined)
  }
}

/** The logged-in user's id as the outbox keys it (a string, whatever type the server uses). */
export const currentUserId = computed(() => (session.value ? String(session.value.user.id) : ''))

export function userId(): string {
  if (!session.value) throw new Error('not logged in')
  return String(session.value.user.id)
}
