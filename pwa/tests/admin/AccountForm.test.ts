import { afterEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import AccountForm from '../../src/office/admin/AccountForm.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { areaOrder } from '../../src/office/areaTree'
import { json, mockAdminFetch } from './adminHelpers'
import { choose } from '../office/elementHelpers'

afterEach(() => setAdminApi(null))

const AREAS = areaOrder([
  { id: 1, code: '330102', name: '示范县', level: 'county', parent_id: null },
  { id: 2, code: '330102001', name: '东镇', level: 'township', parent_id: 1 },
])
const POLICY = ['至少8位 / at least 8 characters', '需包含大写、小写、数字、符号中的至少3类 / use 3 of: lower, upper, digit, symbol']

async function fill(w: ReturnType<typeof mount>, password: string) {
  await w.find('[data-test="account-username"]').setValue('13800000001')
  await w.find('[data-test="account-display-name"]').setValue('李四')
  await choose(w, 'account-role', '工作人员')
  await choose(w, 'account-area', '东镇')
  await w.find('[data-test="account-password"]').setValue(password)
}

describe('AccountForm', () => {
  it('shows the policy messages of a weak_password answer under the password', async () => {
    const calls = await mockAdminFetch(() => json(422, {
      error: { code: 'weak_password', message: '密码不符合要求 / the password breaks the policy', fields: { password: POLICY },
        field_codes: { password: ['too_short', 'password_classes'] } },
    }))
    const w = mount(AccountForm, { props: { areas: AREAS }, global: { plugins: [i18n] }, attachTo: document.body })
    await fill(w, 'abc')
    await w.find('form').trigger('submit')
    await flushPromises()

    expect(calls).toHaveLength(1)
    expect(calls[0].method).toBe('POST')
    expect(calls[0].url.pathname).toBe('/api/admin/users')
    expect(JSON.parse(String(calls[0].body))).toEqual({
      username: '13800000001', display_name: '李四', role: 'staff', area_id: 2, password: 'abc',
    })
    const messages = w.findAll('[data-test="errors-password"] li').map((li) => li.text())
    expect(messages).toEqual(['至少8个字符', '需包含大写、小写、数字、符号中的至少3类'])
    expect(w.find('[data-test="account-error"]').text()).toBe('密码不符合要求')
    expect(w.emitted('saved')).toBeUndefined()
    w.unmount()
  })

  it('shows username_taken on the username and emits the created account on success', async () => {
    let answer = json(409, { error: { code: 'username_taken', message: 'exists', fields: { username: ['exists'] }, field_codes: { username: ['taken'] } } })
    await mockAdminFetch(() => answer)
    const w = mount(AccountForm, { props: { areas: AREAS }, global: { plugins: [i18n] }, attachTo: document.body })
    await fill(w, 'Strong#Pass1')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-test="account-error"]').text()).toBe('用户名已存在')
    expect(w.find('[data-test="errors-username"]').text()).toBe('已存在')

    const user = { id: 9, username: '13800000001', display_name: '李四', role: 'staff', area_id: 2, area_name: '东镇', active: true,
      must_change_password: true, locked: false, created_at: '2026-11-29T06:00:00Z' }
    answer = json(201, user)
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.emitted('saved')?.[0]).toEqual([user])
    w.unmount()
  })

  it('edits with a PATCH of the changed fields only', async () => {
    const user = { id: 5, username: 'u5', display_name: '王五', role: 'staff' as const, area_id: 2, area_name: '东镇', active: true,
      must_change_password: false, locked: false, created_at: '2026-11-29T06:00:00Z' }
    const calls = await mockAdminFetch(() => json(200, { ...user, role: 'reviewer' }))
    const w = mount(AccountForm, { props: { areas: AREAS, user }, global: { plugins: [i18n] }, attachTo: document.body })
    expect(w.find('[data-test="account-username"]').exists()).toBe(false)
    await choose(w, 'account-role', '审核人员')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(calls[0].method).toBe('PATCH')
    expect(calls[0].url.pathname).toBe('/api/admin/users/5')
    expect(JSON.parse(String(calls[0].body))).toEqual({ role: 'reviewer' })
    w.unmount()
  })

  it('asks a liaison for its member unit and sends it', async () => {
    const calls = await mockAdminFetch((call) => (call.url.pathname === '/api/creation/units'
      ? json(200, { items: [{ id: 4, name: '县人武部', kind: 'armed_forces', area_id: null, area_name: null, position: 0, liaisons: 1, items: 5, version: 1 }] })
      : json(201, { id: 11, username: 'rwb2', display_name: '赵六', role: 'liaison', area_id: 1, unit_id: 4, area_name: '示范县', active: true,
        must_change_password: true, locked: false, created_at: '2026-11-29T06:00:00Z' })))
    const w = mount(AccountForm, { props: { areas: AREAS }, global: { plugins: [i18n] }, attachTo: document.body })
    expect(w.find('[data-test="account-unit"]').exists()).toBe(false)
    await fill(w, 'Strong#Pass1')
    await choose(w, 'account-role', '成员单位联络员')
    await flushPromises()
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(w.find('[data-test="errors-unit"]').text()).toBe('必填')
    expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0)
    await choose(w, 'account-unit', '县人武部')
    await w.find('form').trigger('submit')
    await flushPromises()
    const post = calls.find((c) => c.method === 'POST')!
    expect(JSON.parse(String(post.body))).toMatchObject({ role: 'liaison', area_id: 2, unit_id: 4 })
    expect(w.emitted('saved')).toHaveLength(1)
    w.unmount()
  })
})
