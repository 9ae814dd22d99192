/** Helpers for the admin page tests: a recording fetch mock and the admin client bound to it. */
import { vi } from 'vitest'
import { createAdminApi, setAdminApi } from '../../src/office/admin/api'
import { loadAdminMessages } from '../../src/office/admin/i18n'

export interface Call {
  method: string
  url: URL
  headers: Record<string, string>
  body: BodyInit | null | undefined
}

type Handler = (call: Call) => Response | Promise<Response>

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/**
 * A fetch that records every call and answers with `handler`: the admin pages' own client uses it through
 * setAdminApi, the area list (the office client, shared with the office pages) as the global fetch.
 */
export async function mockAdminFetch(handler: Handler): Promise<Call[]> {
  await loadAdminMessages()
  const calls: Call[] = []
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const call: Call = {
      method: init.method ?? 'GET',
      url: new URL(String(input), 'http://127.0.0.1'),
      headers: { ...(init.headers as Record<string, string>) },
      body: init.body,
    }
    calls.push(call)
    return handler(call)
  }
  setAdminApi(createAdminApi({ fetch: fetch as typeof globalThis.fetch, getCsrfToken: async () => 'csrf-1' }))
  vi.stubGlobal('fetch', fetch)
  return calls
}

export function query(call: Call): Record<string, string> {
  return Object.fromEntries(call.url.searchParams.entries())
}

/** Put a file into an <input type=file> and fire change, as a user's choice would. */
export async function chooseFile(input: { element: Element; trigger: (e: string) => Promise<void> }, file: File) {
  Object.defineProperty(input.element, 'files', { value: [file], configurable: true })
  await input.trigger('change')
}
