/** A fetch stand-in for the office pages: answers by path, records every call. */
import { vi } from 'vitest'

export interface Call { method: string; url: string; body: unknown; headers: Record<string, string> }

export function mockFetch(answer: (method: string, url: URL, body: unknown) => { status?: number; json: unknown }) {
  const calls: Call[] = []
  const fn = vi.fn(async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    const url = new URL(input, 'http://localhost')
    calls.push({ method, url: url.pathname + url.search, body, headers: (init.headers ?? {}) as Record<string, string> })
    const { status = 200, json } = answer(method, url, body)
    return new Response(JSON.stringify(json), { status, headers: { 'Content-Type': 'application/json' } })
  })
  vi.stubGlobal('fetch', fn)
  return calls
}
