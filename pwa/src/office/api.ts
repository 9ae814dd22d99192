/** The office console's endpoints (visits, review, difficulties, campaigns, coverage, areas) on the request core. No Vue here. */
import { createClient } from '../api/client'
import type { FormQuery, JsonAnswer, JsonBody, QueryParams } from '../api/types'
import { getSession } from '../db/meta'
import { createHttp } from '../lib/http'

const unauthorizedListeners = new Set<() => void>()
/** Called when an office request answers 401 (the layout sends the user to log in again). */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn)
  return () => unauthorizedListeners.delete(fn)
}

/** Online only, no timeout; the CSRF token is the stored session's, read at each write. */
const http = createHttp({
  getCsrfToken: async () => (await getSession())?.csrf_token,
  onUnauthorized: () => unauthorizedListeners.forEach((fn) => fn()),
})
const api = createClient(http)
/** The same request core for the console's other endpoint tables (creation/api.ts). */
export { http as officeHttp, api as officeClient }

/*
 * The wire shapes, by the names the views use: each is what its endpoint answers or takes in the server's OpenAPI
 * document (src/api/schema.d.ts), picked by path rather than by schema name, so it follows the endpoint.
 */
export type Area = JsonAnswer<'/api/areas', 'get'>['items'][number]
/** The levels an area is created at (Area.level is any string in the document). */
export type AreaLevel = JsonBody<'/api/admin/areas', 'post'>['level']
/** A user in the caller's scope, for the assignee and author pickers. */
export type Colleague = JsonAnswer<'/api/users', 'get'>['items'][number]
/** A row of the visits list: the visit and the names of its recipient, author, village and township. */
export type OfficeVisit = JsonAnswer<'/api/visits', 'get'>['items'][number]
export type VisitStatus = OfficeVisit['status']
/** A visit with its recipient (ID number masked), names and the difficulties found on it. */
export type VisitDetail = JsonAnswer<'/api/visits/{visit_id}', 'get'>
export type OfficeRecipient = VisitDetail['recipient']
/** A row of the difficulties board. */
export type Difficulty = JsonAnswer<'/api/difficulties', 'get'>['items'][number]
/** A difficulty with its follow-ups. */
export type DifficultyDetail = JsonAnswer<'/api/difficulties/{difficulty_id}', 'get'>
export type FollowUp = DifficultyDetail['follow_ups'][number]
export type DifficultyPatch = JsonBody<'/api/difficulties/{difficulty_id}', 'patch'>
export type Campaign = JsonAnswer<'/api/campaigns', 'get'>['items'][number]
export type CampaignCreate = JsonBody<'/api/campaigns', 'post'>
export type Coverage = JsonAnswer<'/api/campaigns/{campaign_id}/coverage', 'get'>
export type CoverageRow = Coverage['townships'][number]['villages'][number]
export type ReviewDecision = JsonBody<'/api/visits/{visit_id}/review', 'post'>['decision']

/** The visits list's filters as the page holds them (null or '' = not chosen). */
export type VisitFilters = FormQuery<QueryParams<'/api/visits', 'get'>>
/** The board's filters as the page holds them (null or '' = not chosen). */
export type BoardFilters = FormQuery<QueryParams<'/api/difficulties', 'get'>>

export const officeApi = {
  areas: () => api.get('/api/areas'),
  colleagues: (query: FormQuery<QueryParams<'/api/users', 'get'>> = {}) => api.get('/api/users', { query }),
  visits: (query: VisitFilters) => api.get('/api/visits', { query }),
  visit: (id: string) => api.get('/api/visits/{visit_id}', { path: { visit_id: id } }),
  review: (id: string, decision: ReviewDecision, comment: string | null) =>
    api.post('/api/visits/{visit_id}/review', { path: { visit_id: id }, body: { decision, comment } }),
  revealIdNumber: (recipientId: string) =>
    api.get('/api/recipients/{recipient_id}/id-number', { path: { recipient_id: recipientId } }),
  difficulties: (query: BoardFilters) => api.get('/api/difficulties', { query }),
  difficulty: (id: string) => api.get('/api/difficulties/{difficulty_id}', { path: { difficulty_id: id } }),
  patchDifficulty: (id: string, patch: DifficultyPatch) =>
    api.patch('/api/difficulties/{difficulty_id}', { path: { difficulty_id: id }, body: patch }),
  campaigns: () => api.get('/api/campaigns'),
  createCampaign: (body: CampaignCreate) => api.post('/api/campaigns', { body }),
  coverage: (id: string) => api.get('/api/campaigns/{campaign_id}/coverage', { path: { campaign_id: id } }),
}

export const attachmentUrl = (sha: string) => api.url('/api/attachments/{sha256}', { path: { sha256: sha } })
export const archiveUrl = (recipientId: string) =>
  api.url('/api/recipients/{recipient_id}/archive.html', { path: { recipient_id: recipientId } })
/** Papers the browser downloads itself (a plain link: a township's ZIP streams to disk, never into a blob). */
export const archivePdfUrl = (recipientId: string) =>
  api.url('/api/recipients/{recipient_id}/archive.pdf', { path: { recipient_id: recipientId } })
export const archiveZipUrl = (areaId: number) => api.url('/api/reports/archive.zip', { query: { area: areaId } })
export const notVisitedUrl = (campaignId: string) =>
  api.url('/api/campaigns/{campaign_id}/not-visited.xlsx', { path: { campaign_id: campaignId } })
