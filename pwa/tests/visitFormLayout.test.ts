import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import VisitForm from '../src/components/VisitForm.vue'
import FormDateField from '../src/components/FormDateField.vue'
import { i18n, setLocale } from '../src/i18n'
import { getDb } from '../src/db/db'
import { saveDraft } from '../src/db/drafts'
import { localDate } from '../src/lib/format'
import { RID, freshDb, visitData } from './helpers'

const expanded = (w: ReturnType<typeof mount>, name: string) =>
  w.find(`[data-test="section-${name}"] .van-collapse-item__title`).classes().includes('van-collapse-item__title--expanded')

beforeEach(async () => {
  await freshDb()
  await getDb().recipients.put({ id: RID, _version: 1, name: '张三', gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null })
})

describe('VisitForm at the door', () => {
  it('folds the optional sections of a new visit and keeps the save button in a sticky bar', async () => {
    const w = mount(VisitForm, { props: { userId: '1', recipientId: RID }, global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="submit-visit"]').attributes('disabled')).toBeUndefined())
    expect(expanded(w, 'details')).toBe(false)
    expect(expanded(w, 'photos')).toBe(false)
    expect(w.find('[data-test="section-details"]').text()).toContain('选填')
    expect(w.find('[data-test="submit-visit"]').element.closest('.form-actions')).not.toBeNull()
    await w.find('[data-test="section-details"] .van-collapse-item__title').trigger('click')
    await vi.waitFor(() => expect(expanded(w, 'details')).toBe(true))
  })

  it('opens a section that a restored draft filled, and says what it holds', async () => {
    await saveDraft(`1:visit:new:${RID}`, '1', { gifts: '米、油', participants: '李晓红' })
    const w = mount(VisitForm, { props: { userId: '1', recipientId: RID }, global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="submit-visit"]').attributes('disabled')).toBeUndefined())
    expect(expanded(w, 'details')).toBe(true)
    expect(expanded(w, 'photos')).toBe(false)
    expect(w.find('[data-test="section-details"] .van-collapse-item__title').text()).toContain('已填 2 项')
  })

  it("heads a returned visit's edit form with the reviewer's comment", async () => {
    await getDb().visits.put({ ...visitData('v7'), _version: 2, status: 'returned', author_id: 1, review_comment: '请补充现场照片' })
    const w = mount(VisitForm, { props: { userId: '1', visitId: 'v7' }, global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="returned-comment"]').exists()).toBe(true))
    expect(w.find('[data-test="returned-comment"]').text()).toContain('退回意见：请补充现场照片')
    const first = w.find('.visit-form').element.firstElementChild
    expect(first?.getAttribute('data-test')).toBe('returned-comment')
  })

  it('picks a difficulty follow-up date with a Vant picker, not a native date input', async () => {
    const w = mount(VisitForm, { props: { userId: '1', recipientId: RID }, global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="submit-visit"]').attributes('disabled')).toBeUndefined())
    await w.find('[data-test="add-inline-difficulty"]').trigger('click')
    await flushPromises()
    expect(document.querySelector('input[type="date"]')).toBeNull()
    expect(w.find('[data-test="difficulty-date"]').exists()).toBe(true)
  })
})

describe('FormDateField', () => {
  it("shows the day in the app's language and sets the picked day", async () => {
    const w = mount(FormDateField, { props: { label: '下次跟进日期', modelValue: '2027-01-20', 'onUpdate:modelValue': (v: string) => w.setProps({ modelValue: v }) },
      global: { plugins: [i18n] }, attachTo: document.body })
    expect(w.find('.van-cell__value').text()).toBe('2027/01/20')
    await setLocale('en')
    await vi.waitFor(() => expect(w.find('.van-cell__value').text()).toBe('01/20/2027'))
    await setLocale('zh-CN')
    await w.find('[data-test="date-clear"]').trigger('click')
    expect(w.emitted('update:modelValue')?.at(-1)).toEqual([''])
    expect(w.find('.van-cell__value').text()).toBe('请选择')
    // No date yet: the picker opens on today, in Chinese columns.
    await w.find('.van-cell').trigger('click')
    await vi.waitFor(() => expect(document.body.textContent).toContain(`${localDate().slice(0, 4)}年`))
    ;(document.querySelector('[data-test="date-popup"] .van-picker__confirm') as HTMLElement).click()
    await vi.waitFor(() => expect(w.emitted('update:modelValue')?.at(-1)).toEqual([localDate()]))
  })
})
