/** While an admin page is open, a 401 from its requests sends the user to log in again and back here. */
import { getCurrentInstance, onBeforeUnmount } from 'vue'
import type { Router } from 'vue-router'
import { onAdminUnauthorized } from './api'

export function useLoginOnExpiry(): void {
  // The router from the app, without inject warnings when a page is mounted alone (component tests).
  const router = getCurrentInstance()?.appContext.config.globalProperties.$router as Router | undefined
  if (!router) return
  const off = onAdminUnauthorized(() => {
    const here = router.currentRoute.value
    if (here.path !== '/login') void router.push({ path: '/login', query: { expired: '1', next: here.fullPath } })
  })
  onBeforeUnmount(off)
}
