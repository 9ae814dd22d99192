/** Admin pages of the office console (import, accounts, areas, audit log), children of the office layout. */
import type { RouteRecordRaw } from 'vue-router'

export const adminRoutes: RouteRecordRaw[] = []
