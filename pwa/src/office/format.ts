/**
 * How the console writes times, days and people: local time as `2026-12-04 23:23` in either language (what a
 * clerk copies into a report), built on the app's helpers in ../lib/format.ts. No Vue here.
 */
import { localDate, toLocalInput } from '../lib/format'

/** `2026-12-04 23:23` (with `seconds`: `2026-12-04 23:23:05`) in the deployment's zone; '' for nothing. */
export function officeTime(iso: string | null | undefined, opts: { seconds?: boolean } = {}): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  const minute = toLocalInput(d.toISOString()).replace('T', ' ')
  if (!opts.seconds) return minute
  // Zones differ by whole minutes: the seconds are the same everywhere.
  return `${minute}:${String(d.getUTCSeconds()).padStart(2, '0')}`
}

/** A calendar day as `2026-12-04` (the API's own form) or '' — never the browser's mm/dd/yyyy. */
export function officeDay(day: string | null | undefined): string {
  if (!day) return ''
  return /^\d{4}-\d{2}-\d{2}/.test(day) ? day.slice(0, 10) : localDate(day)
}

/**
 * A person with their area, once: `李晓红（城关镇）`. Display names often carry their area or unit already (the
 * demo's `李晓红（城关镇）`, `王建军（县退役军人事务局）`), so the area is added only to a bare name.
 */
export function personLabel(name: string | null | undefined, area?: string | null): string {
  const n = (name ?? '').trim()
  const a = (area ?? '').trim()
  if (!a || /[）)]$/.test(n) || n === a) return n
  return n ? `${n}（${a}）` : a
}
