/** The push pipeline: a window of the user's pending mutations, up to two batches in flight, answers stored in order. */
import { getDb } from '../db/db'
import { ENTITY_TABLES } from '../db/schema'
import { markRefused, nextPending, protectedBy, queuedBaseVersion } from '../db/outbox'
import { inflight } from '../db/records'
import { baseVersionOf } from '../db/answered'
import type { StoredMutation } from '../db/schema'
import type { Mutation } from '../db/types'
import { ApiError, type Api, type PushMutation, type PushResult } from './api'
import { storeAnswers } from './answers'
import { uploadAttachments } from './upload'

export const MAX_BATCH = 200
/** Stay under the server's 2 MB request limit with room for the envelope. */
export const MAX_BATCH_BYTES = 1_800_000
/** Pending mutations one read of the queue takes into the push pipeline (five full batches). */
export const PUSH_WINDOW = 5 * MAX_BATCH
/** Pushed batches on their way at once (independent ones only: see `dependsOn`). */
export const MAX_IN_FLIGHT = 2

/** A batch about to be pushed: its mutations, the records they change and the records they name. */
export interface Batch {
  sent: Mutation[]
  changes: Set<string>
  names: Set<string>
}

/** A pushed batch on its way, kept to hold dependent batches behind it until it is answered. */
interface Flight extends Batch {
  answer: Promise<{ results: PushResult[] }>
}

/** The record ids a mutation names: what it changes and every record its data refers to (`recipient_id`, …). */
function namedBy(m: Mutation): string[] {
  const ids = protectedBy(m)
  for (const [key, value] of Object.entries(m.data ?? {})) if (key.endsWith('_id') && typeof value === 'string') ids.push(value)
  return ids
}

export function batchOf(sent: Mutation[]): Batch {
  return { sent, changes: new Set(sent.flatMap(protectedBy)), names: new Set(sent.flatMap(namedBy)) }
}

/**
 * Must `later` wait for `earlier`'s answer? Yes when it names a record `earlier` changes (a visit of a
 * recipient created there, a second update of a record) or changes one `earlier` names. Two visits of the
 * same recipient do not depend on each other.
 */
export function dependsOn(later: Batch, earlier: Batch): boolean {
  for (const id of later.names) if (earlier.changes.has(id)) return true
  for (const id of later.changes) if (earlier.names.has(id)) return true
  return false
}

/** An update queued before its record's create had synced: its base_version comes from the stored answer. */
function needsBaseVersion(m: Mutation): boolean {
  return m.op.endsWith('.update') && !((m.base_version ?? 0) > 0)
}

/**
 * Fill the base_version of an update queued before its record's create had synced: storing that create's
 * answer wrote it into the queued row (`applyPushedBatch`); else the replica's version.
 */
async function baseVersionFor(m: Mutation): Promise<number | null> {
  if (!needsBaseVersion(m)) return m.base_version
  const stored = await queuedBaseVersion(m.id)
  if (stored > 0) return stored
  const row = (await getDb().table(ENTITY_TABLES[m.entity_type]).get(m.entity_id)) as { _version?: number } | undefined
  const base = await baseVersionOf(m.user_id, m.entity_type, m.entity_id, row?._version)
  return base > 0 ? base : m.base_version
}

/**
 * The next batch of `window` from `start`: mutations in order, leaving out `refused` ones, up to `size` of them
 * and MAX_BATCH_BYTES; `end` is where the batch after it starts.
 */
function cutBatch(window: Mutation[], start: number, size: number, refused: Set<string>): { batch: Mutation[]; end: number } {
  const batch: Mutation[] = []
  let bytes = 0
  let end = start
  for (; end < window.length; end++) {
    const m = window[end]
    if (refused.has(m.id)) continue
    const bytesOf = JSON.stringify(m.data).length + 200
    if (batch.length >= size || (batch.length && bytes + bytesOf > MAX_BATCH_BYTES)) break
    batch.push(m)
    bytes += bytesOf
  }
  return { batch, end }
}

type StoreAnswers = (sent: Mutation[], results: PushResult[]) => Promise<void>

/**
 * Stores answers strictly in the order they are handed over. Answers handed over while an earlier store runs
 * wait and are then stored together, in one transaction (group commit): the store, not the network, is the
 * slow step on a phone's IndexedDB. Once a store has failed, later answers are not stored (their mutations stay
 * pending and go again) and `drain` throws that first failure.
 */
export class InOrderCommitter {
  private settling: Promise<void> = Promise.resolve()
  private waiting: { sent: Mutation[]; results: PushResult[] }[] = []
  private failure: { error: unknown } | null = null

