import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import RecipientsView from '../src/views/RecipientsView.vue'
import { i18n } from '../src/i18n'
import * as search from '../src/lib/search'
import { freshDb } from './helpers'
import { session } from '../src/composables/useApp'
import { resetRoster } from '../src/composables/useRoster'

vi.mock('../src/lib/search', async (original) => {
  const real = await original<typeof import('../src/lib/search')>()
  return { ...real, buildNameIndexInSlices: vi.fn(real.buildNameIndexInSlices) }
})

const given = '建国军华明英秀兰德福志强海平玉梅桂芳春生'
const rec = (i: number, name: string, area_id = 2) => ({
  id: `r${String(i).padStart(4, '0')}`, _version: 1, name, gender: 'male', id_number: null, phone: null, address: `${i}号`, area_id,
  category: i % 2 ? 'veteran' : 'other', tags: [], notes: null,
})

beforeEach(async () => {
  resetRoster()
  session.value = { user: { id: 1, username: 's', display_name: 's', role: 'staff', area_id: 1 }, csrf_token: 't', expired: false } as never
  const db = await freshDb()
  await db.areas.bulkPut([{ id: 2, code: '2', name: '东村', level: 'village', parent_id: null }, { id: 3, code: '3', name: '西村', level: 'village', parent_id: null }] as never)
  const rows = Array.from({ length: 200 }, (_, i) => rec(i, '王李赵'[i % 3] + given[i % 20] + given[(i * 7) % 20], i % 4 ? 2 : 3))
  await db.recipients.bulkPut([...rows, rec(900, '张三'), rec(901, '李四')] as never)
  vi.mocked(search.buildNameIndexInSlices).mockClear()
})

async function mountList() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/recipients', component: RecipientsView }, { path: '/:p(.*)*', component: { render: () => null } },
  ] })
  await router.push('/recipients')
  return mount(RecipientsView, { global: { plugins: [i18n, router] }, attachTo: document.body })
}

describe('RecipientsView', () => {
  it('renders the roster as a labelled list, and searches without rebuilding the index', async () => {
    const w = await mountList()
    await vi.waitFor(() => expect(w.get('[data-test=recipient-count]').text()).toBe('共 202 人'))
    await flushPromises()
    const list = w.get('[role=list]')
    expect(list.attributes('aria-label')).toBe('优抚对象')
    // happy-dom lays nothing out (every row measures 0 px), so how few rows render is tests/e2e's to check.
    const items = w.findAll('[role=listitem]')
    expect(items.length).toBeGreaterThan(5)
    expect(new Set(items.map((i) => i.attributes('aria-setsize')))).toEqual(new Set(['202']))
    const built = vi.mocked(search.buildNameIndexInSlices).mock.calls.length
    expect(built).toBeGreaterThan(0)

    const input = w.get('[data-test=recipient-search] input')
    for (const q of ['z', 'zs', 'zhangs', '张', '']) {
      await input.setValue(q)
      await flushPromises()
    }
    await input.setValue('zhangs')
    await flushPromises()
    expect(w.get('[data-test=recipient-count]').text()).toBe('共 1 人')
    expect(w.findAll('[data-test=recipient-item]').map((c) => c.text())).toEqual([expect.stringContaining('张三')])
    expect(search.buildNameIndexInSlices).toHaveBeenCalledTimes(built) // keystrokes reuse the index

    // A roster change (a pull, a new recipient) rebuilds it once.
    const { getDb } = await import('../src/db/db')
    await getDb().recipients.put(rec(902, '张山') as never)
    await vi.waitFor(() => expect(w.get('[data-test=recipient-count]').text()).toBe('共 2 人'))
    expect(search.buildNameIndexInSlices).toHaveBeenCalledTimes(built + 1)
    w.unmount()
  })

  it('keeps the village and category filters on top of the search', async () => {
    const w = await mountList()
    await vi.waitFor(() => expect(w.get('[data-test=recipient-count]').text()).toBe('共 202 人'))
    const vm = w.vm as unknown as { village: number | ''; category: string }
    vm.village = 3
    await flushPromises()
    expect(w.get('[data-test=recipient-count]').text()).toBe('共 50 人')
    vm.category = 'veteran'
    await flushPromises()
    expect(w.get('[data-test=recipient-count]').text()).toBe('共 0 人') // i % 4 === 0 is never odd
    vm.category = 'other'
    await w.get('[data-test=recipient-search] input').setValue('w')
    await flushPromises()
    const want = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 4 === 0 && i % 3 === 0).length
    expect(w.get('[data-test=recipient-count]').text()).toBe(`共 ${want} 人`)
    w.unmount()
  })
})
