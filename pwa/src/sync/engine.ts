/** The sync engine: upload attachments, push the outbox in batches, pull pages; backoff on failure. No Vue here. */
import { getDb } from '../db/db'
import { attachmentBlob, pruneUploadedAttachments } from '../db/attachments'
import { ENTITY_TABLES } from '../db/schema'
import { currentSession, getDeviceId, lastSyncKey, markSessionExpired, setMeta } from '../db/meta'
import { nextPending, protectedBy } from '../db/outbox'
import { inflight } from '../db/records'
import { adoptReplicaFor, applyPulledPage, applyPushedBatch, getCursor, settleAnswered } from '../db/replica'
import { baseVersionOf } from '../db/answered'
import type { Change, Mutation } from '../db/types'
import { ApiError, type Api, type PushMutation, type PushResult } from './api'

export const MAX_BATCH = 200
/** Stay under the server's 2 MB request limit with room for the envelope. */
export const MAX_BATCH_BYTES = 1_800_000
export const PULL_LIMIT = 500
/** Pending mutations one read of the queue takes into the push pipeline (five full batches). */
export const PUSH_WINDOW = 5 * MAX_BATCH
/** Pushed batches on their way at once (independent ones only: see `dependsOn`). */
export const MAX_IN_FLIGHT = 2

export type SyncOutcome = 'ok' | 'no_session' | 'unauthorized' | 'retry' | 'busy'

export interface SyncStatus {
  running: boolean
  lastOutcome: SyncOutcome | null
  lastErrorCode: string | null
  lastSyncAt: string | null
  failures: number
  nextRetryAt: number | null
}

export interface EngineOptions {
  api: Api
  intervalMs?: number
  baseBackoffMs?: number
  maxBackoffMs?: number
  random?: () => number
  /** Called with the user id after a 401: the UI shows the login screen; the queue stays. */
  onSessionExpired?: () => void
}

/** A batch about to be pushed: its mutations, the records they change and the records they name. */
interface Batch {
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

function batchOf(sent: Mutation[]): Batch {
  return { sent, changes: new Set(sent.flatMap(protectedBy)), names: new Set(sent.flatMap(namedBy)) }
}

/**
 * Must `later` wait for `earlier`'s answer? Yes when it names a record `earlier` changes (a visit of a
 * recipient created there, a second update of a record) or changes one `earlier` names. Two visits of the
 * same recipient do not depend on each other.
 */
function dependsOn(later: Batch, earlier: Batch): boolean {
  for (const id of later.names) if (earlier.changes.has(id)) return true
  for (const id of later.changes) if (earlier.names.has(id)) return true
  return false
}

/** The session changed (a logout, another user's login) while a round ran for the previous user. */
class SessionChanged extends Error {}

export class SyncEngine {
  readonly status: SyncStatus = {
    running: false, lastOutcome: null, lastErrorCode: null, lastSyncAt: null, failures: 0, nextRetryAt: null,
  }
  private listeners = new Set<(s: SyncStatus) => void>()
  private timer: ReturnType<typeof setTimeout> | null = null
  private current: Promise<SyncOutcome> | null = null
  private again = false
  private started = false
  private readonly onOnline = () => void this.requestSync()

  constructor(private readonly opts: EngineOptions) {}

  subscribe(fn: (s: SyncStatus) => void): () => void {
    this.listeners.add(fn)
    fn({ ...this.status })
    return () => this.listeners.delete(fn)
  }

  private emit(patch: Partial<SyncStatus>) {
    Object.assign(this.status, patch)
    for (const fn of this.listeners) fn({ ...this.status })
  }

  /** Start: sync now, on `online`, and on a timer. */
  start(): void {
    if (this.started) return
    this.started = true
    if (typeof window !== 'undefined') window.addEventListener('online', this.onOnline)
    void this.requestSync()
  }