  /** `stored` runs after every store, failed or not, with the ids of the mutations it was given. */
  constructor(private readonly store: StoreAnswers, private readonly stored: (ids: string[]) => void) {}

  add(sent: Mutation[], results: PushResult[]): void {
    this.waiting.push({ sent, results })
    this.settling = this.settling.then(() => this.storeWaiting())
  }

  /** Resolves when every answer handed over so far has been stored or given up; never rejects. */
  settled(): Promise<void> {
    return this.settling
  }

  /** Throws the first failed store's error, if a store failed. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error
  }

  /** Waits until every answer handed over so far is stored, then throws the first failure, if any. */
  async drain(): Promise<void> {
    await this.settling
    this.throwIfFailed()
  }

  private async storeWaiting(): Promise<void> {
    const group = this.waiting
    this.waiting = []
    if (!group.length) return
    const sent = group.flatMap((a) => a.sent)
    const started = performance.now()
    try {
      if (!this.failure) await this.store(sent, group.flatMap((a) => a.results))
    } catch (error) {
      if (!this.failure) this.failure = { error }
    } finally {
      this.stored(sent.map((m) => m.id))
      // User timing (devtools' performance panel, bench/pwa.py): when each group of answers was stored.
      performance.measure?.(`zf-sync-store ${sent.length}`, { start: started })
    }
  }
}

export interface PushOptions {
  api: Api
  userId: string
  deviceId: string
  /** Runs before each request: throws when the round's user is no longer the one logged in. */
  guard: () => Promise<void>
  /** The server's epoch last seen (sent with each push: a restored server answers 410, `engine.ts` re-sends). */
  epoch?: string
}

/**
 * Push one user's pending mutations, oldest first, in batches, pipelined (one pipeline per round, `run` once).
 * A window of up to PUSH_WINDOW of them is read one batch at a time, each read while the batch before it is on
 * its way (all marked in flight as they are read, so no edit folds into them meanwhile; their rows are kept, to be
 * kept as sent once acknowledged). Up to MAX_IN_FLIGHT batches are on their
 * way at once, but a batch that names a record an earlier unanswered batch changes (or changes one it names)
 * waits for that answer: the server sees every dependent mutation after the one it depends on, as if the queue
 * were sent one batch at a time. The answers are stored strictly in the order the batches were sent, while
 * later batches travel (`InOrderCommitter`). A batch with an update whose base_version must come from an
 * earlier answer waits until every answer before it is stored. When the window is used up every answer is
 * stored before the queue is read again (mutations answered `missing_attachment` go again then; after a 413
 * the window is read again in smaller batches). A failed push or store ends the round after the answers
 * already received are stored; everything unsettled stays pending and goes again (push is idempotent).
 */
export class PushPipeline {
  private batchSize = MAX_BATCH
  /** Mutations answered `missing_attachment` once already this round: a second time rejects them. */
  private readonly retriedMissing = new Set<string>()
  /** Marked in flight (`inflight`) by this round and not released yet. */
  private readonly held = new Set<string>()
  /** The batches sent and not yet answered, oldest first. */
  private readonly flying: Flight[] = []
  /** A 413 halved the batch size: the rest of the window is read again. */
  private resized = false
  /** The epoch the server answered with (kept with the acknowledged mutations). */
  private answeredEpoch: string | undefined
  /** The outbox rows of the mutations `held`, as read: kept as they are once acknowledged (`keepAcknowledged`). */
  private readonly rows = new Map<string, StoredMutation>()
  private readonly committer = new InOrderCommitter(
    (sent, results) => storeAnswers(this.opts.userId, sent, results, this.retriedMissing, this.answeredEpoch, this.rows),
    (ids) => this.release(ids),
  )

  constructor(private readonly opts: PushOptions) {}

  async run(): Promise<void> {
    try {
      for (let pass = 0; pass < 1000; pass++) if (!(await this.pass())) return
    } finally {
      await this.finish()
    }
  }

