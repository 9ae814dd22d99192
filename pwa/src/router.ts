/** Routes (history mode, lazy views) and the login guard. */
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { loadSession, session, sessionLoaded, unlocked } from './composables/useApp'
import { officeRoutes } from './office/routes'
import { redirectForRole } from './lib/creation'

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { title: 'login.title', public: true } },
  { path: '/', component: () => import('./views/HomeView.vue'), meta: { title: 'nav.home', tab: true } },
  { path: '/recipients', component: () => import('./views/RecipientsView.vue'), meta: { title: 'nav.recipients', tab: true } },
  { path: '/recipients/new', component: () => import('./views/RecipientNewView.vue'), meta: { title: 'recipient.newTitle', form: true } },
  { path: '/recipients/:id', component: () => import('./views/RecipientView.vue'), meta: { title: 'recipient.title' } },
  { path: '/visits/new', component: () => import('./views/VisitEditView.vue'), meta: { title: 'visit.newTitle', form: true } },
  { path: '/visits/:id', component: () => import('./views/VisitView.vue'), meta: { title: 'visit.detailTitle' } },
  { path: '/visits/:id/edit', component: () => import('./views/VisitEditView.vue'), meta: { title: 'visit.editTitle', form: true } },
  { path: '/difficulties', component: () => import('./views/DifficultiesView.vue'), meta: { title: 'difficulties.title' } },
  { path: '/difficulties/new', component: () => import('./views/DifficultyNewView.vue'), meta: { title: 'difficulty.newTitle', form: true } },
  { path: '/difficulties/:id', component: () => import('./views/DifficultyView.vue'), meta: { title: 'difficulty.title' } },
  { path: '/outbox', component: () => import('./views/OutboxView.vue'), meta: { title: 'nav.outbox', tab: true } },
  { path: '/inbox', component: () => import('./views/InboxView.vue'), meta: { title: 'inbox.title', tab: true } },
  { path: '/settings', component: () => import('./views/SettingsView.vue'), meta: { title: 'nav.settings', tab: true } },
  // The creation campaign's field screens: a liaison's home and tasks (redirectForRole keeps other roles out).
  { path: '/creation', component: () => import('./views/CreationItemsView.vue'), meta: { title: 'creation.tasksTitle', tab: true } },
  { path: '/creation/items/:id', component: () => import('./views/CreationItemView.vue'), meta: { title: 'creation.itemTitle' } },
  { path: '/creation/items/:id/evidence/new', component: () => import('./views/CreationEvidenceNewView.vue'), meta: { title: 'creation.recordInspection', form: true } },
  { path: '/creation/rectifications/:id', component: () => import('./views/CreationRectificationView.vue'), meta: { title: 'creation.itemTitle' } },
  ...officeRoutes,
  { path: '/:pathMatch(.*)*', redirect: '/' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (!sessionLoaded.value) await loadSession()
  if (to.meta.public) return true
  // No session, or this page does not hold its key (a reload, the idle lock): the login screen unlocks. The office
  // console reads the server alone, never the phone's sealed records: a session is all it needs.
  if (!session.value || (!unlocked.value && !to.path.startsWith('/office'))) return { path: '/login', query: { next: to.fullPath } }
  // A liaison's phone shows their unit's tasks, never the visit work's screens (and only liaisons have tasks).
  const elsewhere = redirectForRole(session.value.user.role, to.path)
  return elsewhere ? { path: elsewhere, replace: true } : true
})
void import('./office/admin/routes').then((m) => m.installPasswordCheck(router)) // /password, asked for when it must change
