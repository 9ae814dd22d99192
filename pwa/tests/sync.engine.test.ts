import { beforeEach, describe, expect, it } from 'vitest'
import Dexie from 'dexie'
import { getDb } from '../src/db/db'
import { putAttachment } from '../src/db/attachments'
import { getSession, setSession, uuid } from '../src/db/meta'
import { listOutbox, newMutation } from '../src/db/outbox'
import { retryMutation } from '../src/db/outboxActions'
import { createVisit, inflight, updateVisit } from '../src/db/records'
import { getCursor } from '../src/db/replica'
import { answeredVersions } from '../src/db/answered'
import { FakeServer } from './fakeServer'
import { RID, engineFor, freshDb, jpegBlob, login, visitData, row, rows, queueRows } from './helpers'

let server: FakeServer

beforeEach(async () => {
  await freshDb()
  await login('1')
  server = new FakeServer()
})

async function queueVisitWithPhoto(difficulties = 2) {
  const photo = await putAttachment('1', jpegBlob())
  const id = uuid()
  await createVisit('1', visitData(id, { photos: [photo] }), Array.from({ length: difficulties }, (_, i) => ({
    id: uuid(), recipient_id: RID, visit_id: id, category: 'housing', description: `困难${i}`, urgency: 'normal' as const,
    follow_up_at: null, due_date: null,
  })))
  return { id, photo }
}

