/**
 * The console's side menu: groups of entries, each entry a page of routes.ts (or admin/routes.ts). Who sees an
 * entry is decided by its route's `meta.roles` (the guard's rule), so a menu entry never shows a page its user
 * cannot open. Adding a page: its route in routes.ts, then one entry here (README.md).
 */
import type { Component } from 'vue'
import type { Router } from 'vue-router'
import {
  Bell, DataAnalysis, DataBoard, Document, Download, Files, Flag, Iphone, Lock, MapLocation, OfficeBuilding, Stamp, Tickets, Trophy, Upload,
  User, WarningFilled,
} from '@element-plus/icons-vue'

export interface NavItem {
  /** The page's absolute path; also the entry's `data-test` (`nav-` + its last segment). */
  path: string
  /** Its words in the office or admin messages (both are merged before the layout renders). */
  titleKey: string
  icon: Component
}

export interface NavGroup {
  id: string
  titleKey: string
  items: NavItem[]
}

export const NAV: NavGroup[] = [
  {
    id: 'work', titleKey: 'office.nav.groups.work', items: [
      { path: '/office/visits', titleKey: 'office.nav.visits', icon: Tickets },
      { path: '/office/difficulties', titleKey: 'office.nav.difficulties', icon: WarningFilled },
      { path: '/office/campaigns', titleKey: 'office.nav.campaigns', icon: Flag },
    ],
  },
  {
    id: 'creation', titleKey: 'office.nav.groups.creation', items: [
      { path: '/office/creation/dashboard', titleKey: 'office.nav.creationDashboard', icon: DataBoard },
      { path: '/office/creation/items', titleKey: 'office.nav.creationItems', icon: Files },
      { path: '/office/creation/evidence', titleKey: 'office.nav.creationEvidence', icon: Stamp },
      { path: '/office/creation/scoring', titleKey: 'office.nav.creationScoring', icon: Trophy },
      { path: '/office/creation/standard', titleKey: 'office.nav.creationStandard', icon: Document },
      { path: '/office/creation/units', titleKey: 'office.nav.creationUnits', icon: OfficeBuilding },
    ],
  },
  {
    id: 'data', titleKey: 'office.nav.groups.data', items: [
      { path: '/office/import', titleKey: 'admin.nav.import', icon: Upload },
      { path: '/office/outbox-file', titleKey: 'admin.nav.outboxFile', icon: Iphone },
      { path: '/office/report', titleKey: 'admin.nav.report', icon: Download },
    ],
  },
  {
    id: 'system', titleKey: 'office.nav.groups.system', items: [
      { path: '/office/accounts', titleKey: 'admin.nav.accounts', icon: User },
      { path: '/office/areas', titleKey: 'admin.nav.areas', icon: MapLocation },
      { path: '/office/audit', titleKey: 'admin.nav.audit', icon: DataAnalysis },
    ],
  },
  {
    id: 'mine', titleKey: 'office.nav.groups.mine', items: [
      { path: '/office/inbox', titleKey: 'office.nav.inbox', icon: Bell },
      { path: '/office/password', titleKey: 'admin.nav.password', icon: Lock },
    ],
  },
]

/** Whether `role` may open `path`: no route on its way lists roles that leave it out. */
export function mayOpen(router: Router, path: string, role: string): boolean {
  const matched = router.resolve(path).matched
  return matched.length > 0 && matched.every((r) => !Array.isArray(r.meta.roles) || (r.meta.roles as string[]).includes(role))
}

/** The groups and entries `role` sees; groups left empty are dropped. */
export function menuFor(router: Router, role: string, groups: NavGroup[] = NAV): NavGroup[] {
  return groups
    .map((g) => ({ ...g, items: g.items.filter((n) => mayOpen(router, n.path, role)) }))
    .filter((g) => g.items.length)
}

/** The entry to highlight for a route: the longest entry path that is the route's path or a prefix of it. */
export function activeEntry(path: string, groups: NavGroup[]): string {
  let best = ''
  for (const n of groups.flatMap((g) => g.items)) {
    if ((path === n.path || path.startsWith(`${n.path}/`)) && n.path.length > best.length) best = n.path
  }
  return best
}

/** `nav-visits` for `/office/visits`: the hook the browser tests click. */
export const navTestId = (path: string): string => `nav-${path.split('/').pop()}`
