/**
 * The outbox screen's writes — retry, discard, export — apart from `outbox.ts` so that only that screen loads them
 * (the first route carries what the sync engine needs, no more). With `outbox.ts` the only module that writes
 * outbox rows.
 */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { cursorKey, setMeta } from './meta'
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

/** Everything not yet on the server, as a JSON document the user can save (last resort). */
export async function exportPending(userId: string): Promise<string> {
  const mutations = await listOutbox(userId)
  const shas = [...new Set(mutations.flatMap((m) => m.attachments))]
  const attachments: Record<string, { mime: string; base64: string }> = {}
  for (const sha of shas) {
    const a = await getAttachment(sha)
    if (a && !a.uploaded) {
      const bytes = new Uint8Array(a.bytes)
      let bin = ''
      for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
      attachments[sha] = { mime: a.mime, base64: btoa(bin) }
    }
  }
  return JSON.stringify({ exported_at: new Date().toISOString(), user_id: userId, mutations, attachments }, null, 2)
}
