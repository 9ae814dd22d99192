/** The local copy of the server's records: pulled pages, pushed results, and a switch of user. */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { changeToRow, forgetMutations, listOutbox, pendingAmong, queuedAmong } from './outbox'
import { applyMutationLocally } from './records'
import { cursorKey, getMeta, setMeta } from './meta'
import type { Change } from './types'

function replicaTables() {
  const db = getDb()
  return Object.values(ENTITY_TABLES).map((t) => db.table(t))
}

/**
 * Write changes to the replica with bulk operations: per store one bulkDelete (tombstones) and one bulkPut.
 * Skips unknown types and records with unsynced local changes (`pending`): the push result brings the
 * server's copy later. When a page names one record twice, the later change wins. Call inside a transaction
 * over the replica stores. Returns how many changes were written.
 */
async function writeChanges(changes: Change[], pending: Set<string>): Promise<number> {
  const byTable = new Map<string, Map<string, Change>>()
  for (const c of changes) {
    const name = ENTITY_TABLES[c.type]
    if (!name) continue
    // A record with unsynced local changes keeps them; the push result will bring the server's copy.
    if (pending.has(String(c.id))) continue
    let rows = byTable.get(name)
    if (!rows) byTable.set(name, (rows = new Map()))
    rows.delete(String(c.id)) // re-insert so the later change keeps its place and wins
    rows.set(String(c.id), c)
  }
  let applied = 0
  const db = getDb()
  for (const [name, rows] of byTable) {
    const table = db.table(name)
    const deletes: unknown[] = []
    const puts: Record<string, unknown>[] = []
    for (const c of rows.values()) {
      if (c.deleted) {
        deletes.push(c.id)
        if (/^\d+$/.test(c.id)) deletes.push(Number(c.id)) // areas and users have integer keys
      } else {
        puts.push(changeToRow(c))
      }
      applied++
    }
    if (deletes.length) await table.bulkDelete(deletes as never[])
    if (puts.length) await table.bulkPut(puts)
  }
  return applied
}

/** Store one pulled page and its cursor in a single transaction: either both land or neither. */
export async function applyPulledPage(userId: string, changes: Change[], cursor: number): Promise<number> {
  const db = getDb()
  let applied = 0
  await db.transaction('rw', [...replicaTables(), db.outbox, db.meta], async () => {
    const pending = await pendingAmong(userId, changes)
    applied = await writeChanges(changes, pending)
    await setMeta(cursorKey(userId), cursor)
  })
  return applied
}

/**
 * Settle a pushed batch in one transaction: drop the acknowledged mutations, then store the entities the
 * server answered with, except for records that still have queued mutations of this user (later edits,
 * rejected or conflicting ones, unanswered ones). Other outbox changes of the same answer (conflict,
 * rejected) may run in an enclosing transaction over the replica stores, the outbox and attachments.
 */
export async function applyPushedBatch(userId: string, acknowledged: string[], entities: Change[]): Promise<void> {
  const db = getDb()
  // Several answers for one record (a create and an update in one batch): keep the newest version.
  const newest = new Map<string, Change>()
  for (const e of entities) {
    const key = `${e.type}:${e.id}`
    const prev = newest.get(key)
    if (!prev || (e.version ?? 0) >= (prev.version ?? 0)) newest.set(key, e)
  }
  const latest = [...newest.values()]
  await db.transaction('rw', [...replicaTables(), db.outbox], async () => {
    // The delete and the store run side by side (one transaction: both land or neither). The check asks about
    // these records only and leaves the acknowledged mutations out: later edits, rejected, conflicting or
    // unanswered ones (and the next batch, sent but not yet settled) still protect theirs.
    const store = async () => {
      if (!latest.length) return
      const queued = await queuedAmong(userId, latest, acknowledged)
      await writeChanges(latest, new Set(queued.keys()))
      // An update queued while its record's create (or an earlier update) was still unsynced has no base
      // version yet (0): the record it was made on is the one the server just answered with.
      for (const c of latest) {
        for (const m of queued.get(String(c.id)) ?? []) {
          if (m.entity_id === String(c.id) && m.entity_type === c.type && m.state === 'pending'
            && m.op.endsWith('.update') && !((m.base_version ?? 0) > 0)) {
            await db.outbox.update(m.id, { base_version: c.version })
          }
        }
      }
    }
    await Promise.all([acknowledged.length ? db.outbox.bulkDelete(acknowledged) : undefined, store()])
  })
  forgetMutations(acknowledged)
}

/** Store the entity a push answered with, unless the record has newer queued changes. */
export async function applyPushedEntity(userId: string, entity: Change): Promise<void> {
  await applyPushedBatch(userId, [], [entity])
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
