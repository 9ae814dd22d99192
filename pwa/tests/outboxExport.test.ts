import { beforeEach, describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { setDb } from '../src/db/db'
import { createDb } from '../src/db/schema'
import { listOutbox } from '../src/db/outbox'
import { EXPORT_FORMAT, exportPending } from '../src/db/outboxActions'
import { createVisit } from '../src/db/records'
import { putAttachment } from '../src/db/attachments'
import { getDeviceId, uuid } from '../src/db/meta'
import { keepExportKey } from '../src/db/exportKey'
import { jpegBlob, unlockAs, visitData } from './helpers'

// The key as the server hands it out (base64url of 32 bytes) and the same bytes for node's own HMAC.
const RAW_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 1))
const KEY = { key_id: 'kid-1', key: RAW_KEY.toString('base64url') }

beforeEach(async () => {
  setDb(createDb(`export-${uuid()}`))
  await unlockAs('1') // records and photos are sealed on their way in
})

describe('the exported outbox file', () => {
  it('seals the author, the device and the mutations as pushed, with the export key of that user', async () => {
    await keepExportKey('1', KEY)
    const sha = await putAttachment('1', jpegBlob(3))
    await createVisit('1', visitData(uuid(), { photos: [sha], notes: '老人身体好，送米面油' }))
    const doc = JSON.parse(await exportPending('1'))
    expect(doc.format).toBe(EXPORT_FORMAT)
    expect(doc.version).toBe(1)
    // The MAC is HMAC-SHA256 of the payload's UTF-8 bytes (what server/services/outbox_files.py checks).
    expect(doc.mac).toBe(createHmac('sha256', RAW_KEY).update(Buffer.from(doc.payload, 'utf8')).digest('base64url'))
    const payload = JSON.parse(doc.payload)
    const [queued] = await listOutbox('1')
    expect(payload).toMatchObject({ user_id: '1', device_id: await getDeviceId(), key_id: 'kid-1' })
    expect(Date.parse(payload.exported_at)).not.toBeNaN()
    expect(payload.mutations).toEqual([
      { id: queued.id, op: 'visit.create', data: queued.data, base_version: queued.base_version, client_time: queued.client_time },
    ])
    expect(Object.keys(doc.attachments)).toEqual([sha])
  })

  it('a change to one character of the payload no longer matches the seal', async () => {
    await keepExportKey('1', KEY)
    await createVisit('1', visitData(uuid(), { cash_cents: 0 }))
    const doc = JSON.parse(await exportPending('1'))
    const changed = doc.payload.replace('"cash_cents":0', '"cash_cents":50000')
    expect(changed).not.toBe(doc.payload)
    expect(createHmac('sha256', RAW_KEY).update(changed).digest('base64url')).not.toBe(doc.mac)
  })

  it("uses each user's own key on a shared phone, and leaves the file unsealed without one", async () => {
    await keepExportKey('1', KEY)
    await createVisit('2', visitData(uuid()))
    const doc = JSON.parse(await exportPending('2'))
    expect(doc.mac).toBeNull()
    expect(JSON.parse(doc.payload)).toMatchObject({ user_id: '2', key_id: null })
    expect(JSON.parse(doc.payload).mutations).toHaveLength(1)
  })
})
