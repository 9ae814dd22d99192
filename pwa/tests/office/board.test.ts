import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import OfficeDifficultiesView, { boardQuery, tabFromQuery } from '../../src/office/OfficeDifficultiesView.vue'
import { loadOfficeMessages } from '../../src/office/i18n'
import { i18n } from '../../src/i18n'
import { mockFetch, type Call } from './fetchMock'
import { choose } from './elementHelpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

const AREAS = [
  { id: 1, code: '1', name: '示范县', level: 'county', parent_id: null },
  { id: 2, code: '2', name: '东镇', level: 'township', parent_id: 1 },
  { id: 3, code: '3', name: '西镇', level: 'township', parent_id: 1 },
]

function row(id: string, status: string, overdue = false, followUpOverdue = false) {
  return {
    id, recipient_id: 'r', visit_id: null, author_id: 1, area_id: 9, category: 'housing', description: `诉求${id}`,
    urgency: 'normal', status, assignee_id: null, responsible_unit: null, due_date: overdue ? '2020-01-01' : null,
    follow_up_at: null, resolved_at: null, created_at: '2027-01-01T00:00:00Z', version: 1, recipient_name: `对象${id}`,
    village_name: '一村', assignee_name: null, overdue, follow_up_overdue: followUpOverdue, assignments: [],
  }
}

function answer(_method: string, url: URL) {
  if (url.pathname === '/api/areas') return { json: { items: AREAS } }
  const q = url.searchParams
  const items = q.get('overdue') === '1' ? [row('o1', 'in_progress', true)]
    : q.get('follow_up_overdue') === '1' ? [row('f1', 'open', false, true)]
      : [row(`${q.get('status')}1`, q.get('status') ?? 'open')]
  return { json: { items, total: items.length, page: 1, per_page: 50, counts: { overdue: 4, follow_up_overdue: 7 } } }
}

const boardCalls = (calls: Call[]) => calls.filter((c) => c.url.startsWith('/api/difficulties')).map((c) => new URL(c.url, 'http://x').searchParams)

async function mountBoard() {
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
  const w = mount(OfficeDifficultiesView, { global: { plugins: [i18n, router] }, attachTo: document.body })
  await vi.waitFor(() => expect(w.findAll('[data-test="board-row"]').length).toBeGreaterThan(0), WAIT)
  return w
}

beforeAll(async () => {
  await loadOfficeMessages()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('difficulties board', () => {
  it('maps each tab to its query: a status, or overdue whatever the status', () => {
    const f = { township: 2, category: 'medical' as const, page: 1 }
    expect(boardQuery('open', f, 50)).toEqual({ status: 'open', area: 2, category: 'medical', page: 1, per_page: 50 })
    expect(boardQuery('overdue', f, 50)).toEqual({ overdue: true, area: 2, category: 'medical', page: 1, per_page: 50 })
    expect(boardQuery('follow_up_overdue', f, 50)).toEqual({ follow_up_overdue: true, area: 2, category: 'medical', page: 1, per_page: 50 })
    expect(boardQuery('resolved', f, 50)).toMatchObject({ status: 'resolved' })
  })

  it('opens on the open tab and reloads with the tab and filters chosen', async () => {
    const calls = mockFetch(answer)
    const w = await mountBoard()
    const tabs = w.findAll('.el-tabs__item')
    // The two meanings of 逾期 are two tabs, each with its count.
    await vi.waitFor(() => expect(tabs.map((t) => t.text())).toEqual(['待处理', '处理中', '跟进逾期（7）', '办结超期（4）', '已解决']), WAIT)
    expect(boardCalls(calls)[0].get('status')).toBe('open')
    expect(boardCalls(calls)[0].has('overdue')).toBe(false)
    expect(w.find('[data-test="board-row"]').text()).toContain('对象open1')

    await tabs[2].trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="follow-up-overdue-flag"]').text()).toBe('跟进逾期'), WAIT)
    expect(boardCalls(calls).at(-1)!.get('follow_up_overdue')).toBe('1')
    expect(w.find('[data-test="overdue-flag"]').exists()).toBe(false)

    await tabs[3].trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="overdue-flag"]').text()).toBe('办结超期'), WAIT)
    let last = boardCalls(calls).at(-1)!
    expect(last.get('overdue')).toBe('1')
    expect(last.has('status')).toBe(false)
    expect(w.find('[data-test="board-row"]').text()).toContain('对象o1')

    await tabs[4].trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="board-row"]').text()).toContain('对象resolved1'), WAIT)
    expect(boardCalls(calls).at(-1)!.get('status')).toBe('resolved')

    // The township and category filters narrow the same tab.
    await vi.waitFor(() => choose(w, 'board-township', '西镇'), WAIT)
    await choose(w, 'board-category', '医疗')
    await flushPromises()
    await vi.waitFor(() => expect(boardCalls(calls).at(-1)!.get('category')).toBe('medical'), WAIT)
    last = boardCalls(calls).at(-1)!
    expect(last.get('status')).toBe('resolved')
    expect(last.get('area')).toBe('3')
    expect(last.get('page')).toBe('1')
    w.unmount()
  })

  it("opens a reminder's late list from its link (?follow_up_overdue=1, ?overdue=1)", async () => {
    expect(tabFromQuery({ follow_up_overdue: '1' })).toBe('follow_up_overdue')
    expect(tabFromQuery({ overdue: '1' })).toBe('overdue')
    expect(tabFromQuery({ due: 'today' })).toBeNull()
    const calls = mockFetch(answer)
    const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', component: { template: '<div/>' } }] })
    await router.push('/office/difficulties?follow_up_overdue=1')
    await router.isReady()
    const w = mount(OfficeDifficultiesView, { global: { plugins: [i18n, router] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="follow-up-overdue-flag"]').text()).toBe('跟进逾期'), WAIT)
    expect(boardCalls(calls).map((q) => q.get('follow_up_overdue'))).toEqual(['1'])
    expect(w.find('.el-tabs__item.is-active').text()).toBe('跟进逾期（7）')
    w.unmount()
  })
})
