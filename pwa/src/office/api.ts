/** The office console's endpoints (visits, review, difficulties, campaigns, coverage, areas) on the request core. No Vue here. */
import { getSession } from '../db/meta'
import { createHttp, queryString, type Query } from '../lib/http'

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
const request = http.json

export interface Page<T> {
  items: T[]
  total: number
  page: number
  per_page: number
}

export interface Area {
  id: number
  code: string
  name: string
  level: 'county' | 'township' | 'village' | string
  parent_id: number | null
}

export interface Colleague {
  id: number
  display_name: string
  role: 'staff' | 'reviewer' | 'admin'
  area_id: number
  area_name: string | null
}

export type VisitStatus = 'submitted' | 'returned' | 'approved'

export interface OfficeVisit {
  id: string
  recipient_id: string
  author_id: number
  area_id: number
  visited_at: string
  kind: string
  occasion: string | null
  participants: string | null
  gifts: string | null
  cash_cents: number | null
  notes: string | null
  location: { lat: number; lng: number; accuracy_m?: number | null } | null
  photos: string[]
  signature: string | null
  no_signature_reason: string | null
  status: VisitStatus
  review_comment: string | null
  version: number
  recipient_name?: string
  author_name?: string | null
  village_name?: string | null
  township_name?: string | null
}

export interface OfficeRecipient {
  id: string
  name: string
  gender: string | null
  id_number: string | null
  phone: string | null
  address: string | null
  area_id: number
  category: string
  tags: string[]
  notes: string | null
}

export interface Difficulty {
  id: string
  recipient_id: string
  visit_id: string | null
  author_id: number
  area_id: number
  category: string
  description: string
  urgency: 'normal' | 'urgent'
  status: 'open' | 'in_progress' | 'resolved'
  assignee_id: number | null
  responsible_unit: string | null
  due_date: string | null
  follow_up_at: string | null
  resolved_at: string | null
  created_at: string | null
  version: number
  recipient_name?: string
  village_name?: string
  assignee_name?: string | null
  overdue?: boolean
}

export interface FollowUp {
  id: string
  difficulty_id: string
  author_id: number
  at: string
  note: string | null
  status: string | null
  next_follow_up_at: string | null
}

export interface VisitDetail extends OfficeVisit {
  reviewed_at: string | null
  recipient: OfficeRecipient
  difficulties: Difficulty[]
}

export interface DifficultyDetail extends Difficulty {
  follow_ups: FollowUp[]
}

export interface Campaign {
  id: string
  name: string
  starts_on: string
  ends_on: string
  categories: string[]
  area_id: number
}

export interface CoverageRow {
  id: number
  name: string
  targets: number
  visited: number
  rate: number | null
}

export interface Coverage {
  campaign: Omit<Campaign, 'area_id'>
  totals: { targets: number; visited: number; rate: number | null }
  townships: (CoverageRow & { villages: CoverageRow[] })[]
  not_visited: { id: string; name: string; area_id: number; village_name: string }[]
  visits_per_week: { week: string; visits: number }[]
  difficulties: { opened: number; resolved: number; mean_days_to_resolve: number | null }
}

export interface VisitFilters extends Query {
  area?: number | null
  from?: string
  to?: string
  kind?: string
  status?: string
  q?: string
  author_id?: number | null
  recipient_id?: string
  page?: number
  per_page?: number
}

export interface BoardFilters extends Query {
  status?: string
  overdue?: boolean
  area?: number | null
  category?: string
  urgency?: string
  assignee_id?: number | null
  page?: number
  per_page?: number
}

export interface DifficultyPatch {
  assignee_id?: number | null
  responsible_unit?: string | null
  due_date?: string | null
  status?: Difficulty['status']
  version?: number
}

export const officeApi = {
  areas: () => request<{ items: Area[] }>('GET', '/api/areas'),
  colleagues: (q: Query = {}) => request<{ items: Colleague[] }>('GET', `/api/users${queryString(q)}`),
  visits: (f: VisitFilters) => request<Page<OfficeVisit>>('GET', `/api/visits${queryString(f)}`),
  visit: (id: string) => request<VisitDetail>('GET', `/api/visits/${encodeURIComponent(id)}`),
  review: (id: string, decision: 'approve' | 'return', comment: string | null) =>
    request<unknown>('POST', `/api/visits/${encodeURIComponent(id)}/review`, { decision, comment }),
  revealIdNumber: (recipientId: string) =>
    request<{ id_number: string }>('GET', `/api/recipients/${encodeURIComponent(recipientId)}/id-number`),
  difficulties: (f: BoardFilters) => request<Page<Difficulty>>('GET', `/api/difficulties${queryString(f)}`),
  difficulty: (id: string) => request<DifficultyDetail>('GET', `/api/difficulties/${encodeURIComponent(id)}`),
  patchDifficulty: (id: string, patch: DifficultyPatch) =>
    request<DifficultyDetail>('PATCH', `/api/difficulties/${encodeURIComponent(id)}`, patch),
  campaigns: () => request<{ items: Campaign[] }>('GET', '/api/campaigns'),
  createCampaign: (body: { name: string; starts_on: string; ends_on: string; categories: string[]; area_id?: number | null }) =>
    request<Campaign>('POST', '/api/campaigns', body),
  coverage: (id: string) => request<Coverage>('GET', `/api/campaigns/${encodeURIComponent(id)}/coverage`),
}

export const attachmentUrl = (sha: string) => `/api/attachments/${sha}`
export const archiveUrl = (recipientId: string) => `/api/recipients/${encodeURIComponent(recipientId)}/archive.html`
