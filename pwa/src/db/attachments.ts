/** Photos and signatures stored on the device until the server has them, their bytes sealed (`sealed.ts`). */
import { getDb } from './db'
import { filesOf } from './drafts'
import { LockedError, openBytes, sealBytes } from './sealed'
import type { Attachment } from './types'

async function sha256Hex(data: Blob | ArrayBuffer): Promise<string> {
  const buf = data instanceof ArrayBuffer ? data : await data.arrayBuffer()
  const digest = await crypto.subtle.digest('SHA-256', buf)
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('')
}

/** Store a blob under its hash (idempotent; the hash is of the plain bytes) and return the hash. */
export async function putAttachment(userId: string, blob: Blob): Promise<string> {
  const bytes = await blob.arrayBuffer()
  const sha256 = await sha256Hex(bytes)
  const db = getDb()
  if (await db.attachments.get(sha256)) return sha256
  const enc = await sealBytes(bytes) // before the transaction: a photo takes a moment
  await db.transaction('rw', db.attachments, async () => {
    if (await db.attachments.get(sha256)) return
    await db.attachments.put({
      sha256, user_id: userId, enc, mime: blob.type || 'image/jpeg', uploaded: 0, created_at: new Date().toISOString(),
    })
  })
  return sha256
}

/** A stored file with its bytes opened; undefined when not on this device (or sealed under another user's key). */
export async function getAttachment(sha256: string): Promise<Attachment | undefined> {
  const row = await getDb().attachments.get(sha256)
  if (!row) return undefined
  const { enc, bytes, ...rest } = row
  if (!enc) return bytes ? { ...rest, bytes } : undefined // stored before encryption at rest
  try {
    return { ...rest, bytes: await openBytes(enc) }
  } catch (e) {
    if (e instanceof LockedError) throw e
    return undefined
  }
}

export function attachmentBlob(a: Attachment): Blob {
  return new Blob([a.bytes], { type: a.mime })
}

/** An object URL for a stored attachment (the caller revokes it), or null when not on this device. */
export async function attachmentUrl(sha256: string): Promise<string | null> {
  const a = await getAttachment(sha256)
  return a ? URL.createObjectURL(attachmentBlob(a)) : null
}

/**
 * Drop uploaded files older than a week that no queued mutation, kept acknowledged one or draft still names: the
 * server has them and views fetch them from it. Recent ones stay so the day's work can be looked at offline;
 * those of kept acknowledged mutations stay as long as those (a restored server may have lost them).
 */
export async function pruneUploadedAttachments(now = Date.now(), keepMs = 7 * 86400_000): Promise<number> {
  const db = getDb()
  return db.transaction('rw', [db.attachments, db.outbox, db.acked, db.drafts], async () => {
    const keep = new Set<string>()
    for (const store of [db.outbox, db.acked]) await store.each((m) => m.attachments.forEach((a) => keep.add(a)))
    await db.drafts.each((d) => (d.attachments ?? filesOf(d.data as Record<string, unknown>)).forEach((sha) => keep.add(sha)))
    const cutoff = new Date(now - keepMs).toISOString()
    const drop = (await db.attachments.where('uploaded').equals(1).toArray())
      .filter((a) => !keep.has(a.sha256) && a.created_at < cutoff).map((a) => a.sha256)
    await db.attachments.bulkDelete(drop)
    return drop.length
  })
}
