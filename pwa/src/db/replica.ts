/** The local copy of the server's records: pulled pages, pushed results, a switch of user, a revoked session. */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { changeToRow, deleteQueued, forgetMutations, listOutbox, pendingAmong, queuedAmong, updateMutation } from './outbox'
import { applyMutationLocally } from './records'
import { cursorKey, getMeta, setMeta } from './meta'
import { answeredEntries, answeredVersions, clearAnswered, forgetAnswered, rememberAnswered } from './answered'
import { PLAIN, sealRecords, type SealedStore } from './sealed'
import type { Change } from './types'

/** The rows to store for a page's live changes, sealed where their store is (before the page's transaction). */
async function rowsOf(changes: Change[]): Promise<Map<Change, object>> {
  const rows = new Map<Change, object>()
  const byStore = new Map<string, Change[]>()
  for (const c of changes) {
    const name = ENTITY_TABLES[c.type]
    if (!name || c.deleted) continue
    if (!(name in PLAIN)) rows.set(c, changeToRow(c))
    else byStore.set(name, [...(byStore.get(name) ?? []), c])
  }
  for (const [name, list] of byStore) {
    const sealed = await sealRecords(name as SealedStore, list.map(changeToRow))
    list.forEach((c, i) => rows.set(c, sealed[i]))
  }
  return rows
}

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
async function writeChanges(changes: Change[], pending: Set<string>, stored = new Map<Change, object>()): Promise<Change[]> {
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
  const written: Change[] = []
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
        puts.push((stored.get(c) ?? changeToRow(c)) as Record<string, unknown>)
      }
      written.push(c)
    }
    if (deletes.length) await table.bulkDelete(deletes as never[])
    if (puts.length) await table.bulkPut(puts)
  }
  return written
}

/** Store one pulled page and its cursor in a single transaction: either both land or neither. */
export async function applyPulledPage(userId: string, changes: Change[], cursor: number): Promise<number> {
  const db = getDb()
  let applied = 0
  const rows = await rowsOf(changes)
  await db.transaction('rw', [...replicaTables(), db.outbox, db.meta, db.answered], async () => {
    const pending = await pendingAmong(userId, changes)
    const written = await writeChanges(changes, pending, rows)
    applied = written.length
    await forgetAnswered(userId, written)
    await setMeta(cursorKey(userId), cursor)
  })
  return applied
}

/**
 * Settle a pushed batch in one transaction: drop the acknowledged mutations and remember the versions the server
 * answered with (`answered.ts`) for records without other queued mutations of this user (later edits, rejected,
 * conflicting or unanswered ones, and the next batch, sent but not yet settled, still protect theirs). The
 * records themselves are not rewritten here: the pull that follows brings them (`settleAnswered` covers any it
 * does not). Other outbox changes of the same answer (conflict, rejected) may run in an enclosing transaction
 * over the replica stores, the outbox, `answered` and attachments.
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
  await db.transaction('rw', [...replicaTables(), db.outbox, db.answered], async () => {
    // The check runs beside the delete and leaves the acknowledged mutations out.
    const store = async () => {
      if (!latest.length) return
      const queued = await queuedAmong(userId, latest, acknowledged)
      const free = latest.filter((c) => !queued.has(String(c.id)))
      // A tombstone in an answer (rare) is applied at once; the rest waits for the pull.
      await writeChanges(free.filter((c) => c.deleted), new Set())
      await rememberAnswered(userId, free.filter((c) => !c.deleted))
      // An update queued while its record's create (or an earlier update) was still unsynced has no base
      // version yet (0): the record it was made on is the one the server just answered with.
      for (const c of latest) {
        for (const m of queued.get(String(c.id)) ?? []) {
          if (m.entity_id === String(c.id) && m.entity_type === c.type && m.state === 'pending'
            && m.op.endsWith('.update') && !((m.base_version ?? 0) > 0)) {
            await updateMutation(db, m.id, { base_version: c.version })
          }
        }
      }
    }
    await Promise.all([deleteQueued(acknowledged), store()])
  })
  forgetMutations(acknowledged)
}

/**
 * After a round's pull: answered records the pull did not refresh (left out because the user queued another
 * change meanwhile, or not in the pull at all) take their answered version into their row, and the map is
 * emptied. The rows keep their local data; the next pull or answer brings the server's.
 */
export async function settleAnswered(userId: string): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [...replicaTables(), db.answered], async () => {
    const map = await answeredVersions(userId)
    const left = answeredEntries(map)
    if (!left.length) return
    for (const [type, id, version] of left) {
      const name = ENTITY_TABLES[type as keyof typeof ENTITY_TABLES]
      if (!name) continue
      const row = (await db.table(name).get(id)) as { _version?: number } | undefined
      if (row && (row._version ?? 0) < version) await db.table(name).update(id, { _version: version })
    }
    await clearAnswered(userId)
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
  const queue = await listOutbox(userId) // opened before the transaction: this user's key is in memory
  await db.transaction('rw', [...replicaTables(), db.outbox, db.meta], async () => {
    for (const t of replicaTables()) await t.clear()
    await setMeta(cursorKey(userId), 0)
    await setMeta('replica_user', userId)
    for (const m of queue) await applyMutationLocally(m)
  })
  return true
}

/**
 * The server answered that this user's session was revoked or their account deactivated: drop what the phone
 * holds for them — the replica, their drafts, cursor, answered versions, cached inbox, and their files no queued
 * mutation names (uploaded photos, a draft's), their acknowledged mutations. Their unsynced mutations stay, sealed, until the same user logs in
 * again online (or exports them for the office).
 */
export async function wipeReplica(userId: string): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [...replicaTables(), db.meta, db.drafts, db.answered, db.attachments, db.outbox, db.acked], async () => {
    for (const t of replicaTables()) await t.clear()
    // What the server acknowledged is the server's: a lost phone keeps none of it for a re-send.
    await db.acked.filter((m) => m.user_id === userId).delete()
    // `inbox:` and `inbox_reads:` are sync/inbox.ts's keys.
    await db.meta.bulkDelete([cursorKey(userId), 'replica_user', `inbox:${userId}`, `inbox_reads:${userId}`])
    await db.drafts.where('user_id').equals(userId).delete()
    await clearAnswered(userId)
    const named = new Set<string>()
    await db.outbox.each((m) => m.attachments.forEach((sha) => named.add(sha)))
    await db.attachments.filter((a) => a.user_id === userId && !named.has(a.sha256)).delete()
  })
}

/**
 * Drop the replica and its cursors. A logout no longer needs it (the replica is sealed under the user's key, kept
 * for their next login, offline included; another user's login replaces it: `adoptReplicaFor`).
 */
export async function dropReplica(): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [...replicaTables(), db.meta], async () => {
    for (const t of replicaTables()) await t.clear()
    await db.meta.where('key').startsWith('cursor:').delete()
    await db.meta.delete('replica_user')
  })
}
