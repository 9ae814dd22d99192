import { beforeEach, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import VisitForm from '../src/components/VisitForm.vue'
import { i18n } from '../src/i18n'
import { getDb } from '../src/db/db'
import { RID, freshDb } from './helpers'

beforeEach(async () => {
  await freshDb()
  await getDb().recipients.put({ id: RID, _version: 1, name: '张三', gender: 'male', id_number: null, phone: null, address: null, area_id: 9, category: 'veteran', tags: [], notes: null })
})

it('visit time is picked with Vant pickers in the app language, not a native datetime-local input', async () => {
  const w = mount(VisitForm, { props: { userId: '1', recipientId: RID }, global: { plugins: [i18n] }, attachTo: document.body })
  await vi.waitFor(() => expect(w.find('[data-test="submit-visit"]').attributes('disabled')).toBeUndefined())
  expect(document.querySelector('input[type="datetime-local"]')).toBeNull()
  const vm = w.vm as unknown as { form: { visited_at_local: string } }
  vm.form.visited_at_local = '2027-01-20T10:05'
  await vi.waitFor(() => expect(w.find('[data-test="visited-at"] .van-cell__value').text()).toBe('2027/01/20 10:05'))
  expect(w.find('[data-test="visited-at"] input').exists()).toBe(false)
  await w.find('[data-test="visited-at"]').trigger('click')
  await vi.waitFor(() => expect(document.body.textContent).toContain('2027年'))
  const confirm = document.querySelector('[data-test="visited-at-popup"] .van-picker__confirm') as HTMLElement
  confirm.click()
  await vi.waitFor(() => expect(vm.form.visited_at_local).toBe('2027-01-20T10:05'))
  w.unmount()
})
