/** The creation pages' rules that are not layout: the standard as a tree and as a new version, tones, the 督办
 * ranking, ISO weeks, previews. No Vue here (tests/office/creation.test.ts). */
import type { ChangedItem, Dashboard, Item, ItemStatus, Standard, StandardChanges, StandardCreate } from './api'

/** A row of the standard's tree table: a category (its items as children) or an item. */
export interface StandardRow {
  key: string
  kind: 'category' | 'item'
  categoryIndex: number
  itemIndex: number | null
  number: string
  content: string
  points: number
  rule: string | null
  evidence_required: string | null
  metric: string | null
  children?: StandardRow[]
}

export function standardRows(s: Pick<Standard, 'categories'>): StandardRow[] {
  return s.categories.map((c, ci) => ({
    key: `c${ci}`, kind: 'category', categoryIndex: ci, itemIndex: null, number: '', content: c.name,
    points: c.max_points, rule: null, evidence_required: null, metric: null,
    children: c.items.map((i, ii) => ({
      key: `c${ci}-${ii}`, kind: 'item', categoryIndex: ci, itemIndex: ii, number: i.number, content: i.content,
      points: i.points, rule: i.rule, evidence_required: i.evidence_required, metric: i.metric,
    })),
  }))
}

/** Round to the standard's two decimal places. */
export const points2 = (n: number): number => Math.round(n * 100) / 100

/** The sum of a category's items (its maximum, as the server checks when a version is saved). */
export const itemsSum = (items: { points: number }[]): number => points2(items.reduce((s, i) => s + i.points, 0))

/** A saved edit as the next version of the standard: each category's maximum is its items' sum; units, deadline
 * and milestones are left empty, so the server carries them over by number (new ids: the old version's rows stay). */
export function nextVersion(s: Standard): StandardCreate {
  return {
    name: s.name, target: s.target, period_start: s.period_start, period_end: s.period_end, carry_over: true,
    categories: s.categories.map((c) => ({
      name: c.name, max_points: itemsSum(c.items),
      items: c.items.map((i) => ({ id: null, number: i.number, content: i.content, points: i.points, rule: i.rule,
        evidence_required: i.evidence_required, metric: i.metric, lead_unit_id: null, deadline: null })),
    })),
  }
}

export type Tone = 'warning' | 'danger' | 'success' | 'info' | 'primary'
const TONES: Record<string, Tone> = {
  not_started: 'info', in_progress: 'primary', pending_review: 'warning', done: 'success', needs_fix: 'danger',
  submitted: 'warning', accepted: 'success', returned: 'danger', open: 'warning',
}
/** The colour an item's, evidence's or 整改's status is shown in. */
export const statusTone = (status: string): Tone => TONES[status] ?? 'info'

/** What the 督办 ranks: units with overdue or at-risk work, the most behind first. */
export interface SupervisionRow {
  id: number
  name: string
  overdue: number
  dueSoon: number
  openFixes: number
  overdueFixes: number
  pendingReview: number
  weight: number
}

export function supervision(units: Dashboard['units']): SupervisionRow[] {
  return units
    .map((u) => ({
      id: u.id, name: u.name, overdue: u.overdue, dueSoon: u.due_soon, openFixes: u.open_rectifications,
      overdueFixes: u.overdue_rectifications, pendingReview: u.pending_review,
      // Overdue work weighs most, then overdue 整改, then what falls due within days.
      weight: u.overdue * 100 + u.overdue_rectifications * 50 + u.due_soon * 10 + u.open_rectifications,
    }))
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight || a.name.localeCompare(b.name, 'zh-CN'))
}

/** The ISO week `YYYY-Www` of a local day (the briefing's `week`). */
export function isoWeek(day: Date): string {
  const d = new Date(Date.UTC(day.getFullYear(), day.getMonth(), day.getDate()))
  const weekday = d.getUTCDay() || 7
  d.setUTCDate(d.getUTCDate() + 4 - weekday)
  const yearStart = new Date(Date.UTC(d.getUTCFullYear(), 0, 1))
  const week = Math.ceil(((d.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7)
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`
}

/** How a piece of evidence can be previewed in the console. */
export function previewKind(contentType: string): 'image' | 'pdf' | 'none' {
  if (contentType.startsWith('image/')) return 'image'
  return contentType === 'application/pdf' ? 'pdf' : 'none'
}

/** Items filtered on the page (the server filters by category, unit, status and overdue; this adds the text). */
export function matchText(item: Pick<Item, 'number' | 'content'>, q: string): boolean {
  const s = q.trim()
  return !s || item.number.includes(s) || item.content.includes(s)
}

/** Whether the estimate reaches the target. */
export const reachesTarget = (d: Pick<Dashboard, 'estimated_total' | 'target'>): boolean => d.estimated_total >= d.target

/** The statuses an office user may set, in the table's order. */
export const STATUS_ORDER: ItemStatus[] = ['not_started', 'in_progress', 'pending_review', 'done', 'needs_fix']

/** A loss (points − score) of a scored item, else null. */
export function lostPoints(item: Pick<Item, 'points' | 'score'>): number | null {
  return item.score == null ? null : points2(item.points - item.score)
}

/** One changed field of a meeting's item change in words: units by name, statuses and empties in words, lists
 * joined (never a raw id or code). `word` translates a status or the empty value. */
export function changeValue(field: string, value: unknown, units: Map<number, string>, word: (key: string) => string): string {
  if (value == null || value === '' || (Array.isArray(value) && !value.length)) return word('empty')
  if (field === 'status') return word(`status.${String(value)}`)
  if (field === 'lead_unit_id') return units.get(Number(value)) ?? word('unknownUnit')
  if (field === 'cooperating_unit_ids' && Array.isArray(value)) return value.map((v) => units.get(Number(v)) ?? word('unknownUnit')).join('、')
  if (field === 'milestones' && Array.isArray(value)) return value.map((m) => (m as { title?: string }).title ?? '').join('、')
  return String(value)
}

/** Units as a select's options; `except` (the lead unit, in the cooperating list) disabled. */
export function unitChoices(units: { id: number; name: string }[], except: number | null = null) {
  return units.map((u) => ({ value: u.id, label: u.name, disabled: u.id === except }))
}

/** How many items a version added, removed, changed and carried over. */
export function changeCounts(c: StandardChanges): Record<'added' | 'removed' | 'changed' | 'carried', number> {
  return { added: c.added.length, removed: c.removed.length, changed: c.changed.length, carried: c.carried.length }
}

const clip = (text: string, n = 24): string => (text.length > n ? `${text.slice(0, n)}…` : text)

/** What changed in an item between two versions, field by field, in words: points as numbers, texts shortened,
 * a bound figure by its label, an empty value as `word('empty')` (`word` translates `empty` and `metric.<kind>`). */
export function changedFieldValues(c: ChangedItem, word: (key: string) => string):
{ field: ChangedItem['fields'][number]; before: string; after: string }[] {
  const show = (field: string, value: unknown): string => {
    if (value == null || value === '') return word('empty')
    if (field === 'metric') return word(`metric.${String(value).split(':')[0]}`)
    if (field === 'points') return String(value)
    return clip(String(value))
  }
  return c.fields.map((field) => ({
    field, before: show(field, (c.before as Record<string, unknown>)[field]), after: show(field, (c.after as Record<string, unknown>)[field]),
  }))
}
