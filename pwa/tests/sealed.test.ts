/** Encryption at rest of the device database (db/sealed.ts, db/keyring.ts) on fake-indexeddb. */
import { beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '../src/db/db'
import { getAttachment, putAttachment } from '../src/db/attachments'
import { loadDraft, saveDraft } from '../src/db/drafts'
import { getSession, setMeta, uuid } from '../src/db/meta'
import {
  ackedRows, countQueued, keepAcknowledged, listOutbox, nextPending, pendingEntityIds, requeueAcknowledged,
} from '../src/db/outbox'
import { getRecipient, recipientNames, roster, visitsOfRecipient } from '../src/db/queries'
import { createFollowUp, createVisit, updateVisit } from '../src/db/records'
import { adoptReplicaFor, applyPulledPage, wipeReplica } from '../src/db/replica'
import { LockedError, PLAIN, openRecord, unlockedUser, useCipher } from '../src/db/sealed'
import {
  KeyringRevoked, NoKeyring, WrongPassword, keyringByName, markRevoked, rekey, rewrap, sealLegacyRows, startAfresh,
  unlockOffline, unlockOnline,
} from '../src/db/keyring'
import type { Change, SessionUser } from '../src/db/types'
import { FakeServer } from './fakeServer'
import { RID, engineFor, freshDb, jpegBlob, login, row, unlockAs, visitData } from './helpers'
import { createDb, type StoredAcked } from '../src/db/schema'
import { setDb } from '../src/db/db'
import Dexie from 'dexie'

const text = new TextEncoder()
const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Every store's raw rows as one string, buffers decoded as UTF-8 (what a finder of the phone reads). */
async function rawDump(): Promise<string> {
  const db = getDb()
  const out: unknown[] = []
  const flat = (v: unknown): unknown => {
    if (v instanceof ArrayBuffer) return new TextDecoder().decode(v)
    if (ArrayBuffer.isView(v)) return new TextDecoder().decode(v as Uint8Array)
    if (Array.isArray(v)) return v.map(flat)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]))
    return v
  }
  for (const table of db.tables) out.push(flat(await table.toArray()))
  return JSON.stringify(out)
}

const recipient = (id: string, name: string, version = 1): Change => ({
  type: 'recipient', id, version, deleted: false,
  data: { id, name, gender: 'male', id_number: '330102********1234', phone: '13912345678', address: '东关村12号', area_id: 5,
    category: 'veteran', tags: [], notes: '家中有困难' } as Change['data'],
})

beforeEach(async () => {
  await freshDb()
  await login('1')
})

