/** The admin pages' messages (keys under `admin.`): loaded when an admin page first opens, merged per locale. */
import { lazyMessages, type MessageLoaders } from '../../i18n/lazy'

const bundle = lazyMessages({
  'zh-CN': () => import('../../i18n/admin.zh-CN.json'),
  en: () => import('../../i18n/admin.en.json'),
} as MessageLoaders)

/** Merge the admin messages of the current locale (and Chinese, the fallback); follow later switches. */
export const loadAdminMessages = (): Promise<void> => bundle.loadCurrent()