describe('push', () => {
  it('uploads the photo first, then applies the visit and its difficulties once', async () => {
    const { id, photo } = await queueVisitWithPhoto()
    expect(await engineFor(server).syncOnce()).toBe('ok')
    const firstPush = server.requests.findIndex((r) => r.path === '/api/sync/push')
    const upload = server.requests.findIndex((r) => r.path === `/api/attachments/${photo}`)
    expect(upload).toBeGreaterThanOrEqual(0)
    expect(upload).toBeLessThan(firstPush)
    expect(server.count('visit')).toBe(1)
    expect(server.count('difficulty')).toBe(2)
    expect(server.attachments.has(photo)).toBe(true)
    expect(await listOutbox('1')).toHaveLength(0)
    expect((await row('visits', id))?._version).toBe(1)
    expect((await getDb().attachments.get(photo))?.uploaded).toBe(1)
  })

  it('a lost answer is retried and the server ends with exactly one visit', async () => {
    await queueVisitWithPhoto(0)
    server.faults.push({ path: '/api/sync/push', fault: 'lose-response' })
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    expect(await listOutbox('1')).toHaveLength(1)
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.count('visit')).toBe(1)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('5xx, 429 and network errors keep the queue and back off', async () => {
    await queueVisitWithPhoto(0)
    server.faults.push({ path: '/api/sync/push', fault: { status: 503 } })
    server.faults.push({ path: '/api/sync/push', fault: { status: 429, code: 'rate_limited' } })
    server.faults.push({ path: '/api/attachments', fault: 'network' })
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    expect(await engine.syncOnce()).toBe('retry')
    expect(await engine.syncOnce()).toBe('retry')
    expect(engine.status.failures).toBe(3)
    expect(engine.status.lastErrorCode).toBe('rate_limited')
    expect(await listOutbox('1')).toHaveLength(1)
    expect(await engine.syncOnce()).toBe('ok')
    expect(engine.status.failures).toBe(0)
    expect(server.count('visit')).toBe(1)
  })

  it('403 password_change_required keeps the queue and the photo (nothing rejected) until the password is changed', async () => {
    await queueVisitWithPhoto(1)
    server.faults.push({ path: '/api/attachments', fault: { status: 403, code: 'password_change_required' } })
    server.faults.push({ path: '/api/sync/push', fault: { status: 403, code: 'password_change_required' } })
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    expect(engine.status.lastErrorCode).toBe('password_change_required')
    expect(await engine.syncOnce()).toBe('retry')
    expect((await listOutbox('1')).map((m) => m.state)).toEqual(['pending', 'pending'])
    expect(await engine.syncOnce()).toBe('ok')
    expect(await listOutbox('1')).toHaveLength(0)
    expect(server.count('visit')).toBe(1)
  })

  it('401 marks the session expired, keeps the queue, and the queue goes on after re-login', async () => {
    await queueVisitWithPhoto(1)
    server.loggedIn = false
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('unauthorized')
    expect((await getSession())?.expired).toBe(true)
    expect(await listOutbox('1')).toHaveLength(2)
    expect(await engine.syncOnce()).toBe('no_session')
    server.loggedIn = true
    server.csrf = 'new-token'
    await login('1', 'new-token')
    expect(await engine.syncOnce()).toBe('ok')
    expect(await listOutbox('1')).toHaveLength(0)
    expect(server.count('visit')).toBe(1)
  })

  it('a rejected mutation stays visible with its error while the rest sync', async () => {
    const bad = uuid()
    await createVisit('1', visitData(bad, { occasion: 'BAD' }))
    await createVisit('1', visitData(uuid()))
    server.reject = (m) => (m.data.occasion === 'BAD' ? { code: 'validation_error', fields: { occasion: ['bad'] } } : null)
    expect(await engineFor(server).syncOnce()).toBe('ok')
    const left = await listOutbox('1')
    expect(left).toHaveLength(1)
    expect(left[0].entity_id).toBe(bad)
    expect(left[0].state).toBe('rejected')
    expect(left[0].error?.code).toBe('validation_error')
    expect(server.count('visit')).toBe(1)
    // Fixing the record folds the change into the rejected create, which goes again.
    server.reject = () => null
    await updateVisit('1', bad, { occasion: '修正后' })
    const fixed = await listOutbox('1')
    expect(fixed).toHaveLength(1)
    expect(fixed[0].state).toBe('pending')
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.get('visit', bad)?.data.occasion).toBe('修正后')
  })

  it('missing_attachment re-uploads the file and retries the mutation', async () => {
    const { photo } = await queueVisitWithPhoto(0)
    server.forget.add(photo)
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.count('visit')).toBe(1)
    expect(server.requests.filter((r) => r.path === `/api/attachments/${photo}`)).toHaveLength(2)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('pushes in batches of at most 200', async () => {
    await queueRows(Array.from({ length: 450 }, (_, i) => newMutation('1', 'recipient.create', {
      id: uuid(), name: `对象${i}`, gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null,
    }, null)))
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.pushSizes).toEqual([200, 200, 50])
    expect(server.count('recipient')).toBe(450)
  })

  it('sends only the logged-in user\'s mutations; another user\'s stay queued', async () => {
    await createVisit('2', visitData(uuid()))
    await createVisit('1', visitData(uuid()))
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.count('visit')).toBe(1)
    expect(await listOutbox('1')).toHaveLength(0)
    expect(await listOutbox('2')).toHaveLength(1)
  })

  it('a stale update is a conflict; retry rebases it on the server version', async () => {
    server.seed('visit', 'v1', { ...visitData('v1'), status: 'returned' })
    const engine = engineFor(server)
    await engine.syncOnce()
    server.seed('visit', 'v1', { ...visitData('v1'), status: 'returned', notes: '他人修改' })
    await updateVisit('1', 'v1', { gifts: '棉被' })
    expect(await engine.syncOnce()).toBe('ok')
    const [m] = await listOutbox('1')
    expect(m.state).toBe('conflict')
    expect(m.server_entity?.version).toBe(2)
    await retryMutation(m.id)
    expect(await engine.syncOnce()).toBe('ok')
    expect(await listOutbox('1')).toHaveLength(0)
    expect(server.get('visit', 'v1')?.data).toMatchObject({ gifts: '棉被', notes: '他人修改' })
  })

  it('an update only carries changed fields and the base version', async () => {
    server.seed('visit', 'v2', visitData('v2'))
    const engine = engineFor(server)
    await engine.syncOnce()
    await updateVisit('1', 'v2', { ...visitData('v2'), gifts: '棉被' })
    const [m] = await listOutbox('1')
    expect(m.op).toBe('visit.update')
    expect(m.data).toEqual({ id: 'v2', gifts: '棉被' })
    expect(m.base_version).toBe(1)
  })
})