  stop(): void {
    this.started = false
    if (typeof window !== 'undefined') window.removeEventListener('online', this.onOnline)
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  /** Run a sync soon; calls made while one runs are folded into one more run after it. */
  requestSync(): Promise<SyncOutcome> {
    if (this.current) {
      this.again = true
      return this.current
    }
    this.current = (async () => {
      let outcome: SyncOutcome
      do {
        this.again = false
        outcome = await this.runLocked()
      // A round cut short by a change of user ('no_session') runs again for whoever is logged in now.
      } while (this.again && (outcome === 'ok' || outcome === 'no_session'))
      return outcome
    })().finally(() => {
      this.current = null
    })
    return this.current
  }

  private schedule(outcome: SyncOutcome) {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (!this.started) return
    let delay: number
    if (outcome === 'retry') {
      const base = this.opts.baseBackoffMs ?? 2000
      const max = this.opts.maxBackoffMs ?? 300_000
      const exp = Math.min(max, base * 2 ** Math.min(this.status.failures - 1, 20))
      delay = exp / 2 + (this.opts.random ?? Math.random)() * (exp / 2)
    } else if (outcome === 'ok') {
      delay = this.opts.intervalMs ?? 60_000
    } else {
      return // no session: wait for login
    }
    this.emit({ nextRetryAt: Date.now() + delay })
    this.timer = setTimeout(() => void this.requestSync(), delay)
  }

  private async runLocked(): Promise<SyncOutcome> {
    const locks = (globalThis.navigator as Navigator | undefined)?.locks
    const run = () => this.syncOnce()
    if (locks?.request) return (await locks.request('zoufang-sync', run)) as SyncOutcome
    return run()
  }

  /** One full round: attachments → push → pull. Never throws. */
  async syncOnce(): Promise<SyncOutcome> {
    this.emit({ running: true })
    let outcome: SyncOutcome
    let code: string | null = null
    let uid = ''
    try {
      const session = await currentSession()
      if (!session || session.expired) {
        outcome = 'no_session'
      } else {
        uid = String(session.user.id)
        const [, deviceId] = await Promise.all([adoptReplicaFor(uid), getDeviceId()])
        await this.pushAll(uid, deviceId)
        await this.pullAll(uid)
        await settleAnswered(uid)
        await pruneUploadedAttachments()
        const now = new Date().toISOString()
        await setMeta(lastSyncKey(uid), now)
        this.emit({ lastSyncAt: now })
        outcome = 'ok'
      }
    } catch (e) {
      if (e instanceof SessionChanged || (e instanceof ApiError && !(await this.isSessionOf(uid)))) {
        // What the previous user's round still had to send waits for that user's next login.
        outcome = 'no_session'
      } else if (e instanceof ApiError && (e.status === 401 || e.code === 'csrf_failed' || e.code === 'unauthorized')) {
        await markSessionExpired()
        outcome = 'unauthorized'
        code = e.code
        this.opts.onSessionExpired?.()
      } else {
        outcome = 'retry'
        code = e instanceof ApiError ? e.code : 'client_error'
        if (!(e instanceof ApiError)) console.error('sync failed', e)
      }
    }
    const failures = outcome === 'retry' ? this.status.failures + 1 : 0
    this.emit({ running: false, lastOutcome: outcome, lastErrorCode: code, failures })
    this.schedule(outcome)
    return outcome
  }

  private async isSessionOf(userId: string): Promise<boolean> {
    const s = await currentSession()
    return !!s && !s.expired && String(s.user.id) === userId
  }

  /**
   * Before each request of a round: the round's user must still be the one logged in, so a round that was
   * running when the user logged out (or another user logged in on this phone) never sends that user's
   * records with the next session's cookie, nor stores what the next session pulls under the old cursor.
   */
  private async assertSessionOf(userId: string): Promise<void> {
    if (!(await this.isSessionOf(userId))) throw new SessionChanged()
  }

  private async uploadAttachments(batch: Mutation[]): Promise<Set<string>> {
    const db = getDb()
    const failed = new Set<string>() // mutation ids whose attachment the server refused for good
    const shas = [...new Set(batch.flatMap((m) => m.attachments))]
    for (const sha of shas) {
      const a = await db.attachments.get(sha)
      if (!a || a.uploaded) continue
      try {
        await this.opts.api.putAttachment(sha, attachmentBlob(a))
        await db.attachments.update(sha, { uploaded: 1 })
      } catch (e) {
        if (e instanceof ApiError && !e.retryable && e.status !== 401 && e.code !== 'csrf_failed') {
          for (const m of batch.filter((x) => x.attachments.includes(sha))) {
            failed.add(m.id)
            await db.outbox.update(m.id, {
              state: 'rejected', error: { code: e.code, message: e.message, fields: { attachment: sha } },
            })
          }
        } else {
          throw e
        }
      }
    }
    return failed
  }

  /** An update queued before its record's create had synced: its base_version comes from the stored answer. */
  private static needsBaseVersion(m: Mutation): boolean {
    return m.op.endsWith('.update') && !((m.base_version ?? 0) > 0)
  }

  /**
   * Fill the base_version of an update queued before its record's create had synced: storing that create's
   * answer wrote it into the queued row (`applyPushedBatch`); else the replica's version.
   */
  private async baseVersionFor(m: Mutation): Promise<number | null> {
    if (!SyncEngine.needsBaseVersion(m)) return m.base_version
    const stored = (await getDb().outbox.get(m.id))?.base_version ?? 0
    if (stored > 0) return stored
    const row = (await getDb().table(ENTITY_TABLES[m.entity_type]).get(m.entity_id)) as { _version?: number } | undefined
    const base = await baseVersionOf(m.user_id, m.entity_type, m.entity_id, row?._version)
    return base > 0 ? base : m.base_version
  }

  /**
   * Push this user's pending mutations, oldest first, in batches, pipelined: one ranged read takes up to
   * PUSH_WINDOW of them (all marked in flight at once, so no edit folds into them meanwhile). Up to
   * MAX_IN_FLIGHT batches are on their way at once, but a batch that names a record an earlier unanswered
   * batch changes (or changes one it names) waits for that answer: the server sees every dependent mutation
   * after the one it depends on, as if the queue were sent one batch at a time. The answers are stored
   * strictly in the order the batches were sent, one transaction each, while later batches travel. A batch
   * with an update whose base_version must come from an earlier answer waits until every answer before it
   * is stored. When the window is used up every answer is stored before the queue is read again (mutations
   * answered `missing_attachment` go again then; after a 413 the window is read again in smaller batches).
   * A failed push or store ends the round after the answers already received are stored; everything
   * unsettled stays pending and goes again (push is idempotent).
   */
  private async pushAll(userId: string, deviceId: string): Promise<void> {
    let batchSize = MAX_BATCH
    const retriedMissing = new Set<string>()
    const held = new Set<string>() // in flight because of this round
    const release = (ids: Iterable<string>) => {
      for (const id of ids) {
        inflight.delete(id)
        held.delete(id)
      }
    }
    let settling: Promise<void> = Promise.resolve() // the answers received and not yet stored, in order
    const failed: { error?: unknown; set: boolean } = { set: false } // the first store that failed
    // Answers that arrive while an earlier one is being stored wait here and are then stored together, in
    // one transaction (group commit): the store, not the network, is the slow step on a phone's IndexedDB.
    let waiting: { sent: Mutation[]; results: PushResult[] }[] = []
    const storeWaiting = async () => {
      const group = waiting
      waiting = []
      if (!group.length) return
      const sent = group.flatMap((a) => a.sent)
      const started = performance.now()
      try {
        if (!failed.set) await this.applyResults(userId, sent, group.flatMap((a) => a.results), retriedMissing)
      } catch (error) {
        if (!failed.set) Object.assign(failed, { error, set: true })
      } finally {
        release(sent.map((m) => m.id))
        // User timing (devtools' performance panel, bench/pwa.py): when each group of answers was stored.
        performance.measure?.(`zf-sync-store ${sent.length}`, { start: started })
      }
    }
    const settle = (sent: Mutation[], results: PushResult[]) => {
      waiting.push({ sent, results })
      settling = settling.then(storeWaiting)
    }
    const drain = async () => {
      await settling
      if (failed.set) throw failed.error
    }
    // The batches sent and not yet answered, oldest first.
    const flying: Flight[] = []
    let resized = false // a 413 halved the batch size: the rest of the window is read again
    /** Wait for the oldest batch's answer and hand it to the store; a 413 shrinks the batches instead. */
    const receiveOldest = async () => {
      const flight = flying.shift()!
      let answer
      try {
        answer = await flight.answer
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 413)) throw e
        if (flight.sent.length > 1) {
          batchSize = Math.max(1, Math.floor(flight.sent.length / 2))
          resized = true // these stay pending and unsettled: the next pass reads them again
        } else {
          await getDb().outbox.update(flight.sent[0].id, { state: 'rejected', error: { code: e.code, message: e.message } })
          release([flight.sent[0].id])
        }
        return
      }
      settle(flight.sent, answer.results)
    }
    const receiveAll = async () => {
      while (flying.length) await receiveOldest()
    }
    try {
      for (let pass = 0; pass < 1000; pass++) {
        await drain()
        release([...held]) // what the last pass read and did not send (after a 413) is read again
        resized = false
        // Marked in flight synchronously after each read, before any other transaction can fold an edit into them.
        const take = (rows: Mutation[]) => {
          const fresh = rows.filter((m) => !inflight.has(m.id))
          for (const m of fresh) {
            inflight.add(m.id)
            held.add(m.id)
          }
          return fresh
        }
        // The first batch is read alone, so it leaves at once; the rest of the window is read while it is on its way.
        const window = take(await nextPending(userId, batchSize))
        if (!window.length) return
        let restToRead = window.length >= batchSize
        const refused = new Set<string>()
        let next = 0
        while (next < window.length && !resized) {
          // Take mutations in order up to the count and byte limits.
          const batch: Mutation[] = []
          let bytes = 0
          let end = next
          for (; end < window.length; end++) {
            const m = window[end]
            if (refused.has(m.id)) continue
            const size = JSON.stringify(m.data).length + 200
            if (batch.length >= batchSize || (batch.length && bytes + size > MAX_BATCH_BYTES)) break
            batch.push(m)
            bytes += size
          }
          await this.assertSessionOf(userId)
          for (const id of await this.uploadAttachments(batch)) refused.add(id)
          const sendable = batch.filter((m) => !refused.has(m.id))
          next = end
          if (!sendable.length) continue
          if (sendable.some(SyncEngine.needsBaseVersion)) {
            await receiveAll()
            await drain()
          }
          const ready = batchOf(sendable)
          while (flying.length >= MAX_IN_FLIGHT || flying.some((f) => dependsOn(ready, f))) await receiveOldest()
          if (resized) break
          if (failed.set) throw failed.error
          const body: PushMutation[] = []
          for (const m of sendable) {
            const base = SyncEngine.needsBaseVersion(m) ? await this.baseVersionFor(m) : m.base_version
            body.push({ id: m.id, op: m.op, data: m.data, base_version: base, client_time: m.client_time })
          }
          await this.assertSessionOf(userId)
          const answer = this.opts.api.push(deviceId, body)
          answer.catch(() => undefined) // awaited in order by receiveOldest
          flying.push({ ...ready, answer })
          if (restToRead) {
            restToRead = false
            window.push(...take(await nextPending(userId, PUSH_WINDOW)))
          }
        }
        await receiveAll()
      }
    } finally {
      // Every request of the round has ended before it does; the answers that came back are stored (a failed
      // push or store still keeps every answer received before or beside it).
      while (flying.length) {
        const flight = flying.shift()!
        const answer = await flight.answer.catch(() => null)
        if (answer) settle(flight.sent, answer.results)
      }
      await settling
      release([...held])
    }
  }

