/** vue-i18n set-up: Simplified Chinese by default (bundled), English loaded on demand; the choice is remembered. */
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN.json'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
const KEY = 'zoufang.locale'

export function savedLocale(): Locale {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* storage unavailable: fall back to Chinese */
  }
  return 'zh-CN'
}

type Messages = typeof zhCN

export const i18n = createI18n({
  legacy: false,
  locale: 'zh-CN' as string,
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zhCN } as Record<string, Messages>,
})

async function ensureMessages(locale: Locale): Promise<void> {
  if (i18n.global.availableLocales.includes(locale)) return
  if (locale === 'en') i18n.global.setLocaleMessage('en', (await import('./en.json')).default as Messages)
}

export async function setLocale(locale: Locale): Promise<void> {
  await ensureMessages(locale)
  i18n.global.locale.value = locale
  document.documentElement.lang = locale
  try {
    localStorage.setItem(KEY, locale)
  } catch {
    /* ignore */
  }
}
