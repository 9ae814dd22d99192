/** The admin pages' messages (keys under `admin.`): loaded when an admin page first opens, merged per locale. */
import { ApiError } from '../../sync/api'
import { lazyMessages, type MessageLoaders } from '../../i18n/lazy'

const bundle = lazyMessages({
  'zh-CN': () => import('../../i18n/admin.zh-CN.json'),
  en: () => import('../../i18n/admin.en.json'),
} as MessageLoaders)

/** Merge the admin messages of the current locale (and Chinese, the fallback); follow later switches. */
export const loadAdminMessages = (): Promise<void> => bundle.loadCurrent()

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
