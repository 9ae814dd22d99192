import { beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '../src/db/db'
import { pruneUploadedAttachments, putAttachment } from '../src/db/attachments'
import { getMeta, uuid } from '../src/db/meta'
import {
  ACKED_KEEP_MS, enqueue, getServerEpoch, keptAcknowledged, listOutbox, newMutation, pruneAcknowledged, requeueAcknowledged,
} from '../src/db/outbox'
import { createDifficulty, createFollowUp, createVisit, updateVisit } from '../src/db/records'
import { getCursor } from '../src/db/replica'
import type { Mutation } from '../src/db/types'
import { FakeServer } from './fakeServer'
import { RID, engineFor, freshDb, jpegBlob, login, visitData } from './helpers'

let server: FakeServer

beforeEach(async () => {
  await freshDb()
  await login('1')
  server = new FakeServer()
  server.checkReferences = true
})

const pushes = () => server.requests.filter((r) => r.path === '/api/sync/push')
const sentIds = (r: { body?: unknown }) => (r.body as { mutations: { id: string }[] }).mutations.map((m) => m.id)

async function newDifficulty(): Promise<string> {
  const id = uuid()
  await createDifficulty('1', { id, recipient_id: RID, visit_id: null, category: 'housing', description: '房屋漏雨', urgency: 'normal', follow_up_at: null, due_date: null })
  return id
}

async function newFollowUp(difficultyId: string, status: 'in_progress' | 'resolved') {
  await createFollowUp('1', { id: uuid(), difficulty_id: difficultyId, at: '2027-01-20T09:00:00.000Z', note: '回访', status, next_follow_up_at: null })
}

describe('kept acknowledged mutations', () => {
  it('are kept as they were sent, base_version included, while the queue empties', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    await updateVisit('1', id, { gifts: '棉被' }) // folded into the create: one mutation
    expect(await engineFor(server).syncOnce()).toBe('ok')
    await updateVisit('1', id, { notes: '补记' })
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(await listOutbox('1')).toHaveLength(0)
    const kept = await keptAcknowledged()
    expect(kept.map((m) => [m.op, m.base_version])).toEqual([['visit.create', null], ['visit.update', 1]])
    expect(kept.every((m) => m.acked_at && m.user_id === '1')).toBe(true)
    expect(await getServerEpoch()).toBe('epoch-1')
  })

  it('an update sent with a base_version read from the replica is kept with that base_version, not the row\'s 0', async () => {
    server.seed('visit', 'v1', visitData('v1'))
    const engine = engineFor(server)
    await engine.syncOnce() // the replica has v1 at version 1
    // An update queued before its record's version was known (base_version 0): the push reads it from the replica.
    const m = newMutation('1', 'visit.update', { id: 'v1', notes: '补记' }, 0)
    await getDb().transaction('rw', getDb().outbox, () => enqueue(getDb(), m))
    expect(await engine.syncOnce()).toBe('ok')
    const sent = pushes().flatMap((r) => (r.body as { mutations: Mutation[] }).mutations).find((x) => x.id === m.id)
    expect(sent?.base_version).toBe(1)
    expect((await keptAcknowledged()).find((k) => k.id === m.id)?.base_version).toBe(1) // a re-send is the same payload, not mutation_id_reused
  })

  it('are pruned after the window, not before', async () => {
    await createVisit('1', visitData(uuid()))
    await engineFor(server).syncOnce()
    expect(await pruneAcknowledged(Date.now() + ACKED_KEEP_MS - 60_000)).toBe(0)
    expect(await getDb().acked.count()).toBe(1)
    expect(await pruneAcknowledged(Date.now() + ACKED_KEEP_MS + 60_000)).toBe(1)
    expect(await getDb().acked.count()).toBe(0)
  })

  it('keep their photos on the phone past the week uploaded files are kept', async () => {
    const photo = await putAttachment('1', jpegBlob(7))
    await createVisit('1', visitData(uuid(), { photos: [photo] }))
    await engineFor(server).syncOnce()
    const later = Date.now() + 8 * 86_400_000
    expect(await pruneUploadedAttachments(later)).toBe(0)
    await pruneAcknowledged(later + ACKED_KEEP_MS)
    expect(await pruneUploadedAttachments(later + ACKED_KEEP_MS)).toBe(1)
  })
})

