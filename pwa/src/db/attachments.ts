/** Photos and signatures stored on the device until the server has them. */
import { getDb } from './db'
import type { Attachment } from './types'

export async function sha256Hex(data: Blob | ArrayBuffer): Promise<string> {
  const buf = data instanceof ArrayBuffer ? data : await data.arrayBuffer()
  const digest = await crypto.subtle.digest('SHA-256', buf)
  return Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join('')
}

/** Store a blob under its hash (idempotent) and return the hash. */
export async function putAttachment(userId: string, blob: Blob): Promise<string> {
  const bytes = await blob.arrayBuffer()
  const sha256 = await sha256Hex(bytes)
  const db = getDb()
  await db.transaction('rw', db.attachments, async () => {
    const existing = await db.attachments.get(sha256)
    if (existing) return
    const row: Attachment = {
      sha256, user_id: userId, bytes, mime: blob.type || 'image/jpeg', uploaded: 0,
      created_at: new Date().toISOString(),
    }
    await db.attachments.put(row)
  })
  return sha256
}

export async function getAttachment(sha256: string): Promise<Attachment | undefined> {
  return getDb().attachments.get(sha256)
}

export function attachmentBlob(a: Attachment): Blob {
  return new Blob([a.bytes], { type: a.mime })
}

/** An object URL for a stored attachment (the caller revokes it), or null when not on this device. */
export async function attachmentUrl(sha256: string): Promise<string | null> {
  const a = await getAttachment(sha256)
  return a ? URL.createObjectURL(attachmentBlob(a)) : null
}
