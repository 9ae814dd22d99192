/** The creation campaign's endpoints (创建攻坚) for the console, on the office request core. No Vue here. */
import type { FormQuery, JsonAnswer, JsonBody, QueryParams } from '../../api/types'
import { officeClient as api, officeHttp } from '../api'
import { fetchFile, uploadForm } from '../admin/api'

/*
 * The wire shapes, by the names the pages use, picked by endpoint from the server's OpenAPI document.
 */
export type Standard = JsonAnswer<'/api/creation/standard', 'get'>
export type StandardCategory = Standard['categories'][number]
export type StandardItem = StandardCategory['items'][number]
export type StandardCreate = JsonBody<'/api/creation/standards', 'post'>
export type StandardChanges = NonNullable<Standard['changes']>
export type ChangedItem = StandardChanges['changed'][number]
export type StandardVersion = JsonAnswer<'/api/creation/standards', 'get'>['items'][number]
export type ItemHistory = JsonAnswer<'/api/creation/history/items/{item_id}', 'get'>
export type Unit = JsonAnswer<'/api/creation/units', 'get'>['items'][number]
export type UnitCreate = JsonBody<'/api/creation/units', 'post'>
export type UnitPatch = JsonBody<'/api/creation/units/{unit_id}', 'patch'>
export type UnitKind = Unit['kind']
export type Item = JsonAnswer<'/api/creation/items', 'get'>['items'][number]
export type ItemStatus = Item['status']
export type ItemDetail = JsonAnswer<'/api/creation/items/{item_id}', 'get'>
export type ItemPatch = JsonBody<'/api/creation/items/{item_id}', 'patch'>
export type ItemFilters = FormQuery<QueryParams<'/api/creation/items', 'get'>>
export type Evidence = JsonAnswer<'/api/creation/evidence', 'get'>['items'][number]
export type EvidenceStatus = Evidence['status']
export type EvidenceFilters = FormQuery<QueryParams<'/api/creation/evidence', 'get'>>
export type ReviewDecision = JsonBody<'/api/creation/evidence/{evidence_id}/review', 'post'>['decision']
export type Rectification = JsonAnswer<'/api/creation/rectifications', 'get'>['items'][number]
export type RectificationCreate = JsonBody<'/api/creation/rectifications', 'post'>
export type RectificationFilters = FormQuery<QueryParams<'/api/creation/rectifications', 'get'>>
export type Dashboard = JsonAnswer<'/api/creation/dashboard', 'get'>
export type Meeting = JsonAnswer<'/api/creation/meeting', 'get'>
export type StandardImport = JsonAnswer<'/api/creation/standards/import', 'post'>
export type ResponsibilityImport = JsonAnswer<'/api/creation/responsibility/import', 'post'>
export type ImportRow = StandardImport['rows'][number]

export const ITEM_STATUSES: ItemStatus[] = ['not_started', 'in_progress', 'pending_review', 'done', 'needs_fix']
export const EVIDENCE_STATUSES: EvidenceStatus[] = ['submitted', 'accepted', 'returned']
export const UNIT_KINDS: UnitKind[] = ['department', 'township', 'armed_forces', 'garrison', 'other']

const file = (path: string, fallback: string) => fetchFile(officeHttp, path, fallback)

export const creationApi = {
  standard: () => api.get('/api/creation/standard'),
  createStandard: (body: StandardCreate) => api.post('/api/creation/standards', { body }),
  standardVersions: () => api.get('/api/creation/standards'),
  standardVersion: (version: number) => api.get('/api/creation/standards/{version}', { path: { version } }),
  itemHistory: (id: string) => api.get('/api/creation/history/items/{item_id}', { path: { item_id: id } }),
  importStandard: (f: File, dryRun: boolean) =>
    api.post('/api/creation/standards/import', { query: { dry_run: dryRun }, body: uploadForm(f, f.name) }),
  importResponsibility: (f: File, dryRun: boolean) =>
    api.post('/api/creation/responsibility/import', { query: { dry_run: dryRun }, body: uploadForm(f, f.name) }),
  units: () => api.get('/api/creation/units'),
  createUnit: (body: UnitCreate) => api.post('/api/creation/units', { body }),
  patchUnit: (id: number, body: UnitPatch) => api.patch('/api/creation/units/{unit_id}', { path: { unit_id: id }, body }),
  items: (query: ItemFilters = {}) => api.get('/api/creation/items', { query }),
  item: (id: string) => api.get('/api/creation/items/{item_id}', { path: { item_id: id } }),
  patchItem: (id: string, body: ItemPatch) => api.patch('/api/creation/items/{item_id}', { path: { item_id: id }, body }),
  evidence: (query: EvidenceFilters = {}) => api.get('/api/creation/evidence', { query }),
  review: (id: string, decision: ReviewDecision, comment: string | null) =>
    api.post('/api/creation/evidence/{evidence_id}/review', { path: { evidence_id: id }, body: { decision, comment } }),
  rectifications: (query: RectificationFilters = {}) => api.get('/api/creation/rectifications', { query }),
  createRectification: (body: RectificationCreate) => api.post('/api/creation/rectifications', { body }),
  closeRectification: (id: string) =>
    api.post('/api/creation/rectifications/{rectification_id}/close', { path: { rectification_id: id } }),
  dashboard: () => api.get('/api/creation/dashboard'),
  meeting: () => api.get('/api/creation/meeting'),
  standardWorkbook: () => file(api.url('/api/creation/standard.xlsx'), 'standard.xlsx'),
  responsibilityWorkbook: () => file(api.url('/api/creation/responsibility.xlsx'), 'responsibility.xlsx'),
  briefing: (week?: string) =>
    file(api.url('/api/creation/briefing.docx', { query: week ? { week } : {} }), 'briefing.docx'),
  archive: () => file(api.url('/api/creation/archive.zip'), 'archive.zip'),
}
