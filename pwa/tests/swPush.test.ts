/** The service worker's push handling: notification options from the payload, and where a tap leads. */
import { describe, expect, it, vi } from 'vitest'
import { NOTIFICATION_ICON, notificationOptions, openApp, parsePayload } from '../src/sw/push'

const ORIGIN = 'https://zf.example'

function data(text: string): PushMessageData {
  return { text: () => text, json: () => JSON.parse(text) } as unknown as PushMessageData
}

describe('push payload', () => {
  it('shows title, body, tag and url; the icon is our own', () => {
    const p = parsePayload(data(JSON.stringify({ id: 5, kind: 'followup_due', title: '3 项跟进今天到期', body: '请及时跟进',
      url: '/difficulties?due=today', tag: 'notification-5' })))
    expect(p.title).toBe('3 项跟进今天到期')
    const o = notificationOptions(p, ORIGIN)
    expect(o).toMatchObject({ body: '请及时跟进', tag: 'notification-5', icon: NOTIFICATION_ICON,
      data: { id: 5, url: '/difficulties?due=today' } })
    expect(o.icon?.startsWith('/')).toBe(true)
  })

  it('survives a plain-text or empty push and never links off the site', () => {
    expect(parsePayload(data('hello'))).toEqual({ body: 'hello' })
    expect(parsePayload(null)).toEqual({})
    expect(notificationOptions({ url: 'https://evil.example/' }, ORIGIN).data.url).toBe('/inbox')
  })
})

function fakeSw(windows: { url: string; focused?: boolean; visibilityState?: string }[]) {
  const clients = windows.map((w) => ({
    url: w.url, focused: !!w.focused, visibilityState: w.visibilityState ?? 'hidden',
    focus: vi.fn(async () => { throw new Error('InvalidAccessError: not allowed to focus') }),
    postMessage: vi.fn(),
  }))
  const openWindow = vi.fn(async () => ({}))
  const sw = { location: new URL(ORIGIN), clients: { matchAll: vi.fn(async () => clients), openWindow } }
  return { sw: sw as unknown as ServiceWorkerGlobalScope, clients, openWindow }
}

describe('openApp', () => {
  it('routes the focused window of our app, even when focusing is refused', async () => {
    const { sw, clients, openWindow } = fakeSw([{ url: `${ORIGIN}/recipients` }, { url: `${ORIGIN}/`, focused: true }])
    expect(await openApp(sw, '/visits/abc')).toBe('routed')
    expect(clients[1].postMessage).toHaveBeenCalledWith({ type: 'open-url', url: '/visits/abc' })
    expect(clients[0].postMessage).not.toHaveBeenCalled()
    expect(openWindow).not.toHaveBeenCalled()
  })

  it('opens a new window when none of ours is open', async () => {
    const { sw, openWindow } = fakeSw([{ url: 'https://other.example/' }])
    expect(await openApp(sw, '/difficulties?overdue=1')).toBe('opened')
    expect(openWindow).toHaveBeenCalledWith('/difficulties?overdue=1')
  })
})
