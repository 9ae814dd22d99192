import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter, type RouteLocationNormalized } from 'vue-router'
import { session } from '../../src/composables/useApp'
import { getSession } from '../../src/db/meta'
import { createHttp } from '../../src/lib/http'
import { freshDb, login } from '../helpers'
import { adminRoutes, installPasswordCheck, passwordGuard } from '../../src/office/admin/routes'
import { NAV } from '../../src/office/nav'

const to = (path: string, meta: Record<string, unknown> = {}) => ({ path, fullPath: path, meta }) as unknown as RouteLocationNormalized

function as(must: boolean, expired = false) {
  session.value = { user: { id: 1, username: 'u', display_name: 'U', role: 'reviewer', area_id: 1, must_change_password: must } as never, csrf_token: 't', expired }
}

afterEach(() => {
  session.value = null
  vi.unstubAllGlobals()
})

describe('passwordGuard', () => {
  it('sends a user who must change the password to the page of their app, and back afterwards', () => {
    as(true)
    expect(passwordGuard(to('/recipients'))).toEqual({ path: '/password', query: { next: '/recipients' } })
    expect(passwordGuard(to('/office/visits'))).toEqual({ path: '/office/password', query: { next: '/office/visits' } })
    expect(passwordGuard(to('/password'))).toBe(true)
    expect(passwordGuard(to('/office/password'))).toBe(true)
    expect(passwordGuard(to('/login', { public: true }))).toBe(true)
  })

  it('lets everyone else through, and never blocks a phone that is offline or logged out by expiry', () => {
    as(false)
    expect(passwordGuard(to('/recipients'))).toBe(true)
    as(true, true)
    expect(passwordGuard(to('/recipients'))).toBe(true)
    as(true)
    vi.stubGlobal('navigator', { onLine: false })
    expect(passwordGuard(to('/recipients'))).toBe(true)
  })
})

describe('installPasswordCheck', () => {
  it('adds /password ahead of a catch-all and redirects there', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [
      { path: '/', component: { template: '<p />' } },
      { path: '/:pathMatch(.*)*', redirect: '/' },
    ] })
    installPasswordCheck(router)
    installPasswordCheck(router)
    expect(router.resolve('/password').name).toBe('own-password')
    as(true)
    await router.push('/')
    expect(router.currentRoute.value.fullPath).toBe('/password?next=/')
  })
})

describe('password_change_required from the server', () => {
  it('marks the session and opens the password page at once, from any request', async () => {
    await freshDb()
    await login('1')
    session.value = (await getSession())!
    const router = createRouter({ history: createMemoryHistory(), routes: [
      { path: '/', component: { template: '<p />' } },
      { path: '/outbox', component: { template: '<p />' } },
    ] })
    installPasswordCheck(router)
    await router.push('/outbox')
    vi.stubGlobal('fetch', async () => new Response(JSON.stringify({ error: { code: 'password_change_required', message: 'x' } }), { status: 403 }))
    const http = createHttp({ getCsrfToken: async () => 't' })
    await expect(http.json('GET', '/api/sync/pull?cursor=0')).rejects.toMatchObject({ status: 403, code: 'password_change_required' })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/password?next=/outbox'))
    expect((session.value?.user as { must_change_password?: boolean }).must_change_password).toBe(true)
    expect(((await getSession())?.user as { must_change_password?: boolean }).must_change_password).toBe(true)
  })
})

describe('adminRoutes', () => {
  it('are relative children with titles and roles, and the nav points at them', () => {
    for (const r of adminRoutes) {
      expect(r.path.startsWith('/')).toBe(false)
      expect(r.meta?.title).toMatch(/^admin\./)
      expect(Array.isArray(r.meta?.roles)).toBe(true)
    }
    const menu = NAV.flatMap((g) => g.items.map((n) => n.path))
    expect(menu).toEqual(expect.arrayContaining(adminRoutes.map((r) => `/office/${r.path}`)))
  })
})
