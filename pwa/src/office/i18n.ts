/** The office console's messages (keys under `office.`): loaded with the office layout, merged per locale. */
import { watch } from 'vue'
import { i18n } from '../i18n'
import { ApiError } from '../sync/api'

type Messages = Record<string, unknown>

const loaders: Record<string, () => Promise<{ default: Messages }>> = {
  'zh-CN': () => import('../i18n/office.zh-CN.json') as Promise<{ default: Messages }>,
  en: () => import('../i18n/office.en.json') as Promise<{ default: Messages }>,
}

const loaded = new Map<string, Promise<void>>()
let watching = false

function load(locale: string): Promise<void> {
  const loader = loaders[locale]
  if (!loader) return Promise.resolve()
  let p = loaded.get(locale)
  if (!p) {
    p = loader().then((m) => i18n.global.mergeLocaleMessage(locale, m.default as never))
    p.catch(() => loaded.delete(locale)) // a failed fetch is tried again next time
    loaded.set(locale, p)
  }
  return p
}

/** Merge the office messages of the current locale and of Chinese (the fallback); follow later switches. */
export async function loadOfficeMessages(): Promise<void> {
  if (!watching) {
    watching = true
    watch(i18n.global.locale, (next) => void load(next))
  }
  await Promise.all([load('zh-CN'), load(i18n.global.locale.value)])
}

/** Load the office messages of a locale before switching to it. */
export const ensureOfficeMessages = (locale: string): Promise<void> => load(locale)

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
