import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import RecipientView from '../src/views/RecipientView.vue'
import { i18n } from '../src/i18n'
import { freshDb } from './helpers'

const diff = (id: string, status: string, description: string, resolved_at: string | null = null) => ({
  id, _version: 1, recipient_id: 'a', visit_id: null, category: 'housing', description, urgency: 'normal', follow_up_at: null,
  due_date: null, status, resolved_at, created_at: '2026-10-01T02:00:00Z',
})

beforeEach(async () => {
  const db = await freshDb()
  await db.recipients.put({ id: 'a', _version: 1, name: '王大爷', gender: 'male', id_number: null, phone: null, address: null,
    area_id: 1, category: 'veteran', tags: [], notes: null } as never)
  await db.difficulties.bulkPut([
    diff('d1', 'open', '屋顶漏雨'),
    diff('d2', 'resolved', '药费报销已办结', '2026-11-02T02:00:00Z'),
    diff('d3', 'resolved', '取暖补贴已发放', '2026-11-20T02:00:00Z'),
  ] as never)
})

describe('RecipientView', () => {
  it('lists resolved difficulties too, below the open ones and newest first', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [
      { path: '/recipients/:id', component: RecipientView }, { path: '/:p(.*)*', component: { render: () => null } },
    ] })
    await router.push('/recipients/a')
    const w = mount(RecipientView, { global: { plugins: [i18n, router], stubs: { PageNavBar: true } }, attachTo: document.body })
    await vi.waitFor(() => {
      expect(w.findAll('[data-test=resolved-difficulty-item]')).toHaveLength(2)
      expect(w.findAll('[data-test=difficulty-item]')).toHaveLength(1)
    })
    expect(w.findAll('[data-test=difficulty-item]').map((c) => c.text()).join()).toContain('屋顶漏雨')
    expect(w.findAll('[data-test=difficulty-item]').map((c) => c.text()).join()).not.toContain('已办结')
    expect(w.find('[data-test=resolved-difficulties]').text().indexOf('取暖补贴'))
      .toBeLessThan(w.find('[data-test=resolved-difficulties]').text().indexOf('药费报销'))
    expect(w.text()).toContain('已解决的困难诉求（2）')
    w.unmount()
  })
})
