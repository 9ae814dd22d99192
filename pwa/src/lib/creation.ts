/**
 * The creation campaign (创建攻坚) as a liaison's phone shows it: which items are overdue or due soon, the order
 * of the task list, the evidence an inspection becomes, and where a role may go. Plain functions over the pulled
 * records (no Dexie, no Vue); days are the county's (Asia/Shanghai) calendar days, as the server's deadlines.
 */
import type { CreationItem, Evidence, Rectification } from '../db/types'
import { localDate } from './format'

/** Days before a deadline from which an item counts as due soon (the server's reminder goes 3 days before). */
export const DUE_SOON_DAYS = 3

export type Urgency = 'overdue' | 'soon' | 'later' | 'none' | 'finished'

const DAY_MS = 86_400_000

/** Whole days from `today` to `day` (both YYYY-MM-DD): negative when `day` is past. */
export function daysUntil(day: string, today: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${today}T00:00:00Z`)) / DAY_MS)
}

/** How pressing a deadline is for a record not yet finished (`finished`: done items, closed 整改). */
export function urgencyOf(deadline: string | null | undefined, finished: boolean, today = localDate()): Urgency {
  if (finished) return 'finished'
  if (!deadline) return 'none'
  const left = daysUntil(deadline, today)
  if (left < 0) return 'overdue'
  return left <= DUE_SOON_DAYS ? 'soon' : 'later'
}

export const itemUrgency = (item: Pick<CreationItem, 'deadline' | 'status'>, today = localDate()): Urgency =>
  urgencyOf(item.deadline, item.status === 'done', today)

export const rectificationUrgency = (r: Pick<Rectification, 'deadline' | 'status'>, today = localDate()): Urgency =>
  urgencyOf(r.deadline, r.status === 'done', today)

const URGENCY_ORDER: Record<Urgency, number> = { overdue: 0, soon: 1, later: 2, none: 3, finished: 4 }

/** Compare item numbers as the standard prints them: 1.2 before 1.10, 2 after 1.9. */
export function compareNumbers(a: string, b: string): number {
  const pa = a.split(/[.\-．]/).map((p) => Number.parseInt(p, 10))
  const pb = b.split(/[.\-．]/).map((p) => Number.parseInt(p, 10))
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? -1
    const y = pb[i] ?? -1
    if (Number.isNaN(x) || Number.isNaN(y)) return a.localeCompare(b)
    if (x !== y) return x - y
  }
  return 0
}

/** The task list: overdue first, then due soon, later, without a deadline, finished; by deadline, then number. */
export function sortTasks<T extends Pick<CreationItem, 'deadline' | 'status' | 'number'>>(items: T[], today = localDate()): T[] {
  const keyed = items.map((item) => ({ item, urgency: URGENCY_ORDER[itemUrgency(item, today)] }))
  keyed.sort((a, b) => a.urgency - b.urgency
    || (a.item.deadline ?? '9999').localeCompare(b.item.deadline ?? '9999')
    || compareNumbers(a.item.number, b.item.number))
  return keyed.map((k) => k.item)
}

/** Open 整改 first, by deadline; closed ones after, newest first. */
export function sortRectifications<T extends Pick<Rectification, 'deadline' | 'status' | 'created_at'>>(rows: T[]): T[] {
  const open = rows.filter((r) => r.status !== 'done').sort((a, b) => a.deadline.localeCompare(b.deadline))
  const done = rows.filter((r) => r.status === 'done').sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))
  return [...open, ...done]
}

/** Evidence newest first (a piece made on this device has its `taken_at` or no `created_at` yet: it leads). */
export function sortEvidence<T extends Pick<Evidence, 'created_at' | 'taken_at'>>(rows: T[]): T[] {
  const at = (e: T) => e.created_at ?? e.taken_at ?? '\uffff'
  return [...rows].sort((a, b) => at(b).localeCompare(at(a)))
}

export interface InspectionInput {
  item_id: string
  title: string
  note: string
  photos: string[]
  location: Evidence['location']
  taken_at: string
}

export type EvidenceInput = Pick<Evidence, 'id' | 'item_id' | 'sha256' | 'title' | 'note' | 'location' | 'taken_at'>

/**
 * An inspection (one title, several photos) as the server keeps evidence: one piece per file. With more than one
 * photo each title says which it is (「…（1/2）」), so the office's review queue tells them apart.
 */
export function inspectionEvidence(input: InspectionInput, newId: () => string): EvidenceInput[] {
  const title = input.title.trim()
  const note = input.note.trim() || null
  const n = input.photos.length
  return input.photos.map((sha256, i) => ({
    id: newId(), item_id: input.item_id, sha256, note, location: input.location, taken_at: input.taken_at,
    title: n > 1 ? `${title}（${i + 1}/${n}）` : title,
  }))
}

/** Paths of the field app a liaison may open: their tasks, the outbox, the inbox, settings. Never recipients. */
const LIAISON_PATHS = ['/creation', '/outbox', '/inbox', '/settings', '/login', '/password', '/office']

export const LIAISON_HOME = '/creation'

/**
 * Where a route guard sends a role going to `path`: null to let it through. A liaison sees their unit's tasks
 * and nothing of the visit work; nobody else has tasks on the phone.
 */
export function redirectForRole(role: string | null | undefined, path: string): string | null {
  const under = (prefix: string) => path === prefix || path.startsWith(`${prefix}/`)
  if (role === 'liaison') return LIAISON_PATHS.some(under) ? null : LIAISON_HOME
  return under('/creation') ? '/' : null
}
