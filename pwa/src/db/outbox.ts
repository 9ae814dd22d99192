/**
 * The outbox: ordered mutations per user, written in the same transaction as the local record. With
 * `outboxActions.ts` (the outbox screen's writes, apart so the first route does not carry them) the only module
 * that writes outbox rows; a writer that must share its caller's transaction takes that transaction's `db`.
 * Rows are stored sealed (`sealed.ts`): the queue's order, states and the records a mutation protects stay plain,
 * its data, error and the server's entity are encrypted; every read here hands out opened mutations.
 */
import { getDb } from './db'
import type { StoredAcked, StoredAckedPack, StoredAckedRow, StoredMutation, ZoufangDB } from './schema'
import { getMeta, metaVersion, setMeta } from './meta'
import { openRecord, openRecords, sealRecord } from './sealed'
import { userQueue } from './counts'
import type { Change, EntityType, Mutation, Op } from './types'

/** A mutation as the outbox keeps it: sealed, with the records it protects in the clear. */
export function toRow(m: Mutation): Promise<StoredMutation> {
  return sealRecord('outbox', { ...m, protects: protectedBy(m) }) as Promise<StoredMutation>
}

const opened = (rows: StoredMutation[]): Promise<Mutation[]> => openRecords<Mutation>('outbox', rows)

let lastSeq = 0

/** A monotonic sequence number, also monotonic across reloads because it starts from the clock. */
function nextSeq(): number {
  const now = Date.now() * 1000
  lastSeq = Math.max(now, lastSeq + 1)
  return lastSeq
}

/**
 * A mutation id that sorts like its seq: a UUID version 7 (RFC 9562) whose 48-bit time is the seq's
 * millisecond and whose 12-bit `rand_a` is the seq's count within it, then 62 random bits. The outbox is
 * keyed by mutation id, so a user's queue lies in key order and an answered batch is one key range: one
 * range delete instead of one delete per mutation (bench/pwa.py: ≈ 10× less IndexedDB time).
 */
