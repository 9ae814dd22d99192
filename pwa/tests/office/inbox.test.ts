import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import OfficeInboxView, { officePath } from '../../src/office/OfficeInboxView.vue'
import { i18n, setLocale } from '../../src/i18n'
import { loadOfficeMessages } from '../../src/office/i18n'
import { session } from '../../src/composables/useApp'
import { getMeta, setMeta } from '../../src/db/meta'
import { inboxKey, pendingReadsKey } from '../../src/sync/inbox'
import { freshDb } from '../helpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

const ORIGIN = 'http://127.0.0.1'
const ITEMS = [
  { id: 2, kind: 'urgent_difficulty', title: '紧急困难诉求', body: '1 条紧急困难诉求待处理', url: '/office/difficulties/d1',
    due_at: '2026-12-04T15:23:00Z', sent_at: null, read_at: null },
  { id: 1, kind: 'visit_returned', title: '走访被退回', body: '1 条走访被退回', url: '/visits/v1',
    due_at: '2026-12-03T01:00:00Z', sent_at: null, read_at: '2026-12-03T02:00:00Z' },
]

beforeEach(async () => {
  await freshDb()
  await loadOfficeMessages()
  session.value = { user: { id: 7, username: 'r', display_name: '审核员', role: 'reviewer', area_id: 1 }, csrf_token: 't', expired: false }
  // Offline: the page shows the cached inbox, and a read waits in the queue for the network.
  vi.stubGlobal('navigator', { ...navigator, onLine: false })
  vi.stubGlobal('fetch', vi.fn(async () => {
    throw new TypeError('Failed to fetch')
  }))
})
afterEach(() => {
  session.value = null
  vi.unstubAllGlobals()
})

describe('the console inbox', () => {
  it('opens visits and difficulties on their console pages and keeps other app links', () => {
    expect(officePath('/visits/v1', ORIGIN)).toBe('/office/visits/v1')
    expect(officePath('/difficulties/d1', ORIGIN)).toBe('/office/difficulties/d1')
    expect(officePath('/office/difficulties/d1', ORIGIN)).toBe('/office/difficulties/d1')
    expect(officePath('/outbox', ORIGIN)).toBe('/outbox')
    expect(officePath('https://evil.example/office', ORIGIN)).toBeNull()
    expect(officePath(null, ORIGIN)).toBeNull()
  })

  it('lists the notifications in local time, and opening one marks it read and goes to its office page', async () => {
    await setMeta(inboxKey('7'), { items: ITEMS, unread: 1, fetched_at: '2026-12-04T15:30:00Z' })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
    await router.push('/office/inbox')
    const w = mount(OfficeInboxView, { global: { plugins: [i18n, router] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.findAll('[data-test="inbox-item"]')).toHaveLength(2), WAIT)
    expect(w.text()).toContain('2026-12-04 23:23')
    expect(w.text()).toContain('1 条未读')
    expect(w.findAll('[data-test="inbox-item"]').map((i) => i.attributes('data-unread'))).toEqual(['1', '0'])

    await w.findAll('[data-test="inbox-open"]')[0].trigger('click')
    await flushPromises()
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/office/difficulties/d1'), WAIT)
    expect(await getMeta<number[]>(pendingReadsKey('7'))).toEqual([2]) // sent when the server can be reached
    await vi.waitFor(() => expect(w.findAll('[data-test="inbox-item"]').map((i) => i.attributes('data-unread'))).toEqual(['0', '0']), WAIT)
    w.unmount()
  })

  it('names each reminder kind in the UI language: 跟进逾期 and 办结超期 apart; an unknown kind keeps its title', async () => {
    const at = '2026-12-04T01:00:00Z'
    const row = (id: number, kind: string, title: string) => ({ id, kind, title, body: '1 项', url: null, due_at: at, sent_at: null, read_at: null })
    await setMeta(inboxKey('7'), {
      items: [row(3, 'follow_up_overdue', '跟进逾期提醒'), row(2, 'overdue', '办结超期提醒'), row(1, 'evidence_returned', '材料被退回')],
      unread: 3, fetched_at: at })
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
    await router.push('/office/inbox')
    const titles = (w: ReturnType<typeof mount>) => w.findAll('[data-test="inbox-item"]').map((i) => i.text())
    const w = mount(OfficeInboxView, { global: { plugins: [i18n, router] }, attachTo: document.body })
    await vi.waitFor(() => expect(titles(w)).toEqual(['跟进逾期提醒', '办结超期提醒', '材料被退回']), WAIT)
    try {
      await setLocale('en')
      await vi.waitFor(() => expect(titles(w)).toEqual(['Follow-up overdue', 'Past deadline', '材料被退回']), WAIT)
    } finally {
      await setLocale('zh-CN')
      w.unmount()
    }
  })
})
