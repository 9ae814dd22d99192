/**
 * Versions the server answered for pushed records whose replica row the pull has not refreshed yet.
 *
 * Storing a pushed batch records the answered versions here, one row per user in its own store, instead of rewriting every
 * record: the pull that follows in the same round brings the same records and writes them, so each is written
 * once, and the flush of a long queue costs IndexedDB the outbox deletes alone. Until the pull lands (it may fail,
 * the app may be killed), an update of such a record takes its base_version from here, so it never goes out stale.
 */
import { getDb } from './db'
import type { Change } from './types'

export type Answered = Record<string, number>
type Versioned = Pick<Change, 'type' | 'id' | 'version'>

const recordKey = (type: string, id: string | number) => `${type}:${id}`

export async function answeredVersions(userId: string): Promise<Answered> {
  return (await getDb().answered.get(userId))?.versions ?? {}
}

async function setAnswered(userId: string, versions: Answered): Promise<void> {
  const table = getDb().answered
  if (Object.keys(versions).length) await table.put({ user_id: userId, versions })
  else await table.delete(userId)
}

/** Forget every remembered version of this user (the map is empty afterwards). */
export async function clearAnswered(userId: string): Promise<void> {
  await setAnswered(userId, {})
}

/** Remember answered versions; call in the transaction that drops their mutations (it needs `answered`). */
export async function rememberAnswered(userId: string, changes: Versioned[]): Promise<void> {
  if (!changes.length) return
  const map = await answeredVersions(userId)
  for (const c of changes) {
    const key = recordKey(c.type, c.id)
    map[key] = Math.max(map[key] ?? 0, c.version)
  }
  await setAnswered(userId, map)
}

/** After a pulled page was written: forget the records it refreshed (their rows hold that version or newer). */
export async function forgetAnswered(userId: string, written: (Versioned & { deleted?: boolean })[]): Promise<void> {
  const map = (await getDb().answered.get(userId))?.versions
  if (!map) return
  let changed = false
  for (const c of written) {
    const key = recordKey(c.type, c.id)
    if (key in map && (c.deleted || c.version >= map[key])) {
      delete map[key]
      changed = true
    }
  }
  if (changed) await setAnswered(userId, map)
}

/** The version an update of this record is based on: the replica row's, or a newer answered one. */
export async function baseVersionOf(userId: string, type: string, id: string, rowVersion: number | undefined): Promise<number> {
  const answered = (await answeredVersions(userId))[recordKey(type, id)] ?? 0
  return Math.max(rowVersion ?? 0, answered)
}

/** Every remembered record, as `[type, id, version]`. */
export function answeredEntries(map: Answered): [string, string, number][] {
  return Object.entries(map).map(([key, version]) => {
    const at = key.indexOf(':')
    return [key.slice(0, at), key.slice(at + 1), version]
  })
}
