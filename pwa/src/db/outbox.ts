/** The outbox: ordered mutations per user, written in the same transaction as the local record. */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { uuid, setMeta, cursorKey } from './meta'
import type { Change, EntityType, Mutation, Op } from './types'

let lastSeq = 0

/** A monotonic sequence number, also monotonic across reloads because it starts from the clock. */
export function nextSeq(): number {
  const now = Date.now() * 1000
  lastSeq = Math.max(now, lastSeq + 1)
  return lastSeq
}

export function entityTypeOf(op: Op): EntityType {
  return op.split('.')[0] as EntityType
}

export function newMutation(
  userId: string, op: Op, data: Record<string, unknown>, baseVersion: number | null, attachments: string[] = [],
): Mutation {
  return {
    id: uuid(), user_id: userId, seq: nextSeq(), op, entity_type: entityTypeOf(op),
    entity_id: String(data.id), data, base_version: baseVersion, client_time: new Date().toISOString(),
    attachments, state: 'pending', error: null, attempts: 0, server_entity: null,
  }
}

/** Mutations of one user, oldest first. */
export async function listOutbox(userId: string): Promise<Mutation[]> {
  return getDb().outbox.where('[user_id+seq]').between([userId, -Infinity], [userId, Infinity]).toArray()
}

export async function listAllOutbox(): Promise<Mutation[]> {
  return getDb().outbox.toArray()
}

function userQueue(userId: string) {
  return getDb().outbox.where('[user_id+seq]').between([userId, -Infinity], [userId, Infinity])
}

/**
 * The oldest `limit` pending mutations of one user: one ranged getAll on `[user_id+state+seq]` (schema v2),
 * not a cursor walk over the whole queue.
 */
export async function nextPending(userId: string, limit: number): Promise<Mutation[]> {
  return getDb().outbox.where('[user_id+state+seq]')
    .between([userId, 'pending', -Infinity], [userId, 'pending', Infinity]).limit(limit).toArray()
}

/** Entity ids with an unsynced mutation of this user: pulls must not overwrite them. */
export async function pendingEntityIds(userId: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const m of await userQueue(userId).toArray()) {
    ids.add(m.entity_id)
    // A queued follow-up changes its difficulty's status and next date locally.
    if (m.op === 'followup.create' && m.data.difficulty_id) ids.add(String(m.data.difficulty_id))
  }
  return ids
}

/**
 * The same protection as `pendingEntityIds`, asked only about the records `changes` name: for each of them
 * that has an unsynced mutation of this user (or, for a difficulty, a queued follow-up), those mutations. A
 * queue no longer than the question is read whole (one getAll); a longer one is asked about these records
 * only, one keyed getAll each on the `entity_id` and `data.difficulty_id` indexes, all issued at once, so
 * storing a pushed batch costs the batch, not the whole queue.
 */
export async function queuedAmong(userId: string, changes: Pick<Change, 'type' | 'id'>[]): Promise<Map<string, Mutation[]>> {
  const found = new Map<string, Mutation[]>()
  const add = (id: string, m: Mutation) => {
    const list = found.get(id)
    if (list) list.push(m)
    else found.set(id, [m])
  }
  const ids = new Set(changes.map((c) => String(c.id)))
  if (!ids.size) return found
  const queued = await userQueue(userId).count()
  if (!queued) return found
  if (queued <= ids.size) {
    for (const m of await userQueue(userId).toArray()) {
      if (ids.has(m.entity_id)) add(m.entity_id, m)
      const difficulty = m.op === 'followup.create' && m.data.difficulty_id ? String(m.data.difficulty_id) : null
      if (difficulty && ids.has(difficulty)) add(difficulty, m)
    }
    return found
  }
  const outbox = getDb().outbox
  const difficulties = new Set(changes.filter((c) => c.type === 'difficulty').map((c) => String(c.id)))
  await Promise.all([
    ...[...ids].map(async (id) => {
      for (const m of await outbox.where('entity_id').equals(id).toArray()) if (m.user_id === userId) add(id, m)
    }),
    ...[...difficulties].map(async (id) => {
      for (const m of await outbox.where('data.difficulty_id').equals(id).toArray()) {
        if (m.user_id === userId && m.op === 'followup.create') add(id, m)
      }
    }),
  ])
  return found
}

/** The ids among `changes` that `pendingEntityIds` would protect (see `queuedAmong`). */
export async function pendingAmong(userId: string, changes: Pick<Change, 'type' | 'id'>[]): Promise<Set<string>> {
  return new Set((await queuedAmong(userId, changes)).keys())
}

/** Put a rejected or conflicting mutation back in the queue, unchanged or rebased on the server's version. */
export async function retryMutation(id: string): Promise<void> {
  const db = getDb()
  await db.transaction('rw', db.outbox, async () => {
    const m = await db.outbox.get(id)
    if (!m) return
    const patch: Partial<Mutation> = { state: 'pending', error: null }
    if (m.state === 'conflict' && m.server_entity) patch.base_version = m.server_entity.version
    // A new id: the server never recorded the rejected one, but a fresh id can never be mistaken for a reuse.
    await db.outbox.delete(id)
    await db.outbox.put({ ...m, ...patch, id: uuid(), server_entity: null })
  })
}

/**
 * Drop a mutation for good. A discarded create removes the local record; a discarded update
 * restores the server's copy on the next full pull.
 */
export async function discardMutation(id: string): Promise<void> {
  const db = getDb()
  const tables = [db.outbox, db.meta, ...Object.values(ENTITY_TABLES).map((t) => db.table(t))]
  await db.transaction('rw', tables, async () => {
    const m = await db.outbox.get(id)
    if (!m) return
    await db.outbox.delete(id)
    const table = db.table(ENTITY_TABLES[m.entity_type])
    if (m.op.endsWith('.create')) {
      const others = await db.outbox.where('entity_id').equals(m.entity_id).count()
      if (others === 0) await table.delete(m.entity_id)
    } else if (m.server_entity && !m.server_entity.deleted) {
      await table.put({ ...m.server_entity.data, id: m.server_entity.id, _version: m.server_entity.version })
    } else {
      await setMeta(cursorKey(m.user_id), 0)
    }
  })
}

/** Everything not yet on the server, as a JSON document the user can save (last resort). */
export async function exportPending(userId: string): Promise<string> {
  const db = getDb()
  const mutations = await listOutbox(userId)
  const shas = [...new Set(mutations.flatMap((m) => m.attachments))]
  const attachments: Record<string, { mime: string; base64: string }> = {}
  for (const sha of shas) {
    const a = await db.attachments.get(sha)
    if (a && !a.uploaded) {
      const bytes = new Uint8Array(a.bytes)
      let bin = ''
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      attachments[sha] = { mime: a.mime, base64: btoa(bin) }
    }
  }
  return JSON.stringify({ exported_at: new Date().toISOString(), user_id: userId, mutations, attachments }, null, 2)
}

export function changeToRow(c: Change): Record<string, unknown> {
  // data.id keeps its type (areas and users have integer ids; the change's id is a string).
  return { id: c.id, ...c.data, _version: c.version }
}
