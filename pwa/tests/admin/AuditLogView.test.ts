import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import AuditLogView from '../../src/office/admin/AuditLogView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { json, mockAdminFetch, query } from './adminHelpers'
import { choose, typeRange } from '../office/elementHelpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

afterEach(() => setAdminApi(null))

const ROW = {
  id: 41, at: '2026-11-28T16:30:05.123Z', user_id: 3, username: 'admin_demo', display_name: '管理员', action: 'recipient.import',
  entity_type: null, entity_id: null, device_id: 'dev-1234567890abcdef', ip: '127.0.0.1', details: { valid: 2, invalid: 1 },
}

describe('AuditLogView', () => {
  it('builds the query from the filled-in filters only, and keeps them while paging', async () => {
    const calls = await mockAdminFetch(() => json(200, { items: [ROW], total: 120, page: 1, per_page: 50 }))
    const w = mount(AuditLogView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(calls[0].url.pathname).toBe('/api/admin/audit')
    expect(query(calls[0])).toEqual({ page: '1', per_page: '50' })

    await w.find('[data-test="audit-user-id"]').setValue(' 7 ')
    await w.find('[data-test="audit-action"]').setValue('user.')
    await choose(w, 'audit-entity-type', '账号')
    await w.find('[data-test="audit-entity-id"]').setValue('12')
    await typeRange(w, 'audit-dates', '2026-11-01', '2026-11-07')
    await w.find('[data-test="audit-filters"]').trigger('submit')
    await flushPromises()
    expect(query(calls[1])).toEqual({
      user_id: '7', action: 'user.', entity_type: 'user', entity_id: '12', from: '2026-11-01', to: '2026-11-07', page: '1', per_page: '50',
    })

    // Typing without searching does not leak into the next page's query.
    await w.find('[data-test="audit-device-id"]').setValue('half-typed')
    await w.find('[data-test="audit-pages"] .btn-next').trigger('click')
    await flushPromises()
    expect(query(calls[2])).toEqual({
      user_id: '7', action: 'user.', entity_type: 'user', entity_id: '12', from: '2026-11-01', to: '2026-11-07', page: '2', per_page: '50',
    })
    w.unmount()
  })

  it('shows times in Asia/Shanghai and filters by a clicked device', async () => {
    const calls = await mockAdminFetch(() => json(200, { items: [ROW], total: 1 }))
    const w = mount(AuditLogView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await vi.waitFor(() => expect(w.find('tr.audit-row').exists()).toBe(true), WAIT)
    const row = w.find('tr.audit-row')
    expect(row.text()).toContain('2026-11-29 00:30:05')
    expect(row.find('[data-test="audit-row"]').attributes('data-action')).toBe('recipient.import')
    expect(row.text()).toContain('recipient.import')
    expect(row.text()).toContain('花名册导入')
    await row.find('button.mono').trigger('click')
    await flushPromises()
    expect(query(calls[1])).toEqual({ device_id: 'dev-1234567890abcdef', page: '1', per_page: '50' })
    w.unmount()
  })
})
