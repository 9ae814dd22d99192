/** Display helpers: local dates and times, money, masked ID numbers. */
import { idNumberError } from './idNumber'
export const TIME_ZONE = 'Asia/Shanghai'

export function formatDateTime(iso: string | null | undefined, locale = 'zh-CN'): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(locale, {
    timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  })
}

/** A calendar day (YYYY-MM-DD) in the app's language: 2027/01/20 in Chinese, 01/20/2027 in English. */
export function formatDay(day: string | null | undefined, locale = 'zh-CN'): string {
  if (!day) return ''
  const d = new Date(`${day.slice(0, 10)}T00:00:00+08:00`)
  if (Number.isNaN(d.getTime())) return day
  return d.toLocaleDateString(locale, { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' })
}

/** Column text for Vant's date and time pickers: 2027年 / 01月 in Chinese, the bare number otherwise. */
export function pickerColumnText(type: string, value: string, locale: string): string {
  const suffix: Record<string, string> = { year: '年', month: '月', day: '日', hour: '时', minute: '分' }
  return locale === 'zh-CN' && suffix[type] ? `${value}${suffix[type]}` : value
}

/**
 * One formatter per locale and options, made once: building an Intl.DateTimeFormat with a time zone costs
 * milliseconds on a phone, and the sync card asks for the day after every batch a sync stores.
 */
const formatters = new Map<string, Intl.DateTimeFormat>()
export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`
  let f = formatters.get(key)
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(locale, options)))
  return f
}

const LOCAL_DAY: Intl.DateTimeFormatOptions = { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }

/** YYYY-MM-DD of an instant in the deployment's zone. */
export function localDate(d: Date | string = new Date()): string {
  const date = typeof d === 'string' ? new Date(d) : d
  return dateTimeFormat('en-CA', LOCAL_DAY).format(date)
}

/** The UTC instant of local midnight for a YYYY-MM-DD date (Asia/Shanghai has no DST: UTC+8). */
export function localDateToIso(date: string): string {
  return new Date(`${date}T00:00:00+08:00`).toISOString()
}

/** Value for <input type="datetime-local"> in the deployment's zone. */
export function toLocalInput(iso: string): string {
  const d = new Date(new Date(iso).getTime() + 8 * 3600_000)
  return d.toISOString().slice(0, 16)
}

export function fromLocalInput(v: string): string {
  return new Date(`${v}:00+08:00`).toISOString()
}

export function yuanToCents(v: string | number | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return 0
  const s = String(v).trim()
  if (!/^\d+(\.\d{1,2})?$/.test(s)) return null
  const [i, f = ''] = s.split('.')
  return Number(i) * 100 + Number((f + '00').slice(0, 2))
}

export function centsToYuan(c: number | null | undefined): string {
  if (!c) return ''
  return (c / 100).toFixed(2).replace(/\.00$/, '')
}

export function maskIdNumber(id: string | null | undefined): string {
  if (!id) return ''
  if (id.includes('*')) return id
  return id.length > 10 ? `${id.slice(0, 6)}${'*'.repeat(id.length - 10)}${id.slice(-4)}` : id
}

export function formatBytes(n: number | undefined): string {
  if (!n) return '0 B'
  const u = ['B', 'KB', 'MB', 'GB']
  let i = 0
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024
    i++
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`
}

/** GB 11643: 18 characters, a real birth date and the check character (lib/idNumber.ts, as the server checks). */
export function isValidIdNumber(id: string): boolean {
  return !idNumberError(id.trim().toUpperCase())
}
