/**
 * Signing in and unlocking, loaded lazily with the login screen's submit (it brings the crypto code). The password
 * unwraps this phone's data key for the user (`db/keyring.ts`): after the server accepted it when the server can be
 * reached, on the phone alone when it cannot (a user who has logged in here before works offline; the queue flushes
 * once a server session exists again). The app locks itself after a while in the background (`watchIdle`).
 */
import { api, enterSession, lock, refreshSession, session, unlocked } from './useApp'
import { ApiError } from '../lib/http'
import {
  KeyringRevoked, NoKeyring, WrongPassword, rekey, rewrap, sealLegacyRows, startAfresh, unlockOffline, unlockOnline,
} from '../db/keyring'
import { adoptReplicaFor } from '../db/replica'
import { keepExportKey } from '../db/exportKey'
import { roster } from '../db/queries'
import type { LoginAnswer } from '../sync/api'
import type { Session } from '../db/types'

export { KeyringRevoked, NoKeyring, WrongPassword }

/** `in`: signed in and unlocked. `stale`: the server took the password, this phone's key wants the previous one. */
export type SignIn = 'in' | 'stale'

/** An online login whose password does not unwrap this phone's key: it waits for the old password or a fresh start. */
let staleLogin: { answer: LoginAnswer; username: string; password: string } | null = null

const online = () => typeof navigator === 'undefined' || navigator.onLine

/**
 * Sign in. A live session of the same account (the app was locked or reloaded) is unlocked on the phone alone;
 * otherwise the server is asked first, and when it cannot answer (offline, no signal) the phone alone decides:
 * a wrong password never unlocks (WrongPassword), an account never seen here cannot (NoKeyring), nor one whose
 * session the server ended (KeyringRevoked). Server refusals are thrown as they came (ApiError).
 */
export async function signIn(username: string, password: string): Promise<SignIn> {
  staleLogin = null
  performance.mark?.(UNLOCK_MARK)
  const current = session.value
  if (current && !current.expired && current.user.username === username) {
    try {
      await unlockOffline(username, password)
      await open(current, username)
      return 'in'
    } catch (e) {
      if (!(e instanceof NoKeyring)) throw e // a session from before encryption at rest: the server first
    }
  }
  let answer: LoginAnswer | null = null
  if (online()) {
    try {
      answer = await api.login(username, password)
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 0)) throw e // no answer at all: as if offline
    }
  }
  if (!answer) {
    const user = await unlockOffline(username, password)
    // The session this phone still holds for the account (its cookie may be alive), else one that must sign in
    // online before it syncs; either way the records are there to work with.
    const kept = current && String(current.user.id) === String(user.id) ? current : null
    await open(kept ?? { user, csrf_token: '', expired: true }, username)
    if (online()) void refreshSession()
    return 'in'
  }
  if ((await unlockOnline(answer.user, password)) === 'stale') {
    staleLogin = { answer, username, password }
    return 'stale'
  }
  await open(fromAnswer(answer), username, answer)
  return 'in'
}

const fromAnswer = (a: LoginAnswer): Session => ({ user: a.user, csrf_token: a.csrf_token, expired: false })

/** User timing (bench/pwa.py): from the submit, to the key in memory, to the roster decrypted into memory. */
const UNLOCK_MARK = 'zf-unlock-start'

async function open(next: Session, username: string, answer?: LoginAnswer): Promise<void> {
  const uid = String(next.user.id)
  measure('zf-unlock-key')
  await sealLegacyRows(uid)
  // The key that seals this user's export file (docs/outbox-file.md; the server checks the seal): kept sealed under
  // the data key just unlocked, never in the clear.
  if (answer?.export_key) await keepExportKey(uid, answer.export_key)
  await adoptReplicaFor(uid) // another account used the phone last: this one's queue laid over an empty replica
  // Behind the first screen: the roster decrypted into memory (`sealed.ts` keeps it), where the list and its
  // search (`useRoster.ts`) read it from; started now, beside the session's start.
  void roster().then(() => measure('zf-unlock-roster'), () => undefined)
  await enterSession(next, username)
  watchIdle()
}

function measure(name: string): void {
  try {
    performance.measure?.(name, UNLOCK_MARK)
  } catch {
    /* no start mark (a fresh start after `stale`): nothing to time */
  }
}

/** After `stale`: the password this phone knew unwraps the key, which is wrapped again by the new one. */
export async function unlockWithOldPassword(oldPassword: string): Promise<void> {
  const s = staleLogin
  if (!s) throw new WrongPassword()
  await rekey(s.answer.user, oldPassword, s.password)
  staleLogin = null
  await open(fromAnswer(s.answer), s.username, s.answer)
}

/** After `stale`, the old password forgotten: a new key; returns how many unsynced records were set aside, locked. */
export async function startWithNewKey(): Promise<number> {
  const s = staleLogin
  if (!s) return 0
  const kept = await startAfresh(s.answer.user, s.password)
  staleLogin = null
  await open(fromAnswer(s.answer), s.username, s.answer)
  return kept
}

/**
 * The unsynced records of an account whose session the server ended (or any remembered account), opened with its
 * password for the office as the export file; the key leaves memory again at once.
 */
export async function exportQueue(username: string, password: string): Promise<string> {
  const user = await unlockOffline(username, password, true)
  try {
    return await (await import('../db/outboxActions')).exportPending(String(user.id))
  } finally {
    await lock()
  }
}

/** A password change on this phone: the data key is wrapped by the new password (false: `current` did not unwrap it). */
export async function rewrapForNewPassword(current: string, next: string): Promise<boolean> {
  return session.value ? rewrap(String(session.value.user.id), current, next) : false
}

// -- the idle lock

/** In the background this long, the app locks: the key and everything opened with it leave memory. */
export const LOCK_AFTER_MS = 15 * 60_000
/** localStorage: a shorter limit (tests; a cautious deployment). It can only shorten the lock, never lengthen it. */
export const LOCK_AFTER_KEY = 'zoufang.lockAfterMs'

export function lockAfterMs(): number {
  let asked = 0
  try {
    asked = Number(localStorage.getItem(LOCK_AFTER_KEY))
  } catch {
    /* storage unavailable */
  }
  return asked > 0 ? Math.min(asked, LOCK_AFTER_MS) : LOCK_AFTER_MS
}

let watching = false

/** Lock after `lockAfterMs()` hidden (a timer while hidden, and a check on return); renew an expired session online. */
export function watchIdle(): void {
  if (watching || typeof document === 'undefined') return
  watching = true
  let hiddenAt = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const lockNow = () => {
    if (unlocked.value) void lock()
  }
  document.addEventListener('visibilitychange', () => {
    clearTimeout(timer)
    if (document.visibilityState === 'hidden') {
      hiddenAt = Date.now()
      timer = setTimeout(lockNow, lockAfterMs()) // background timers may run late: the check below covers it
    } else {
      if (hiddenAt && Date.now() - hiddenAt >= lockAfterMs()) lockNow()
      hiddenAt = 0
    }
  })
  window.addEventListener('online', () => {
    if (session.value?.expired && unlocked.value) void refreshSession()
  })
}
