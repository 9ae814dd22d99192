/** The pull: pages of the server's changes since the user's cursor, each stored with its cursor. */
import { applyPulledPage, getCursor } from '../db/replica'
import { ApiError, type Api } from './api'

export const PULL_LIMIT = 500

/**
 * Pull pages until `has_more` is false, pipelined: the next page is asked for (with the cursor the last
 * answer gave) while the last one is being stored. Pages are stored strictly in order, each with its cursor
 * in one transaction; a failed store ends the round, and the page fetched ahead is dropped unstored. `epoch`
 * (the server's, last seen) goes with each request; a 410 `cursor_expired` runs `onExpired` (the engine's
 * re-send after a server restore), then starts again from 0 without it (once). `guard` runs before each
 * request and before each store: it throws when the round's user is no longer the one logged in.
 */
export async function pullAll(
  api: Api, userId: string, guard: () => Promise<void>, epoch?: string, onExpired?: () => Promise<void>,
): Promise<void> {
  let cursor = await getCursor(userId)
  let restarted = false
  const fetchPage = async (from: number) => {
    await guard()
    return api.pull(from, PULL_LIMIT, epoch)
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
          await onExpired?.()
          cursor = 0
          epoch = undefined
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
      await guard() // the answer was for this user's session only if it still is
      await applyPulledPage(userId, answer.changes, answer.cursor)
      cursor = answer.cursor
      if (!answer.has_more) return
    }
  } finally {
    await ahead?.catch(() => undefined) // no request outlives the round
  }
}
