import { beforeEach, describe, expect, it } from 'vitest'
import { getDb } from '../src/db/db'
import { newMutation } from '../src/db/outbox'
import { inflight } from '../src/db/records'
import { uuid } from '../src/db/meta'
import type { Change, Mutation } from '../src/db/types'
import type { Api, PushMutation, PushResult } from '../src/sync/api'
import { InOrderCommitter, PushPipeline, batchOf, dependsOn } from '../src/sync/pushPipeline'
import { freshDb, visitData, queueRows } from './helpers'

beforeEach(async () => {
  await freshDb()
})

const recipientCreates = (n: number) => Array.from({ length: n }, (_, i) => newMutation('1', 'recipient.create', {
  id: uuid(), name: `对象${i}`, gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null,
}, null))

const visitsOf = (recipientIds: string[]) => recipientIds.map((rid) => newMutation('1', 'visit.create', { ...visitData(uuid()), recipient_id: rid }, null))

/** Queue `rows` in this order (their seq is their place). */
async function queue(rows: Mutation[]) {
  await queueRows(rows.map((m, i) => ({ ...m, seq: i })))
}

const applied = (m: PushMutation): PushResult => ({
  id: m.id, status: 'applied',
  entity: { type: m.op.split('.')[0] as 'recipient', id: String(m.data.id), version: 1, deleted: false, data: m.data as Change['data'] },
})

/** An API whose push answers only when the test says so: `pushes[n].answer()` answers the n-th push (all applied). */
function heldApi() {
  const pushes: { ids: string[]; answer: () => void }[] = []
  const api = {
    push: (_deviceId: string, mutations: PushMutation[]) => new Promise<{ results: PushResult[]; cursor: number }>((resolve) => {
      pushes.push({ ids: mutations.map((m) => m.id), answer: () => resolve({ results: mutations.map(applied), cursor: 0 }) })
    }),
    putAttachment: async () => 201,
  } as unknown as Api
  return { api, pushes }
}

const pipeline = (api: Api) => new PushPipeline({ api, userId: '1', deviceId: 'dev', guard: async () => undefined })

/** Give the pipeline time to do what it would do next (send, store), then look. */
const pause = (ms = 60) => new Promise((r) => setTimeout(r, ms))

async function until(check: () => boolean | Promise<boolean>, ms = 3000) {
  const end = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out')
    await pause(5)
  }
}

const queued = () => getDb().outbox.count()

describe('dependsOn', () => {
  it('a visit of a recipient created in an earlier batch depends on it; visits of existing recipients do not', () => {
    const creates = recipientCreates(2)
    const earlier = batchOf(creates)
    expect(dependsOn(batchOf(visitsOf([creates[1].entity_id])), earlier)).toBe(true)
    expect(dependsOn(batchOf(visitsOf(['existing-1', 'existing-2'])), earlier)).toBe(false)
    expect(dependsOn(batchOf(visitsOf(['existing-1'])), batchOf(visitsOf(['existing-1'])))).toBe(false)
  })

  it('a create depends on an earlier batch naming the same record, and a follow-up on one of the same difficulty', () => {
    const create = recipientCreates(1)
    const visit = visitsOf([create[0].entity_id])
    expect(dependsOn(batchOf(create), batchOf(visit))).toBe(true)
    const followUp = () => newMutation('1', 'followup.create', { id: uuid(), difficulty_id: 'd1', note: 'x', status: 'in_progress' }, null)
    expect(dependsOn(batchOf([followUp()]), batchOf([followUp()]))).toBe(true)
  })
})

describe('InOrderCommitter', () => {
  const m = (id: string) => ({ id }) as Mutation

  it('stores answers handed over during a store together after it, in the order they came', async () => {
    const stores: string[][] = []
    let release!: () => void
    const first = new Promise<void>((r) => (release = r))
    const committer = new InOrderCommitter(async (sent) => {
      stores.push(sent.map((x) => x.id))
      if (stores.length === 1) await first
    }, () => undefined)
    committer.add([m('a')], [])
    await pause(0)
    committer.add([m('b')], [])
    committer.add([m('c')], [])
    release()
    await committer.drain()
    expect(stores).toEqual([['a'], ['b', 'c']])
  })

  it('after a failed store stores nothing more, releases every mutation and drain throws the first error', async () => {
    const stores: string[][] = []
    const released: string[] = []
    const committer = new InOrderCommitter(async (sent) => {
      stores.push(sent.map((x) => x.id))
      throw new Error(`store ${stores.length}`)
    }, (ids) => released.push(...ids))
    committer.add([m('a')], [])
    await committer.settled()
    committer.add([m('b')], [])
    await expect(committer.drain()).rejects.toThrow('store 1')
    expect(stores).toEqual([['a']])
    expect(released).toEqual(['a', 'b'])
  })
})

describe('PushPipeline', () => {
  it('keeps a later answer that arrives first unstored until the earlier batch is answered and stored', async () => {
    await queue(recipientCreates(400))
    const { api, pushes } = heldApi()
    const run = pipeline(api).run()
    await until(() => pushes.length === 2) // independent: both on their way
    pushes[1].answer()
    await pause()
    expect(await queued()).toBe(400) // the second answer waits for the first
    pushes[0].answer()
    await run
    expect(await queued()).toBe(0)
    expect(inflight.size).toBe(0)
  })

  it('stores the first answer while the second batch is still on its way', async () => {
    await queue(recipientCreates(400))
    const { api, pushes } = heldApi()
    const run = pipeline(api).run()
    await until(() => pushes.length === 2)
    const second = new Set(pushes[1].ids)
    pushes[0].answer()
    await until(async () => (await queued()) === 200)
    expect((await getDb().outbox.toCollection().primaryKeys()).every((k) => second.has(String(k)))).toBe(true)
    pushes[1].answer()
    await run
    expect(await queued()).toBe(0)
  })

  it('never has more than two batches on their way', async () => {
    await queue(recipientCreates(600))
    const { api, pushes } = heldApi()
    const run = pipeline(api).run()
    await until(() => pushes.length === 2)
    await pause()
    expect(pushes).toHaveLength(2)
    pushes[0].answer()
    await until(() => pushes.length === 3)
    pushes[1].answer()
    pushes[2].answer()
    await run
    expect(await queued()).toBe(0)
  })

  it('sends a batch naming records an unanswered batch creates only after that answer', async () => {
    const creates = recipientCreates(200)
    await queue([...creates, ...visitsOf(creates.map((c) => c.entity_id))])
    const { api, pushes } = heldApi()
    const run = pipeline(api).run()
    await until(() => pushes.length === 1)
    await pause()
    expect(pushes).toHaveLength(1) // the visits wait for their recipients' answer
    pushes[0].answer()
    await until(() => pushes.length === 2)
    expect(pushes[1].ids).toHaveLength(200)
    pushes[1].answer()
    await run
    expect(await queued()).toBe(0)
  })
})
