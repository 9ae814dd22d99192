/** Small key/value settings kept on the device: device id, session, pull cursor, last sync time; remembered accounts. */
import Dexie from 'dexie'
import { getDb } from './db'
import type { Session } from './types'

/**
 * A number that changes whenever the meta store (which holds the session) may have changed: on every write from
 * this page, and on Dexie's change events, which also carry other tabs' writes. The sync engine re-reads the
 * session only when it moved, so checking "still the same user?" before each request costs nothing.
 */
let metaGeneration = 0
Dexie.on('storagemutated', (parts: Record<string, unknown>) => {
  // `all`: Dexie's "anything may have changed" (a page restored from the back-forward cache).
  if (Object.keys(parts).some((k) => k === 'all' || k.includes('/meta/'))) metaGeneration++
})

/** Moves whenever `meta` may have changed (this page's writes, other tabs'): a cached read is good while it stays. */
export const metaVersion = (): number => metaGeneration

export async function getMeta<T>(key: string): Promise<T | undefined> {
  const row = await getDb().meta.get(key)
  return row?.value as T | undefined
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  metaGeneration++
  await getDb().meta.put({ key, value })
  metaGeneration++
}

export function uuid(): string {
  const c: Crypto = globalThis.crypto
  if (typeof c.randomUUID === 'function') return c.randomUUID()
  // Fallback for old WebViews: RFC 4122 v4 from getRandomValues.
  const b = c.getRandomValues(new Uint8Array(16))
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const h = Array.from(b, (x: number) => x.toString(16).padStart(2, '0')).join('')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/** The device id of the open database, once read (it never changes while the database lives). */
let deviceIdOf: { db: unknown; id: string } | null = null

/** The device id is made once and remembered, so the server's audit log can tell phones apart. */
export async function getDeviceId(): Promise<string> {
  const db = getDb()
  if (deviceIdOf?.db === db) return deviceIdOf.id
  const id = await db.transaction('rw', db.meta, async () => {
    const existing = await getMeta<string>('device_id')
    if (existing) return existing
    const made = uuid()
    await setMeta('device_id', made)
    return made
  })
  deviceIdOf = { db, id }
  return id
}

export const getSession = () => getMeta<Session | null>('session')

let sessionCache: { generation: number; session: Session | null } | null = null

/**
 * The stored session, read again only when the meta store may have changed since (`metaGeneration`): what the
 * sync engine and the API client ask before every request, without a database read each time.
 */
export async function currentSession(): Promise<Session | null> {
  const generation = metaGeneration
  if (sessionCache?.generation === generation) return sessionCache.session
  const session = (await getSession()) ?? null
  sessionCache = { generation, session } // a write during the read moved the generation: the next call reads again
  return session
}
export const setSession = (s: Session | null) => setMeta('session', s)

export async function markSessionExpired(code?: string): Promise<void> {
  const s = await getSession()
  if (s && !s.expired) await setSession({ ...s, expired: true, ...(code ? { ended: code } : {}) })
}

export const cursorKey = (userId: string) => `cursor:${userId}`

/** The key that seals a user's exported outbox file (login and /api/auth/me hand it out; db/outboxActions.ts uses it). */
export interface ExportKey {
  key_id: string
  key: string
}
/**
 * Kept per user, so records a user left unsynced on a shared phone can still be exported after another logs in;
 * sealed under that user's data key (`exportKey.ts`: read and write it there, never through `getMeta`).
 */
export const exportKeyKey = (userId: string) => `export_key:${userId}`
export const lastSyncKey = (userId: string) => `last_sync:${userId}`

/** When `userId`'s last round completed without error (ISO-8601 UTC), kept so the phone can say it offline. */
export const getLastSync = (userId: string) => getMeta<string>(lastSyncKey(userId))
export const setLastSync = (userId: string, at: string) => setMeta(lastSyncKey(userId), at)

/** The account this phone holds a key for under `username` (it logged in here: it may sign in offline), or null. */
export async function rememberedAccount(username: string): Promise<{ user_id: string; revoked: boolean } | null> {
  if (!username) return null
  const rows = await getDb().keys.where('username').equals(username).toArray()
  const row = rows.sort((a, b) => b.created_at.localeCompare(a.created_at))[0]
  return row ? { user_id: row.user_id, revoked: !!row.revoked_at } : null
}
