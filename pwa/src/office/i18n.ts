/** The office console's messages (keys under `office.`): loaded with the office layout, merged per locale. */
import { lazyMessages, type MessageLoaders } from '../i18n/lazy'

const bundle = lazyMessages({
  'zh-CN': () => import('../i18n/office.zh-CN.json'),
  en: () => import('../i18n/office.en.json'),
} as MessageLoaders)

/** Merge the office messages of the current locale and of Chinese (the fallback); follow later switches. */
export const loadOfficeMessages = (): Promise<void> => bundle.loadCurrent()

/** Load the office messages of a locale before switching to it. */
export const ensureOfficeMessages = (locale: string): Promise<void> => bundle.load(locale)