describe('pull', () => {
  it('stores pages with their cursor and follows has_more', async () => {
    for (let i = 0; i < 1200; i++) server.seed('recipient', `r${i}`, { name: `对象${i}`, area_id: 9, category: 'veteran' })
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(await getDb().recipients.count()).toBe(1200)
    expect(await getCursor('1')).toBe(server.seq)
    expect(server.requests.filter((r) => r.path === '/api/sync/pull')).toHaveLength(3)
  })

  it('asks for the next page while storing the last; a failed store keeps the cursor of the last page stored', async () => {
    for (let i = 0; i < 1200; i++) server.seed('recipient', `r${i}`, { name: `对象${i}`, area_id: 9, category: 'veteran' })
    // Record, for each pull request, how many pages had been stored when it left.
    const db = getDb()
    let stored = 0
    const transaction = db.transaction.bind(db) as (...args: unknown[]) => Promise<unknown>
    let failSecondStore = true
    db.transaction = (async (...args: unknown[]) => {
      const tables = args[1] as { name: string }[]
      const isPage = pulls.length > 0 && Array.isArray(tables) && tables.some((t) => t.name === 'meta')
        && tables.some((t) => t.name === 'recipients')
      if (isPage && pulls.length >= 2 && stored === 1 && failSecondStore) {
        failSecondStore = false
        throw new Error('QuotaExceededError')
      }
      const r = await transaction(...args)
      if (isPage) stored++
      return r
    }) as never
    const pulls: number[] = []
    const inner = server.fetch
    server.fetch = async (input, init) => {
      if (String(input).includes('/api/sync/pull')) pulls.push(stored)
      return inner(input, init)
    }
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    // The second page was asked for before the first was stored; the third never, since storing the second failed.
    expect(pulls.slice(0, 2)).toEqual([0, 0])
    expect(await getDb().recipients.count()).toBe(500)
    const afterFirst = await getCursor('1')
    expect(afterFirst).toBeGreaterThan(0)
    expect(afterFirst).toBeLessThan(server.seq)
    // The next round goes on from the last stored page and ends with everything.
    expect(await engine.syncOnce()).toBe('ok')
    expect(await getDb().recipients.count()).toBe(1200)
    expect(await getCursor('1')).toBe(server.seq)
  })

  it('keeps the local copy while pulling, then takes the server answer after push', async () => {
    server.seed('recipient', 'r1', { name: '张三', area_id: 9, category: 'veteran' })
    const engine = engineFor(server)
    await engine.syncOnce()
    // Local change queued, server changes too: the pull in the same round must not clobber it.
    const { updateRecipient } = await import('../src/db/records')
    await updateRecipient('1', 'r1', { phone: '13800000000' })
    server.reject = () => ({ code: 'forbidden' })
    server.seed('recipient', 'r1', { name: '张三丰', area_id: 9, category: 'veteran' })
    await engine.syncOnce()
    const local = await row('recipients', 'r1')
    expect(local?.phone).toBe('13800000000')
    expect(local?.name).toBe('张三')
  })

  it('410 cursor_expired starts again from cursor 0', async () => {
    server.seed('recipient', 'r1', { name: '张三', area_id: 9, category: 'veteran' })
    const engine = engineFor(server)
    await engine.syncOnce()
    await getDb().recipients.clear()
    server.minCursor = server.seq + 1
    server.seed('recipient', 'r2', { name: '李四', area_id: 9, category: 'veteran' })
    server.seed('recipient', 'r3', { name: '王五', area_id: 9, category: 'veteran' })
    server.minCursor = server.seq // the device's cursor (1) is now too old
    expect(await engine.syncOnce()).toBe('ok')
    expect(await getDb().recipients.count()).toBe(3)
    expect(server.requests.some((r) => r.path === '/api/sync/pull')).toBe(true)
  })

  it('removes a record the server marks deleted', async () => {
    server.seed('recipient', 'r1', { name: '张三', area_id: 9, category: 'veteran' })
    const engine = engineFor(server)
    await engine.syncOnce()
    const r = server.get('recipient', 'r1')!
    server.records.set('recipient:r1', { ...r, deleted: true, seq: ++server.seq })
    await engine.syncOnce()
    expect(await row('recipients', 'r1')).toBeUndefined()
  })
})

