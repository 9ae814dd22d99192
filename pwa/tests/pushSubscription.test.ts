/** Web Push opt-in: permission only on request, VAPID key bytes, the server told, re-subscription at login. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApi } from '../src/sync/api'
import { base64UrlToBytes, disablePush, enablePush, pushPrefKey, resubscribeAtLogin } from '../src/composables/usePushSubscription'
import { getMeta, setMeta } from '../src/db/meta'
import { freshDb } from './helpers'

// Two real-shaped P-256 public keys (65 bytes, 0x04 first), base64url.
const KEY_A = 'BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'
const KEY_B = 'BP____________________________________________________________________________________8'

class FakeSubscription {
  unsubscribed = false
  constructor(readonly endpoint: string, readonly options: { applicationServerKey: ArrayBuffer }) {}
  toJSON() {
    return { endpoint: this.endpoint, expirationTime: null, keys: { p256dh: 'p256', auth: 'auth' } }
  }
  async unsubscribe() {
    this.unsubscribed = true
    return true
  }
}

function setupBrowser(permission: NotificationPermission, answer: NotificationPermission = 'granted') {
  let current: FakeSubscription | null = null
  let n = 0
  const pushManager = {
    getSubscription: vi.fn(async () => current),
    subscribe: vi.fn(async (opts: { applicationServerKey: Uint8Array }) => {
      current = new FakeSubscription(`https://push.example/${++n}`, { applicationServerKey: opts.applicationServerKey.slice().buffer })
      return current
    }),
  }
  const requestPermission = vi.fn(async () => {
    Notif.permission = answer
    return answer
  })
  const Notif = { permission, requestPermission }
  vi.stubGlobal('Notification', Notif)
  vi.stubGlobal('PushManager', function PushManager() {})
  Object.defineProperty(navigator, 'serviceWorker', { configurable: true, value: { ready: Promise.resolve({ pushManager }) } })
  return { pushManager, requestPermission, current: () => current }
}

function server(key: () => string) {
  const calls: { method: string; url: string; body: unknown }[] = []
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    calls.push({ method, url, body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined })
    if (url === '/api/push/vapid-public-key') return Response.json({ public_key: key() })
    if (url === '/api/push/subscriptions' && method === 'POST') return Response.json({ created: true }, { status: 201 })
    if (url === '/api/push/subscriptions' && method === 'DELETE') return new Response(null, { status: 204 })
    return new Response('', { status: 404 })
  })
  return { api: createApi({ fetch: fetch as unknown as typeof globalThis.fetch, getCsrfToken: async () => 'tok' }), calls }
}

beforeEach(async () => {
  await freshDb()
})
afterEach(() => {
  vi.unstubAllGlobals()
  delete (navigator as { serviceWorker?: unknown }).serviceWorker
})

describe('enablePush', () => {
  it('asks for permission, subscribes with the VAPID key and saves the subscription on the server', async () => {
    const b = setupBrowser('default')
    const { api, calls } = server(() => KEY_A)
    expect(b.requestPermission).not.toHaveBeenCalled()

    expect(await enablePush(api, '7')).toBe('on')

    expect(b.requestPermission).toHaveBeenCalledTimes(1)
    const opts = b.pushManager.subscribe.mock.calls[0][0] as { userVisibleOnly: boolean; applicationServerKey: Uint8Array }
    expect(opts.userVisibleOnly).toBe(true)
    expect(Array.from(opts.applicationServerKey)).toEqual(Array.from(base64UrlToBytes(KEY_A)))
    expect(opts.applicationServerKey.length).toBe(65)
    const post = calls.find((c) => c.method === 'POST')
    expect(post).toEqual({ method: 'POST', url: '/api/push/subscriptions',
      body: { endpoint: 'https://push.example/1', keys: { p256dh: 'p256', auth: 'auth' } } })
    expect(await getMeta(pushPrefKey('7'))).toEqual({ endpoint: 'https://push.example/1', public_key: KEY_A })
  })

  it('reports unsupported when the user denies, and saves nothing', async () => {
    const b = setupBrowser('default', 'denied')
    const { api, calls } = server(() => KEY_A)
    expect(await enablePush(api, '7')).toBe('unsupported')
    expect(b.pushManager.subscribe).not.toHaveBeenCalled()
    expect(calls).toEqual([])
  })

  it('stays off when the prompt is dismissed', async () => {
    setupBrowser('default', 'default')
    const { api } = server(() => KEY_A)
    expect(await enablePush(api, '7')).toBe('off')
  })

  it('reports unsupported without PushManager (e.g. iOS Safari outside the home screen)', async () => {
    const { api, calls } = server(() => KEY_A)
    expect(await enablePush(api, '7')).toBe('unsupported')
    expect(calls).toEqual([])
  })
})

describe('disablePush', () => {
  it('deletes the subscription on the server and unsubscribes the browser', async () => {
    const b = setupBrowser('granted')
    const { api, calls } = server(() => KEY_A)
    await enablePush(api, '7')
    const sub = b.current()!

    expect(await disablePush(api, '7')).toBe('off')

    expect(calls.at(-1)).toEqual({ method: 'DELETE', url: '/api/push/subscriptions', body: { endpoint: sub.endpoint } })
    expect(sub.unsubscribed).toBe(true)
    expect(await getMeta(pushPrefKey('7'))).toBeNull()
  })
})

describe('resubscribeAtLogin', () => {
  it('does nothing for a user who never turned push on', async () => {
    setupBrowser('granted')
    const { api, calls } = server(() => KEY_A)
    expect(await resubscribeAtLogin(api, '7')).toBe(false)
    expect(calls).toEqual([])
  })

  it('saves the same subscription again when the key is unchanged (logout dropped it on the server)', async () => {
    const b = setupBrowser('granted')
    const { api, calls } = server(() => KEY_A)
    await enablePush(api, '7')
    calls.length = 0
    expect(await resubscribeAtLogin(api, '7')).toBe(true)
    expect(b.pushManager.subscribe).toHaveBeenCalledTimes(1)
    expect(calls.filter((c) => c.method === 'POST').map((c) => (c.body as { endpoint: string }).endpoint)).toEqual(['https://push.example/1'])
  })

  it('replaces the subscription when the server’s key changed', async () => {
    const b = setupBrowser('granted')
    let key = KEY_A
    const { api, calls } = server(() => key)
    await enablePush(api, '7')
    const old = b.current()!
    key = KEY_B
    calls.length = 0

    expect(await resubscribeAtLogin(api, '7')).toBe(true)

    expect(old.unsubscribed).toBe(true)
    const opts = b.pushManager.subscribe.mock.calls[1][0] as { applicationServerKey: Uint8Array }
    expect(Array.from(opts.applicationServerKey)).toEqual(Array.from(base64UrlToBytes(KEY_B)))
    expect(calls.find((c) => c.method === 'POST')?.body).toMatchObject({ endpoint: 'https://push.example/2' })
    expect(await getMeta(pushPrefKey('7'))).toEqual({ endpoint: 'https://push.example/2', public_key: KEY_B })
  })

  it('does not prompt when the permission was revoked meanwhile', async () => {
    const b = setupBrowser('denied')
    const { api, calls } = server(() => KEY_A)
    await setMeta(pushPrefKey('7'), { endpoint: 'https://push.example/1', public_key: KEY_A })
    expect(await resubscribeAtLogin(api, '7')).toBe(false)
    expect(b.requestPermission).not.toHaveBeenCalled()
    expect(calls).toEqual([])
  })
})
