/** Admin pages of the office console (import, report, accounts, areas, audit log, own password), children of /office. */
import type { RouteComponent, RouteLocationNormalized, RouteLocationRaw, RouteRecordRaw, Router } from 'vue-router'
import { session } from '../../composables/useApp'
import { setSession } from '../../db/meta'
import { errorHooks } from '../../lib/http'
import type { Role } from './api'
import { loadAdminMessages } from './i18n'

export { loadAdminMessages } from './i18n'

const OFFICE: Role[] = ['reviewer', 'admin']
const ADMIN: Role[] = ['admin']
const ANY: Role[] = ['staff', 'reviewer', 'admin']

/** A lazy page whose messages are merged before it renders (no flash of raw keys). */
function page(load: () => Promise<{ default: RouteComponent }>): () => Promise<RouteComponent> {
  return async () => (await Promise.all([load(), loadAdminMessages()]))[0].default
}

/** The own-password page, for the office and for the field app's router (`/password`). */
export const ChangePasswordView = page(() => import('./ChangePasswordView.vue'))

/** The field app's own-password route (staff cannot open /office): `...` it into pwa/src/router.ts's routes. */
const passwordRoute: RouteRecordRaw = {
  path: '/password', component: ChangePasswordView, meta: { title: 'admin.password.title' },
}

/**
 * A router guard for `router.beforeEach`: a user whose password must change (after an admin's reset, or when it
 * expired) is sent to the password page first. Only online: a phone in a village without signal keeps working.
 */
export function passwordGuard(to: RouteLocationNormalized): true | RouteLocationRaw {
  const user = session.value?.user as { must_change_password?: boolean } | undefined
  if (!user?.must_change_password || session.value?.expired || to.meta.public) return true
  if (typeof navigator !== 'undefined' && !navigator.onLine) return true
  if (to.path === '/password' || to.path === '/office/password') return true
  return { path: to.path.startsWith('/office') ? '/office/password' : '/password', query: { next: to.fullPath } }
}

/**
 * The field router's hook: add `/password` and ask for a new password when the server says it must change — at
 * login (`must_change_password`), or when any request answers 403 `password_change_required` (a password that
 * expired, or an admin's reset, while this session was open): the session is marked and the page opens at once.
 */
export function installPasswordCheck(router: Router): void {
  if (router.hasRoute('own-password')) return
  router.addRoute({ ...passwordRoute, name: 'own-password' })
  router.beforeEach(passwordGuard)
  errorHooks.add(async (e) => {
    const current = session.value
    if (e.code !== 'password_change_required' || !current) return
    const marked = { ...current, user: { ...current.user, must_change_password: true } }
    session.value = marked
    await setSession(marked)
    const target = passwordGuard(router.currentRoute.value)
    if (target !== true) await router.replace(target)
  })
}

export const adminRoutes: RouteRecordRaw[] = [
  { path: 'import', component: page(() => import('./RosterImportView.vue')), meta: { title: 'admin.import.title', roles: OFFICE } },
  { path: 'outbox-file', component: page(() => import('./OutboxFileView.vue')), meta: { title: 'admin.outboxFile.title', roles: OFFICE } },
  { path: 'report', component: page(() => import('./WeeklyReportView.vue')), meta: { title: 'admin.report.title', roles: OFFICE } },
  { path: 'accounts', component: page(() => import('./AccountsView.vue')), meta: { title: 'admin.accounts.title', roles: ADMIN } },
  { path: 'areas', component: page(() => import('./AreasView.vue')), meta: { title: 'admin.areas.title', roles: ADMIN } },
  { path: 'audit', component: page(() => import('./AuditLogView.vue')), meta: { title: 'admin.audit.title', roles: ADMIN } },
  { path: 'password', component: page(() => import('./OfficePasswordView.vue')), meta: { title: 'admin.password.title', roles: ANY } },
]