describe('records at rest', () => {
  it('a pulled page is stored sealed: only ids, area and the version in the clear; the queries open it', async () => {
    await applyPulledPage('1', [recipient(RID, '王建国'), recipient('r-2', '李秀英')], 2)
    const raw = await getDb().recipients.get(RID)
    expect(Object.keys(raw!).sort()).toEqual(['_version', 'area_id', 'enc', 'id'])
    const dump = await rawDump()
    for (const secret of ['王建国', '李秀英', '13912345678', '东关村12号', '家中有困难']) expect(dump).not.toContain(secret)
    expect(await getRecipient(RID)).toMatchObject({ id: RID, name: '王建国', phone: '13912345678', _version: 1 })
    expect((await roster()).map((r) => r.name).sort()).toEqual(['李秀英', '王建国'])
    expect(await recipientNames([RID])).toEqual(new Map([[RID, '王建国']]))
  })

  it('a visit, its mutation, a draft and a photo are sealed; the indexes still answer', async () => {
    const photo = await putAttachment('1', jpegBlob(3))
    const id = uuid()
    await createVisit('1', visitData(id, { notes: '老人身体尚可', photos: [photo] }))
    await saveDraft(`1:visit:new:${RID}`, '1', { notes: '写了一半的备注', photos: [photo] })
    const dump = await rawDump()
    for (const secret of ['老人身体尚可', '写了一半的备注', '春节慰问', '米、油']) expect(dump).not.toContain(secret)
    const bytes = new Uint8Array(await jpegBlob(3).arrayBuffer())
    const stored = await getDb().attachments.get(photo)
    expect(stored?.bytes).toBeUndefined()
    expect(hex(stored!.enc!)).not.toContain(hex(bytes.slice(8, 40)))
    expect(new Uint8Array((await getAttachment(photo))!.bytes)).toEqual(bytes)

    const [raw] = await getDb().outbox.toArray()
    expect(Object.keys(raw).filter((k) => k !== 'enc').every((k) => (PLAIN.outbox as readonly string[]).includes(k))).toBe(true)
    expect(raw).toMatchObject({ op: 'visit.create', entity_id: id, state: 'pending', attachments: [photo], protects: [id] })
    expect((await listOutbox('1'))[0].data).toMatchObject({ notes: '老人身体尚可' })
    expect((await nextPending('1', 10))[0].data.notes).toBe('老人身体尚可')
    expect(await countQueued('1')).toBe(1)
    expect((await visitsOfRecipient(RID)).map((v) => v.notes)).toEqual(['老人身体尚可'])
    expect(await loadDraft(`1:visit:new:${RID}`, '1')).toEqual({ notes: '写了一半的备注', photos: [photo] })
    expect((await getDb().drafts.toArray())[0].attachments).toEqual([photo])
  })

  it('edits after a reload decrypt inside their write transaction, which stays open to the end', async () => {
    const id = uuid()
    await createVisit('1', visitData(id, { notes: '第一稿' }))
    await applyPulledPage('1', [recipient(RID, '王建国')], 1)
    await unlockAs('1') // a new key in memory for the same data: nothing opened is remembered, as after a reload
    await updateVisit('1', id, { notes: '第二稿' })
    await createFollowUp('1', { id: 'f-1', difficulty_id: 'd-1', at: '2027-01-01T00:00:00.000Z', note: '回访',
      status: 'in_progress', next_follow_up_at: null })
    const [m, f] = await listOutbox('1')
    expect(m).toMatchObject({ op: 'visit.create', data: { notes: '第二稿' } })
    expect(f.op).toBe('followup.create')
    expect((await visitsOfRecipient(RID)).map((v) => v.notes)).toEqual(['第二稿'])
  })

  it('a queued follow-up protects its difficulty without opening the queue', async () => {
    await createFollowUp('1', { id: 'f-1', difficulty_id: 'd-1', at: '2027-01-01T00:00:00.000Z', note: '已电话联系',
      status: 'in_progress', next_follow_up_at: null })
    useCipher(null)
    expect(await pendingEntityIds('1')).toEqual(new Set(['f-1', 'd-1']))
  })

  it('locked, nothing sealed is read or written, and the engine does not run', async () => {
    await applyPulledPage('1', [recipient(RID, '王建国')], 1)
    const id = uuid()
    await createVisit('1', visitData(id))
    useCipher(null)
    expect(unlockedUser()).toBeNull()
    await expect(getRecipient(RID)).rejects.toBeInstanceOf(LockedError)
    await expect(listOutbox('1')).rejects.toBeInstanceOf(LockedError)
    await expect(createVisit('1', visitData(uuid()))).rejects.toBeInstanceOf(LockedError)
    await expect(saveDraft('k', '1', { a: 1 })).rejects.toBeInstanceOf(LockedError)
    const server = new FakeServer()
    expect(await engineFor(server).syncOnce()).toBe('no_session')
    expect(server.requests).toEqual([])
    expect(await countQueued('1')).toBe(1) // the plain index still counts
  })

  it('another user\'s key opens nothing of this user\'s records', async () => {
    await createVisit('1', visitData(uuid(), { notes: '一号的记录' }))
    const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
    const { cipherFor } = await import('../src/lib/crypto')
    useCipher(cipherFor('1', other))
    await expect(listOutbox('1')).rejects.toThrow()
  })

  it('rows written before encryption at rest are read as they are, then sealed at the unlock', async () => {
    const db = getDb()
    await db.recipients.put({ id: RID, name: '旧的明文', phone: '13800000000', area_id: 5, _version: 1 })
    await setMeta('replica_user', '1')
    await db.outbox.put({ id: 'm-1', user_id: '1', seq: 1, op: 'visit.create', entity_type: 'visit', entity_id: 'v-1',
      data: { id: 'v-1', notes: '旧的明文备注' }, base_version: null, client_time: 'x', attachments: [], state: 'pending',
      attempts: 0 })
    await db.attachments.put({ sha256: 'abc', user_id: '1', mime: 'image/jpeg', uploaded: 0, created_at: 'x',
      bytes: text.encode('旧的照片字节').buffer })
    expect((await getRecipient(RID))?.name).toBe('旧的明文')
    expect(await sealLegacyRows('1')).toBe(3)
    const dump = await rawDump()
    for (const secret of ['旧的明文', '13800000000', '旧的照片字节']) expect(dump).not.toContain(secret)
    expect((await getRecipient(RID))?.name).toBe('旧的明文')
    expect((await listOutbox('1'))[0]).toMatchObject({ data: { notes: '旧的明文备注' }, protects: ['v-1'] })
    expect(new TextDecoder().decode((await getAttachment('abc'))!.bytes)).toBe('旧的照片字节')
    expect(await sealLegacyRows('1')).toBe(0) // once
  })
})

