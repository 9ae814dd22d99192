/**
 * The outbox screen's writes — retry, discard, export — apart from `outbox.ts` so that only that screen loads them
 * (the first route carries what the sync engine needs, no more). With `outbox.ts` the only module that writes
 * outbox rows.
 */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { cursorKey, getDeviceId, setMeta, type ExportKey } from './meta'
import { exportKeyOf } from './exportKey'
import { changeToRow, listOutbox, mutationId, toRow } from './outbox'
import { openRecord, storedRow } from './sealed'
import { getAttachment } from './attachments'
import type { Mutation } from './types'

/** Put a rejected or conflicting mutation back in the queue, unchanged or rebased on the server's version. */
export async function retryMutation(id: string): Promise<void> {
  const db = getDb()
  await db.transaction('rw', db.outbox, async () => {
    const m = await openRecord<Mutation>('outbox', await db.outbox.get(id))
    if (!m) return
    const patch: Partial<Mutation> = { state: 'pending', error: null }
    if (m.state === 'conflict' && m.server_entity) patch.base_version = m.server_entity.version
    // A new id: the server never recorded the rejected one, but a fresh id can never be mistaken for a reuse.
    const row = await toRow({ ...m, ...patch, id: mutationId(m.seq), server_entity: null })
    await db.outbox.delete(id)
    await db.outbox.put(row)
  })
}

/**
 * Drop a mutation for good. A discarded create removes the local record; a discarded update
 * restores the server's copy on the next full pull.
 */
export async function discardMutation(id: string): Promise<void> {
  const db = getDb()
  const tables = [db.outbox, db.meta, ...Object.values(ENTITY_TABLES).map((t) => db.table(t))]
  await db.transaction('rw', tables, async () => {
    const m = await openRecord<Mutation>('outbox', await db.outbox.get(id))
    if (!m) return
    await db.outbox.delete(id)
    const name = ENTITY_TABLES[m.entity_type]
    const table = db.table(name)
    if (m.op.endsWith('.create')) {
      const others = await db.outbox.where('entity_id').equals(m.entity_id).count()
      if (others === 0) await table.delete(m.entity_id)
    } else if (m.server_entity && !m.server_entity.deleted) {
      await table.put(await storedRow(name, changeToRow(m.server_entity)))
    } else {
      await setMeta(cursorKey(m.user_id), 0)
    }
  })
}

/** The export file's format, checked by the server (docs/outbox-file.md). */
export const EXPORT_FORMAT = 'zoufang-outbox'
export const EXPORT_VERSION = 1

function base64(bytes: Uint8Array): string {
  let bin = ''
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(bin)
}

const b64url = (bytes: Uint8Array) => base64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

function fromB64url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  return Uint8Array.from(bin, (c) => c.charCodeAt(0))
}

/** HMAC-SHA256 of the payload's UTF-8 bytes with the export key the server gave this user's login. */
async function seal(key: ExportKey, payload: string): Promise<string> {
  const raw = fromB64url(key.key)
  const hmacKey = await crypto.subtle.importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return b64url(new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(payload))))
}

/**
 * Everything not yet on the server, as a file the user can save and hand to the county office (last resort). The
 * `payload` (author, device, mutations as they are pushed, with their own ids) is a JSON text sealed by `mac`; the
 * office's upload checks the seal, then applies the mutations as sync would, so a later push answers `duplicate`.
 * Unsent photos ride in `attachments`, each named by the SHA-256 of its bytes. Without a key (a login from before
 * keys were handed out, never online since) `mac` is null: the server then refuses the file, the records stay here.
 */
export async function exportPending(userId: string): Promise<string> {
  const [mutations, deviceId, key] = await Promise.all([listOutbox(userId), getDeviceId(), exportKeyOf(userId)])
  const shas = [...new Set(mutations.flatMap((m) => m.attachments))]
  const attachments: Record<string, { mime: string; base64: string }> = {}
  for (const sha of shas) {
    const a = await getAttachment(sha)
    if (a && !a.uploaded) attachments[sha] = { mime: a.mime, base64: base64(new Uint8Array(a.bytes)) }
  }
  const payload = JSON.stringify({
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    user_id: userId,
    device_id: deviceId,
    key_id: key?.key_id ?? null,
    exported_at: new Date().toISOString(),
    mutations: mutations.map((m) => ({ id: m.id, op: m.op, data: m.data, base_version: m.base_version, client_time: m.client_time })),
  })
  const mac = key ? await seal(key, payload) : null
  return JSON.stringify({ format: EXPORT_FORMAT, version: EXPORT_VERSION, payload, mac, attachments }, null, 2)
}
