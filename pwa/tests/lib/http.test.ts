import { describe, expect, it, vi } from 'vitest'
import { ApiError, createHttp, queryString } from '../../src/lib/http'

interface Seen { url: string; method: string; headers: Record<string, string>; body: BodyInit | null | undefined; credentials?: RequestCredentials }

function recorder(answer: (seen: Seen) => Response | Promise<Response>) {
  const seen: Seen[] = []
  const fetch = vi.fn(async (url: RequestInfo | URL, init: RequestInit = {}) => {
    const s: Seen = { url: String(url), method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>) }, body: init.body, credentials: init.credentials }
    seen.push(s)
    return answer(s)
  })
  return { seen, fetch: fetch as unknown as typeof globalThis.fetch }
}

const envelope = (status: number, error: unknown) => new Response(JSON.stringify({ error }), { status })

describe('createHttp', () => {
  it('sends the CSRF token on writes only, with the session cookie', async () => {
    const { seen, fetch } = recorder(() => new Response('{"ok":true}'))
    const getCsrfToken = vi.fn(async () => 'tok-1')
    const http = createHttp({ fetch, getCsrfToken, baseUrl: 'http://h' })
    expect(await http.json('GET', '/api/a')).toEqual({ ok: true })
    await http.json('POST', '/api/b', { x: 1 })
    await http.json('DELETE', '/api/c', { endpoint: 'e' })
    expect(seen.map((s) => s.headers['X-CSRF-Token'])).toEqual([undefined, 'tok-1', 'tok-1'])
    expect(getCsrfToken).toHaveBeenCalledTimes(2) // a read never asks for the token
    expect(seen.every((s) => s.credentials === 'same-origin')).toBe(true)
    expect(seen[0].url).toBe('http://h/api/a')
  })

  it('leaves the header out when the session has no token', async () => {
    const { seen, fetch } = recorder(() => new Response(''))
    await createHttp({ fetch, getCsrfToken: async () => null }).json('POST', '/api/x', {})
    expect('X-CSRF-Token' in seen[0].headers).toBe(false)
  })

  it('encodes plain objects as JSON, sends Blob bytes with their type and FormData as it is', async () => {
    const { seen, fetch } = recorder(() => new Response(null, { status: 201 }))
    const http = createHttp({ fetch, getCsrfToken: async () => 't' })
    await http.send('POST', '/j', { a: [1, '二'] })
    const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' })
    await http.send('PUT', '/b', blob)
    const form = new FormData()
    form.append('file', new Blob(['x']), 'x.csv')
    await http.send('POST', '/f', form)
    expect(seen[0].headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(String(seen[0].body))).toEqual({ a: [1, '二'] })
    expect(seen[1].headers['Content-Type']).toBe('image/png')
    expect(seen[1].body).toBe(blob)
    expect('Content-Type' in seen[2].headers).toBe(false) // the browser adds the multipart boundary
    expect(seen[2].body).toBe(form)
  })

  it('decodes an empty or non-JSON success as null', async () => {
    const { fetch } = recorder((s) => new Response(s.url.endsWith('/empty') ? '' : '<html>'))
    const http = createHttp({ fetch, getCsrfToken: async () => null })
    expect(await http.json('GET', '/empty')).toBeNull()
    expect(await http.json('GET', '/html')).toBeNull()
  })

  it('turns the error envelope into an ApiError with its status, code, message and fields', async () => {
    const { fetch } = recorder(() => envelope(422, { code: 'validation_error', message: 'bad', fields: { name: ['required'] } }))
    const err = await createHttp({ fetch, getCsrfToken: async () => 't' }).json('POST', '/x', {}).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 422, code: 'validation_error', message: 'bad', fields: { name: ['required'] }, retryable: false })
  })

  it('names an answer without an envelope by its status', async () => {
    const cases: [number, string][] = [[401, 'unauthorized'], [404, 'http_404'], [413, 'http_413'], [502, 'server_error']]
    for (const [status, code] of cases) {
      const { fetch } = recorder(() => new Response('<html>nope</html>', { status, statusText: 'Nope' }))
      const err = await createHttp({ fetch, getCsrfToken: async () => null }).json('GET', '/x').catch((e) => e)
      expect(err).toMatchObject({ status, code, message: 'Nope', fields: {} })
    }
  })

  it('tells a network failure (status 0) from an HTTP error, and marks what may be retried', async () => {
    const offline = createHttp({ fetch: (async () => { throw new TypeError('Failed to fetch') }) as typeof fetch, getCsrfToken: async () => null })
    const err = await offline.json('GET', '/x').catch((e) => e)
    expect(err).toMatchObject({ status: 0, code: 'network_error', message: 'Failed to fetch', retryable: true })
    const retryable = (status: number) => new ApiError(status, 'c').retryable
    expect([0, 408, 429, 500, 503].map(retryable)).toEqual([true, true, true, true, true])
    expect([400, 401, 403, 404, 409, 413, 422].map(retryable)).toEqual([false, false, false, false, false, false, false])
  })

  it('gives up after the timeout as a network failure', async () => {
    const fetch = ((_url: string, init: RequestInit) => new Promise((_, reject) => {
      init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
    })) as unknown as typeof globalThis.fetch
    const err = await createHttp({ fetch, getCsrfToken: async () => null, timeoutMs: 20 }).json('GET', '/slow').catch((e) => e)
    expect(err).toMatchObject({ status: 0, code: 'network_error' })
  })

  it('calls onUnauthorized on a 401 only, before the error reaches the caller', async () => {
    const order: string[] = []
    const { fetch } = recorder((s) => (s.url === '/gone' ? envelope(401, { code: 'unauthorized' }) : envelope(403, { code: 'forbidden' })))
    const http = createHttp({ fetch, getCsrfToken: async () => null, onUnauthorized: () => order.push('listener') })
    await http.json('GET', '/denied').catch(() => order.push('403'))
    await http.json('GET', '/gone').catch(() => order.push('401'))
    expect(order).toEqual(['403', 'listener', '401'])
  })

  it('looks the global fetch up at each call, so a stub placed later is used', async () => {
    const http = createHttp({ getCsrfToken: async () => null })
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"n":1}')))
    try {
      expect(await http.json('GET', '/x')).toEqual({ n: 1 })
    } finally {
      vi.unstubAllGlobals()
    }
  })
})

describe('queryString', () => {
  it('keeps filled-in values only, true as 1', () => {
    expect(queryString({ a: 1, b: '', c: null, d: undefined, e: false, f: true, g: 'x y' })).toBe('?a=1&f=1&g=x+y')
    expect(queryString({})).toBe('')
  })
})
