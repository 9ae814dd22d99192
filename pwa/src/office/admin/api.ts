/** The admin pages' endpoints (import, report, accounts, areas, audit, own password) on the request core. No Vue here. */
import { createClient } from '../../api/client'
import type { FormQuery, JsonAnswer, JsonBody, QueryParams } from '../../api/types'
import { getSession } from '../../db/meta'
import { createHttp, type CsrfTokenSource, type Http } from '../../lib/http'

export type Role = UserCreate['role']
export const ROLES: Role[] = ['staff', 'reviewer', 'admin', 'liaison']

/*
 * The wire shapes, by the names the pages use: each is what its endpoint answers or takes in the server's OpenAPI
 * document (src/api/schema.d.ts), picked by path rather than by schema name, so it follows the endpoint.
 */
/** The roster import's answer, and one row of it. */
export type ImportAnswer = JsonAnswer<'/api/recipients/import', 'post'>
export type ImportRow = ImportAnswer['rows'][number]
export type ImportWarning = NonNullable<ImportRow['warnings']>[number]
/** The area CSV import's answer (a dry run's too). */
export type AreaImportAnswer = JsonAnswer<'/api/admin/areas/import', 'post'>
/** What a phone's exported outbox file holds, and what loading it answered. */
export type OutboxFileAnswer = JsonAnswer<'/api/outbox-files/import', 'post'>
/** An account as the admin pages show it. */
export type Job = JsonAnswer<'/api/jobs/{job_id}', 'get'>
export type AdminUser = JsonAnswer<'/api/admin/users', 'get'>['items'][number]
export type UserCreate = JsonBody<'/api/admin/users', 'post'>
export type UserUpdate = JsonBody<'/api/admin/users/{user_id}', 'patch'>
export type AreaCreate = JsonBody<'/api/admin/areas', 'post'>
export type AuditRow = JsonAnswer<'/api/admin/audit', 'get'>['items'][number]

/** The accounts list's filters as the page holds them (null or '' = not chosen). */
export type UserFilters = FormQuery<QueryParams<'/api/admin/users', 'get'>>
/** The audit log's filters as the page holds them (null or '' = not chosen). */
export type AuditFilters = FormQuery<QueryParams<'/api/admin/audit', 'get'>>

export interface AdminApiOptions {
  fetch?: typeof fetch
  getCsrfToken?: CsrfTokenSource
  /** Imports of 20,000 rows take tens of seconds: the default waits two minutes before giving up. */
  timeoutMs?: number
}

/** The file name of a Content-Disposition header (RFC 6266: filename* wins), or the fallback. */
export function dispositionFilename(header: string | null, fallback: string): string {
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

/** GET a file (any type) through `http` and read its name from Content-Disposition. */
export async function fetchFile(http: Pick<Http, 'send'>, path: string, fallbackName: string, body?: FormData): Promise<Download> {
  const res = await http.send(body ? 'POST' : 'GET', path, body, '*/*')
  return { blob: await res.blob(), filename: dispositionFilename(res.headers.get('Content-Disposition'), fallbackName) }
}

/** A multipart body with the one `file` field the import endpoints read. */
export function uploadForm(file: File | Blob, name?: string): FormData {
  const form = new FormData()
  if (name) form.append('file', file, name)
  else form.append('file', file)
  return form
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
  const api = createClient(http)
  const download = (path: string, fallbackName: string) => fetchFile(http, path, fallbackName)
  const upload = uploadForm

  return {
    importTemplate: () => download(api.url('/api/recipients/import-template.xlsx'), 'import-template.xlsx'),
    importRoster: (file: File, dryRun: boolean, skipRows: number[] = []) =>
      api.post('/api/recipients/import', {
        query: skipRows.length ? { dry_run: dryRun, skip_rows: skipRows } : { dry_run: dryRun },
        body: upload(file, file.name),
      }),
    /** The dry run's rows with errors or warnings as a workbook, bad cells marked. */
    importProblems: (file: File): Promise<Download> =>
      fetchFile(http, '/api/recipients/import-problems.xlsx', 'import-problems.xlsx', upload(file, file.name)),
    loadOutboxFile: (file: File, dryRun: boolean) =>
      api.post('/api/outbox-files/import', { query: { dry_run: dryRun }, body: upload(file, file.name) }),
    weeklyReport: (from: string, to: string) =>
      download(api.url('/api/reports/weekly.xlsx', { query: { from, to } }), `weekly-${from}-${to}.xlsx`),
    /** The same workbook as a job the dispatcher builds (no request timeout), followed with `job`. */
    queueWeeklyReport: (from: string, to: string) =>
      api.post('/api/jobs', { body: { kind: 'weekly_xlsx', params: { from, to } } }),
    job: (id: string) => api.get('/api/jobs/{job_id}', { path: { job_id: id } }),
    jobFile: (job: Job, fallbackName: string) => download(job.download_url ?? '', fallbackName),

    listUsers: (query: UserFilters) => api.get('/api/admin/users', { query }),
    createUser: (body: UserCreate) => api.post('/api/admin/users', { body }),
    updateUser: (id: number, patch: UserUpdate) =>
      api.patch('/api/admin/users/{user_id}', { path: { user_id: id }, body: patch }),
    resetPassword: (id: number, password: string) =>
      api.post('/api/admin/users/{user_id}/reset-password', { path: { user_id: id }, body: { password } }),
    revokeSessions: (id: number) => api.post('/api/admin/users/{user_id}/revoke-sessions', { path: { user_id: id } }),

    createArea: (body: AreaCreate) => api.post('/api/admin/areas', { body }),
    importAreas: (file: File, dryRun = false) =>
      api.post('/api/admin/areas/import', { query: { dry_run: dryRun }, body: upload(file, file.name) }),

    listAudit: (query: AuditFilters) => api.get('/api/admin/audit', { query }),

    changePassword: async (current_password: string, new_password: string) => {
      await api.post('/api/auth/password', { body: { current_password, new_password } })
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
