import { beforeEach, describe, expect, it } from 'vitest'
import Dexie from 'dexie'
import { setDb } from '../src/db/db'
import { createDb } from '../src/db/schema'
import { getDb } from '../src/db/db'
import { deleteDraft, loadDraft, saveDraft } from '../src/db/drafts'
import { getCursor } from '../src/db/replica'
import { countPending, countQueued, deleteQueued, mutationId, listOutbox, newMutation, nextPending, pendingAmong, pendingEntityIds, queuedAmong } from '../src/db/outbox'
import { discardMutation, exportPending } from '../src/db/outboxActions'
import { createFollowUp, createVisit, updateVisit } from '../src/db/records'
import { adoptReplicaFor, applyPulledPage, applyPushedBatch, dropReplica, settleAnswered } from '../src/db/replica'
import { answeredVersions } from '../src/db/answered'
import { pruneUploadedAttachments, putAttachment } from '../src/db/attachments'
import { currentSession, getDeviceId, setSession, uuid } from '../src/db/meta'
import { RID, freshDb, jpegBlob, pulledVisit, visitData, row, queueRows } from './helpers'

beforeEach(async () => {
  await freshDb()
})

describe('local writes', () => {
  it('a visit and its mutations are written together, visit first', async () => {
    const id = uuid()
    await createVisit('1', visitData(id), [
      { id: uuid(), recipient_id: RID, visit_id: id, category: 'medical', description: '看病难', urgency: 'urgent', follow_up_at: null, due_date: null },
    ])
    const v = await row('visits', id)
    expect(v).toMatchObject({ id, _version: 0, status: 'submitted' })
    const q = await listOutbox('1')
    expect(q.map((m) => m.op)).toEqual(['visit.create', 'difficulty.create'])
    expect(q[1].data).toMatchObject({ visit_id: id, status: 'open', urgency: 'urgent' })
    expect(await getDb().difficulties.count()).toBe(1)
  })

  it('a failing write leaves neither the record nor its mutation', async () => {
    const id = uuid()
    const db = getDb()
    await expect(db.transaction('rw', [db.outbox, db.visits, db.recipients, db.difficulties, db.followups, db.answered], async () => {
      await createVisit('1', visitData(id))
      throw new Error('boom')
    })).rejects.toThrow('boom')
    expect(await db.visits.get(id)).toBeUndefined()
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('editing a queued visit folds the change into its create', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    await updateVisit('1', id, { notes: '补充' })
    const q = await listOutbox('1')
    expect(q).toHaveLength(1)
    expect(q[0].op).toBe('visit.create')
    expect(q[0].data.notes).toBe('补充')
  })

  it('a follow-up moves its difficulty\'s status and next date on the device', async () => {
    await getDb().difficulties.put({ id: 'd1', _version: 3, recipient_id: RID, visit_id: null, category: 'living', description: 'x', urgency: 'normal', follow_up_at: null, due_date: null, status: 'open' })
    await createFollowUp('1', { id: uuid(), difficulty_id: 'd1', at: new Date().toISOString(), note: '已联系民政', status: 'in_progress', next_follow_up_at: '2027-02-01T00:00:00.000Z' })
    expect(await row('difficulties', 'd1')).toMatchObject({ status: 'in_progress', follow_up_at: '2027-02-01T00:00:00.000Z' })
  })

  it('discarding a queued create removes the local record', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    const [m] = await listOutbox('1')
    await discardMutation(m.id)
    expect(await row('visits', id)).toBeUndefined()
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('exports pending mutations with their unsent files', async () => {
    const sha = await putAttachment('1', jpegBlob(7))
    await createVisit('1', visitData(uuid(), { photos: [sha] }))
    const doc = JSON.parse(await exportPending('1'))
    expect(JSON.parse(doc.payload).mutations).toHaveLength(1)
    expect(doc.attachments[sha].mime).toBe('image/jpeg')
    expect(atob(doc.attachments[sha].base64).length).toBe(64)
  })
})

describe('attachments', () => {
  it('prunes old uploaded files that nothing queued still names', async () => {
    const old = await putAttachment('1', jpegBlob(1))
    const queued = await putAttachment('1', jpegBlob(2))
    const fresh = await putAttachment('1', jpegBlob(3))
    const unsent = await putAttachment('1', jpegBlob(4))
    await createVisit('1', visitData(uuid(), { photos: [queued] }))
    const db = getDb()
    await db.attachments.where('sha256').anyOf([old, queued, fresh]).modify({ uploaded: 1 })
    await db.attachments.where('sha256').anyOf([old, queued, unsent]).modify({ created_at: '2020-01-01T00:00:00.000Z' })
    expect(await pruneUploadedAttachments()).toBe(1)
    expect((await db.attachments.toCollection().primaryKeys()).sort()).toEqual([queued, fresh, unsent].sort())
  })
})

describe('pulled pages', () => {
  it('a page and its cursor land together, and pending records are not overwritten', async () => {
    const id = uuid()
    await createVisit('1', visitData(id, { gifts: '本机' }))
    await applyPulledPage('1', [
      { type: 'visit', id, version: 5, deleted: false, data: pulledVisit(id, { gifts: '服务器' }) },
      { type: 'area', id: '9', version: 1, deleted: false, data: { id: 9, code: '9', name: '东村', level: 'village', parent_id: 2 } },
    ], 42)
    expect((await row('visits', id))?.gifts).toBe('本机')
    expect((await getDb().areas.get(9))?.name).toBe('东村')
    expect(await getCursor('1')).toBe(42)
  })
})

describe('bulk writes', () => {
  it('a pulled page deletes tombstones (integer keys too) and the later change for one record wins', async () => {
    await getDb().areas.put({ id: 7, code: '7', name: '西村', level: 'village', parent_id: 2, _version: 1 } as never)
    const applied = await applyPulledPage('1', [
      { type: 'area', id: '7', version: 2, deleted: true, data: null },
      { type: 'area', id: '9', version: 1, deleted: false, data: { id: 9, code: '9', name: '东村', level: 'village', parent_id: 2 } },
      { type: 'area', id: '9', version: 2, deleted: false, data: { id: 9, code: '9', name: '东村二', level: 'village', parent_id: 2 } },
      { type: 'nonsense' as never, id: 'x', version: 1, deleted: false, data: {} as never },
    ], 5)
    expect(applied).toBe(2)
    expect(await getDb().areas.get(7)).toBeUndefined()
    expect((await getDb().areas.get(9))?.name).toBe('东村二')
    expect(await getCursor('1')).toBe(5)
  })

  it('a pushed batch drops acknowledged mutations and remembers answered versions where nothing else is queued; the pull brings the records', async () => {
    const done = uuid()
    const edited = uuid()
    await createVisit('1', visitData(done))
    await createVisit('1', visitData(edited))
    const [m1, m2] = await listOutbox('1')
    await updateVisit('1', edited, { gifts: '本机新改' }) // folds into m2 under a fresh id: m2 is gone
    const queued = (await listOutbox('1')).find((m) => m.entity_id === edited)!
    // Another user's queued change to the same record does not protect this user's replica.
    await createVisit('2', visitData(done))
    const serverDone = { type: 'visit' as const, id: done, version: 2, deleted: false, data: pulledVisit(done, { gifts: '服务器二' }) }
    await applyPushedBatch('1', [m1.id, m2.id], [
      { type: 'visit', id: done, version: 1, deleted: false, data: pulledVisit(done, { gifts: '服务器' }) },
      serverDone,
      { type: 'visit', id: edited, version: 1, deleted: false, data: pulledVisit(edited, { gifts: '服务器' }) },
    ])
    expect((await listOutbox('1')).map((m) => m.id)).toEqual([queued.id])
    expect(await listOutbox('2')).toHaveLength(1)
    // The rows keep what the phone wrote; the newest answered version is remembered for the free record only.
    expect((await row('visits', done))?.gifts).toBe(visitData(done).gifts)
    expect(await answeredVersions('1')).toEqual({ [`visit:${done}`]: 2 })
    // An edit made now (before the pull) is based on the answered version, not on the row's 0.
    const edit = await updateVisit('1', done, { notes: '拉取前再改' })
    expect(edit?.base_version).toBe(2)
    // The pull brings the record: the row takes the server's copy and the answered version is forgotten.
    await getDb().outbox.delete(edit!.id)
    await applyPulledPage('1', [serverDone], 9)
    expect((await row('visits', done))?.gifts).toBe('服务器二')
    expect((await row('visits', done))?._version).toBe(2)
    expect(await answeredVersions('1')).toEqual({})
    expect((await row('visits', edited))?.gifts).toBe('本机新改')
  })

  it('answered versions the pull did not bring go into their rows at the end of the round', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    const [m] = await listOutbox('1')
    await applyPushedBatch('1', [m.id], [{ type: 'visit', id, version: 3, deleted: false, data: pulledVisit(id) }])
    expect((await row('visits', id))?._version).toBe(0)
    await settleAnswered('1')
    expect((await row('visits', id))?._version).toBe(3)
    expect(await answeredVersions('1')).toEqual({})
  })
})

describe('two users on one phone', () => {
  it('a second user gets an empty replica; the first user\'s queue stays and comes back', async () => {
    await adoptReplicaFor('1')
    const id = uuid()
    await createVisit('1', visitData(id))
    await adoptReplicaFor('2')
    expect(await getDb().visits.count()).toBe(0)
    expect(await listOutbox('1')).toHaveLength(1)
    expect(await listOutbox('2')).toHaveLength(0)
    await adoptReplicaFor('1')
    expect(await row('visits', id)).toBeDefined()
  })
})

describe('the session as the sync engine reads it', () => {
  const user = (id: string) => ({ id, username: `u${id}`, display_name: id, role: 'staff' as const, area_id: 1 })

  it('is read from IndexedDB again only after the meta store changed, here or in another tab', async () => {
    await setSession({ user: user('1'), csrf_token: 'a', expired: false })
    expect((await currentSession())?.csrf_token).toBe('a')
    // No write since: answered without a read (a read would see this row, written behind Dexie's back).
    const raw = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(getDb().name)
      r.onsuccess = () => resolve(r.result)
      r.onerror = () => reject(r.error)
    })
    await new Promise<void>((resolve) => {
      const tx = raw.transaction('meta', 'readwrite')
      tx.objectStore('meta').put({ key: 'session', value: { user: user('9'), csrf_token: 'unseen', expired: false } })
      tx.oncomplete = () => resolve()
    })
    raw.close()
    expect((await currentSession())?.csrf_token).toBe('a')
    // Another tab logs in (another Dexie instance on the same database; Dexie announces its commit).
    const other = createDb(getDb().name)
    await other.open()
    await other.meta.put({ key: 'session', value: { user: user('2'), csrf_token: 'b', expired: false } })
    other.close()
    expect((await currentSession())?.user.id).toBe('2')
    await setSession(null)
    expect(await currentSession()).toBeNull()
  })
})

