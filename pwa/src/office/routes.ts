/**
 * The office console's routes: one lazily loaded wide-screen layout at /office; reviewers and admins only. This
 * file is in the field app's entry (its router), so it stays small: a page is a path, a lazy component, a title
 * key and, when narrower than reviewers and admins, `meta.roles`; its menu entry lives in nav.ts (README.md).
 */
import type { RouteComponent, RouteLocationNormalized, RouteRecordRaw } from 'vue-router'
import { session } from '../composables/useApp'
import * as admin from './admin/routes'

const OFFICE_ROLES = ['reviewer', 'admin'] as const

export function isOfficeRole(role: string | null | undefined): boolean {
  return !!role && (OFFICE_ROLES as readonly string[]).includes(role)
}

/** Office roles only; a page may narrow it further with `meta.roles`. Anyone else goes home. */
function guard(to: RouteLocationNormalized) {
  const role = session.value?.user.role
  if (!isOfficeRole(role)) return { path: '/' }
  const denied = to.matched.some((r) => Array.isArray(r.meta.roles) && !(r.meta.roles as string[]).includes(role!))
  return denied ? { path: '/office' } : true
}

/** A lazy component whose office messages are merged before it renders (no flash of raw keys). */
function lazy(load: () => Promise<{ default: RouteComponent }>): () => Promise<RouteComponent> {
  return async () => {
    const [m, i18n] = await Promise.all([load(), import('./i18n')])
    await i18n.loadOfficeMessages()
    return m.default
  }
}

// The layout's menu also shows the admin pages' entries, whose titles live in the admin messages.
function layout(load: () => Promise<{ default: RouteComponent }>): () => Promise<RouteComponent> {
  const page = lazy(load)
  return async () => (await Promise.all([page(), admin.loadAdminMessages().catch(() => undefined)]))[0]
}

const withGuard = (r: RouteRecordRaw): RouteRecordRaw => ('redirect' in r && r.redirect ? r : ({ ...r, beforeEnter: guard } as RouteRecordRaw))

const pages: RouteRecordRaw[] = [
  { path: '', redirect: '/office/visits' },
  { path: 'visits', component: lazy(() => import('./OfficeVisitsView.vue')), meta: { title: 'office.visits.title' } },
  { path: 'visits/:id', component: lazy(() => import('./OfficeVisitView.vue')), meta: { title: 'office.visit.title' } },
  { path: 'difficulties', component: lazy(() => import('./OfficeDifficultiesView.vue')), meta: { title: 'office.board.title' } },
  { path: 'difficulties/:id', component: lazy(() => import('./OfficeDifficultyView.vue')), meta: { title: 'office.difficulty.title' } },
  { path: 'campaigns', component: lazy(() => import('./OfficeCampaignsView.vue')), meta: { title: 'office.campaigns.title' } },
  { path: 'campaigns/:id', component: lazy(() => import('./OfficeCoverageView.vue')), meta: { title: 'office.coverage.title' } },
  { path: 'inbox', component: lazy(() => import('./OfficeInboxView.vue')), meta: { title: 'office.inbox.title' } },
  { path: 'creation/dashboard', component: lazy(() => import('./creation/DashboardView.vue')), meta: { title: 'office.creation.dashboard.title' } },
  { path: 'creation/items', component: lazy(() => import('./creation/ItemsView.vue')), meta: { title: 'office.creation.items.title' } },
  { path: 'creation/evidence', component: lazy(() => import('./creation/EvidenceView.vue')), meta: { title: 'office.creation.evidence.title' } },
  { path: 'creation/scoring', component: lazy(() => import('./creation/ScoringView.vue')), meta: { title: 'office.creation.scoring.title' } },
  { path: 'creation/standard', component: lazy(() => import('./creation/StandardView.vue')), meta: { title: 'office.creation.standard.title' } },
  { path: 'creation/units', component: lazy(() => import('./creation/UnitsView.vue')), meta: { title: 'office.creation.units.title' } },
]

export const officeRoutes: RouteRecordRaw[] = [
  {
    path: '/office',
    component: layout(() => import('./OfficeLayout.vue')),
    beforeEnter: guard,
    meta: { office: true },
    children: [...pages, ...admin.adminRoutes].map(withGuard),
  },
]