describe('upgrading a database from before encryption at rest (Dexie version 6, main before issue 12)', () => {
  /** The device database as version 6 left it: the same stores and indexes, every row in the clear. */
  function version6(name: string) {
    const db = new Dexie(name)
    db.version(4).stores({
      areas: 'id, parent_id', users: 'id', recipients: 'id, area_id, category, name',
      visits: 'id, recipient_id, visited_at, author_id', difficulties: 'id, recipient_id, visit_id, status, follow_up_at',
      followups: 'id, difficulty_id, at', campaigns: 'id, ends_on', outbox: 'id, entity_id, [user_id+state+seq]',
      attachments: 'sha256, uploaded', drafts: 'key, user_id', meta: 'key', answered: 'user_id',
    })
    db.version(5).stores({ units: 'id', creation_items: 'id, deadline', evidence: 'id, item_id', rectifications: 'id, item_id' })
    db.version(6).stores({ acked: 'id, acked_at' })
    return db
  }

  it('keeps every row of every store and seals it at the first unlock: nothing personal stays in the clear', async () => {
    const name = `v6-${uuid()}`
    const old = version6(name)
    await old.open()
    const mutation = (id: string, extra: object = {}) => ({ id, user_id: '1', seq: 1, op: 'followup.create',
      entity_type: 'followup', entity_id: `f-${id}`, data: { id: `f-${id}`, difficulty_id: 'd-1', notes: `旧队列备注${id}` },
      base_version: null, client_time: 'x', attachments: ['sha-1'], state: 'pending', error: null, attempts: 0, ...extra })
    await old.table('meta').bulkPut([{ key: 'replica_user', value: '1' }])
    await old.table('recipients').put({ id: RID, name: '旧明文姓名', phone: '13800000001', address: '旧明文地址', area_id: 5,
      category: 'veteran', _version: 3 })
    await old.table('visits').put({ id: 'v-1', recipient_id: RID, visited_at: '2027-01-20', author_id: 1, notes: '旧走访备注',
      _version: 1 })
    await old.table('difficulties').put({ id: 'd-1', recipient_id: RID, visit_id: 'v-1', status: 'open', description: '旧困难描述',
      follow_up_at: null, _version: 1 })
    await old.table('followups').put({ id: 'fu-1', difficulty_id: 'd-1', at: '2027-01-21', notes: '旧跟进备注', _version: 1 })
    await old.table('units').put({ id: 7, area_id: 5, kind: 'township', name: '旧单位名称', _version: 1 })
    await old.table('creation_items').put({ id: 'ci-1', deadline: '2027-03-01', status: 'in_progress', content: '旧创建内容',
      loss_notes: '旧失分说明', _version: 1 })
    await old.table('evidence').put({ id: 'e-1', item_id: 'ci-1', unit_id: 7, status: 'submitted', title: '旧佐证标题',
      note: '旧佐证备注', location: { lat: 30.123456, lng: 120.654321, accuracy_m: 5 }, _version: 1 })
    await old.table('rectifications').put({ id: 'rc-1', item_id: 'ci-1', unit_id: 7, status: 'open', deadline: '2027-02-01',
      description: '旧整改描述', _version: 1 })
    await old.table('outbox').put(mutation('m-1'))
    await old.table('acked').put({ ...mutation('m-0', { seq: 0 }), acked_at: new Date().toISOString() })
    await old.table('drafts').put({ key: '1:visit:new', user_id: '1', data: { notes: '旧草稿备注', photos: ['sha-1'] },
      updated_at: 'x' })
    await old.table('attachments').put({ sha256: 'sha-1', user_id: '1', mime: 'image/jpeg', uploaded: 0, created_at: 'x',
      bytes: text.encode('旧照片字节').buffer })
    const before: Record<string, number> = {}
    for (const t of old.tables) before[t.name] = await t.count()
    old.close()

    const db = createDb(name)
    setDb(db)
    await db.open()
    expect(db.verno).toBe(7)
    for (const [store, count] of Object.entries(before)) expect(await db.table(store).count()).toBe(count)
    await unlockAs('1')
    expect(await sealLegacyRows('1')).toBe(12)
    const dump = await rawDump()
    for (const secret of ['旧明文姓名', '13800000001', '旧明文地址', '旧走访备注', '旧困难描述', '旧跟进备注', '旧单位名称',
      '旧创建内容', '旧失分说明', '旧佐证标题', '旧佐证备注', '30.123456', '旧整改描述', '旧队列备注', '旧草稿备注', '旧照片字节']) {
      expect(dump).not.toContain(secret)
    }
    // Every row still there (meta has one more: the mark that this user's rows are sealed).
    for (const [store, count] of Object.entries(before)) {
      expect(await db.table(store).count()).toBe(store === 'meta' ? count + 1 : count)
    }
    // Every record reads back as it was.
    expect(await getRecipient(RID)).toMatchObject({ name: '旧明文姓名', phone: '13800000001', address: '旧明文地址', _version: 3 })
    expect(await row('visits', 'v-1')).toMatchObject({ notes: '旧走访备注' })
    expect(await row('difficulties', 'd-1')).toMatchObject({ description: '旧困难描述', status: 'open' })
    expect(await row('followups', 'fu-1')).toMatchObject({ notes: '旧跟进备注' })
    expect(await row('units', 7)).toMatchObject({ name: '旧单位名称', kind: 'township' })
    expect(await row('creation_items', 'ci-1')).toMatchObject({ content: '旧创建内容', loss_notes: '旧失分说明' })
    expect(await row('evidence', 'e-1')).toMatchObject({ title: '旧佐证标题', location: { lat: 30.123456 } })
    expect(await row('rectifications', 'rc-1')).toMatchObject({ description: '旧整改描述' })
    expect(await loadDraft('1:visit:new', '1')).toMatchObject({ notes: '旧草稿备注' })
    expect(new TextDecoder().decode((await getAttachment('sha-1'))!.bytes)).toBe('旧照片字节')
    expect((await listOutbox('1'))[0]).toMatchObject({ data: { notes: '旧队列备注m-1' }, protects: ['f-m-1', 'd-1'] })
    // The acknowledged mutation, sealed, still goes back to the queue after a 410 and opens there.
    expect(await row('acked', 'm-0')).toMatchObject({ data: { notes: '旧队列备注m-0' }, protects: ['f-m-0', 'd-1'] })
    await requeueAcknowledged()
    expect((await listOutbox('1')).map((m) => [m.id, m.data.notes, m.resend])).toEqual([
      ['m-0', '旧队列备注m-0', 1], ['m-1', '旧队列备注m-1', undefined]])
    expect(await pendingEntityIds('1')).toEqual(new Set(['f-m-0', 'f-m-1', 'd-1']))
  })

  it('an acknowledged mutation is kept sealed, as the outbox held it', async () => {
    const id = uuid()
    await createVisit('1', visitData(id, { notes: '确认后保留的备注' }))
    const [m] = await listOutbox('1')
    const db = getDb()
    await db.transaction('rw', [db.outbox, db.acked], () => keepAcknowledged([m]))
    const [raw] = (await db.acked.toArray()).flatMap(ackedRows)
    expect(raw.id).toBe(m.id)
    expect(Object.keys(raw)).toContain('enc')
    expect(Object.keys(raw)).not.toContain('data')
    expect(await rawDump()).not.toContain('确认后保留的备注')
    expect(await openRecord('acked', raw)).toMatchObject({ data: { notes: '确认后保留的备注' } })
  })
})

