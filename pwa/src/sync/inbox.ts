/** The in-app inbox on the device: the server's last answer cached in `meta`, and reads queued while offline. No Vue here. */
import { getMeta, setMeta } from '../db/meta'
import { getDb } from '../db/db'
import { ApiError, type Api, type InboxAnswer, type InboxItem } from './api'

export interface InboxCache {
  items: InboxItem[]
  unread: number
  /** When the server last answered (ISO); the badge still shows it offline. */
  fetched_at: string
}

export const inboxKey = (userId: string) => `inbox:${userId}`
/** Notification ids read on this device whose POST has not reached the server yet. */
export const pendingReadsKey = (userId: string) => `inbox_reads:${userId}`

export async function readInbox(userId: string): Promise<InboxCache | undefined> {
  return getMeta<InboxCache>(inboxKey(userId))
}

/** The answer with the locally read (not yet sent) rows laid over it, so a poll never brings a read badge back. */
function withLocalReads(answer: InboxAnswer, pending: number[], now: string): InboxCache {
  const reads = new Set(pending)
  let readHere = 0
  const items = answer.items.map((i) => {
    if (!reads.has(i.id) || i.read_at) return i
    readHere++
    return { ...i, read_at: now }
  })
  // The server counts unread rows beyond the page it lists, so start from its count.
  return { items, unread: Math.max(0, answer.unread - readHere), fetched_at: now }
}

/** Send the queued reads; a row the server no longer has (404) is dropped, a network failure keeps it queued. */
async function flushReads(api: Api, userId: string): Promise<void> {
  const pending = (await getMeta<number[]>(pendingReadsKey(userId))) ?? []
  if (!pending.length) return
  const sent = new Set<number>()
  for (const id of pending) {
    try {
      await api.markNotificationRead(id)
      sent.add(id)
    } catch (e) {
      if (e instanceof ApiError && !e.retryable && e.status !== 401 && e.status !== 403) sent.add(id)
      else break
    }
  }
  const db = getDb()
  await db.transaction('rw', db.meta, async () => {
    const now = (await getMeta<number[]>(pendingReadsKey(userId))) ?? []
    await setMeta(pendingReadsKey(userId), now.filter((id) => !sent.has(id)))
  })
}

/** Ask the server for the inbox and cache it; offline (or any error) the cached answer stays and is returned. */
export async function refreshInbox(api: Api, userId: string, now: () => Date = () => new Date()): Promise<InboxCache | undefined> {
  try {
    await flushReads(api, userId)
    const answer = await api.inbox()
    const pending = (await getMeta<number[]>(pendingReadsKey(userId))) ?? []
    const cache = withLocalReads(answer, pending, now().toISOString())
    await setMeta(inboxKey(userId), cache)
    return cache
  } catch {
    return readInbox(userId)
  }
}

/** Mark one row read: at once on the device (badge goes down offline too), then on the server when it can be reached. */
export async function markRead(api: Api, userId: string, id: number, now: () => Date = () => new Date()): Promise<void> {
  const db = getDb()
  await db.transaction('rw', db.meta, async () => {
    const cache = await readInbox(userId)
    if (cache) {
      const at = now().toISOString()
      const hit = cache.items.some((i) => i.id === id && !i.read_at)
      const items = cache.items.map((i) => (i.id === id && !i.read_at ? { ...i, read_at: at } : i))
      await setMeta(inboxKey(userId), { ...cache, items, unread: Math.max(0, cache.unread - (hit ? 1 : 0)) })
    }
    const pending = (await getMeta<number[]>(pendingReadsKey(userId))) ?? []
    if (!pending.includes(id)) await setMeta(pendingReadsKey(userId), [...pending, id])
  })
  await flushReads(api, userId)
}

/** Only same-origin paths are opened; anything else falls back to the inbox. */
export function safeAppPath(url: string | null | undefined, origin: string): string {
  if (!url) return '/inbox'
  try {
    const u = new URL(url, origin)
    if (u.origin !== origin) return '/inbox'
    return u.pathname + u.search + u.hash
  } catch {
    return '/inbox'
  }
}