  /**
   * Settle one pushed batch in one transaction: the pending-entity set is computed once, acknowledged
   * mutations are bulk-deleted and the answered versions remembered until the pull brings the records (see
   * `applyPushedBatch`).
   */
  private async applyResults(userId: string, sent: Mutation[], results: PushResult[], retriedMissing: Set<string>) {
    const db = getDb()
    const byId = new Map(results.map((r) => [r.id, r]))
    let unanswered = 0
    const acknowledged: string[] = []
    const entities: Change[] = []
    const updates: { id: string; patch: Partial<Mutation> }[] = []
    const notUploaded: string[] = []
    for (const m of sent) {
      const r = byId.get(m.id)
      if (!r) {
        unanswered++ // stays pending and goes again later (push is idempotent)
        continue
      }
      if (r.status === 'applied' || r.status === 'duplicate') {
        acknowledged.push(m.id)
        if (r.entity) entities.push(r.entity)
      } else if (r.status === 'conflict') {
        updates.push({
          id: m.id,
          patch: { state: 'conflict', error: { code: 'conflict', message: r.error?.message }, server_entity: r.entity ?? null },
        })
      } else if (r.error?.code === 'missing_attachment' && !retriedMissing.has(m.id)) {
        // The server lost or never got the file: upload it again, then the mutation goes again.
        retriedMissing.add(m.id)
        notUploaded.push(...m.attachments)
      } else {
        updates.push({
          id: m.id,
          patch: { state: 'rejected', error: r.error ?? { code: 'validation_error' }, attempts: m.attempts + 1 },
        })
      }
    }
    const tables = [db.outbox, db.attachments, db.answered, ...Object.values(ENTITY_TABLES).map((t) => db.table(t))]
    await db.transaction('rw', tables, async () => {
      for (const { id, patch } of updates) await db.outbox.update(id, patch)
      for (const sha of new Set(notUploaded)) await db.attachments.update(sha, { uploaded: 0 })
      await applyPushedBatch(userId, acknowledged, entities)
    })
    if (unanswered) throw new ApiError(0, 'incomplete_answer')
  }