describe('revocation', () => {
  it('wipes the replica, the user\'s drafts and files no queued record names; the queue stays sealed', async () => {
    await applyPulledPage('1', [recipient(RID, '王建国')], 1)
    await setMeta('replica_user', '1')
    const kept = await putAttachment('1', jpegBlob(1))
    const dropped = await putAttachment('1', jpegBlob(2))
    const id = uuid()
    await createVisit('1', visitData(id, { photos: [kept] }))
    await saveDraft('1:x', '1', { photos: [dropped] })
    await saveDraft('2:x', '2', { notes: '别人的草稿' })
    const db = getDb()
    await db.units.put({ id: 7, area_id: 5, kind: 'township', name: '单位', _version: 1 })
    // An acknowledged mutation of this user (the server has it) and one of another user's.
    const sent: StoredAcked = { id: 'm-acked', user_id: '1', seq: 1, op: 'visit.create', entity_type: 'visit', entity_id: 'v-0',
      base_version: null, client_time: 'x', attachments: [], state: 'pending', attempts: 0, acked_at: 'x' }
    await db.acked.bulkPut([sent, { ...sent, id: 'm-other', user_id: '2' }])
    await wipeReplica('1')
    for (const t of [db.recipients, db.visits, db.difficulties, db.followups, db.users, db.units]) expect(await t.count()).toBe(0)
    expect((await db.acked.toArray()).map((m) => m.id)).toEqual(['m-other'])
    expect((await db.drafts.toArray()).map((d) => d.key)).toEqual(['2:x'])
    expect((await db.attachments.toArray()).map((a) => a.sha256)).toEqual([kept])
    expect((await listOutbox('1')).map((m) => m.entity_id)).toEqual([id])
    expect(await db.meta.get('replica_user')).toBeUndefined()
  })

  it('a 401 session_revoked at the next contact wipes and tells; a plain 401 wipes nothing', async () => {
    await applyPulledPage('1', [recipient(RID, '王建国')], 1)
    await setMeta('replica_user', '1')
    await createVisit('1', visitData(uuid()))
    await saveDraft('1:x', '1', { notes: '草稿' })
    const server = new FakeServer()
    server.faults.push({ path: '/api/sync/push', fault: { status: 401, code: 'unauthorized' } })
    expect(await engineFor(server).syncOnce()).toBe('unauthorized')
    expect(await getDb().recipients.count()).toBe(1)
    expect(await getDb().drafts.count()).toBe(1)

    await login('1')
    const told: string[] = []
    const { createApi } = await import('../src/sync/api')
    const { SyncEngine } = await import('../src/sync/engine')
    const engine = new SyncEngine({
      api: createApi({ fetch: (i, init) => server.fetch(i, init), getCsrfToken: async () => (await getSession())?.csrf_token }),
      onRevoked: (uid, code) => told.push(`${uid}:${code}`),
    })
    server.faults.push({ path: '/api/sync/push', fault: { status: 401, code: 'session_revoked' } })
    expect(await engine.syncOnce()).toBe('unauthorized')
    expect(told).toEqual(['1:session_revoked'])
    expect(await getDb().recipients.count()).toBe(0)
    expect(await getDb().drafts.count()).toBe(0)
    expect(await countQueued('1')).toBe(1)
    expect((await getSession())?.expired).toBe(true)
  })

  it('a 401 password_changed wipes nothing: the session is ended by it, and the queue goes after the next login', async () => {
    await applyPulledPage('1', [recipient(RID, '王建国')], 1)
    await setMeta('replica_user', '1')
    await createVisit('1', visitData(uuid()))
    await saveDraft('1:x', '1', { notes: '草稿' })
    const server = new FakeServer()
    const told: string[] = []
    const { createApi } = await import('../src/sync/api')
    const { SyncEngine } = await import('../src/sync/engine')
    const engine = new SyncEngine({
      api: createApi({ fetch: (i, init) => server.fetch(i, init), getCsrfToken: async () => (await getSession())?.csrf_token }),
      onRevoked: (uid, code) => told.push(`revoked ${uid}:${code}`),
      onSessionExpired: () => told.push('expired'),
    })
    server.faults.push({ path: '/api/sync/push', fault: { status: 401, code: 'password_changed' } })
    expect(await engine.syncOnce()).toBe('unauthorized')
    expect(told).toEqual(['expired'])
    expect(await getSession()).toMatchObject({ expired: true, ended: 'password_changed' })
    expect(await getDb().recipients.count()).toBe(1)
    expect(await getDb().drafts.count()).toBe(1)
    expect(await countQueued('1')).toBe(1)
    expect(await getRecipient(RID)).toMatchObject({ name: '王建国' }) // still open: the key stays in memory
    await login('1') // the login with the new password
    expect(await engine.syncOnce()).toBe('ok')
    expect(await countQueued('1')).toBe(0)
  })
})

