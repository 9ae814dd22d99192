/** The field app's endpoints (sync, session, attachments, inbox, push) on the request core. No Vue here. */
import { createHttp, type CsrfTokenSource } from '../lib/http'
import type { components } from '../api/schema'
import type { SessionUser } from '../db/types'

export { ApiError } from '../lib/http'

/** 401 codes meaning the server ended this user's session or account: the phone wipes its copy (`wipeReplica`). */
export const REVOKED_CODES: readonly string[] = ['session_revoked', 'account_inactive']

/**
 * 401 code of a session ended by the user's own password change in another session: nothing is wiped; the next
 * online login with the new password wraps this phone's data key again (`db/keyring.ts`).
 */
export const PASSWORD_CHANGED = 'password_changed'

type Schemas = components['schemas']

/** One mutation as a device sends it (its `data`: the op's …Create or …Patch component). */
export type PushMutation = Schemas['Mutation']

export type PushResult = Schemas['MutationResult']

export type PushAnswer = Schemas['PushResponse']

export type PullPage = Schemas['PullResponse']

export interface LoginAnswer {
  user: SessionUser
  csrf_token: string
  /** Seals the outbox export (docs/outbox-file.md); absent from servers older than it. */
  export_key?: Schemas['ExportKey']
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
  /** `epoch`: the server's epoch last seen; a restored server answers 410 instead of applying anything. */
  push(deviceId: string, mutations: PushMutation[], epoch?: string): Promise<PushAnswer>
  pull(cursor: number, limit: number, epoch?: string): Promise<PullPage>
  putAttachment(sha256: string, blob: Blob): Promise<number>
  inbox(): Promise<InboxAnswer>
  markNotificationRead(id: number): Promise<void>
  vapidPublicKey(): Promise<string>
  savePushSubscription(sub: PushSubscriptionBody): Promise<void>
  deletePushSubscription(endpoint: string): Promise<void>
}

export interface ApiOptions {
  baseUrl?: string
  getCsrfToken: CsrfTokenSource
  fetch?: typeof fetch
  /** A request that has not answered after this long fails as a network error (default 30 s). */
  timeoutMs?: number
}

export function createApi(opts: ApiOptions): Api {
  const http = createHttp({ ...opts, timeoutMs: opts.timeoutMs ?? 30000 })
  const { json } = http

  return {
    login: (username, password) => json<LoginAnswer>('POST', '/api/auth/login', { username, password }),
    me: () => json<LoginAnswer>('GET', '/api/auth/me'),
    async logout() {
      await json('POST', '/api/auth/logout', {})
    },
    // JSON leaves an undefined epoch out; an empty one in the query is none (the server's epochs are hex).
    push: (deviceId, mutations, epoch) => json<PushAnswer>('POST', '/api/sync/push', { device_id: deviceId, mutations, epoch }),
    pull: (cursor, limit, epoch = '') => json<PullPage>('GET', `/api/sync/pull?cursor=${cursor}&limit=${limit}&epoch=${epoch}`),
    // Photos and signatures go as their raw bytes; a blob without a type is a compressed photo (JPEG).
    async putAttachment(sha256, blob) {
      const res = await http.send('PUT', `/api/attachments/${sha256}`, blob.type ? blob : blob.slice(0, blob.size, 'image/jpeg'))
      await res.text().catch(() => '')
      return res.status
    },
    inbox: () => json<InboxAnswer>('GET', '/api/notifications'),
    async markNotificationRead(id) {
      await json('POST', `/api/notifications/${id}/read`, {})
    },
    vapidPublicKey: async () => (await json<{ public_key: string }>('GET', '/api/push/vapid-public-key')).public_key,
    async savePushSubscription(sub) {
      await json('POST', '/api/push/subscriptions', { endpoint: sub.endpoint, keys: sub.keys })
    },
    async deletePushSubscription(endpoint) {
      await json('DELETE', '/api/push/subscriptions', { endpoint })
    },
  }
}
