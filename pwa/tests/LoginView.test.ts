import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import LoginView from '../src/views/LoginView.vue'
import { i18n } from '../src/i18n'
import { session, unlocked } from '../src/composables/useApp'
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

  it('offline, signs in an account this phone holds a key for, and says an unknown one needs the server', async () => {
    await getDb().keys.put({ user_id: '1', username: 'staff_demo', salt: new Uint8Array(16), iterations: 600_000,
      iv: new Uint8Array(12), wrapped: new Uint8Array(48), user: new Uint8Array(60), created_at: '2027-01-01T00:00:00Z' })
    window.dispatchEvent(new Event('offline'))
    try {
      const w = await mountLogin()
      await flushPromises()
      const submit = () => w.find('button[type=submit]').attributes('disabled')
      await vi.waitFor(() => expect(w.find('[data-test=login-offline]').text()).toContain('在本机登录过的账号可以离线登录'))
      expect(submit()).toBeUndefined()
      await w.find('input[name=username]').setValue('reviewer_demo')
      await vi.waitFor(() => expect(w.find('[data-test=login-offline]').text()).toContain('需联网登录一次'))
      expect(submit()).toBeDefined()
      w.unmount()
    } finally {
      window.dispatchEvent(new Event('online'))
    }
  })

  it('locked, asks for the password to unlock; revoked, offers the queue for the office', async () => {
    session.value = { user: { id: '1', username: 'staff_demo', display_name: '李', role: 'staff', area_id: 1 },
      csrf_token: 'tok', expired: false }
    unlocked.value = false
    const w = await mountLogin()
    await flushPromises()
    expect(w.find('[data-test=login-locked]').exists()).toBe(true)
    expect(w.find('button[type=submit]').text()).toBe('解锁')
    w.unmount()

    session.value = null
    await getDb().keys.put({ user_id: '1', username: 'staff_demo', salt: new Uint8Array(16), iterations: 600_000,
      iv: new Uint8Array(12), wrapped: new Uint8Array(48), user: new Uint8Array(60), created_at: '2027-01-01T00:00:00Z',
      revoked_at: '2027-01-02T00:00:00Z' })
    await getDb().outbox.put({ id: 'm-1', user_id: '1', seq: 1, op: 'visit.create', entity_type: 'visit', entity_id: 'v-1',
      base_version: null, client_time: 'x', attachments: [], state: 'pending', attempts: 0, enc: new Uint8Array(40) })
    const revoked = await mountLogin()
    await vi.waitFor(() => expect(revoked.find('[data-test=login-revoked]').text()).toContain('未同步的 1 条记录仍加密保留'))
    expect(revoked.find('[data-test=login-export]').exists()).toBe(true)
    expect(revoked.find('button[type=submit]').text()).toBe('登录')
    revoked.unmount()
  })
})