describe('after the server is restored from a backup', () => {
  it('a push answered 410 re-sends every kept mutation first, in order, and the server ends with everything once', async () => {
    const engine = engineFor(server)
    const a = uuid()
    await createVisit('1', visitData(a))
    const d = await newDifficulty()
    await engine.syncOnce()
    const backup = server.snapshot()
    const b = uuid()
    await createVisit('1', visitData(b))
    await newFollowUp(d, 'in_progress')
    await engine.syncOnce() // acknowledged by the server that is about to be lost
    server.restore(backup)
    expect(server.get('visit', b)).toBeUndefined()
    const c = uuid()
    await createVisit('1', visitData(c))
    await newFollowUp(d, 'resolved') // pending: it must reach the server after the lost in_progress one
    const before = pushes().length

    expect(await engine.syncOnce()).toBe('ok')
    const round = pushes().slice(before)
    expect((round[0].body as { epoch?: string }).epoch).toBe('epoch-1')
    expect((round[1].body as { epoch?: string }).epoch).toBeUndefined() // the re-send: the old epoch is forgotten
    const order = round.slice(1).flatMap(sentIds)
    const kept = await keptAcknowledged()
    expect(order).toEqual(kept.map((m) => m.id)) // every mutation ever made, oldest first
    expect(kept.map((m) => m.op)).toEqual(['visit.create', 'difficulty.create', 'visit.create', 'followup.create', 'visit.create', 'followup.create'])
    for (const id of [a, b, c]) expect(server.get('visit', id)).toBeTruthy()
    expect(server.count('followup')).toBe(2)
    expect(server.count('visit')).toBe(3) // once each: a and the difficulty answered duplicate
    expect(await listOutbox('1')).toHaveLength(0)
    expect(await getServerEpoch()).toBe(server.epoch)
    expect(await getCursor('1')).toBe(server.seq)
  })

  it('a pull answered 410 with nothing to push re-sends too, then pulls from 0', async () => {
    const engine = engineFor(server)
    await createVisit('1', visitData(uuid()))
    await engine.syncOnce()
    const backup = server.snapshot()
    const lost = uuid()
    await createVisit('1', visitData(lost))
    await engine.syncOnce()
    server.restore(backup)
    server.seed('recipient', 'r9', { name: '新对象', area_id: 9, category: 'veteran' }) // written after the restore
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.get('visit', lost)).toBeTruthy()
    expect(await getDb().recipients.get('r9')).toBeTruthy()
    const pulls = server.requests.filter((r) => r.path === '/api/sync/pull')
    expect(pulls.length).toBeGreaterThanOrEqual(2)
    expect(await getServerEpoch()).toBe(server.epoch)
  })

  it('a re-sent mutation is never folded into: an edit made before it goes is queued on its own', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    await engineFor(server).syncOnce()
    await requeueAcknowledged()
    await updateVisit('1', id, { gifts: '棉被' })
    const queued = await listOutbox('1')
    expect(queued.map((m) => [m.op, m.resend ?? 0])).toEqual([['visit.create', 1], ['visit.update', 0]])
    expect(await engineFor(server).syncOnce()).toBe('ok') // the create answers duplicate, the edit applies
    expect(server.get('visit', id)?.data.gifts).toBe('棉被')
    expect(server.count('visit')).toBe(1)
  })

  it("puts every user's kept mutations back in their own queue; another user's wait for that user", async () => {
    const engine = engineFor(server)
    const mine = uuid()
    await createVisit('1', visitData(mine))
    await engine.syncOnce()
    const backup = server.snapshot()
    const theirs = uuid()
    await login('2')
    await createVisit('2', visitData(theirs))
    await engine.syncOnce()
    server.restore(backup)
    server.applied.clear() // the backup is older than user 1's visit too
    server.records.clear()
    await engine.syncOnce() // user 2 meets the 410
    expect(server.get('visit', theirs)).toBeTruthy()
    expect(server.get('visit', mine)).toBeUndefined() // never sent under user 2's session
    expect((await listOutbox('1')).map((m) => m.entity_id)).toEqual([mine])
    await login('1')
    await engine.syncOnce()
    expect(server.get('visit', mine)).toBeTruthy()
  })

  it('re-uploads a photo the restored server lost, then the visit naming it applies', async () => {
    const engine = engineFor(server)
    const backup = server.snapshot()
    const photo = await putAttachment('1', jpegBlob(9))
    const id = uuid()
    await createVisit('1', visitData(id, { photos: [photo] }))
    await engine.syncOnce()
    server.restore(backup)
    expect(server.attachments.has(photo)).toBe(false)
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.attachments.has(photo)).toBe(true)
    expect(server.get('visit', id)).toBeTruthy()
  })

  it('a crash between the 410 and the re-send loses nothing: the queue and the forgotten cursor land together', async () => {
    await createVisit('1', visitData(uuid()))
    await engineFor(server).syncOnce()
    expect(await getMeta('cursor:1')).toBeGreaterThan(0)
    await requeueAcknowledged()
    expect(await getMeta('cursor:1')).toBeUndefined()
    expect(await getServerEpoch()).toBeUndefined()
    expect(await getDb().acked.count()).toBe(0)
    expect((await listOutbox('1')).map((m) => m.state)).toEqual(['pending'])
  })
})
