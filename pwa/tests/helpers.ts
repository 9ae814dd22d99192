/** Test helpers: a fresh database per test, a logged-in session, an engine bound to a fake server. */
import { createDb } from '../src/db/schema'
import { setDb } from '../src/db/db'
import { setSession } from '../src/db/meta'
import { createApi, type Api } from '../src/sync/api'
import { SyncEngine } from '../src/sync/engine'
import { FakeServer } from './fakeServer'
import type { VisitInput } from '../src/db/records'
import type { Visit } from '../src/db/types'
import type { components } from '../src/api/schema'

type VisitData = components['schemas']['VisitData']

let n = 0

export async function freshDb() {
  const db = createDb(`test-${Date.now()}-${n++}`)
  setDb(db)
  await db.open()
  return db
}

export async function login(userId = '1', csrf = 'tok') {
  await setSession({ user: { id: userId, username: `u${userId}`, display_name: `User ${userId}`, role: 'staff', area_id: 1 }, csrf_token: csrf, expired: false })
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
