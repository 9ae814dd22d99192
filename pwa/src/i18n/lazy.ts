/**
 * Message bundles merged on demand (the office console's, the admin pages'): each locale is fetched once (again
 * after a failed fetch, e.g. offline at first open), Chinese always as the fallback, and the current locale is
 * followed when the user switches language.
 */
import { watch } from 'vue'
import { i18n } from './index'

type Messages = Record<string, unknown>
export type MessageLoaders = Record<string, () => Promise<{ default: Messages }>>

export function lazyMessages(loaders: MessageLoaders) {
  const loaded = new Map<string, Promise<void>>()
  let watching = false

  function load(locale: string): Promise<void> {
    const loader = loaders[locale]
    if (!loader) return Promise.resolve()
    let p = loaded.get(locale)
    if (!p) {
      p = loader().then((m) => i18n.global.mergeLocaleMessage(locale, m.default as never))
      p.catch(() => loaded.delete(locale))
      loaded.set(locale, p)
    }
    return p
  }

  /** Merge the bundle of the current locale and of Chinese; follow later switches. */
  async function loadCurrent(): Promise<void> {
    const current = i18n.global.locale.value
    if (!watching) {
      watching = true
      watch(i18n.global.locale, (next) => void load(next))
    }
    await Promise.all([load('zh-CN'), load(current)])
  }

  return { load, loadCurrent }
}
