/**
 * Counts of queued mutations, from the outbox's plain index alone (no key): the tab badge and the login screen show
 * them before any unlock. Reads only; `outbox.ts` (which re-exports these) stays the one writer of the queue.
 */
import { getDb } from './db'

/**
 * One user's queue, every state: the `[user_id+state+seq]` keys starting with the user id (ordered by state,
 * then seq) lie between `[user]` (a shorter array sorts first) and `[user, []]` (an array sorts after any state).
 */
export function userQueue(userId: string) {
  return getDb().outbox.where('[user_id+state+seq]').between([userId], [userId, []], true, true)
}

/** How many mutations of one user are queued (any state): one index count. */
export function countQueued(userId: string): Promise<number> {
  return userQueue(userId).count()
}

/** How many of them wait to be sent. */
export function countPending(userId: string): Promise<number> {
  return getDb().outbox.where('[user_id+state+seq]').between([userId, 'pending', -Infinity], [userId, 'pending', Infinity]).count()
}
