/** fetch wrapper for the server's JSON API: CSRF header, error envelope → ApiError. No Vue here. */
import type { ApiErrorBody, Change, SessionUser } from '../db/types'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message = code,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** Network failures, timeouts, throttling and server errors mean "try again later". */
  get retryable(): boolean {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500
  }
}

export interface PushMutation {
  id: string
  op: string
  data: Record<string, unknown>
  base_version: number | null
  client_time: string
}

export interface PushResult {
  id: string
  status: 'applied' | 'duplicate' | 'conflict' | 'rejected'
  entity?: Change
  error?: ApiErrorBody
}

export interface PullPage {
  changes: Change[]
  cursor: number
  has_more: boolean
}

export interface LoginAnswer {
  user: SessionUser
  csrf_token: string
}

/** One row of the in-app inbox (GET /api/notifications). */
export interface InboxItem {
  id: number
  kind: string
  title: string
  body: string
  url: string | null
  due_at: string
  sent_at: string | null
  read_at: string | null
}

export interface InboxAnswer {
  items: InboxItem[]
  unread: number
}

/** PushSubscription.toJSON(), as the server stores it. */
export interface PushSubscriptionBody {
  endpoint: string
  keys: { p256dh: string; auth: string }
}

export interface Api {
  login(username: string, password: string): Promise<LoginAnswer>
  me(): Promise<LoginAnswer>
  logout(): Promise<void>
  push(deviceId: string, mutations: PushMutation[]): Promise<{ results: PushResult[]; cursor: number }>
  pull(cursor: number, limit: number): Promise<PullPage>
  putAttachment(sha256: string, blob: Blob): Promise<number>
  inbox(): Promise<InboxAnswer>
  markNotificationRead(id: number): Promise<void>
  vapidPublicKey(): Promise<string>
  savePushSubscription(sub: PushSubscriptionBody): Promise<void>
  deletePushSubscription(endpoint: string): Promise<void>
}

export interface ApiOptions {
  baseUrl?: string
  getCsrfToken: () => Promise<string | null | undefined>
  fetch?: typeof fetch
  timeoutMs?: number
}

export function createApi(opts: ApiOptions): Api {
  const base = opts.baseUrl ?? ''
  const timeoutMs = opts.timeoutMs ?? 30000

  async function request<T>(method: string, path: string, body?: unknown, raw?: Blob): Promise<{ status: number; json: T }> {
    const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (method !== 'GET') {
      const token = await opts.getCsrfToken()
      if (token) headers['X-CSRF-Token'] = token
    }
    let payload: BodyInit | undefined
    if (raw) {
      headers['Content-Type'] = raw.type || 'image/jpeg'
      payload = raw
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    const ctrl = typeof AbortController !== 'undefined' ? new AbortController() : null
    const timer = ctrl ? setTimeout(() => ctrl.abort(), timeoutMs) : null
    let res: Response
    try {
      res = await doFetch(base + path, {
        method, headers, body: payload, credentials: 'same-origin', signal: ctrl?.signal,
      })
    } catch (e) {
      throw new ApiError(0, 'network_error', (e as Error)?.message ?? 'network error')
    } finally {
      if (timer) clearTimeout(timer)
    }
    let json: unknown = null
    const text = await res.text().catch(() => '')
    if (text) {
      try {
        json = JSON.parse(text)
      } catch {
        json = null
      }
    }
    if (!res.ok) {
      const err = (json as { error?: ApiErrorBody } | null)?.error
      const fallback = res.status === 401 ? 'unauthorized' : res.status >= 500 ? 'server_error' : `http_${res.status}`
      throw new ApiError(res.status, err?.code ?? fallback, err?.message ?? res.statusText, err?.fields ?? {})
    }
    return { status: res.status, json: json as T }
  }

  return {
    async login(username, password) {
      return (await request<LoginAnswer>('POST', '/api/auth/login', { username, password })).json
    },
    async me() {
      return (await request<LoginAnswer>('GET', '/api/auth/me')).json
    },
    async logout() {
      await request('POST', '/api/auth/logout', {})
    },
    async push(deviceId, mutations) {
      return (await request<{ results: PushResult[]; cursor: number }>('POST', '/api/sync/push', {
        device_id: deviceId, mutations,
      })).json
    },
    async pull(cursor, limit) {
      return (await request<PullPage>('GET', `/api/sync/pull?cursor=${cursor}&limit=${limit}`)).json
    },
    async putAttachment(sha256, blob) {
      return (await request('PUT', `/api/attachments/${sha256}`, undefined, blob)).status
    },
    async inbox() {
      return (await request<InboxAnswer>('GET', '/api/notifications')).json
    },
    async markNotificationRead(id) {
      await request('POST', `/api/notifications/${id}/read`, {})
    },
    async vapidPublicKey() {
      return (await request<{ public_key: string }>('GET', '/api/push/vapid-public-key')).json.public_key
    },
    async savePushSubscription(sub) {
      await request('POST', '/api/push/subscriptions', { endpoint: sub.endpoint, keys: sub.keys })
    },
    async deletePushSubscription(endpoint) {
      await request('DELETE', '/api/push/subscriptions', { endpoint })
    },
  }
}
