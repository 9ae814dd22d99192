import { beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import OutboxView from '../src/views/OutboxView.vue'
import { i18n } from '../src/i18n'
import { newMutation } from '../src/db/outbox'
import { loadSession } from '../src/composables/useApp'
import { recordRoute } from '../src/lib/outboxRoute'
import { RID, freshDb, login, queueRows } from './helpers'

const push = vi.fn()
vi.mock('vue-router', () => ({ useRouter: () => ({ push }), useRoute: () => ({ path: '/outbox', meta: {} }) }))

const VID = '22222222-2222-4222-8222-222222222222'
const DID = '33333333-3333-4333-8333-333333333333'
const FID = '44444444-4444-4444-8444-444444444444'

describe('recordRoute', () => {
  it('opens the record a mutation changes; a follow-up opens its difficulty', () => {
    const m = (op: Parameters<typeof newMutation>[1], data: Record<string, unknown>) => newMutation('1', op, data, null)
    expect(recordRoute(m('recipient.create', { id: RID }))).toBe(`/recipients/${RID}`)
    expect(recordRoute(m('recipient.update', { id: RID }))).toBe(`/recipients/${RID}`)
    expect(recordRoute(m('visit.update', { id: VID }))).toBe(`/visits/${VID}`)
    expect(recordRoute(m('difficulty.create', { id: DID }))).toBe(`/difficulties/${DID}`)
    expect(recordRoute(m('followup.create', { id: FID, difficulty_id: DID }))).toBe(`/difficulties/${DID}`)
    expect(recordRoute(m('followup.create', { id: FID }))).toBeNull()
  })
})

describe('OutboxView navigation', () => {
  beforeEach(async () => {
    push.mockClear()
    await freshDb()
    await login('1')
    await loadSession()
  })

  it('a tapped item opens its record, a rejected one too', async () => {
    const visit = newMutation('1', 'visit.create', { id: VID, recipient_id: RID }, null)
    const followup = { ...newMutation('1', 'followup.create', { id: FID, difficulty_id: DID, note: '电话回访' }, null),
      state: 'rejected' as const, error: { code: 'validation_error', message: 'bad' } }
    await queueRows([visit, followup])
    const w = mount(OutboxView, { global: { plugins: [i18n], stubs: { SyncStatusCard: true } }, attachTo: document.body })
    await vi.waitFor(() => expect(w.findAll('[data-test="outbox-open"]')).toHaveLength(2))
    const items = w.findAll('[data-test="outbox-item"]')
    await items[0].find('[data-test="outbox-open"]').trigger('click')
    expect(push).toHaveBeenLastCalledWith(`/visits/${VID}`)
    expect(items[1].attributes('data-state')).toBe('rejected')
    await items[1].find('[data-test="outbox-open"]').trigger('click')
    expect(push).toHaveBeenLastCalledWith(`/difficulties/${DID}`)
    w.unmount()
  })

  it('the empty outbox shows an inline icon, no image to fail offline', async () => {
    const w = mount(OutboxView, { global: { plugins: [i18n], stubs: { SyncStatusCard: true } }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="outbox-empty"]').exists()).toBe(true))
    expect(w.find('[data-test="outbox-empty"] img').exists()).toBe(false)
    expect(w.find('[data-test="outbox-empty"] .van-icon').exists()).toBe(true)
    w.unmount()
  })
})