describe('logout', () => {
  it('drops the replica but keeps the queue, which comes back at the next login', async () => {
    await adoptReplicaFor('1')
    await getDb().recipients.put({ id: 'r1', _version: 2, name: '张三', gender: 'male', id_number: null, phone: '1380000', address: '东村', area_id: 9, category: 'veteran', tags: [], notes: null })
    const id = uuid()
    await createVisit('1', visitData(id))
    await applyPulledPage('1', [], 17)
    await dropReplica()
    expect(await getDb().recipients.count()).toBe(0)
    expect(await getDb().visits.count()).toBe(0)
    expect(await getCursor('1')).toBe(0)
    expect(await listOutbox('1')).toHaveLength(1)
    await adoptReplicaFor('1')
    expect(await row('visits', id)).toBeDefined()
  })
})

describe('drafts and device', () => {
  it('drafts belong to one user', async () => {
    await saveDraft('visit:new:r1', '1', { notes: '写了一半' })
    expect(await loadDraft('visit:new:r1', '1')).toEqual({ notes: '写了一半' })
    expect(await loadDraft('visit:new:r1', '2')).toBeNull()
    await deleteDraft('visit:new:r1')
    expect(await loadDraft('visit:new:r1', '1')).toBeNull()
  })

  it('the device id is made once', async () => {
    const a = await getDeviceId()
    expect(await getDeviceId()).toBe(a)
  })
})