export function mutationId(seq: number): string {
  const ms = Math.floor(seq / 1000)
  const within = seq - ms * 1000
  const random = globalThis.crypto.getRandomValues(new Uint8Array(8))
  random[0] = (random[0] & 0x3f) | 0x80 // the variant
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
  const tail = Array.from(random, (b) => hex(b, 2)).join('')
  const time = hex(ms, 12)
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(within, 3)}-${tail.slice(0, 4)}-${tail.slice(4)}`
}

/**
 * Delete queued mutations by id, as few requests as the keys allow: each run of them with no other queued
 * mutation between (in key order) goes as one key-range delete. Call inside a transaction over the outbox.
 */
export async function deleteQueued(ids: string[]): Promise<void> {
  if (!ids.length) return
  const outbox = getDb().outbox
  const gone = new Set(ids)
  const runs: [string, string][] = []
  let run: [string, string] | null = null
  for (const key of (await outbox.toCollection().primaryKeys()) as string[]) {
    if (!gone.has(key)) run = null
    else if (run) run[1] = key
    else runs.push((run = [key, key]))
  }
  await Promise.all(runs.map(([first, last]) => (first === last
    ? outbox.delete(first)
    : outbox.where(':id').between(first, last, true, true).delete())))
}

function entityTypeOf(op: Op): EntityType {
  return op.split('.')[0] as EntityType
}

export function newMutation(
  userId: string, op: Op, data: Record<string, unknown>, baseVersion: number | null, attachments: string[] = [],
): Mutation {
  const seq = nextSeq()
  return {
    id: mutationId(seq), user_id: userId, seq, op, entity_type: entityTypeOf(op),
    entity_id: String(data.id), data, base_version: baseVersion, client_time: new Date().toISOString(),
    attachments, state: 'pending', error: null, attempts: 0, server_entity: null,
  }
}

/**
 * The user's latest queued mutation of a record that an edit (`op`) may fold into: same user, not a conflict,
 * not being pushed right now (`inflight`), and a create or the same kind of update. Call inside the edit's
 * transaction.
 */
export async function foldTarget(
  db: ZoufangDB, userId: string, op: Op, entityId: string, inflight: ReadonlySet<string>,
): Promise<Mutation | undefined> {
  const queued = (await db.outbox.where('entity_id').equals(entityId).toArray())
    .filter((m) => m.user_id === userId && m.state !== 'conflict' && !inflight.has(m.id))
    .sort((a, b) => a.seq - b.seq)
  const target = queued[queued.length - 1]
  return target && !target.resend && (target.op.endsWith('.create') || target.op === op) ? openRecord<Mutation>('outbox', target) : undefined
}

/**
 * Queue a mutation, in place of `replaces` (the mutation it was folded from) when given. Call inside the
 * transaction that writes its local record, so neither lands without the other.
 */
export async function enqueue(db: ZoufangDB, mutation: Mutation, replaces?: string): Promise<void> {
  const row = await toRow(mutation)
  if (replaces) await db.outbox.delete(replaces)
  await db.outbox.put(row)
}

/** Change plain fields of a queued mutation (its base version) in the caller's transaction. */
export async function updateMutation(db: ZoufangDB, id: string, patch: Partial<Pick<Mutation, 'base_version'>>): Promise<void> {
  await db.outbox.update(id, patch)
}

/** Mutations of one user, oldest first (opened: this user's key must be in memory). */
export async function listOutbox(userId: string): Promise<Mutation[]> {
  return (await opened(await userQueue(userId).toArray())).sort((a, b) => a.seq - b.seq)
}

export { countPending, countQueued } from './counts'

/**
 * What the pending check needs of a queued mutation — the records it protects — by mutation id. These never
 * change for an id (an edit folds into the same record, a retry gets a new id), so they are remembered for as
 * long as the page lives: storing a pushed batch then asks IndexedDB only for the queue's keys.
 */
const protects = new Map<string, string[]>()

/** A queued mutation, opened or as stored (`protects`, or its data in a row from before encryption at rest). */
type Protecting = Pick<Mutation, 'op' | 'entity_id'> & { data?: Record<string, unknown>; protects?: string[] }

/** The records a mutation changes: its own and, for a follow-up, its difficulty (status, next date). A new array. */
export function protectedBy(m: Protecting): string[] {
  if (m.protects) return [...m.protects]
  // A queued follow-up changes its difficulty's status and next date locally.
  const difficulty = m.op === 'followup.create' && m.data?.difficulty_id ? String(m.data.difficulty_id) : null
  return difficulty ? [m.entity_id, difficulty] : [m.entity_id]
}

function remember(rows: (StoredMutation | undefined)[]): void {
  for (const m of rows) if (m) protects.set(m.id, protectedBy(m))
}

/** Mutations that left the queue (acknowledged or discarded) need not be remembered. */
export function forgetMutations(ids: Iterable<string>): void {
  for (const id of ids) protects.delete(id)
}

/**
 * The oldest `limit` pending mutations of one user (after `afterSeq`, when given): one ranged getAll on
 * `[user_id+state+seq]` (schema v2), not a cursor walk over the whole queue. `read` collects the rows as stored
 * (the push keeps them for `keepAcknowledged`).
 */
export async function nextPending(
  userId: string, limit: number, read?: Map<string, StoredMutation>, afterSeq = -Infinity,
): Promise<Mutation[]> {
  const rows = await getDb().outbox.where('[user_id+state+seq]')
    .between([userId, 'pending', afterSeq], [userId, 'pending', Infinity], false, true).limit(limit).toArray()
  remember(rows)
  if (read) for (const row of rows) read.set(row.id, row)
  return opened(rows)
}

/** Entity ids with an unsynced mutation of this user: pulls must not overwrite them. */
export async function pendingEntityIds(userId: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const m of await userQueue(userId).toArray()) for (const id of protectedBy(m)) ids.add(id)
  return ids
}

/**
 * The same protection as `pendingEntityIds`, asked only about the records `changes` name: for each of them
 * that has an unsynced mutation of this user (or, for a difficulty, a queued follow-up), those mutations as
 * they are now. Reads the queue's keys (one getAllKeys), the rows of mutations this page has not seen yet (one
 * key range), and the matching rows; mutation ids in `except` (just acknowledged, deleted in the same
 * transaction) are left out, so the check may run alongside their delete.
 */
export async function queuedAmong(
  userId: string, changes: Pick<Change, 'type' | 'id'>[], except: Iterable<string> = [],
): Promise<Map<string, StoredMutation[]>> {
  const found = new Map<string, StoredMutation[]>()
  const ids = new Set(changes.map((c) => String(c.id)))
  if (!ids.size) return found
  const skip = new Set(except)
  const outbox = getDb().outbox
  const keys = ((await userQueue(userId).primaryKeys()) as string[]).filter((k) => !skip.has(k))
  const unseen = keys.filter((k) => !protects.has(k))
  // One ranged read, not a get per key: the first answer stored in a flush finds most of the queue unseen
  // (the push reads it a batch at a time), and those rows lie in one key range (ids sort as the queue).
  if (unseen.length > 1) {
    const sorted = [...unseen].sort()
    remember(await outbox.where(':id').between(sorted[0], sorted[sorted.length - 1], true, true).toArray())
  } else if (unseen.length) remember(await outbox.bulkGet(unseen))
  const hits = keys.filter((k) => protects.get(k)?.some((id) => ids.has(id)))
  if (!hits.length) return found
  for (const m of await outbox.bulkGet(hits)) {
    if (!m) continue // deleted meanwhile: protects nothing
    for (const id of protectedBy(m)) {
      if (!ids.has(id)) continue
      const list = found.get(id)
      if (list) list.push(m)
      else found.set(id, [m])
    }
  }
  return found
}

/** The ids among `changes` that `pendingEntityIds` would protect (see `queuedAmong`). */
export async function pendingAmong(userId: string, changes: Pick<Change, 'type' | 'id'>[]): Promise<Set<string>> {
  return new Set((await queuedAmong(userId, changes)).keys())
}

export function changeToRow(c: Change): Record<string, unknown> {
  // data.id keeps its type (areas and users have integer ids; the change's id is a string).
  return { id: c.id, ...c.data, _version: c.version }
}

// What the sync engine writes to the queue (sync/pushPipeline.ts, sync/answers.ts, sync/upload.ts): it changes
// outbox rows only through these and `deleteQueued` (replica.ts's `applyPushedBatch`), never by itself.

/** Why a mutation stays queued instead of going again: the server's entity after a conflict, or an error. */
export type Refusal =
  | { id: string; state: 'conflict'; message?: string; entity: Change | null }
  | { id: string; state: 'rejected'; error: NonNullable<Mutation['error']>; attempts?: number }

/**
 * Keep refused mutations in the queue, visible with why, until the user retries, fixes or discards them:
 * `conflict` with the server's entity (a retry rebases on it), `rejected` with the error (and the count of
 * attempts the server answered, when it did). Inside or outside a transaction over the outbox.
 */
export async function markRefused(refusals: Refusal[]): Promise<void> {
  if (!refusals.length) return
  const db = getDb()
  await db.transaction('rw', db.outbox, async () => {
    for (const r of refusals) {
      const m = await openRecord<Mutation>('outbox', await db.outbox.get(r.id))
      if (!m) continue
      await db.outbox.put(await toRow(r.state === 'conflict'
        ? { ...m, state: 'conflict', error: { code: 'conflict', message: r.message }, server_entity: r.entity }
        : { ...m, state: 'rejected', error: r.error, ...(r.attempts === undefined ? {} : { attempts: r.attempts }) }))
    }
  })
}

/** The base_version a queued row holds now (storing its create's answer may have filled it), 0 when none. */
export async function queuedBaseVersion(id: string): Promise<number> {
  return (await getDb().outbox.get(id))?.base_version ?? 0
}

// Acknowledged mutations are kept (store `acked`) for a window, as they were sent: when the server is restored
// from a backup it has lost what it acknowledged since, and answers 410 to a cursor or epoch from before; the
// engine then puts them all back in the queue (`requeueAcknowledged`). The server's idempotency makes that safe:
// a mutation id it still has answers `duplicate`. (Not in outboxActions.ts: the engine needs it, and a dynamic
// import would break the service worker — a classic script running the engine too — and split the first
// route's chunks.) The rows move as they are stored, sealed: nothing is opened or sealed again on the way.

/** How long acknowledged mutations are kept: 30 days unless the engine is told otherwise (`ackedRetentionMs`). */
export const ACKED_KEEP_MS = 30 * 86_400_000

/** The epoch of the server's database in its last answer (device-wide: a logout forgets cursors, not this). */
const EPOCH_KEY = 'server_epoch'

export const getServerEpoch = () => getMeta<string>(EPOCH_KEY)

/**
 * Remember the server's epoch an answer came with, when it moved. Before the answer's transaction, in its own:
 * the epoch the acknowledged mutations were kept under is then never missing (a crash between the two leaves a
 * newer epoch and the mutations still queued, sent again and answered `duplicate`), and the answer's
 * transaction writes nothing to `meta`, so the session check before the next request never waits for it.
 */
export async function rememberServerEpoch(epoch?: string): Promise<void> {
  if (!epoch || (remembered?.db === getDb() && remembered.version === metaVersion() && remembered.epoch === epoch)) return
  if (epoch !== (await getServerEpoch())) await setMeta(EPOCH_KEY, epoch)
  remembered = { db: getDb(), version: metaVersion(), epoch }
}

/** The epoch `meta` held when this page last looked, while nothing wrote to `meta` (each answer reads it otherwise). */
let remembered: { db: ZoufangDB; version: number; epoch: string } | null = null

/**
 * Keep acknowledged mutations as stored, each with the base_version it was sent with: one row of `acked` for
 * them all (`StoredAckedPack`). `rows`: their outbox rows as the push read them (`nextPending`), so nothing is
 * read again; any not given is read from the queue. Call in the answer's transaction (over `outbox` and
 * `acked`), before they leave the queue, after `rememberServerEpoch`.
 */
export async function keepAcknowledged(sent: Mutation[], rows?: ReadonlyMap<string, StoredMutation>): Promise<void> {
  if (!sent.length) return
  const db = getDb()
  const missing = sent.filter((m) => !rows?.has(m.id)).map((m) => m.id)
  const read = new Map<string, StoredMutation>()
  if (missing.length) for (const r of await db.outbox.bulkGet(missing)) if (r) read.set(r.id, r)
  const kept: StoredMutation[] = []
  for (const m of sent) {
    const row = rows?.get(m.id) ?? read.get(m.id)
    // Discarded meanwhile (outboxActions): the server has it all the same; keep it as it was sent.
    kept.push({ ...(row ?? (await toRow(m))), base_version: m.base_version })
  }
  await db.acked.put({
    id: `pack:${kept[0].id}`, user_id: kept[0].user_id, acked_at: new Date().toISOString(),
    attachments: [...new Set(kept.flatMap((r) => r.attachments))], rows: kept,
  })
}

/** The mutations a row of `acked` keeps: a pack's rows, or the row itself (written one per mutation, before). */
export function ackedRows(row: StoredAckedRow): StoredMutation[] {
  return Array.isArray(row.rows) ? (row as StoredAckedPack).rows : [row as StoredAcked]
}

/** Every kept acknowledged mutation (of `userId`, when given), as stored, with when it was acknowledged; by seq. */
export async function keptAcknowledged(userId?: string): Promise<StoredAcked[]> {
  const kept: StoredAcked[] = []
  for (const row of await getDb().acked.toArray()) {
    if (userId !== undefined && row.user_id !== userId) continue
    for (const m of ackedRows(row)) kept.push({ ...m, acked_at: row.acked_at })
  }
  return kept.sort((a, b) => a.seq - b.seq)
}

/** Forget acknowledged mutations kept longer than `keepMs`. */
export function pruneAcknowledged(now = Date.now(), keepMs = ACKED_KEEP_MS): Promise<number> {
  return getDb().acked.where('acked_at').below(new Date(now - keepMs).toISOString()).delete()
}

/**
 * The server answered 410 `cursor_expired`: every kept acknowledged mutation, of every user of the phone, goes
 * back to its user's queue as pending, under its own id and so ahead of anything newer (ids sort by seq), marked
 * `resend` (never folded into). Every pull cursor and the remembered epoch are dropped in the same transaction,
 * so the 410 is never forgotten while the mutations are still unsent. A sealed row was pending when it was sent
 * (no error, no server entity in its blob); a row from before encryption at rest clears them in the clear.
 */
export async function requeueAcknowledged(): Promise<void> {
  const db = getDb()
  await db.transaction('rw', [db.outbox, db.acked, db.meta], async () => {
    const kept = (await db.acked.toArray()).flatMap((row) => ackedRows(row))
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    await db.outbox.bulkPut(kept.map(({ acked_at, ...m }: StoredMutation & { acked_at?: string }) => ({
      ...m, state: 'pending' as const, resend: 1 as const, ...(m.enc ? {} : { error: null, server_entity: null }),
    })))
    await db.acked.clear()
    await db.meta.where('key').startsWith('cursor:').delete()
    await db.meta.delete(EPOCH_KEY)
  })
}

/**
 * A user's queue that can no longer be opened (sealed under a key whose password they forgot: `keyring.ts`
 * `startAfresh`): moved under `asUserId`, so it is neither sent nor folded into, and stays on the phone.
 */
export async function setAsideQueue(userId: string, asUserId: string): Promise<number> {
  const db = getDb()
  return db.transaction('rw', db.outbox, async () => {
    const rows = await userQueue(userId).toArray()
    await db.outbox.bulkPut(rows.map((r) => ({ ...r, user_id: asUserId })))
    return rows.length
  })
}
