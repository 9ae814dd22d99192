import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import OfficeLayout from '../../src/office/OfficeLayout.vue'
import { i18n } from '../../src/i18n'
import { loadOfficeMessages } from '../../src/office/i18n'
import { session } from '../../src/composables/useApp'
import { setMeta } from '../../src/db/meta'
import { inboxKey } from '../../src/sync/inbox'
import { freshDb } from '../helpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

beforeEach(async () => {
  await freshDb()
  await loadOfficeMessages()
  session.value = { user: { id: 7, username: 'r', display_name: '审核员', role: 'reviewer', area_id: 1 }, csrf_token: 't', expired: false }
})
afterEach(() => {
  session.value = null
  vi.unstubAllGlobals()
})

async function mountLayout() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/', component: { render: () => null } },
    { path: '/inbox', component: { render: () => null } },
    { path: '/office', component: OfficeLayout, children: [{ path: '', component: { render: () => null } }] },
  ] })
  await router.push('/office')
  return mount(OfficeLayout, { global: { plugins: [i18n, router] }, attachTo: document.body })
}

describe('OfficeLayout', () => {
  it('shows the unread notifications of the cached inbox in the header, linking to the console inbox', async () => {
    await setMeta(inboxKey('7'), { items: [], unread: 3, fetched_at: new Date().toISOString() })
    const w = await mountLayout()
    await vi.waitFor(() => expect(w.find('.office-inbox-badge').exists()).toBe(true), WAIT)
    const link = w.find('[data-test=office-inbox]')
    expect(link.attributes('href')).toBe('/office/inbox')
    expect(w.find('.office-inbox-badge').text()).toBe('3')
    // Its name is its visible word plus hidden text (an aria-label differing from "通知 3" fails axe).
    expect(link.attributes('aria-label')).toBeUndefined()
    expect(link.find('.office-hidden').text()).toBe('（3 条未读）')
    w.unmount()
  })

  it('shows no badge when everything is read', async () => {
    await setMeta(inboxKey('7'), { items: [], unread: 0, fetched_at: new Date().toISOString() })
    const w = await mountLayout()
    await flushPromises()
    expect(w.find('[data-test=office-inbox]').text()).toBe('通知')
    expect(w.find('.office-inbox-badge').exists()).toBe(false)
    w.unmount()
  })
})
