import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError, createApi } from '../src/sync/api'
import { FakeServer } from './fakeServer'
import { engineFor, freshDb, login, visitData } from './helpers'
import { createVisit } from '../src/db/records'
import { uuid } from '../src/db/meta'

describe('api client', () => {
  it('sends the CSRF token on writes only and turns error envelopes into ApiError', async () => {
    const seen: { method: string; headers: Record<string, string> }[] = []
    const fetch = vi.fn(async (_url: RequestInfo | URL, init: RequestInit = {}) => {
      seen.push({ method: init.method ?? 'GET', headers: init.headers as Record<string, string> })
      if (init.method === 'POST') return new Response(JSON.stringify({ error: { code: 'invalid_credentials', message: 'no' } }), { status: 401 })
      return new Response(JSON.stringify({ changes: [], cursor: 0, has_more: false }), { status: 200 })
    })
    const api = createApi({ fetch: fetch as unknown as typeof globalThis.fetch, getCsrfToken: async () => 'abc' })
    await api.pull(0, 10)
    const err = await api.login('u', 'p').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 401, code: 'invalid_credentials', retryable: false })
    expect(seen[0].headers['X-CSRF-Token']).toBeUndefined()
    expect(seen[1].headers['X-CSRF-Token']).toBe('abc')
  })

  it('classifies network failures, 429 and 5xx as retryable', async () => {
    const cases: [() => Promise<Response>, number, string][] = [
      [async () => { throw new TypeError('offline') }, 0, 'network_error'],
      [async () => new Response('{"error":{"code":"rate_limited"}}', { status: 429 }), 429, 'rate_limited'],
      [async () => new Response('<html>bad gateway</html>', { status: 502 }), 502, 'server_error'],
    ]
    for (const [impl, status, code] of cases) {
      const api = createApi({ fetch: impl as unknown as typeof globalThis.fetch, getCsrfToken: async () => null })
      const err = await api.pull(0, 1).catch((e) => e)
      expect(err).toMatchObject({ status, code, retryable: true })
    }
  })
})

describe('scheduling', () => {
  beforeEach(async () => {
    await freshDb()
    await login('1')
  })

  it('retries with growing, capped delays after failures and runs on `online`', async () => {
    const server = new FakeServer()
    await createVisit('1', visitData(uuid()))
    for (let i = 0; i < 3; i++) server.faults.push({ path: '/api/sync/push', fault: { status: 503 } })
    const engine = engineFor(server)
    engine.start()
    await vi.waitFor(() => expect(engine.status.failures).toBe(1))
    const first = engine.status.nextRetryAt! - Date.now()
    expect(first).toBeGreaterThan(500)
    expect(first).toBeLessThanOrEqual(2000)
    // Going online runs a round at once instead of waiting for the timer.
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(() => expect(engine.status.failures).toBe(2))
    const second = engine.status.nextRetryAt! - Date.now()
    expect(second).toBeGreaterThan(1500)
    expect(second).toBeLessThanOrEqual(4000)
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(() => expect(engine.status.failures).toBe(3))
    window.dispatchEvent(new Event('online'))
    await vi.waitFor(() => expect(engine.status.lastOutcome).toBe('ok'))
    expect(server.count('visit')).toBe(1)
    engine.stop()
  })
})