describe('schema upgrades', () => {
  it('a version-1 database upgrades to the current version with its queue intact and the indexes it reads filled', async () => {
    const name = `upgrade-${uuid()}`
    const v1 = new Dexie(name)
    // Version 1 exactly as shipped (schema.ts keeps it unchanged).
    v1.version(1).stores({
      areas: 'id, parent_id', users: 'id', recipients: 'id, area_id, category, name',
      visits: 'id, recipient_id, visited_at, author_id', difficulties: 'id, recipient_id, visit_id, status, follow_up_at',
      followups: 'id, difficulty_id, at', campaigns: 'id, ends_on', outbox: 'id, [user_id+seq], entity_id, state',
      attachments: 'sha256, uploaded', drafts: 'key, user_id', meta: 'key',
    })
    const visit = newMutation('1', 'visit.create', visitData('v-1'), null)
    const rejected = { ...newMutation('1', 'visit.create', visitData('v-2'), null), state: 'rejected' as const, error: { code: 'validation_error' } }
    const follow = newMutation('1', 'followup.create', { id: 'f-1', difficulty_id: 'd-1', at: '2027-01-01T00:00:00Z', note: 'x' }, null)
    const other = newMutation('2', 'visit.create', visitData('v-3'), null)
    await v1.table('outbox').bulkPut([visit, rejected, follow, other])
    await v1.table('visits').put({ ...visitData('v-1'), _version: 0 })
    await v1.table('meta').put({ key: 'device_id', value: 'dev-1' })
    v1.close()

    const db = createDb(name)
    setDb(db)
    await db.open()
    expect(db.verno).toBe(7)
    expect(db.outbox.schema.indexes.map((i) => i.name).sort()).toEqual(['[user_id+state+seq]', 'entity_id'])
    expect(await db.answered.count()).toBe(0) // v3's store, empty
    expect(await db.creation_items.count()).toBe(0) // v5's stores (a liaison's work), empty
    expect(await db.acked.count()).toBe(0) // v6's store, empty
    expect((await listOutbox('1')).map((m) => m.id)).toEqual([visit.id, rejected.id, follow.id])
    expect((await listOutbox('2')).map((m) => m.id)).toEqual([other.id])
    expect((await nextPending('1', 10)).map((m) => m.id)).toEqual([visit.id, follow.id])
    expect(await getDeviceId()).toBe('dev-1')
    expect(await db.visits.get('v-1')).toBeTruthy()
    expect(await pendingAmong('1', [
      { type: 'visit', id: 'v-1' }, { type: 'visit', id: 'v-2' }, { type: 'visit', id: 'v-3' }, { type: 'difficulty', id: 'd-1' },
    ])).toEqual(new Set(['v-1', 'v-2', 'd-1']))
    db.close()
  })
})

