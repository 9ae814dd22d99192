/** The inbox on the device: cached answer, reads queued offline, the badge's polling triggers. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApi, type InboxItem } from '../src/sync/api'
import { inboxKey, markRead, pendingReadsKey, readInbox, refreshInbox, safeAppPath } from '../src/sync/inbox'
import { startPolling } from '../src/composables/useInbox'
import { getMeta } from '../src/db/meta'
import { freshDb } from './helpers'

const ORIGIN = 'https://zf.example'

function row(id: number, read = false): InboxItem {
  return { id, kind: 'followup_due', title: `${id} 项跟进今天到期`, body: '', url: '/difficulties?due=today',
    due_at: '2026-11-29T00:00:00Z', sent_at: null, read_at: read ? '2026-11-29T01:00:00Z' : null }
}

/** A server holding `rows`; `down` makes every request fail like a lost connection. */
function fakeServer(rows: InboxItem[]) {
  const state = { down: false, calls: [] as string[] }
  const fetch = vi.fn(async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET'
    state.calls.push(`${method} ${input}`)
    if (state.down) throw new TypeError('Failed to fetch')
    if (method === 'GET' && input === '/api/notifications') {
      return Response.json({ items: rows, unread: rows.filter((r) => !r.read_at).length })
    }
    const m = /^\/api\/notifications\/(\d+)\/read$/.exec(input)
    if (method === 'POST' && m) {
      const hit = rows.find((r) => r.id === Number(m[1]))
      if (!hit) return Response.json({ error: { code: 'not_found', message: 'no' } }, { status: 404 })
      hit.read_at ??= '2026-11-29T02:00:00Z'
      return Response.json(hit)
    }
    return new Response('', { status: 500 })
  })
  const api = createApi({ fetch: fetch as unknown as typeof globalThis.fetch, getCsrfToken: async () => 'tok' })
  return { api, state, rows }
}

beforeEach(async () => {
  await freshDb()
})

describe('refreshInbox', () => {
  it('caches the answer so the badge has a count offline', async () => {
    const { api, state } = fakeServer([row(3), row(2), row(1, true)])
    const first = await refreshInbox(api, '7')
    expect(first?.unread).toBe(2)
    state.down = true
    const offline = await refreshInbox(api, '7')
    expect(offline).toEqual(first)
    expect((await readInbox('7'))?.items.map((i) => i.id)).toEqual([3, 2, 1])
  })

  it('keeps one user’s cache apart from another’s', async () => {
    const { api } = fakeServer([row(1)])
    await refreshInbox(api, '7')
    expect(await readInbox('8')).toBeUndefined()
  })

  it('takes the server’s unread count, which covers rows beyond the listed page', async () => {
    const { api } = fakeServer([row(1)])
    const fetch = vi.spyOn(api, 'inbox').mockResolvedValue({ items: [row(1)], unread: 140 })
    expect((await refreshInbox(api, '7'))?.unread).toBe(140)
    fetch.mockRestore()
  })
})

