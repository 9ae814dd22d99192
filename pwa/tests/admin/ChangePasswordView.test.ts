import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import ChangePasswordView from '../../src/office/admin/ChangePasswordView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { session } from '../../src/composables/useApp'
import { getSession } from '../../src/db/meta'
import { freshDb, login } from '../helpers'
import { json, mockAdminFetch } from './adminHelpers'

afterEach(() => setAdminApi(null))
beforeEach(async () => {
  await freshDb()
  await login('1')
  session.value = { ...(await getSession())!, user: { ...(await getSession())!.user, must_change_password: true } as never }
})

async function mountView() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/', component: { template: '<p>home</p>' } },
    { path: '/outbox', component: { template: '<p>outbox</p>' } },
    { path: '/password', component: ChangePasswordView },
  ] })
  await router.push('/password?next=/outbox')
  const w = mount({ template: '<router-view />' }, { global: { plugins: [i18n, router] }, attachTo: document.body })
  await flushPromises()
  return { w, router }
}

async function fill(w: ReturnType<typeof mount>, current: string, next: string, repeat = next) {
  await w.find('[data-test="password-current"] input').setValue(current)
  await w.find('[data-test="password-new"] input').setValue(next)
  await w.find('[data-test="password-repeat"] input').setValue(repeat)
}

describe('ChangePasswordView', () => {
  it('asks a user who must change it, and shows the policy messages under the new password', async () => {
    const calls = await mockAdminFetch(() => json(422, { error: { code: 'weak_password', message: 'x', fields: { password: ['至少8位 / at least 8 characters'] }, field_codes: { password: ['too_short'] } } }))
    const { w } = await mountView()
    expect(w.find('[data-test="password-required"]').exists()).toBe(true)
    await fill(w, 'Demo@2026', 'short')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(1)
    expect(calls[0].url.pathname).toBe('/api/auth/password')
    expect(JSON.parse(String(calls[0].body))).toEqual({ current_password: 'Demo@2026', new_password: 'short' })
    expect(w.find('[data-test="password-new"]').text()).toContain('至少8个字符')
    expect(w.find('[data-test="password-error"]').text()).toBe('密码不符合要求')
    w.unmount()
  })

  it('refuses two different new passwords without asking the server', async () => {
    const calls = await mockAdminFetch(() => new Response(null, { status: 204 }))
    const { w } = await mountView()
    await fill(w, 'Demo@2026', 'Better#Pass1', 'Better#Pass2')
    await w.find('form').trigger('submit')
    await flushPromises()
    expect(calls).toHaveLength(0)
    expect(w.find('[data-test="password-repeat"]').text()).toContain('不一致')
    w.unmount()
  })

  it('clears must_change_password and goes on to the page asked for', async () => {
    await mockAdminFetch(() => new Response(null, { status: 204 }))
    const { w, router } = await mountView()
    await fill(w, 'Demo@2026', 'Better#Pass1')
    await w.find('form').trigger('submit')
    await flushPromises()
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/outbox'))
    expect((session.value?.user as { must_change_password?: boolean }).must_change_password).toBe(false)
    expect(((await getSession())?.user as { must_change_password?: boolean }).must_change_password).toBe(false)
    w.unmount()
  })
})
