/** The sync engine's round: start, triggers, backoff, the session guard; push (`pushPipeline.ts`) then pull (`pull.ts`). No Vue here. */
import { pruneUploadedAttachments } from '../db/attachments'
import { currentSession, getDeviceId, getLastSync, markSessionExpired, setLastSync } from '../db/meta'
import { adoptReplicaFor, settleAnswered, wipeReplica } from '../db/replica'
import { getServerEpoch, pruneAcknowledged, requeueAcknowledged } from '../db/outbox'
import { LockedError, unlockedUser } from '../db/sealed'
import { ApiError, REVOKED_CODES, type Api } from './api'
import { pullAll } from './pull'
import { PushPipeline } from './pushPipeline'

export { MAX_BATCH, MAX_BATCH_BYTES, MAX_IN_FLIGHT, PUSH_WINDOW } from './pushPipeline'
export { PULL_LIMIT } from './pull'

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
  /** How long acknowledged mutations are kept for a re-send after a server restore (default 30 days). */
  ackedRetentionMs?: number
  /** Called after a 401 `session_revoked` / `account_inactive` wiped this user's replica and drafts (the queue stays). */
  onRevoked?: (userId: string, code: string) => void
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

  /**
   * One full round: session, replica owner, push (attachments first), pull, answered versions settled. Never
   * throws. Only for the user whose data key is in memory (unlocked): the queue and the replica are sealed.
   */
  async syncOnce(): Promise<SyncOutcome> {
    this.emit({ running: true })
    let outcome: SyncOutcome
    let code: string | null = null
    let uid = ''
    try {
      const session = await currentSession()
      if (!session || session.expired || unlockedUser() !== String(session.user.id)) {
        outcome = 'no_session'
      } else {
        uid = String(session.user.id)
        const [, deviceId, lastSync] = await Promise.all([adoptReplicaFor(uid), getDeviceId(), getLastSync(uid)])
        // This user's last good round, as kept on the phone: a reload or another user's login left another value here.
        if ((lastSync ?? null) !== this.status.lastSyncAt) this.emit({ lastSyncAt: lastSync ?? null })
        const guard = () => this.assertSessionOf(uid)
        const push = (epoch?: string) => new PushPipeline({ api: this.opts.api, userId: uid, deviceId, guard, epoch }).run()
        // A 410 (the server was restored from a backup): what it had acknowledged goes again, before anything newer,
        // then the pull starts from 0. Once per round.
        let resent = false
        const resend = async () => {
          if (resent) return
          resent = true
          await requeueAcknowledged()
          await push()
        }
        const epoch = await getServerEpoch()
        await push(epoch).catch((e) => (e instanceof ApiError && e.status === 410 ? resend() : Promise.reject(e)))
        await pullAll(this.opts.api, uid, guard, epoch, resend)
        await settleAnswered(uid)
        await pruneAcknowledged(Date.now(), this.opts.ackedRetentionMs)
        await pruneUploadedAttachments()
        const now = new Date().toISOString()
        await setLastSync(uid, now)
        this.emit({ lastSyncAt: now })
        outcome = 'ok'
      }
    } catch (e) {
      if (e instanceof SessionChanged || e instanceof LockedError || (e instanceof ApiError && !(await this.isSessionOf(uid)))) {
        // What the previous user's round still had to send waits for that user's next login (or unlock).
        outcome = 'no_session'
      } else if (e instanceof ApiError && e.status === 401 && REVOKED_CODES.includes(e.code)) {
        // A lost phone, a deactivated account: nothing of the replica or the drafts stays; the queue does, sealed.
        await wipeReplica(uid)
        await markSessionExpired()
        outcome = 'unauthorized'
        code = e.code
        this.opts.onRevoked?.(uid, e.code)
      } else if (e instanceof ApiError && (e.status === 401 || e.code === 'csrf_failed' || e.code === 'unauthorized')) {
        // Expired, logged out, or ended by a password change elsewhere (`password_changed`): nothing is wiped,
        // the next login (with the new password) goes on where this one stopped.
        await markSessionExpired(e.status === 401 ? e.code : undefined)
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
    return !!s && !s.expired && String(s.user.id) === userId && unlockedUser() === userId
  }

  /**
   * Before each request of a round: the round's user must still be the one logged in, so a round that was
   * running when the user logged out (or another user logged in on this phone) never sends that user's
   * records with the next session's cookie, nor stores what the next session pulls under the old cursor.
   */
  private async assertSessionOf(userId: string): Promise<void> {
    if (!(await this.isSessionOf(userId))) throw new SessionChanged()
  }
}