describe('mutation ids', () => {
  it('are RFC 9562 version-7 UUIDs that sort as their seq does', () => {
    const seqs = [1_700_000_000_000_000, 1_700_000_000_000_001, 1_700_000_000_000_999, 1_700_000_000_001_000, 1_800_000_000_000_000]
    const ids = seqs.map(mutationId)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(seqs.map(mutationId)).size).toBe(seqs.length)
    expect(mutationId(seqs[0])).not.toBe(ids[0]) // 62 random bits each time
  })

  it('deleteQueued removes exactly the given ones, around other users\' and unanswered ones in between', async () => {
    const one = Array.from({ length: 12 }, (_, i) => newMutation('1', 'visit.create', visitData(`d-${i}`), null))
    const two = newMutation('2', 'visit.create', visitData('d-other'), null) // queued between one[5] and one[6]
    const rows = [...one.slice(0, 6), two, ...one.slice(6)]
    await queueRows(rows)
    const gone = [...one.slice(0, 4), ...one.slice(5, 9), one[11]].map((m) => m.id)
    await getDb().transaction('rw', getDb().outbox, () => deleteQueued(gone))
    expect((await getDb().outbox.toArray()).map((m) => m.id).sort()).toEqual([one[4], two, one[9], one[10]].map((m) => m.id).sort())
    await getDb().transaction('rw', getDb().outbox, () => deleteQueued([]))
    expect(await getDb().outbox.count()).toBe(4)
  })
})

