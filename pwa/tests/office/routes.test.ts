import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { session } from '../../src/composables/useApp'
import { isOfficeRole, officeRoutes } from '../../src/office/routes'
import type { SessionUser } from '../../src/db/types'

function as(role: SessionUser['role']) {
  session.value = { user: { id: 1, username: 'u', display_name: 'U', role, area_id: 1 }, csrf_token: 't', expired: false }
}

function router() {
  return createRouter({
    history: createMemoryHistory(),
    routes: [{ path: '/', component: { template: '<div/>' } }, ...officeRoutes],
  })
}

afterEach(() => {
  session.value = null
  vi.unstubAllGlobals()
})

describe('office routes', () => {
  it('are one /office record whose children include the admin pages', () => {
    expect(officeRoutes).toHaveLength(1)
    const paths = officeRoutes[0].children!.map((r) => r.path)
    expect(paths).toEqual(expect.arrayContaining(['visits', 'visits/:id', 'difficulties', 'campaigns/:id', 'accounts']))
    expect(['reviewer', 'admin', 'staff', undefined].map(isOfficeRole)).toEqual([true, true, false, false])
  })

  it('send a staff user home', async () => {
    as('staff')
    const r = router()
    await r.push('/office/visits')
    expect(r.currentRoute.value.path).toBe('/')
  })

  it('let a reviewer in, but not into an admin-only page', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('{"items":[],"total":0,"page":1,"per_page":20}')))
    as('reviewer')
    const r = router()
    await r.push('/office')
    expect(r.currentRoute.value.path).toBe('/office/visits')
    await r.push('/office/accounts')
    expect(r.currentRoute.value.path).toBe('/office/visits')
    as('admin')
    await r.push('/office/accounts')
    expect(r.currentRoute.value.path).toBe('/office/accounts')
  })
})