const user = (id: string, username = `u${id}`): SessionUser =>
  ({ id, username, display_name: '测试', role: 'staff', area_id: 1 })

describe('the keyring', () => {
  it('a first login makes a key; the password unlocks it offline, a wrong one never does', async () => {
    useCipher(null)
    expect(await unlockOnline(user('9', 'staff_x'), 'Demo@2026')).toBe('unlocked')
    expect(unlockedUser()).toBe('9')
    await createVisit('9', visitData('v-9', { notes: '九号的记录' }))
    const ring = await keyringByName('staff_x')
    expect(ring?.wrapped).toHaveLength(48)
    expect(await rawDump()).not.toContain('测试') // the account's details are sealed too

    useCipher(null)
    await expect(unlockOffline('staff_x', 'Demo@2027')).rejects.toBeInstanceOf(WrongPassword)
    expect(unlockedUser()).toBeNull()
    await expect(unlockOffline('nobody', 'Demo@2026')).rejects.toBeInstanceOf(NoKeyring)
    expect(await unlockOffline('staff_x', 'Demo@2026')).toMatchObject({ id: '9', display_name: '测试' })
    expect((await listOutbox('9'))[0].data.notes).toBe('九号的记录')
  })

  it('a revoked account does not open offline, except to export its queue; an online login clears the mark', async () => {
    await unlockOnline(user('9', 'staff_x'), 'Demo@2026')
    await markRevoked('9')
    useCipher(null)
    await expect(unlockOffline('staff_x', 'Demo@2026')).rejects.toBeInstanceOf(KeyringRevoked)
    expect(unlockedUser()).toBeNull()
    expect((await unlockOffline('staff_x', 'Demo@2026', true)).id).toBe('9')
    useCipher(null)
    expect(await unlockOnline(user('9', 'staff_x'), 'Demo@2026')).toBe('unlocked')
    expect((await keyringByName('staff_x'))?.revoked_at).toBeNull()
  })

  it('a password changed elsewhere is stale until the old one rewraps the key; a change here rewraps it', async () => {
    await unlockOnline(user('9', 'staff_x'), 'Old#2026a')
    await createVisit('9', visitData('v-9', { notes: '改密前' }))
    useCipher(null)
    expect(await unlockOnline(user('9', 'staff_x'), 'New#2026b')).toBe('stale')
    expect(unlockedUser()).toBeNull()
    await expect(rekey(user('9', 'staff_x'), 'Wrong#2026', 'New#2026b')).rejects.toBeInstanceOf(WrongPassword)
    await rekey(user('9', 'staff_x'), 'Old#2026a', 'New#2026b')
    expect((await listOutbox('9'))[0].data.notes).toBe('改密前')

    expect(await rewrap('9', 'Wrong#2026', 'Third#2026c')).toBe(false)
    expect(await rewrap('9', 'New#2026b', 'Third#2026c')).toBe(true)
    useCipher(null)
    await expect(unlockOffline('staff_x', 'New#2026b')).rejects.toBeInstanceOf(WrongPassword)
    await unlockOffline('staff_x', 'Third#2026c')
    expect((await listOutbox('9'))[0].data.notes).toBe('改密前')
  })

  it('a password changed elsewhere while this page holds the key: the next online login rewraps it, no old password asked', async () => {
    await unlockOnline(user('9', 'staff_x'), 'Old#2026a')
    await createVisit('9', visitData('v-9', { notes: '改密前' }))
    // The server ended the session (401 password_changed): nothing on the phone changes until the next login, so
    // the old password still unlocks offline.
    expect((await unlockOffline('staff_x', 'Old#2026a')).id).toBe('9')
    expect(await unlockOnline(user('9', 'staff_x'), 'New#2026b')).toBe('unlocked')
    expect((await listOutbox('9'))[0].data.notes).toBe('改密前')
    useCipher(null)
    await expect(unlockOffline('staff_x', 'Old#2026a')).rejects.toBeInstanceOf(WrongPassword)
    await unlockOffline('staff_x', 'New#2026b')
    expect((await listOutbox('9'))[0].data.notes).toBe('改密前')
    // Locked, the page holds nothing: another change elsewhere needs the phone's last password ('stale').
    useCipher(null)
    expect(await unlockOnline(user('9', 'staff_x'), 'Third#2026c')).toBe('stale')
    expect(unlockedUser()).toBeNull()
  })

  it('starting afresh sets the locked queue aside, drops the replica and drafts, and makes a new key', async () => {
    await unlockOnline(user('9', 'staff_x'), 'Old#2026a')
    await adoptReplicaFor('9')
    await applyPulledPage('9', [recipient(RID, '王建国')], 1)
    await createVisit('9', visitData('v-9'))
    await saveDraft('9:x', '9', { notes: '草稿' })
    useCipher(null)
    expect(await startAfresh(user('9', 'staff_x'), 'Reset#2026z')).toBe(1)
    expect(await countQueued('9')).toBe(0)
    const aside = (await getDb().outbox.toArray()).map((m) => m.user_id)
    expect(aside).toHaveLength(1)
    expect(aside[0]).toMatch(/^9~\d+$/)
    expect(await getDb().recipients.count()).toBe(0)
    expect(await getDb().drafts.count()).toBe(0)
    useCipher(null)
    await unlockOffline('staff_x', 'Reset#2026z')
    expect(unlockedUser()).toBe('9')
  })
})
