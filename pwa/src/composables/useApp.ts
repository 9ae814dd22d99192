/**
 * App-wide state: the session, whether this page holds the user's data key (`unlocked`), the API client and the one
 * sync engine, with reactive status. Signing in, unlocking and the idle lock live in the lazy `useVault.ts`; the
 * engine, too, loads with the first unlock (nothing can sync before: the queue is sealed), so the login screen
 * carries neither.
 */
import { computed, reactive, ref } from 'vue'
import { currentSession, getDeviceId, getLastSync, getSession, setMeta, setSession } from '../db/meta'
import type { Session } from '../db/types'
import { ApiError } from '../lib/http'
import { savedMessageKey } from '../lib/syncState'
import { i18n } from '../i18n'
import { showToast } from 'vant'
import { REVOKED_CODES, createApi } from '../sync/api'
import type { SyncEngine, SyncOutcome, SyncStatus } from '../sync/engine'

const t = i18n.global.t

export const session = ref<Session | null>(null)
export const sessionLoaded = ref(false)
export const deviceId = ref('')
/** The session user's data key is in memory: the records can be read. False after a reload, a lock, a logout. */
export const unlocked = ref(false)

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

let real: SyncEngine | null = null
let loading: Promise<SyncEngine> | null = null
let running = false
const statusListeners = new Set<(s: SyncStatus) => void>()

function loadEngine(): Promise<SyncEngine> {
  loading ??= import('../sync/engine').then(({ SyncEngine }) => {
    real = new SyncEngine({
      api,
      onSessionExpired: () => {
        void getSession().then((s) => (session.value = s ?? null))
        expiredListeners.forEach((fn) => fn())
      },
      onRevoked: (uid) => void revoked(uid, true),
    })
    // Until the engine's first round has read this user's last sync time, keep the one loadSession/login read.
    real.subscribe((s) => {
      Object.assign(syncStatus, s, s.lastSyncAt ? {} : { lastSyncAt: syncStatus.lastSyncAt })
      statusListeners.forEach((fn) => fn({ ...syncStatus }))
    })
    if (running) real.start()
    return real
  })
  return loading
}

/** The one sync engine (`sync/engine.ts`), loaded with the first unlock. */
export const engine = {
  /** Sync now, on `online` and on a timer (loads the engine). */
  start(): void {
    running = true
    if (real) real.start()
    else void loadEngine()
  },
  stop(): void {
    running = false
    real?.stop()
  },
  async requestSync(): Promise<SyncOutcome> {
    return (await loadEngine()).requestSync()
  },
  /** The engine's status now and after every change (`syncStatus`, as a callback). */
  subscribe(fn: (s: SyncStatus) => void): () => void {
    statusListeners.add(fn)
    fn({ ...syncStatus })
    return () => statusListeners.delete(fn)
  },
}

export async function loadSession(): Promise<void> {
  session.value = (await getSession()) ?? null
  deviceId.value = await getDeviceId()
  if (session.value) {
    const last = await getLastSync(String(session.value.user.id))
    if (last) syncStatus.lastSyncAt = last
  }
  sessionLoaded.value = true
}

/**
 * Check the stored session with the server when online. A 401 marks it expired (the queue stays); a revoked
 * session or a deactivated account wipes the replica and drafts (`revoked`). An expired one (an offline sign-in,
 * a lapsed cookie) comes back when the server still knows the cookie: the queue then flushes.
 */
export async function refreshSession(): Promise<void> {
  const current = session.value
  if (!current) return
  try {
    const me = await api.me()
    if (String(me.user.id) !== String(current.user.id)) return // another account's cookie: sign in again
    const next: Session = { user: me.user, csrf_token: me.csrf_token ?? current.csrf_token, expired: false }
    await setSession(next)
    // Kept sealed, so only while unlocked (a locked phone gets it again with the unlock's login or /api/auth/me);
    // loaded only then: the unlock screen a phone opens on does not carry the sealing code.
    if (me.export_key && unlocked.value) {
      await (await import('../db/exportKey')).keepExportKey(String(me.user.id), me.export_key)
    }
    session.value = next
    if (current.expired && unlocked.value) {
      engine.start()
      void engine.requestSync()
    }
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) return
    if (REVOKED_CODES.includes(e.code)) return revoked(String(current.user.id), false)
    if (current.expired) return
    const next = { ...current, expired: true, ended: e.code }
    await setSession(next)
    session.value = next
    expiredListeners.forEach((fn) => fn())
  }
}

/** Sign in with the password: online when the server answers, on the phone alone when it cannot (`useVault.ts`). */
export async function login(username: string, password: string) {
  return (await import('./useVault')).signIn(username, password)
}

/**
 * Enter a session whose user's key is in memory (`useVault.ts` unlocked it and made the replica this user's): the
 * session stored, the engine started. After an online login, an unlock and an offline sign-in alike.
 */
export async function enterSession(given: Session, username: string): Promise<void> {
  const next = JSON.parse(JSON.stringify(given)) as Session // the session ref's proxy cannot be stored
  const uid = String(next.user.id)
  await setSession(next)
  await setMeta('last_username', username)
  session.value = next
  unlocked.value = true
  syncStatus.lastSyncAt = (await getLastSync(uid)) ?? null
  engine.start()
  void engine.requestSync()
  if (!next.expired) loginListeners.forEach((fn) => fn(uid))
}

/** Drop the data key and everything opened with it; the session stays (the unlock screen asks for the password). */
export async function lock(): Promise<void> {
  unlocked.value = false
  engine.stop()
  // Loaded whenever a key can be in memory (the unlock brought it): this only hands the key back.
  ;(await import('../db/sealed')).useCipher(null)
}

/**
 * The server ended this session or account (`session_revoked`, `account_inactive`): the replica and drafts are
 * wiped (by the engine's round, else here), the key leaves memory, an online login is needed; the queue stays.
 */
async function revoked(uid: string, wiped: boolean): Promise<void> {
  await lock()
  if (!wiped) await (await import('../db/replica')).wipeReplica(uid)
  await setSession(null)
  session.value = null
  await (await import('../db/keyring')).markRevoked(uid)
  expiredListeners.forEach((fn) => fn())
}

/** Log out: the server session ends (when it can be reached), the key leaves memory; the sealed records stay. */
export async function logout(): Promise<void> {
  try {
    await api.logout()
  } catch {
    /* offline or already expired: the local session is dropped anyway */
  }
  await lock()
  await setSession(null)
  session.value = null
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
