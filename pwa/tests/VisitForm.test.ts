import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import VisitForm from '../src/components/VisitForm.vue'
import { i18n } from '../src/i18n'
import { getDb } from '../src/db/db'
import { listOutbox } from '../src/db/outbox'
import { loadDraft } from '../src/db/drafts'
import { RID, freshDb, row } from './helpers'

async function mountForm() {
  const w = mount(VisitForm, { props: { userId: '1', recipientId: RID }, global: { plugins: [i18n] }, attachTo: document.body })
  await vi.waitFor(() => expect(w.find('[data-test="submit-visit"]').attributes('disabled')).toBeUndefined())
  return w
}

beforeEach(async () => {
  await freshDb()
  await getDb().recipients.put({ id: RID, _version: 1, name: '张三', gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null })
})

describe('VisitForm', () => {
  it('saves a draft while typing and restores it after a remount', async () => {
    const w = await mountForm()
    await w.find('[data-test="occasion"] input').setValue('春节慰问')
    await w.find('[data-test="cash"] input').setValue('300')
    await vi.waitFor(async () => expect((await loadDraft(`1:visit:new:${RID}`, '1'))?.occasion).toBe('春节慰问'), { timeout: 3000 })
    w.unmount()
    const again = await mountForm()
    expect((again.find('[data-test="occasion"] input').element as HTMLInputElement).value).toBe('春节慰问')
    expect((again.find('[data-test="cash"] input').element as HTMLInputElement).value).toBe('300')
    again.unmount()
  })

  it('refuses cash without a signature or a reason, then saves the visit and two difficulties', async () => {
    const w = await mountForm()
    await w.find('[data-test="cash"] input').setValue('500')
    await (w.vm as unknown as { submit: () => Promise<void> }).submit()
    await flushPromises()
    expect(await listOutbox('1')).toHaveLength(0)
    expect(w.text()).toContain('发放慰问金须对象签字')

    await w.find('[data-test="no-signature-reason"] input').setValue('卧床无法签字')
    await w.find('[data-test="add-inline-difficulty"]').trigger('click')
    await w.find('[data-test="add-inline-difficulty"]').trigger('click')
    const descs = w.findAll('[data-test="difficulty-description"] textarea')
    expect(descs).toHaveLength(2)
    await descs[0].setValue('房屋漏雨')
    await descs[1].setValue('看病报销难')
    await (w.vm as unknown as { submit: () => Promise<void> }).submit()
    await flushPromises()

    const q = await listOutbox('1')
    expect(q.map((m) => m.op)).toEqual(['visit.create', 'difficulty.create', 'difficulty.create'])
    expect(q[0].data).toMatchObject({ recipient_id: RID, cash_cents: 50000, no_signature_reason: '卧床无法签字', signature: null })
    expect(q[1].data.visit_id).toBe(q[0].entity_id)
    expect(w.emitted('saved')?.[0]).toEqual([q[0].entity_id, RID])
    expect(await getDb().drafts.get(`1:visit:new:${RID}`)).toBeUndefined()
    w.unmount()
  })

  it('editing a returned visit queues a patch with its base version', async () => {
    const { visitData } = await import('./helpers')
    // A visit time in the past: the phone now refuses one later than now plus the server's slack (not_future).
    await getDb().visits.put({ ...visitData('v9', { cash_cents: 0, no_signature_reason: null, visited_at: '2026-01-20T02:00:00.000Z' }), _version: 4, status: 'returned', author_id: 1 })
    const w = mount(VisitForm, { props: { userId: '1', visitId: 'v9' }, global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect((w.find('[data-test="gifts"] input').element as HTMLInputElement).value).toBe('米、油'))
    await w.find('[data-test="gifts"] input').setValue('棉被')
    await (w.vm as unknown as { submit: () => Promise<void> }).submit()
    await flushPromises()
    const q = await listOutbox('1')
    expect(q).toHaveLength(1)
    expect(q[0]).toMatchObject({ op: 'visit.update', base_version: 4, data: { id: 'v9', gifts: '棉被' } })
    expect((await row('visits', 'v9'))?.status).toBe('submitted')
    w.unmount()
  })

  it('rejects an amount with more than two decimals', async () => {
    const w = await mountForm()
    await w.find('[data-test="cash"] input').setValue('1.234')
    await (w.vm as unknown as { submit: () => Promise<void> }).submit()
    await flushPromises()
    expect(await listOutbox('1')).toHaveLength(0)
    expect(w.text()).toContain('请输入正确的金额')
    w.unmount()
  })
})