describe('markRead', () => {
  it('lowers the badge at once and tells the server', async () => {
    const { api, rows, state } = fakeServer([row(2), row(1)])
    await refreshInbox(api, '7')
    await markRead(api, '7', 2)
    expect((await readInbox('7'))?.unread).toBe(1)
    expect(state.calls).toContain('POST /api/notifications/2/read')
    expect(rows[0].read_at).not.toBeNull()
    expect(await getMeta(pendingReadsKey('7'))).toEqual([])
  })

  it('offline, queues the read and sends it before the next refresh; a poll never brings the count back', async () => {
    const { api, rows, state } = fakeServer([row(2), row(1)])
    await refreshInbox(api, '7')
    state.down = true
    await markRead(api, '7', 2)
    expect((await readInbox('7'))?.unread).toBe(1)
    expect(await getMeta(pendingReadsKey('7'))).toEqual([2])

    state.down = false
    state.calls.length = 0
    const after = await refreshInbox(api, '7')
    expect(state.calls).toEqual(['POST /api/notifications/2/read', 'GET /api/notifications'])
    expect(rows[0].read_at).not.toBeNull()
    expect(after?.unread).toBe(1)
    expect(await getMeta(pendingReadsKey('7'))).toEqual([])
  })

  it('lays a queued read over a fresh answer when the POST still fails', async () => {
    const { api, state } = fakeServer([row(2), row(1)])
    await refreshInbox(api, '7')
    state.down = true
    await markRead(api, '7', 2)
    // The POST fails but the GET answers (e.g. a flaky link): the row stays read on the device.
    let n = 0
    vi.spyOn(api, 'markNotificationRead').mockImplementation(async () => {
      n++
      throw new (await import('../src/sync/api')).ApiError(0, 'network_error')
    })
    state.down = false
    const after = await refreshInbox(api, '7')
    expect(n).toBe(1)
    expect(after?.unread).toBe(1)
    expect(after?.items.find((i) => i.id === 2)?.read_at).not.toBeNull()
  })

  it('drops a queued read the server no longer has (404)', async () => {
    const { api } = fakeServer([row(1)])
    await refreshInbox(api, '7')
    await markRead(api, '7', 99)
    expect(await getMeta(pendingReadsKey('7'))).toEqual([])
  })

  it('works with no cached inbox yet (a tap on a push before the first poll)', async () => {
    const { api, rows } = fakeServer([row(1)])
    await markRead(api, '7', 1)
    expect(rows[0].read_at).not.toBeNull()
    expect(await getMeta(inboxKey('7'))).toBeUndefined()
  })
})

describe('safeAppPath', () => {
  it('keeps our paths and refuses other origins', () => {
    expect(safeAppPath('/difficulties?due=today', ORIGIN)).toBe('/difficulties?due=today')
    expect(safeAppPath(`${ORIGIN}/visits/abc`, ORIGIN)).toBe('/visits/abc')
    expect(safeAppPath('https://evil.example/x', ORIGIN)).toBe('/inbox')
    expect(safeAppPath('//evil.example/x', ORIGIN)).toBe('/inbox')
    expect(safeAppPath(null, ORIGIN)).toBe('/inbox')
  })
})

describe('startPolling', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  function setup() {
    vi.useFakeTimers()
    const refresh = vi.fn()
    const win = new EventTarget() as EventTarget & Window
    Object.assign(win, { setInterval: globalThis.setInterval.bind(globalThis), clearInterval: globalThis.clearInterval.bind(globalThis) })
    const doc = new EventTarget() as EventTarget & Document & { visibilityState: DocumentVisibilityState }
    Object.defineProperty(doc, 'visibilityState', { value: 'visible', writable: true })
    let syncDone: () => void = () => undefined
    const stop = startPolling({
      refresh, win, doc, intervalMs: 1000,
      onSyncDone: (fn) => {
        syncDone = fn
        return () => (syncDone = () => undefined)
      },
    })
    return { refresh, win, doc, stop, syncDone: () => syncDone() }
  }

  it('asks on start, on online, after a sync and on the timer while visible', () => {
    const { refresh, win, stop, syncDone } = setup()
    expect(refresh).toHaveBeenCalledTimes(1)
    win.dispatchEvent(new Event('online'))
    expect(refresh).toHaveBeenCalledTimes(2)
    syncDone()
    expect(refresh).toHaveBeenCalledTimes(3)
    vi.advanceTimersByTime(1000)
    expect(refresh).toHaveBeenCalledTimes(4)
    stop()
    vi.advanceTimersByTime(5000)
    win.dispatchEvent(new Event('online'))
    syncDone()
    expect(refresh).toHaveBeenCalledTimes(4)
  })

  it('skips the timer while hidden and asks again when the app comes back', () => {
    const { refresh, doc, stop } = setup()
    ;(doc as { visibilityState: string }).visibilityState = 'hidden'
    vi.advanceTimersByTime(3000)
    expect(refresh).toHaveBeenCalledTimes(1)
    ;(doc as { visibilityState: string }).visibilityState = 'visible'
    doc.dispatchEvent(new Event('visibilitychange'))
    expect(refresh).toHaveBeenCalledTimes(2)
    stop()
  })
})
