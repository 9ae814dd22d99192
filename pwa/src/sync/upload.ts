/** Attachment upload: the files a batch names go up before the batch, each once; the server's refusal rejects the mutations. */
import { getDb } from '../db/db'
import { attachmentBlob, getAttachment } from '../db/attachments'
import { markRefused } from '../db/outbox'
import type { Mutation } from '../db/types'
import { ApiError, type Api } from './api'

/**
 * Upload every attachment the batch names that is not marked uploaded (`PUT /api/attachments/<sha256>`,
 * idempotent). A file the server refuses for good (a 4xx other than 401 / `csrf_failed` / `password_change_required`:
 * 415, 422, 413) rejects the mutations naming it; anything else (network, 5xx, the session) is thrown and ends the round. Returns
 * the ids of the mutations rejected here: the batch goes without them.
 */
export async function uploadAttachments(api: Api, batch: Mutation[]): Promise<Set<string>> {
  const db = getDb()
  const failed = new Set<string>()
  const shas = [...new Set(batch.flatMap((m) => m.attachments))]
  for (const sha of shas) {
    const stored = await db.attachments.get(sha)
    if (!stored || stored.uploaded) continue
    const a = await getAttachment(sha) // its bytes, opened
    if (!a) continue
    try {
      await api.putAttachment(sha, attachmentBlob(a))
      await db.attachments.update(sha, { uploaded: 1 })
    } catch (e) {
      // The session's refusals, not the file's: it goes again after a new login or the password change.
      if (!(e instanceof ApiError && !e.retryable && e.status !== 401 && e.code !== 'csrf_failed' && e.code !== 'password_change_required')) throw e
      const naming = batch.filter((m) => m.attachments.includes(sha))
      for (const m of naming) failed.add(m.id)
      await markRefused(naming.map((m) => ({
        id: m.id, state: 'rejected', error: { code: e.code, message: e.message, fields: { attachment: sha } },
      })))
    }
  }
  return failed
}

/**
 * The server lost or never got these files (a push answered `missing_attachment`): the next pass uploads them
 * again. Call inside the transaction that stores the answer (it needs `attachments`).
 */
export async function markNotUploaded(shas: Iterable<string>): Promise<void> {
  const attachments = getDb().attachments
  for (const sha of new Set(shas)) await attachments.update(sha, { uploaded: 0 })
}
