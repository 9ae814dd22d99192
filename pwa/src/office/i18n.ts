/** The office console's messages (keys under `office.`): loaded with the office layout, merged per locale. */
import { ApiError } from '../sync/api'
import { lazyMessages, type MessageLoaders } from '../i18n/lazy'

const bundle = lazyMessages({
  'zh-CN': () => import('../i18n/office.zh-CN.json'),
  en: () => import('../i18n/office.en.json'),
} as MessageLoaders)

/** Merge the office messages of the current locale and of Chinese (the fallback); follow later switches. */
export const loadOfficeMessages = (): Promise<void> => bundle.loadCurrent()

/** Load the office messages of a locale before switching to it. */
export const ensureOfficeMessages = (locale: string): Promise<void> => bundle.load(locale)

type T = (key: string, named?: Record<string, unknown>) => string

/** A translated message for an error of the office API: office codes first, then the app's own. */
export function officeErrorMessage(t: T, e: unknown): string {
  if (e instanceof ApiError) {
    for (const key of [`office.errors.${e.code}`, `errors.${e.code}`]) {
      const msg = t(key)
      if (msg !== key) return msg
    }
    return t('office.errors.unknown', { code: e.code })
  }
  return t('office.errors.unknown', { code: (e as Error)?.message ?? String(e) })
}
