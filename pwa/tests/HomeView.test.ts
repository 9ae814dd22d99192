import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import HomeView from '../src/views/HomeView.vue'
import { i18n } from '../src/i18n'
import { session } from '../src/composables/useApp'
import { localDay } from '../src/db/queries'
import { freshDb } from './helpers'

const rec = (id: string, category = 'veteran') => ({
  id, _version: 1, name: `对象${id}`, gender: 'male', id_number: null, phone: null, address: `${id}号`, area_id: 1, category, tags: [], notes: null,
})
const visit = (id: string, recipient_id: string, visited_at: string) => ({
  id, _version: 1, recipient_id, author_id: 1, visited_at, kind: 'festival', status: 'submitted',
})

beforeEach(async () => {
  const db = await freshDb()
  session.value = { user: { id: 1, username: 's', display_name: '李晓红', role: 'staff', area_id: 1 }, csrf_token: 't', expired: false }
  const day = (offset: number) => localDay(new Date(Date.now() + offset * 86_400_000))
  await db.areas.put({ id: 1, code: '1', name: '县', level: 'county', parent_id: null } as never)
  await db.campaigns.put({ id: 'c1', name: '冬季走访', starts_on: day(-10), ends_on: day(10), categories: ['veteran'], area_id: 1 } as never)
  await db.recipients.bulkPut([rec('a'), rec('b'), rec('c'), rec('x', 'other')] as never)
  await db.visits.bulkPut([
    visit('v1', 'a', new Date().toISOString()),
    visit('v0', 'b', new Date(Date.now() - 30 * 86_400_000).toISOString()), // before the campaign: does not count
  ] as never)
})

async function mountHome() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/', component: HomeView }, { path: '/:p(.*)*', component: { render: () => null } },
  ] })
  await router.push('/')
  return mount(HomeView, { global: { plugins: [i18n, router] }, attachTo: document.body })
}

describe('HomeView', () => {
  it("shows the running campaign's progress and who is not visited yet, live as visits are stored", async () => {
    const w = await mountHome()
    await vi.waitFor(() => expect(w.text()).toContain('已走访 1 / 3'))
    expect(w.text()).toContain('「冬季走访」未走访对象')
    expect(w.text()).toContain('对象b')
    expect(w.text()).toContain('对象c')
    expect(w.text()).not.toContain('对象x') // not a target of this campaign
    // A visit stored now (a save or a pulled page) moves the progress without a reload.
    const { getDb } = await import('../src/db/db')
    await getDb().visits.put(visit('v2', 'b', new Date().toISOString()) as never)
    await vi.waitFor(() => expect(w.text()).toContain('已走访 2 / 3'))
    await flushPromises()
    expect(w.text()).not.toContain('对象b')
    w.unmount()
  })
})

describe('HomeView late lists', () => {
  it('shows 跟进逾期 and 办结超期 apart, each with its count, from local data', async () => {
    const { getDb } = await import('../src/db/db')
    const ago = (days: number) => new Date(Date.now() - days * 86_400_000)
    const diff = (id: string, fields: object) => ({
      id, _version: 1, recipient_id: 'a', visit_id: null, category: 'living', description: `诉求${id}`, urgency: 'normal',
      status: 'open', follow_up_at: null, due_date: null, ...fields,
    })
    await getDb().difficulties.bulkPut([
      diff('f1', { follow_up_at: ago(3).toISOString() }),
      diff('f2', { follow_up_at: ago(2).toISOString(), due_date: localDay(ago(1)) }),
      diff('d1', { due_date: localDay(ago(5)) }),
      diff('ok', { follow_up_at: ago(4).toISOString() }),
    ] as never)
    await getDb().followups.put({ id: 'fu', _version: 1, difficulty_id: 'ok', at: ago(1).toISOString(), note: '已跟进', status: null, next_follow_up_at: null } as never)
    const w = await mountHome()
    await vi.waitFor(() => expect(w.find('[data-test="home-followUpOverdue"]').text()).toBe('跟进逾期（2）'))
    expect(w.find('[data-test="home-deadlineOverdue"]').text()).toBe('办结超期（2）')
    expect(w.text()).not.toContain('诉求ok')
    w.unmount()
  })
})
