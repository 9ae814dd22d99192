/** The local copy of the server's records: pulled pages, pushed results, and a switch of user. */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { changeToRow, listOutbox, pendingEntityIds } from './outbox'
import { applyMutationLocally } from './records'
import { cursorKey, getMeta, setMeta } from './meta'
import type { Change } from './types'

function replicaTables() {
  const db = getDb()
  return Object.values(ENTITY_TABLES).map((t) => db.table(t))
}

async function putChange(c: Change, pending: Set<string>): Promise<boolean> {
  const name = ENTITY_TABLES[c.type]
  if (!name) return false
  // A record with unsynced local changes keeps them; the push result will bring the server's copy.
  if (pending.has(String(c.id))) return false
  const table = getDb().table(name)
  if (c.deleted) {
    await table.delete(c.id)
    if (/^\d+$/.test(c.id)) await table.delete(Number(c.id))
  }
  else await table.put(changeToRow(c))
  return true
}

/** Store one pulled page and its cursor in a single transaction: either both land or neither. */
export async function applyPulledPage(userId: string, changes: Change[], cursor: number): Promise<number> {
  const db = getDb()
  let applied = 0
  await db.transaction('rw', [...replicaTables(), db.outbox, db.meta], async () => {
    const pending = await pendingEntityIds(userId)
    for (const c of changes) if (await putChange(c, pending)) applied++
    await setMeta(cursorKey(userId), cursor)
  })
  return applied
}

/** Store the entity a push answered with, unless the record has newer queued changes. */
export async function applyPushedEntity(userId: string, entity: Change): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [...replicaTables(), db.outbox], async () => {
    const pending = await pendingEntityIds(userId)
    await putChange(entity, pending)
  })
}

export async function getCursor(userId: string): Promise<number> {
  return (await getMeta<number>(cursorKey(userId))) ?? 0
}

/**
 * Make the replica belong to `userId`. When another user logs in on the same phone, the previous
 * user's replica is dropped (their queue stays, untouched and unsent) and the new user's queued
 * records are laid back over an empty replica until the pull refills it.
 */
export async function adoptReplicaFor(userId: string): Promise<boolean> {
  const db = getDb()
  const owner = await getMeta<string>('replica_user')
  if (owner === userId) return false
  await db.transaction('rw', [...replicaTables(), db.outbox, db.meta], async () => {
    for (const t of replicaTables()) await t.clear()
    await setMeta(cursorKey(userId), 0)
    await setMeta('replica_user', userId)
    for (const m of await listOutbox(userId)) await applyMutationLocally(m)
  })
  return true
}

/**
 * On logout: drop the replica (names, phones and addresses of the roster should not outlive the session on a
 * shared or lost phone). The outbox, drafts and unsent files stay; the next login pulls the replica again and
 * lays that user's queue back over it.
 */
export async function dropReplica(): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [...replicaTables(), db.meta], async () => {
    for (const t of replicaTables()) await t.clear()
    await db.meta.where('key').startsWith('cursor:').delete()
    await db.meta.delete('replica_user')
  })
}
