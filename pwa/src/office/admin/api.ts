/** The admin pages' endpoints (import, report, accounts, areas, audit, own password) on the request core. No Vue here. */
import { getSession } from '../../db/meta'
import { createHttp, queryString, type CsrfTokenSource } from '../../lib/http'
import type { Area } from '../api'

export type Role = 'staff' | 'reviewer' | 'admin'
export const ROLES: Role[] = ['staff', 'reviewer', 'admin']

export interface ImportRow {
  row: number
  ok: boolean
  action?: 'create' | 'update' | 'unchanged' | string
  errors?: Record<string, string[]>
}

export interface ImportAnswer {
  dry_run: boolean
  valid: number
  invalid: number
  created?: number
  updated?: number
  unchanged?: number
  rows: ImportRow[]
}

export interface AdminUser {
  id: number
  username: string
  display_name: string
  role: Role
  area_id: number
  area_name: string | null
  active: boolean
  must_change_password: boolean
  locked: boolean
  created_at: string
}

export interface Page<T> {
  items: T[]
  total: number
  page?: number
  per_page?: number
}

export interface AuditRow {
  id: number
  at: string
  user_id: number | null
  username: string | null
  display_name: string | null
  action: string
  entity_type: string | null
  entity_id: string | null
  device_id: string | null
  ip: string | null
  details: unknown
}

export interface UserFilters {
  q?: string
  role?: string
  area?: number | string | null
  active?: 'true' | 'false' | ''
  page?: number
}

export interface AuditFilters {
  user_id?: string | number | null
  action?: string
  entity_type?: string
  entity_id?: string
  device_id?: string
  from?: string
  to?: string
  page?: number
}

export interface AdminApiOptions {
  fetch?: typeof fetch
  getCsrfToken?: CsrfTokenSource
  /** Imports of 20,000 rows take tens of seconds: the default waits two minutes before giving up. */
  timeoutMs?: number
}

/** The file name of a Content-Disposition header (RFC 6266: filename* wins), or the fallback. */
function dispositionFilename(header: string | null, fallback: string): string {
  if (!header) return fallback
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header)
  if (star) {
    try {
      return decodeURIComponent(star[1].trim())
    } catch {
      /* fall through to the plain name */
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/.exec(header)
  return plain ? plain[1].trim() : fallback
}

export interface Download {
  blob: Blob
  filename: string
}

const unauthorizedListeners = new Set<() => void>()

/** Called when an admin request answers 401 (the page sends the user to log in again). */
export function onAdminUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn)
  return () => unauthorizedListeners.delete(fn)
}

export function createAdminApi(opts: AdminApiOptions = {}) {
  const http = createHttp({
    fetch: opts.fetch,
    getCsrfToken: opts.getCsrfToken ?? (async () => (await getSession())?.csrf_token),
    timeoutMs: opts.timeoutMs ?? 120_000,
    onUnauthorized: () => unauthorizedListeners.forEach((fn) => fn()),
  })
  const { json, send } = http

  async function download(path: string, fallbackName: string): Promise<Download> {
    const res = await send('GET', path, undefined, '*/*')
    return { blob: await res.blob(), filename: dispositionFilename(res.headers.get('Content-Disposition'), fallbackName) }
  }

  function upload(file: File | Blob, name?: string): FormData {
    const form = new FormData()
    if (name) form.append('file', file, name)
    else form.append('file', file)
    return form
  }

  return {
    importTemplate: () => download('/api/recipients/import-template.xlsx', 'import-template.xlsx'),
    importRoster: (file: File, dryRun: boolean) =>
      json<ImportAnswer>('POST', `/api/recipients/import${dryRun ? '?dry_run=1' : ''}`, upload(file, file.name)),
    weeklyReport: (from: string, to: string) =>
      download(`/api/reports/weekly.xlsx${queryString({ from, to })}`, `weekly-${from}-${to}.xlsx`),

    listUsers: (f: UserFilters) => json<Page<AdminUser>>('GET', `/api/admin/users${queryString({ ...f })}`),
    createUser: (body: { username: string; display_name: string; role: Role; area_id: number; password: string }) =>
      json<AdminUser>('POST', '/api/admin/users', body),
    updateUser: (id: number, patch: Partial<Pick<AdminUser, 'display_name' | 'role' | 'area_id' | 'active'>>) =>
      json<AdminUser>('PATCH', `/api/admin/users/${id}`, patch),
    resetPassword: (id: number, password: string) =>
      json<AdminUser>('POST', `/api/admin/users/${id}/reset-password`, { password }),
    revokeSessions: (id: number) => json<{ revoked: number }>('POST', `/api/admin/users/${id}/revoke-sessions`, {}),

    createArea: (body: { code: string; name: string; level: string; parent_id: number | null }) =>
      json<Area>('POST', '/api/admin/areas', body),
    importAreas: (file: File) =>
      json<{ created: number; errors: { row: number; errors: Record<string, string[]> }[] }>(
        'POST', '/api/admin/areas/import', upload(file, file.name)),

    listAudit: (f: AuditFilters) => json<Page<AuditRow>>('GET', `/api/admin/audit${queryString({ ...f })}`),

    changePassword: async (current_password: string, new_password: string) => {
      await send('POST', '/api/auth/password', { current_password, new_password })
    },
  }
}

export type AdminApi = ReturnType<typeof createAdminApi>

let instance: AdminApi | null = null

/** The pages' client; tests swap it with `setAdminApi(createAdminApi({ fetch }))`. */
export function adminApi(): AdminApi {
  return (instance ??= createAdminApi())
}

export function setAdminApi(next: AdminApi | null): void {
  instance = next
}

/** Hand a downloaded file to the browser (a temporary blob: link with `download`). */
export function saveFile({ blob, filename }: Download): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
