/**
 * The key that signs the exported outbox file (db/exportKey.ts) is never in the clear on the phone: sealed under the
 * user's data key when the login or /api/auth/me hands it out, sealed at the next unlock when an older version of the
 * app left it plain, and the file is still signed with it (what the office's upload checks).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createHmac } from 'node:crypto'
import { api, engine, lock, refreshSession, session, unlocked } from '../src/composables/useApp'
import { signIn } from '../src/composables/useVault'
import { getDb } from '../src/db/db'
import { exportKeyKey, getMeta, setMeta, uuid } from '../src/db/meta'
import { keepExportKey } from '../src/db/exportKey'
import { sealLegacyRows } from '../src/db/keyring'
import { exportPending } from '../src/db/outboxActions'
import { createVisit } from '../src/db/records'
import type { LoginAnswer } from '../src/sync/api'
import { freshDb, unlockAs, visitData } from './helpers'

const RAW_KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => (255 - i * 5) & 0xff))
const KEY = { key_id: 'kid-7', key: RAW_KEY.toString('base64url') }
const USER = { id: 7, username: 'staff_seven', display_name: '七号', role: 'staff', area_id: 1, must_change_password: false }
const ANSWER = { user: USER, csrf_token: 'tok', export_key: KEY } as unknown as LoginAnswer

/** Every store's raw rows as one string: buffers as UTF-8 and as hex (what a finder of the phone reads). */
async function rawDump(): Promise<string> {
  const flat = (v: unknown): unknown => {
    if (v instanceof ArrayBuffer) v = new Uint8Array(v)
    if (ArrayBuffer.isView(v)) {
      const bytes = new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
      return [new TextDecoder().decode(bytes), Buffer.from(bytes).toString('hex')]
    }
    if (Array.isArray(v)) return v.map(flat)
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]))
    return v
  }
  const out: unknown[] = []
  for (const table of getDb().tables) out.push(flat(await table.toArray()))
  return JSON.stringify(out)
}

/** The key in any of the forms a dump could show it. */
function expectNoKeyIn(dump: string) {
  for (const form of [KEY.key, RAW_KEY.toString('base64'), RAW_KEY.toString('hex')]) expect(dump).not.toContain(form)
}

async function expectFilesSignedWithTheKey(userId: string) {
  await createVisit(userId, visitData(uuid(), { notes: '带回县里' }))
  const doc = JSON.parse(await exportPending(userId))
  expect(JSON.parse(doc.payload).key_id).toBe(KEY.key_id)
  expect(doc.mac).toBe(createHmac('sha256', RAW_KEY).update(Buffer.from(doc.payload, 'utf8')).digest('base64url'))
}

beforeEach(async () => {
  await freshDb()
  session.value = null
  vi.spyOn(engine, 'start').mockImplementation(() => undefined)
  vi.spyOn(engine, 'requestSync').mockResolvedValue('ok')
})

afterEach(async () => {
  vi.restoreAllMocks()
  await lock()
  session.value = null
})

describe('the export file key on the phone', () => {
  it('is kept sealed at login: no dump of IndexedDB shows it, and the exported file is signed with it', async () => {
    vi.spyOn(api, 'login').mockResolvedValue(ANSWER)
    expect(await signIn('staff_seven', 'Zoufang-Test-2026')).toBe('in')
    const stored = await getMeta<Record<string, unknown>>(exportKeyKey('7'))
    expect(stored && Object.keys(stored)).toEqual(['enc']) // kept (not vacuous), sealed
    expectNoKeyIn(await rawDump())
    await expectFilesSignedWithTheKey('7')
  }, 30_000)

  it('is kept sealed when /api/auth/me hands it out again', async () => {
    await unlockAs('7')
    unlocked.value = true // as the unlock leaves the app
    session.value = { user: USER as never, csrf_token: 'tok', expired: false }
    vi.spyOn(api, 'me').mockResolvedValue(ANSWER)
    await refreshSession()
    expect(Object.keys((await getMeta<object>(exportKeyKey('7')))!)).toEqual(['enc'])
    expectNoKeyIn(await rawDump())
    await expectFilesSignedWithTheKey('7')
  })

  it('left in the clear by an older version, it is sealed at the user\'s next unlock and still signs the file', async () => {
    await setMeta(exportKeyKey('7'), KEY) // as the app kept it before
    await setMeta('sealed_at_rest:7', new Date().toISOString()) // the rows were sealed already, the key was not
    expect(await rawDump()).toContain(KEY.key) // the dump does see a plain key
    await unlockAs('7')
    expect(await sealLegacyRows('7')).toBe(1)
    expectNoKeyIn(await rawDump())
    await expectFilesSignedWithTheKey('7')
  })

  it('is not kept while the phone is locked (a locked phone cannot seal it; the next unlock brings it again)', async () => {
    session.value = { user: USER as never, csrf_token: 'tok', expired: false }
    vi.spyOn(api, 'me').mockResolvedValue(ANSWER)
    await refreshSession()
    expect(await getMeta(exportKeyKey('7'))).toBeUndefined()
    expectNoKeyIn(await rawDump())
  })

  it('is sealed only under its own user\'s key: another user unlocked keeps nothing', async () => {
    await unlockAs('1')
    expect(await keepExportKey('7', KEY)).toBe(false)
    expect(await getMeta(exportKeyKey('7'))).toBeUndefined()
  })
})
