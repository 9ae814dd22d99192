/** Test helpers: a fresh database per test, a logged-in session, an engine bound to a fake server. */
import { createDb } from '../src/db/schema'
import { getDb, setDb } from '../src/db/db'
import { setSession } from '../src/db/meta'
import { openRecord, openRecords, sealRecords, useCipher, type SealedStore } from '../src/db/sealed'
import { protectedBy } from '../src/db/outbox'
import type { StoredMutation } from '../src/db/schema'
import type { Mutation } from '../src/db/types'
import { cipherFor } from '../src/lib/crypto'
import { createApi, type Api } from '../src/sync/api'
import { SyncEngine } from '../src/sync/engine'
import { FakeServer } from './fakeServer'
import type { VisitInput } from '../src/db/records'
import type { Visit } from '../src/db/types'
import type { components } from '../src/api/schema'

type VisitData = components['schemas']['VisitData']

let n = 0

/** One data key for the whole run (a test's records stay readable whichever test user is "logged in"). */
let testKey: Promise<CryptoKey> | null = null

/** Put a data key in memory for `userId`, as an unlock does (records are sealed and opened with it). */
export async function unlockAs(userId = '1') {
  testKey ??= crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
  useCipher(cipherFor(userId, await testKey))
}

export async function freshDb() {
  const db = createDb(`test-${Date.now()}-${n++}`)
  setDb(db)
  await db.open()
  await unlockAs('1')
  return db
}

export async function login(userId = '1', csrf = 'tok') {
  await setSession({ user: { id: userId, username: `u${userId}`, display_name: `User ${userId}`, role: 'staff', area_id: 1 }, csrf_token: csrf, expired: false })
  await unlockAs(userId)
}

/** A record as the app reads it (opened), straight from its store. */
export async function row<T = Record<string, unknown>>(store: SealedStore, key: string | number): Promise<T | undefined> {
  return openRecord<T>(store, await getDb().table(store).get(key))
}

/** Every record of a store, opened. */
export async function rows<T = Record<string, unknown>>(store: SealedStore): Promise<T[]> {
  return openRecords<T>(store, await getDb().table(store).toArray())
}

/** An engine talking to `server`; `wrap` may watch or change the API it calls. */
export function engineFor(server: FakeServer, wrap: (api: Api) => Api = (api) => api) {
  const api = createApi({
    fetch: (input, init) => server.fetch(input, init),
    getCsrfToken: async () => (await import('../src/db/meta')).getSession().then((s) => s?.csrf_token),
  })
  return new SyncEngine({ api: wrap(api) })
}

export function jpegBlob(seed = 1): Blob {
  // Not a real image; the fake server only checks the hash.
  const bytes = new Uint8Array(64).map((_, i) => (i * 31 + seed) & 0xff)
  bytes[0] = 0xff
  bytes[1] = 0xd8
  return new Blob([bytes], { type: 'image/jpeg' })
}

export const RID = '11111111-1111-4111-8111-111111111111'

/** A visit as a pull or a push answer brings it: the form's fields and the server's. */
export function pulledVisit(id: string, extra: Partial<VisitData> = {}): VisitData {
  return { ...visitData(id), author_id: 1, area_id: 5, status: 'submitted', review_comment: null, ...extra }
}

/** A visit as the form saves it (VisitInput), with `extra` fields over it. */
export function visitData<E extends Partial<Visit>>(id: string, extra: E = {} as E): VisitInput & E {
  return {
    id, recipient_id: RID, visited_at: '2027-01-20T02:00:00.000Z', kind: 'festival', occasion: '春节慰问', participants: null,
    gifts: '米、油', cash_cents: 50000, notes: null, location: null, photos: [] as string[], signature: null as string | null,
    no_signature_reason: '卧床无法签字', ...extra,
  }
}

/** Put mutations in the outbox as the app stores them (sealed, with the records they protect), in one go. */
export async function queueRows(ms: Mutation[]) {
  const sealed = await sealRecords('outbox', ms.map((m) => ({ ...m, protects: protectedBy(m) })))
  await getDb().outbox.bulkPut(sealed as StoredMutation[])
}