  /** Read a window of the queue and send it; false when nothing was pending. */
  private async pass(): Promise<boolean> {
    const { api, userId, guard } = this.opts
    await this.committer.drain()
    this.release([...this.held]) // what the last pass read and did not send (after a 413) is read again
    this.resized = false
    // The queue is read one batch at a time, the next while the last one sent is on its way, so each batch leaves
    // as soon as there is room for it (not after the whole window is read and opened).
    let read = await nextPending(userId, this.batchSize, this.rows)
    const window = this.take(read)
    if (!window.length) return false
    const refused = new Set<string>()
    let next = 0
    while (next < window.length && !this.resized) {
      const { batch, end } = cutBatch(window, next, this.batchSize, refused)
      const t0 = performance.now()
      await guard()
      performance.measure?.('zf-sync-guard', { start: t0 })
      for (const id of await uploadAttachments(api, batch)) refused.add(id)
      const sendable = batch.filter((m) => !refused.has(m.id))
      next = end
      if (!sendable.length) continue
      const ready = batchOf(sendable)
      const t1 = performance.now()
      await this.makeRoomFor(ready)
      performance.measure?.('zf-sync-room', { start: t1 })
      if (this.resized) break
      this.committer.throwIfFailed()
      await this.send(ready)
      const limit = Math.min(this.batchSize, PUSH_WINDOW - window.length)
      if (read.length >= this.batchSize && limit > 0 && window.length - next < this.batchSize) {
        // After the last seq read: a mutation sharing it (another tab's) waits for the next pass.
        const t2 = performance.now()
        read = await nextPending(userId, limit, this.rows, read[read.length - 1].seq)
        performance.measure?.('zf-sync-read', { start: t2 })
        window.push(...this.take(read))
      }
    }
    await this.receiveAll()
    return true
  }

  /** Marked in flight synchronously after each read, before any other transaction can fold an edit into them. */
  private take(rows: Mutation[]): Mutation[] {
    const fresh = rows.filter((m) => !inflight.has(m.id))
    for (const m of fresh) {
      inflight.add(m.id)
      this.held.add(m.id)
    }
    return fresh
  }

  private release(ids: Iterable<string>): void {
    for (const id of ids) {
      inflight.delete(id)
      this.held.delete(id)
      this.rows.delete(id)
    }
  }

  /**
   * Wait until `ready` may leave: fewer than MAX_IN_FLIGHT batches on their way and none it depends on; with an
   * update whose base_version an earlier answer gives, every answer before it received and stored.
   */
  private async makeRoomFor(ready: Batch): Promise<void> {
    if (ready.sent.some(needsBaseVersion)) {
      await this.receiveAll()
      await this.committer.drain()
    }
    while (this.flying.length >= MAX_IN_FLIGHT || this.flying.some((f) => dependsOn(ready, f))) await this.receiveOldest()
  }

  private async send(ready: Batch): Promise<void> {
    const t0 = performance.now()
    const body: PushMutation[] = []
    for (const [i, m] of ready.sent.entries()) {
      const base = needsBaseVersion(m) ? await baseVersionFor(m) : m.base_version
      // What is kept once acknowledged is what was sent: a re-send must be the same payload (else mutation_id_reused).
      if (base !== m.base_version) ready.sent[i] = { ...m, base_version: base }
      body.push({ id: m.id, op: m.op, data: m.data, base_version: base, client_time: m.client_time })
    }
    await this.opts.guard()
    performance.measure?.('zf-sync-send', { start: t0 })
    const answer = this.opts.api.push(this.opts.deviceId, body, this.opts.epoch).then((a) => ((this.answeredEpoch = a.epoch), a))
    answer.catch(() => undefined) // awaited in order by receiveOldest
    this.flying.push({ ...ready, answer })
  }

  /** Wait for the oldest batch's answer and hand it to the committer; a 413 shrinks the batches instead. */
  private async receiveOldest(): Promise<void> {
    const flight = this.flying.shift()!
    let answer
    const t0 = performance.now()
    try {
      answer = await flight.answer
      performance.measure?.('zf-sync-answer', { start: t0 })
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 413)) throw e
      if (flight.sent.length > 1) {
        this.batchSize = Math.max(1, Math.floor(flight.sent.length / 2))
        this.resized = true // these stay pending and unsettled: the next pass reads them again
      } else {
        await markRefused([{ id: flight.sent[0].id, state: 'rejected', error: { code: e.code, message: e.message } }])
        this.release([flight.sent[0].id])
      }
      return
    }
    this.committer.add(flight.sent, answer.results)
  }

  private async receiveAll(): Promise<void> {
    while (this.flying.length) await this.receiveOldest()
  }

  /**
   * Every request of the round has ended before it does; the answers that came back are stored (a failed push
   * or store still keeps every answer received before or beside it).
   */
  private async finish(): Promise<void> {
    while (this.flying.length) {
      const flight = this.flying.shift()!
      const answer = await flight.answer.catch(() => null)
      if (answer) this.committer.add(flight.sent, answer.results)
    }
    await this.committer.settled()
    this.release([...this.held])
  }
}
