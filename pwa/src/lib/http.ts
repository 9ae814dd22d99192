/** The one request core: same-origin cookies, X-CSRF-Token on writes, JSON in and out, error envelope → ApiError. No Vue here. */
import type { ApiErrorBody } from '../db/types'

/**
 * Every failed request, as one type. `status` is the HTTP status, or 0 when no answer came at all (network
 * failure, timeout: code `network_error`); `code` is the envelope's stable code (or `unauthorized`,
 * `server_error`, `http_<status>` when the answer had none); `fields` the envelope's field errors, `fieldCodes` their codes.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message = code,
    readonly fields: Record<string, unknown> = {},
    /** The envelope's `field_codes`: `fields` with each message as its stable code. */
    readonly fieldCodes: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** Network failures, timeouts, throttling and server errors mean "try again later". */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500
  }
}

/** Called with every error answer of every request (the app opens the password page on `password_change_required`). */
export const errorHooks = new Set<(e: ApiError) => unknown>()

/** Where the CSRF token of the logged-in session comes from (the field app caches it; the office reads it). */
export type CsrfTokenSource = () => Promise<string | null | undefined>

export interface HttpOptions {
  getCsrfToken: CsrfTokenSource
  baseUrl?: string
  /** Defaults to the global fetch, looked up at each call (so tests may stub it). */
  fetch?: typeof fetch
  /** Give up (status 0, `network_error`) after this long; none when absent. */
  timeoutMs?: number
  /** Called on every 401 before the error is thrown (the console sends the user to log in again). */
  onUnauthorized?: () => void
}

/**
 * A request body: plain objects, arrays and primitives go as JSON; FormData as multipart; a Blob as its raw bytes
 * with its own type.
 */
export type Body = unknown

function isJson(body: Body): boolean {
  if (body === undefined) return false
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return true
  const proto = Object.getPrototypeOf(body)
  return proto === Object.prototype || proto === null
}

export interface Http {
  /** The answer of a successful request, unread (for its status, headers or a file download). */
  send(method: string, path: string, body?: Body, accept?: string): Promise<Response>
  /** The decoded JSON of a successful request (null for an empty or non-JSON answer). */
  json<T>(method: string, path: string, body?: Body): Promise<T>
}

/** JSON of a response text, or null when there is none or it is not JSON. */
function parse(text: string): unknown {
  if (!text) return null
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

/** The error for a non-2xx answer: the envelope's code, message and fields, else one from the status. */
async function errorFromResponse(res: Response): Promise<ApiError> {
  const err = (parse(await res.text().catch(() => '')) as { error?: ApiErrorBody } | null)?.error
  const fallback = res.status === 401 ? 'unauthorized' : res.status >= 500 ? 'server_error' : `http_${res.status}`
  return new ApiError(res.status, err?.code ?? fallback, err?.message ?? res.statusText, err?.fields ?? {}, err?.field_codes ?? {})
}

export function createHttp(opts: HttpOptions): Http {
  const base = opts.baseUrl ?? ''

  async function send(method: string, path: string, body?: Body, accept = 'application/json'): Promise<Response> {
    const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
    const headers: Record<string, string> = { Accept: accept }
    if (method !== 'GET') {
      const token = await opts.getCsrfToken()
      if (token) headers['X-CSRF-Token'] = token
    }
    let payload: BodyInit | undefined
    if (isJson(body)) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    } else if (body !== undefined) {
      // A Blob goes with its own type; FormData without one (the browser writes the multipart boundary).
      const type = (body as { type?: unknown }).type
      if (typeof type === 'string' && type) headers['Content-Type'] = type
      payload = body as BodyInit
    }
    const ctrl = opts.timeoutMs && typeof AbortController !== 'undefined' ? new AbortController() : null
    const timer = ctrl ? setTimeout(() => ctrl.abort(), opts.timeoutMs) : null
    let res: Response
    try {
      res = await doFetch(base + path, { method, headers, body: payload, credentials: 'same-origin', signal: ctrl?.signal })
    } catch (e) {
      throw new ApiError(0, 'network_error', (e as Error)?.message ?? 'network error')
    } finally {
      if (timer) clearTimeout(timer)
    }
    if (!res.ok) {
      const error = await errorFromResponse(res)
      if (res.status === 401) opts.onUnauthorized?.()
      errorHooks.forEach((fn) => fn(error))
      throw error
    }
    return res
  }

  async function json<T>(method: string, path: string, body?: Body): Promise<T> {
    const res = await send(method, path, body)
    return parse(await res.text().catch(() => '')) as T
  }

  return { send, json }
}

/** Query parameters to send: `?a=1&b=x` from the filled-in values (empty, null, undefined and false are left out; true is 1). */
export type Query = Record<string, string | number | boolean | null | undefined>

export function queryString(q: Query = {}): string {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue
    params.set(k, v === true ? '1' : String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}