  /**
   * Pull pages until `has_more` is false, pipelined: the next page is asked for (with the cursor the last
   * answer gave) while the last one is being stored. Pages are stored strictly in order, each with its cursor
   * in one transaction; a failed store ends the round, and the page fetched ahead is dropped unstored.
   */
  private async pullAll(userId: string): Promise<void> {
    let cursor = await getCursor(userId)
    let restarted = false
    const fetchPage = async (from: number) => {
      await this.assertSessionOf(userId)
      return this.opts.api.pull(from, PULL_LIMIT)
    }
    let ahead: ReturnType<typeof fetchPage> | null = null
    try {
      for (let page = 0; page < 10_000; page++) {
        let answer
        try {
          answer = await (ahead ?? fetchPage(cursor))
        } catch (e) {
          if (e instanceof ApiError && e.status === 410 && !restarted) {
            restarted = true
            cursor = 0
            ahead = null
            continue
          }
          throw e
        } finally {
          ahead = null
        }
        if (answer.has_more) {
          ahead = fetchPage(answer.cursor)
          ahead.catch(() => undefined) // settled when it is awaited; a failure then ends the round
        }
        await this.assertSessionOf(userId) // the answer was for this user's session only if it still is
        await applyPulledPage(userId, answer.changes, answer.cursor)
        cursor = answer.cursor
        if (!answer.has_more) return
      }
    } finally {
      await ahead?.catch(() => undefined) // no request outlives the round
    }
  }
}
