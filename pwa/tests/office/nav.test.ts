import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import { officeRoutes } from '../../src/office/routes'
import { activeEntry, menuFor, NAV, navTestId } from '../../src/office/nav'
import en from '../../src/i18n/office.en.json'
import zh from '../../src/i18n/office.zh-CN.json'
import adminZh from '../../src/i18n/admin.zh-CN.json'

const router = () => createRouter({ history: createMemoryHistory(), routes: [{ path: '/', component: { template: '<div/>' } }, ...officeRoutes] })
const paths = (groups: ReturnType<typeof menuFor>) => groups.flatMap((g) => g.items.map((n) => n.path))

function lookup(tree: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree)
}


describe('the console menu', () => {
  it('points every entry at a console page, with its words in both languages', () => {
    const r = router()
    for (const n of NAV.flatMap((g) => g.items)) {
      expect(r.resolve(n.path).matched.length, n.path).toBeGreaterThan(1)
      const bundle = n.titleKey.startsWith('admin.') ? adminZh : zh
      expect(lookup(bundle, n.titleKey), n.titleKey).toBeTypeOf('string')
    }
    for (const g of NAV) {
      expect(lookup(zh, g.titleKey), g.titleKey).toBeTypeOf('string')
      expect(lookup(en, g.titleKey), g.titleKey).toBeTypeOf('string')
    }
    expect(navTestId('/office/difficulties')).toBe('nav-difficulties')
  })

  it('shows each role only the pages its routes let it open, dropping empty groups', () => {
    const r = router()
    const reviewer = menuFor(r, 'reviewer')
    expect(paths(reviewer)).toEqual(['/office/visits', '/office/difficulties', '/office/campaigns',
      '/office/creation/dashboard', '/office/creation/items', '/office/creation/evidence', '/office/creation/scoring',
      '/office/creation/standard', '/office/creation/units', '/office/import', '/office/outbox-file', '/office/report', '/office/inbox',
      '/office/password'])
    expect(reviewer.map((g) => g.id)).toEqual(['work', 'creation', 'data', 'mine'])
    expect(paths(menuFor(r, 'admin'))).toEqual(expect.arrayContaining(['/office/accounts', '/office/areas', '/office/audit']))
  })

  it('highlights the entry a detail page belongs to', () => {
    const groups = menuFor(router(), 'admin')
    expect(activeEntry('/office/visits/abc', groups)).toBe('/office/visits')
    expect(activeEntry('/office/campaigns', groups)).toBe('/office/campaigns')
    expect(activeEntry('/office/visitsx', groups)).toBe('')
  })
})
