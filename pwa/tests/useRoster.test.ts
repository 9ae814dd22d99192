import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import RecipientsView from '../src/views/RecipientsView.vue'
import { i18n } from '../src/i18n'
import { session } from '../src/composables/useApp'
import { resetRoster, rosterBuilds, useRoster, warmRoster } from '../src/composables/useRoster'
import { getDb } from '../src/db/db'
import { freshDb } from './helpers'

const rec = (i: number, name: string) => ({
  id: `r${String(i).padStart(4, '0')}`, _version: 1, name, gender: 'male', id_number: null, phone: null, address: `${i}号`,
  area_id: 2, category: 'veteran', tags: [], notes: null,
})
const as = (id: number) => {
  session.value = { user: { id, username: `u${id}`, display_name: `u${id}`, role: 'staff', area_id: 1 }, csrf_token: 't', expired: false } as never
}

beforeEach(async () => {
  resetRoster()
  as(1)
  const db = await freshDb()
  await db.areas.bulkPut([{ id: 2, code: '2', name: '东村', level: 'village', parent_id: null }] as never)
  await db.recipients.bulkPut([rec(1, '张三'), rec(2, '李四'), rec(3, '王五')] as never)
})

async function mountList() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/recipients', component: RecipientsView }, { path: '/:p(.*)*', component: { render: () => null } },
  ] })
  await router.push('/recipients')
  return mount(RecipientsView, { global: { plugins: [i18n, router] }, attachTo: document.body })
}
const count = (w: Awaited<ReturnType<typeof mountList>>) => w.get('[data-test=recipient-count]').text()

describe('useRoster', () => {
  it('builds the index once for two mounts of the list (warmed before the first)', async () => {
    const before = rosterBuilds()
    warmRoster() // what the home screen does when idle
    await vi.waitFor(() => expect(rosterBuilds()).toBe(before + 1))
    const first = await mountList()
    expect(count(first)).toBe('共 3 人') // already there: nothing read at mount
    first.unmount()
    const second = await mountList()
    expect(count(second)).toBe('共 3 人')
    await flushPromises()
    expect(rosterBuilds()).toBe(before + 1)
    expect(useRoster().value?.index.items.map((r) => r.name)).toEqual(['李四', '王五', '张三'])
    second.unmount()
  })

  it('rebuilds when the roster changes, even with the list closed', async () => {
    const kept = useRoster()
    await vi.waitFor(() => expect(kept.value?.index.items.length).toBe(3))
    const before = rosterBuilds()
    await getDb().recipients.put(rec(4, '赵六') as never)
    await vi.waitFor(() => expect(kept.value?.index.items.length).toBe(4))
    expect(rosterBuilds()).toBe(before + 1)
    expect(kept.value?.index.search('zl').map((r) => r.name)).toEqual(['赵六'])
  })

  it('is dropped when the user changes, and read again for the next one', async () => {
    const kept = useRoster()
    await vi.waitFor(() => expect(kept.value?.index.items.length).toBe(3))
    session.value = null // logout
    await flushPromises()
    expect(kept.value).toBeNull()
    await getDb().recipients.clear() // the replica goes with the user
    await getDb().recipients.put(rec(7, '钱七') as never)
    as(2)
    warmRoster()
    await vi.waitFor(() => expect(kept.value?.index.items.map((r) => r.name)).toEqual(['钱七']))
  })

  it('follows a user change while the list is showing', async () => {
    const w = await mountList()
    await vi.waitFor(() => expect(count(w)).toBe('共 3 人'))
    const before = rosterBuilds()
    as(2)
    await vi.waitFor(() => expect(rosterBuilds()).toBe(before + 1)) // read again for user 2, the list still open
    await flushPromises()
    expect(count(w)).toBe('共 3 人')
    w.unmount()
  })
})
