/** What push answers do on the device: one transaction drops, keeps or marks every mutation they answer. */
import { getDb } from '../db/db'
import { ENTITY_TABLES } from '../db/schema'
import { keepAcknowledged, markRefused, rememberServerEpoch, type Refusal } from '../db/outbox'
import { applyPushedBatch } from '../db/replica'
import type { StoredMutation } from '../db/schema'
import type { Change, Mutation } from '../db/types'
import { ApiError, type PushResult } from './api'
import { markNotUploaded } from './upload'

/**
 * Store the answers to `sent` (one batch, or several answered while an earlier store ran) in one transaction:
 * acknowledged mutations are bulk-deleted and the answered versions remembered until the pull brings the
 * records (`applyPushedBatch`); conflicts and rejections stay queued with why (`markRefused`); a first
 * `missing_attachment` marks the files not uploaded, so the mutation goes again after them (`retriedMissing`
 * holds the ids already sent again once, across the round). A mutation the answer leaves out stays pending and
 * the round ends as a retry (`incomplete_answer`) once the rest is stored. Acknowledged mutations are kept, as
 * sent, for a re-send should the server be restored (`keepAcknowledged`: `rows` are their outbox rows as the
 * push read them), with the answer's `epoch` (remembered just before).
 */
export async function storeAnswers(
  userId: string, sent: Mutation[], results: PushResult[], retriedMissing: Set<string>, epoch?: string,
  rows?: ReadonlyMap<string, StoredMutation>,
): Promise<void> {
  const db = getDb()
  const byId = new Map(results.map((r) => [r.id, r]))
  let unanswered = 0
  const acknowledged: string[] = []
  const kept: Mutation[] = []
  const entities: Change[] = []
  const refused: Refusal[] = []
  const notUploaded: string[] = []
  for (const m of sent) {
    const r = byId.get(m.id)
    if (!r) {
      unanswered++ // stays pending and goes again later (push is idempotent)
      continue
    }
    if (r.status === 'applied' || r.status === 'duplicate') {
      acknowledged.push(m.id)
      kept.push(m)
      if (r.entity) entities.push(r.entity)
    } else if (r.status === 'conflict') {
      refused.push({ id: m.id, state: 'conflict', message: r.error?.message, entity: r.entity ?? null })
    } else if (r.error?.code === 'missing_attachment' && !retriedMissing.has(m.id)) {
      // The server lost or never got the file: upload it again, then the mutation goes again.
      retriedMissing.add(m.id)
      notUploaded.push(...m.attachments)
    } else {
      refused.push({ id: m.id, state: 'rejected', error: r.error ?? { code: 'validation_error' }, attempts: m.attempts + 1 })
    }
  }
  await rememberServerEpoch(epoch)
  const tables = [db.outbox, db.attachments, db.answered, db.acked, ...Object.values(ENTITY_TABLES).map((t) => db.table(t))]
  await db.transaction('rw', tables, async () => {
    await markRefused(refused)
    await markNotUploaded(notUploaded)
    await keepAcknowledged(kept, rows) // before applyPushedBatch deletes them from the queue
    await applyPushedBatch(userId, acknowledged, entities)
  })
  if (unanswered) throw new ApiError(0, 'incomplete_answer')
}