describe('scheduling', () => {
  it('coalesces sync requests made while one runs', async () => {
    await queueVisitWithPhoto(0)
    const engine = engineFor(server)
    const a = engine.requestSync()
    const b = engine.requestSync()
    expect(await a).toBe('ok')
    expect(await b).toBe('ok')
    expect(server.count('visit')).toBe(1)
  })

  it('without a session it does nothing', async () => {
    await setSession(null)
    expect(await engineFor(server).syncOnce()).toBe('no_session')
    expect(server.requests).toHaveLength(0)
  })
})

describe('pipelined push', () => {
  const recipientCreates = (n: number, user = '1') => Array.from({ length: n }, (_, i) => newMutation(user, 'recipient.create', {
    id: uuid(), name: `对象${i}`, gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null,
  }, null))

  /** Count committed transactions that wrote the outbox (Dexie announces each commit) while `run` runs. */
  async function countingOutboxCommits<T>(run: () => Promise<T>): Promise<{ result: T; commits: number }> {
    let commits = 0
    const onCommit = (parts: Record<string, unknown>) => {
      if (Object.keys(parts).some((k) => k.includes('/outbox/'))) commits++
    }
    Dexie.on('storagemutated', onCommit)
    try {
      return { result: await run(), commits }
    } finally {
      Dexie.on('storagemutated').unsubscribe(onCommit)
    }
  }

  /** Every queued create reached the server once, left the queue, and its answer (version 1) is stored. */
  async function expectAllSyncedOnce(n: number) {
    expect(server.count('recipient')).toBe(n)
    expect(server.applied.size).toBe(n)
    expect(await listOutbox('1')).toHaveLength(0)
    const stored = await rows('recipients')
    expect(stored).toHaveLength(n)
    expect(stored.every((r) => r._version === 1)).toBe(true)
  }

  /** Wrap the fake server's fetch: `onPush(n)` runs before the n-th push (1-based) reaches it. */
  function onPush(fn: (n: number) => Promise<void> | void) {
    const inner = server.fetch
    let n = 0
    server.fetch = async (input, init) => {
      if (String(input).endsWith('/api/sync/push')) await fn(++n)
      return inner(input, init)
    }
  }

  it('sends the next batch while the previous answer is being stored, and applies each mutation once', async () => {
    await queueRows(recipientCreates(450))
    // Note how many outbox commits had happened as each push left.
    let commitsSoFar = 0
    const commitsAtPush: number[] = []
    const onCommit = (parts: Record<string, unknown>) => {
      if (Object.keys(parts).some((k) => k.includes('/outbox/'))) commitsSoFar++
    }
    onPush(() => {
      commitsAtPush.push(commitsSoFar)
    })
    Dexie.on('storagemutated', onCommit)
    const { result, commits } = await countingOutboxCommits(() => engineFor(server).syncOnce())
    Dexie.on('storagemutated').unsubscribe(onCommit)
    expect(result).toBe('ok')
    expect(server.pushSizes).toEqual([200, 200, 50])
    // The second push left before the first answer was stored; later answers are stored one by one or together.
    expect(commitsAtPush[1]).toBe(0)
    expect(commits).toBeGreaterThanOrEqual(2)
    expect(commits).toBeLessThanOrEqual(3)
    await expectAllSyncedOnce(450)
  })

  it('reads only the first batch before sending it; the rest of the window is read while it is on its way', async () => {
    await queueRows(recipientCreates(450))
    const inFlightAtPush: number[] = []
    const engine = engineFor(server, (api) => ({
      ...api,
      push: (deviceId, mutations) => {
        inFlightAtPush.push(inflight.size) // as the engine hands the batch over, before any await
        return api.push(deviceId, mutations)
      },
    }))
    expect(await engine.syncOnce()).toBe('ok')
    expect(inFlightAtPush[0]).toBe(200) // only the first batch had been read and marked
    expect(inFlightAtPush[1]).toBeGreaterThanOrEqual(250) // the rest joined the window during the first push
    await expectAllSyncedOnce(450)
  })

  it('keeps two independent batches on their way at once; a batch naming a record created in one waits for its answer', async () => {
    // Batch 1: visits of recipients that exist on the server already; batch 2: new recipients (independent of
    // batch 1); batch 3: visits of the recipients created in batch 2.
    for (let i = 0; i < 5; i++) server.seed('recipient', `r${i}`, { name: `老${i}`, area_id: 9 })
    const visitsOf = (ids: string[], n: number) => Array.from({ length: n }, (_, i) =>
      newMutation('1', 'visit.create', { ...visitData(uuid()), recipient_id: ids[i % ids.length] }, null))
    const independent = visitsOf(['r0', 'r1', 'r2', 'r3', 'r4'], 200)
    const creates = recipientCreates(200)
    const dependent = visitsOf(creates.map((m) => m.entity_id), 200)
    await queueRows([...independent, ...creates, ...dependent].map((m, i) => ({ ...m, seq: i })))
    let flying = 0
    const flyingAtSend: number[] = []
    const engine = engineFor(server, (api) => ({
      ...api,
      push: async (deviceId, mutations) => {
        flyingAtSend.push(flying++)
        try {
          await new Promise((r) => setTimeout(r, 20)) // the network
          return await api.push(deviceId, mutations)
        } finally {
          flying--
        }
      },
    }))
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.pushSizes).toEqual([200, 200, 200])
    // Batch 2 left with batch 1 unanswered; batch 3 only once batch 2 (its recipients) was answered.
    expect(flyingAtSend).toEqual([0, 1, 0])
    expect(server.count('visit')).toBe(400)
    expect(server.count('recipient')).toBe(205)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('a second follow-up of the same difficulty never travels beside the first', async () => {
    const difficultyId = uuid()
    server.seed('difficulty', difficultyId, { recipient_id: 'r0', status: 'open' })
    const followUp = (status: string) => newMutation('1', 'followup.create', { id: uuid(), difficulty_id: difficultyId, note: status, status }, null)
    const filler = recipientCreates(199)
    const rows = [...filler, followUp('in_progress'), followUp('resolved')].map((m, i) => ({ ...m, seq: i }))
    await queueRows(rows)
    let flying = 0
    let most = 0
    const engine = engineFor(server, (api) => ({
      ...api,
      push: async (deviceId, mutations) => {
        most = Math.max(most, ++flying)
        try {
          await new Promise((r) => setTimeout(r, 10))
          return await api.push(deviceId, mutations)
        } finally {
          flying--
        }
      },
    }))
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.pushSizes).toEqual([200, 1])
    expect(most).toBe(1) // both name the difficulty the first changes: the second waited for its answer
  })

  it('a 413 for a batch sends the same mutations again in smaller batches, once each', async () => {
    await queueRows(recipientCreates(450))
    server.maxBatch = 120
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(Math.max(...server.pushSizes)).toBeLessThanOrEqual(120)
    await expectAllSyncedOnce(450)
  })

  it('a single mutation still too large after halving is rejected; the rest sync', async () => {
    await queueRows(recipientCreates(3))
    server.maxBatch = 0
    expect(await engineFor(server).syncOnce()).toBe('ok')
    const left = await listOutbox('1')
    expect(left).toHaveLength(3)
    expect(left.every((m) => m.state === 'rejected' && m.error?.code === 'batch_too_large')).toBe(true)
  })

  it('stores the answers that arrived during a slow store together, in one transaction, in order', async () => {
    await queueRows(recipientCreates(450))
    // The first store waits until the last batch has been answered (a slow phone's IndexedDB).
    let pushes = 0
    let allAnswered!: () => void
    const answered = new Promise<void>((resolve) => (allAnswered = resolve))
    onPush(() => {
      if (++pushes === 3) setTimeout(allAnswered, 0)
    })
    // The first transaction after the first push is the first answer's store: it starts only once all are in.
    const db = getDb()
    const transaction = db.transaction.bind(db) as (...args: unknown[]) => Promise<unknown>
    let stall = true
    db.transaction = (async (...args: unknown[]) => {
      if (pushes >= 1 && stall) {
        stall = false
        await answered
      }
      return transaction(...args)
    }) as never
    const { result, commits } = await countingOutboxCommits(() => engineFor(server).syncOnce())
    expect(result).toBe('ok')
    expect(server.pushSizes).toEqual([200, 200, 50])
    expect(commits).toBe(2) // the first answer, then the two that waited for it
    await expectAllSyncedOnce(450)
  })

  it("a round running when another user logs in never sends the first user's records under the new session", async () => {
    await queueRows(recipientCreates(450))
    onPush(async (n) => {
      // While the first batch is on its way, user 1 logs out and user 2 logs in on this phone.
      if (n === 1) await login('2', 'tok-2')
    })
    const sentWith: string[] = []
    const inner = server.fetch
    server.fetch = async (input, init) => {
      if (String(input).endsWith('/api/sync/push')) sentWith.push(new Headers(init?.headers).get('X-CSRF-Token') ?? '')
      return inner(input, init)
    }
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('no_session')
    // The batches that left before the switch (the first, and the one beside it) are answered and settled;
    // nothing of user 1 left after it, none with user 2's token.
    expect(sentWith.length).toBeLessThan(3)
    expect(sentWith.every((t) => t === 'tok')).toBe(true)
    expect(server.count('recipient')).toBe(200 * sentWith.length)
    expect(await listOutbox('1')).toHaveLength(450 - 200 * sentWith.length)
    expect((await getSession())?.expired).toBe(false) // user 2's session is not touched
    // User 1's queue goes on when user 1 logs in again.
    await login('1')
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.count('recipient')).toBe(450)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('a sync asked for by the next user while the previous round stops runs for the next user', async () => {
    await queueRows(recipientCreates(450))
    let asked: Promise<unknown> | null = null
    onPush(async (n) => {
      if (n === 1) {
        await login('2', 'tok-2')
        asked = engine.requestSync() // what login() does after storing the new session
      }
    })
    const engine = engineFor(server)
    const first = engine.requestSync()
    await first
    await asked
    const sent = server.count('recipient')
    expect(sent).toBeLessThan(450) // user 1's round stopped
    // User 2's own round ran after user 1's stopped: it pulled under user 2's cursor.
    expect(await getCursor('2')).toBeGreaterThan(0)
    expect(await listOutbox('1')).toHaveLength(450 - sent)
  })

  it('an edit made after its create was answered but before the pull landed goes out on the answered version', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    // The connection drops right after the push: the pull that would bring the record fails.
    const inner = server.fetch
    let pullDown = true
    server.fetch = async (input, init) => {
      if (pullDown && String(input).includes('/api/sync/pull')) throw new TypeError('Failed to fetch')
      return inner(input, init)
    }
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    expect(server.count('visit')).toBe(1)
    expect((await row('visits', id))?._version).toBe(0) // the row is still the phone's own
    const edit = await updateVisit('1', id, { notes: '信号恢复前补充' })
    expect(edit?.base_version).toBe(1)
    pullDown = false
    expect(await engine.syncOnce()).toBe('ok')
    expect(await listOutbox('1')).toHaveLength(0) // applied, not kept as a conflict
    expect((await row('visits', id))?.notes).toBe('信号恢复前补充')
    expect((await row('visits', id))?._version).toBe(2)
    expect(await answeredVersions('1')).toEqual({})
  })

  it('a network failure on a later batch keeps the answers received stored and that batch queued; nothing is lost', async () => {
    await queueRows(recipientCreates(450))
    onPush((n) => {
      if (n === 2) throw new TypeError('Failed to fetch')
    })
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    // Batches 1 and 3 (which left beside batch 2 once batch 1 was answered) reached the server; batch 2 did not.
    expect(server.count('recipient')).toBe(250)
    const left = await listOutbox('1')
    expect(left).toHaveLength(200)
    expect(left.every((m) => m.state === 'pending')).toBe(true)
    // Both answers are stored: their versions are remembered (the pull that would bring the records never ran).
    expect(Object.values(await answeredVersions('1')).filter((v) => v === 1)).toHaveLength(250)
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.count('recipient')).toBe(450)
    expect(server.applied.size).toBe(450)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('a lost answer in the middle is sent again and answered duplicate: every mutation applied exactly once', async () => {
    await queueRows(recipientCreates(450))
    server.faults.push({ path: '/api/sync/push', fault: 'lose-response' })
    onPush((n) => {
      // The fault above is consumed by the first push: move it to the second.
      if (n === 1) server.faults.length = 0
      if (n === 2) server.faults.push({ path: '/api/sync/push', fault: 'lose-response' })
    })
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('retry')
    expect(server.count('recipient')).toBe(450) // every batch was applied; the second one's answer was lost
    expect(await listOutbox('1')).toHaveLength(200)
    expect(await engine.syncOnce()).toBe('ok')
    expect(server.pushSizes).toEqual([200, 200, 50, 200])
    expect(server.count('recipient')).toBe(450)
    expect(server.applied.size).toBe(450)
    expect(await listOutbox('1')).toHaveLength(0)
    expect((await rows('recipients')).every((r) => r._version === 1)).toBe(true)
  })

  it('an update whose create is in the batch before waits for that answer and takes its version', async () => {
    const first = recipientCreates(199)
    const id = uuid()
    await createVisit('1', visitData(id)) // the 200th mutation: the first batch ends with it
    const created = (await listOutbox('1'))[0]
    const update = newMutation('1', 'visit.update', { id, gifts: '棉被' }, 0) // queued while the create was in flight
    await queueRows([...first.map((m) => ({ ...m, seq: created.seq - 1000 + first.indexOf(m) })), update])
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.pushSizes).toEqual([200, 1])
    const sent = server.requests.filter((r) => r.path === '/api/sync/push')[1].body as { mutations: { base_version: number }[] }
    expect(sent.mutations[0].base_version).toBe(1)
    expect(server.get('visit', id)?.version).toBe(2)
    expect(server.get('visit', id)?.data.gifts).toBe('棉被')
    expect((await row('visits', id))?._version).toBe(2)
    expect(await listOutbox('1')).toHaveLength(0)
  })

  it('an edit made while a batch is in flight is queued on its own and sent after, not folded into it', async () => {
    const id = uuid()
    await createVisit('1', visitData(id))
    await queueRows(recipientCreates(250))
    onPush(async (n) => {
      if (n === 1) await updateVisit('1', id, { gifts: '棉被' })
    })
    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.get('visit', id)?.data.gifts).toBe('棉被')
    expect(server.get('visit', id)?.version).toBe(2)
    const local = await row('visits', id)
    expect(local?.gifts).toBe('棉被')
    expect(local?._version).toBe(2)
    expect(await listOutbox('1')).toHaveLength(0)
  })
})