describe('one user\'s queue', () => {
  it('holds every state of that user, oldest first, and nothing of a user whose id starts the same', async () => {
    const first = newMutation('1', 'visit.create', visitData('q-1'), null)
    const rejected = { ...newMutation('1', 'visit.create', visitData('q-2'), null), state: 'rejected' as const }
    const conflict = { ...newMutation('1', 'visit.update', { id: 'q-1', gifts: '米' }, 1), state: 'conflict' as const }
    const last = newMutation('1', 'visit.create', visitData('q-3'), null)
    await queueRows([last, conflict, first, rejected, newMutation('10', 'visit.create', visitData('q-4'), null)])
    expect((await listOutbox('1')).map((m) => m.id)).toEqual([first.id, rejected.id, conflict.id, last.id])
    expect(await countQueued('1')).toBe(4)
    expect(await countPending('1')).toBe(2)
    expect(await countQueued('10')).toBe(1)
  })
})

describe('pending checks', () => {
  it('asking about a few records of a long queue protects exactly what the whole-queue check protects', async () => {
    const ids = Array.from({ length: 30 }, () => uuid())
    for (const id of ids) await createVisit('1', visitData(id))
    await createVisit('2', visitData('other-user'))
    await createFollowUp('1', { id: uuid(), difficulty_id: 'd-queued', at: '2027-01-01T00:00:00Z', note: '跟进', status: null, next_follow_up_at: null })
    const asked = [
      { type: 'visit' as const, id: ids[0] }, { type: 'visit' as const, id: ids[29] }, { type: 'visit' as const, id: 'not-queued' },
      { type: 'visit' as const, id: 'other-user' }, { type: 'difficulty' as const, id: 'd-queued' },
      { type: 'difficulty' as const, id: 'd-free' },
    ]
    const all = await pendingEntityIds('1')
    const expected = new Set(asked.map((c) => c.id).filter((id) => all.has(id)))
    expect(expected).toEqual(new Set([ids[0], ids[29], 'd-queued']))
    expect(await pendingAmong('1', asked)).toEqual(expected) // the keyed path (queue longer than the question)
    expect(await pendingAmong('1', [...asked, ...ids.map((id) => ({ type: 'visit' as const, id }))]))
      .toEqual(new Set([...ids, 'd-queued'])) // the whole-queue path
  })

  it('sees mutations written behind its back (another tab), leaves out the ones being acknowledged, and forgets nothing it needs', async () => {
    const a = newMutation('1', 'visit.create', visitData('v-a'), null)
    const b = newMutation('1', 'visit.create', visitData('v-b'), null)
    await queueRows([a, b])
    expect((await nextPending('1', 10)).map((m) => m.id)).toEqual([a.id, b.id]) // remembered from here on
    const asked = [{ type: 'visit' as const, id: 'v-a' }, { type: 'visit' as const, id: 'v-b' }, { type: 'difficulty' as const, id: 'd-9' }]
    expect(await pendingAmong('1', asked)).toEqual(new Set(['v-a', 'v-b']))
    // a and b are being acknowledged: they protect nothing any more...
    expect(await queuedAmong('1', asked, [a.id, b.id])).toEqual(new Map())
    // ...but an edit of v-a and a follow-up of d-9 queued meanwhile by another tab (never read here) do.
    const edit = newMutation('1', 'visit.update', { id: 'v-a', notes: '改' }, 0)
    const follow = newMutation('1', 'followup.create', { id: 'f-9', difficulty_id: 'd-9', at: '2027-01-01T00:00:00Z', note: 'x' }, null)
    await queueRows([edit, follow])
    const queued = await queuedAmong('1', asked, [a.id, b.id])
    expect([...queued.keys()].sort()).toEqual(['d-9', 'v-a'])
    expect(queued.get('v-a')!.map((m) => m.id)).toEqual([edit.id])
    expect(queued.get('d-9')!.map((m) => m.id)).toEqual([follow.id])
    // A deleted mutation protects nothing, whatever was remembered about it.
    await getDb().outbox.delete(edit.id)
    expect(await pendingAmong('1', asked)).toEqual(new Set(['v-a', 'v-b', 'd-9']))
    await getDb().outbox.bulkDelete([a.id, follow.id])
    expect(await pendingAmong('1', asked)).toEqual(new Set(['v-b']))
  })
})
