import { beforeEach, describe, expect, it } from 'vitest'
import { getLastSync, setLastSync } from '../src/db/meta'
import { ApiError } from '../src/lib/http'
import { FakeServer } from './fakeServer'
import { engineFor, freshDb, login } from './helpers'

let server: FakeServer

beforeEach(async () => {
  await freshDb()
  await login('1')
  server = new FakeServer()
})

describe('the last successful sync time', () => {
  it('is kept on the phone when a round completes, and only then', async () => {
    const engine = engineFor(server)
    expect(await engine.syncOnce()).toBe('ok')
    const first = await getLastSync('1')
    expect(first).toBe(engine.status.lastSyncAt)

    const down = engineFor(server, (api) => ({ ...api, pull: () => Promise.reject(new ApiError(0, 'network_error')) }))
    expect(await down.syncOnce()).toBe('retry')
    expect(await getLastSync('1')).toBe(first) // a failed round leaves it as it was
  })

  it("is the round's user's own, read back at the start of a round (after a reload or another user's login)", async () => {
    await setLastSync('1', '2026-12-04T06:05:00.000Z')
    await setLastSync('2', '2026-11-30T01:00:00.000Z')
    const down = engineFor(server, (api) => ({ ...api, pull: () => Promise.reject(new ApiError(0, 'network_error')) }))
    expect(await down.syncOnce()).toBe('retry')
    expect(down.status.lastSyncAt).toBe('2026-12-04T06:05:00.000Z')
    expect(down.status.lastErrorCode).toBe('network_error')
    await login('2')
    expect(await down.syncOnce()).toBe('retry')
    expect(down.status.lastSyncAt).toBe('2026-11-30T01:00:00.000Z')
  })
})
