import { beforeEach, describe, expect, it } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from '../src/views/LoginView.vue'
import { i18n } from '../src/i18n'
import { session } from '../src/composables/useApp'
import { getDb } from '../src/db/db'
import { setMeta } from '../src/db/meta'
import { freshDb } from './helpers'

beforeEach(async () => {
  await freshDb()
  session.value = null
  await setMeta('last_username', 'staff_demo')
})

async function mountLogin() {
  const router = createRouter({ history: createMemoryHistory(), routes: [
    { path: '/', component: { render: () => null } },
    { path: '/login', component: LoginView },
  ] })
  await router.push('/login')
  return mount(LoginView, { global: { plugins: [i18n, router] }, attachTo: document.body })
}

describe('LoginView', () => {
  it('fills in the last user name of this phone', async () => {
    const w = await mountLogin()
    await flushPromises()
    expect((w.find('input[name=username]').element as HTMLInputElement).value).toBe('staff_demo')
    w.unmount()
  })

  it('never overwrites a name typed before the remembered one was read', async () => {
    // Hold IndexedDB reads back until the user has typed (a slow phone).
    const db = getDb()
    let release!: () => void
    const held = new Promise<void>((resolve) => (release = resolve))
    const get = db.meta.get.bind(db.meta)
    db.meta.get = (async (key: string) => {
      await held
      return get(key)
    }) as typeof db.meta.get
    const w = await mountLogin()
    await w.find('input[name=username]').setValue('reviewer_demo')
    release()
    await flushPromises()
    expect((w.find('input[name=username]').element as HTMLInputElement).value).toBe('reviewer_demo')
    w.unmount()
  })

  it('says the phone remembers the account only when it does', async () => {
    const w = await mountLogin()
    await flushPromises()
    expect(w.find('[data-test=login-remembered]').text()).toBe('本机已记住账号 staff_demo，登录后可离线使用')
    await w.find('input[name=username]').setValue('reviewer_demo') // another account: not remembered here
    expect(w.find('[data-test=login-remembered]').exists()).toBe(false)
    w.unmount()

    await freshDb() // a new phone: nothing remembered, nothing claimed
    const fresh = await mountLogin()
    await flushPromises()
    expect(fresh.find('[data-test=login-remembered]').exists()).toBe(false)
    expect(fresh.text()).not.toContain('本机已记住')
    fresh.unmount()
  })
})
