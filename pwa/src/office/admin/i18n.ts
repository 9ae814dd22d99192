/** The admin pages' messages (keys under `admin.`): loaded when an admin page first opens, merged per locale. */
import { watch } from 'vue'
import { ApiError } from '../../sync/api'
import { i18n } from '../../i18n'

type Messages = Record<string, unknown>

const loaders: Record<string, () => Promise<{ default: Messages }>> = {
  'zh-CN': () => import('../../i18n/admin.zh-CN.json') as Promise<{ default: Messages }>,
  en: () => import('../../i18n/admin.en.json') as Promise<{ default: Messages }>,
}

const loaded = new Map<string, Promise<void>>()
let watching = false

function load(locale: string): Promise<void> {
  const loader = loaders[locale]
  if (!loader) return Promise.resolve()
  let p = loaded.get(locale)
  if (!p) {
    p = loader().then((m) => i18n.global.mergeLocaleMessage(locale, m.default as never))
    p.catch(() => loaded.delete(locale)) // offline at first open: try again next time
    loaded.set(locale, p)
  }
  return p
}

/** Merge the admin messages of the current locale (and Chinese, the fallback); follow later switches. */
export async function loadAdminMessages(): Promise<void> {
  const current = i18n.global.locale.value
  if (!watching) {
    watching = true
    watch(i18n.global.locale, (next) => void load(next))
  }
  await Promise.all([load('zh-CN'), load(current)])
}

type T = (key: string, named?: Record<string, unknown>) => string

function translated(t: T, key: string, named?: Record<string, unknown>): string | null {
  const msg = named ? t(key, named) : t(key)
  return msg === key ? null : msg
}

/** A translated message for an error thrown by the admin API (admin codes first, then the app's own). */
export function adminErrorMessage(t: T, e: unknown): string {
  if (e instanceof ApiError) {
    return translated(t, `admin.errors.${e.code}`) ?? translated(t, `errors.${e.code}`)
      ?? t('admin.errors.unknown', { code: e.code, status: e.status })
  }
  return t('admin.errors.unknown', { code: (e as Error)?.message ?? String(e), status: '' })
}

/** Field errors of an envelope as `{field: [messages]}` (the server's own, already bilingual). */
export function fieldErrors(e: unknown): Record<string, string[]> {
  if (!(e instanceof ApiError)) return {}
  const out: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(e.fields ?? {})) {
    out[k] = Array.isArray(v) ? v.map(String) : [typeof v === 'string' ? v : JSON.stringify(v)]
  }
  return out
}
