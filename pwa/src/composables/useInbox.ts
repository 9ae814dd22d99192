/** The inbox and its unread badge without Web Push: polled on start, on `online`, after each sync, every few minutes while visible. */
import { computed } from 'vue'
import { getMeta } from '../db/meta'
import { inboxKey, markRead, refreshInbox, type InboxCache } from '../sync/inbox'
import { api, currentUserId, engine, session } from './useApp'
import { useLiveQuery } from './useLiveQuery'

const POLL_MS = 3 * 60_000

/** The cached inbox of the logged-in user, live from IndexedDB (so the badge shows offline). */
export function useInbox() {
  const uid = currentUserId
  const cache = useLiveQuery(async () => {
    if (!uid.value) return undefined
    return getMeta<InboxCache>(inboxKey(uid.value))
  }, [uid])
  const unread = computed(() => cache.value?.unread ?? 0)
  return { cache, unread }
}

function canAsk(): boolean {
  return !!session.value && !session.value.expired && (typeof navigator === 'undefined' || navigator.onLine !== false)
}

let inflight: Promise<InboxCache | undefined> | null = null

/** One refresh at a time; calls during a refresh share it. */
export function refreshUnread(): Promise<InboxCache | undefined> {
  if (!canAsk()) return Promise.resolve(undefined)
  if (!inflight) {
    const uid = currentUserId.value
    inflight = refreshInbox(api, uid).finally(() => (inflight = null))
  }
  return inflight
}

export async function readNotification(id: number): Promise<void> {
  if (!currentUserId.value) return
  await markRead(api, currentUserId.value, id)
}

export interface PollDeps {
  refresh: () => unknown
  onSyncDone: (fn: () => void) => () => void
  win: Pick<Window, 'addEventListener' | 'removeEventListener' | 'setInterval' | 'clearInterval'>
  doc: Pick<Document, 'addEventListener' | 'removeEventListener' | 'visibilityState'>
  intervalMs?: number
}

/** Wire the triggers; returns a stop function. Exported with its dependencies for the tests. */
export function startPolling(deps: PollDeps): () => void {
  const { refresh, win, doc } = deps
  const tick = () => {
    if (doc.visibilityState !== 'hidden') void refresh()
  }
  const onVisible = () => tick()
  const onOnline = () => void refresh()
  win.addEventListener('online', onOnline)
  doc.addEventListener('visibilitychange', onVisible)
  const timer = win.setInterval(tick, deps.intervalMs ?? POLL_MS)
  const offSync = deps.onSyncDone(() => void refresh())
  void refresh()
  return () => {
    win.removeEventListener('online', onOnline)
    doc.removeEventListener('visibilitychange', onVisible)
    win.clearInterval(timer)
    offSync()
  }
}

/** After each sync round that reached the server (running goes true → false with outcome ok). */
function onEngineRoundDone(fn: () => void): () => void {
  let wasRunning = false
  return engine.subscribe((s) => {
    if (wasRunning && !s.running && s.lastOutcome === 'ok') fn()
    wasRunning = s.running
  })
}

let stop: (() => void) | null = null

/** Called once at app start; harmless when nobody is logged in (each refresh checks the session). */
export function startInboxPolling(): void {
  if (stop || typeof window === 'undefined') return
  stop = startPolling({ refresh: refreshUnread, onSyncDone: onEngineRoundDone, win: window, doc: document })
}
