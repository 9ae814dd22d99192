/**
 * Translations: Simplified Chinese by default (bundled), English loaded on demand; the choice is remembered.
 *
 * A reactive message lookup with `{name}` interpolation, which is every feature the app's messages use. It
 * replaces vue-i18n (≈ 20 KB gzipped of runtime on every phone's first screen) with the same calling
 * convention: `const { t, te, locale } = useI18n()`, `t('nav.home')`, `t('sync.pending', { n: 3 })`.
 * A missing key shows the key itself, after trying the Chinese fallback.
 */
import { ref, shallowReactive, type App } from 'vue'
import zhCN from './zh-CN.json'

export type Locale = 'zh-CN' | 'en'
export const LOCALES: Locale[] = ['zh-CN', 'en']
export const FALLBACK_LOCALE: Locale = 'zh-CN'
const KEY = 'zoufang.locale'

/** A message tree as the JSON files hold it: nested objects of strings. */
export interface Messages {
  [key: string]: string | Messages
}
export type Named = Record<string, unknown>

const locale = ref<string>(FALLBACK_LOCALE)
// One tree per locale; a merge replaces the tree, so every screen that read from it renders again.
const messages = shallowReactive<Record<string, Messages>>({ [FALLBACK_LOCALE]: zhCN as Messages })

function lookup(tree: Messages | undefined, key: string): string | undefined {
  let node: string | Messages | undefined = tree
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined
    node = node[part]
  }
  return typeof node === 'string' ? node : undefined
}

const PLACEHOLDER = /\{(\w+)\}/g

/** Interpolate `{name}` from `named`; a name without a value renders empty (as vue-i18n did). */
export function format(message: string, named?: Named): string {
  if (!named) return message
  return message.replace(PLACEHOLDER, (_, name: string) => {
    const value = named[name]
    return value === undefined || value === null ? '' : String(value)
  })
}

/** The message for `key` in the current locale, else in Chinese, else the key itself. */
function t(key: string, named?: Named): string {
  const message = lookup(messages[locale.value], key) ?? lookup(messages[FALLBACK_LOCALE], key)
  return message === undefined ? key : format(message, named)
}

/** Whether `key` exists in `inLocale` (default: the current locale), without the fallback. */
function te(key: string, inLocale?: string): boolean {
  return lookup(messages[inLocale ?? locale.value], key) !== undefined
}

function merge(into: Messages, from: Messages): Messages {
  const out: Messages = { ...into }
  for (const [k, v] of Object.entries(from)) {
    const prev = out[k]
    out[k] = typeof v === 'object' && typeof prev === 'object' ? merge(prev, v) : v
  }
  return out
}

const global = {
  locale,
  t,
  te,
  get availableLocales(): string[] {
    return Object.keys(messages)
  },
  setLocaleMessage(to: string, tree: Messages): void {
    messages[to] = tree
  },
  /** Add a bundle (the office's, the admin pages') to a locale's messages. */
  mergeLocaleMessage(to: string, tree: Messages): void {
    messages[to] = merge(messages[to] ?? {}, tree)
  },
}

/** The app plugin (`app.use(i18n)`) and the global translator for code outside components. */
export const i18n = {
  global,
  install(app: App): void {
    app.config.globalProperties.$t = t
  },
}

/** The translator for a component: `const { t, locale } = useI18n()`. */
export function useI18n() {
  return { t, te, locale }
}

export function savedLocale(): Locale {
  try {
    const saved = localStorage.getItem(KEY)
    if (saved === 'en' || saved === 'zh-CN') return saved
  } catch {
    /* storage unavailable: fall back to Chinese */
  }
  return FALLBACK_LOCALE
}

// The app's own bundle per locale; the office's may have been merged into a locale before it.
const loadedBundles = new Set<string>([FALLBACK_LOCALE])

async function ensureMessages(to: Locale): Promise<void> {
  if (loadedBundles.has(to)) return
  if (to === 'en') global.mergeLocaleMessage('en', (await import('./en.json')).default as Messages)
  loadedBundles.add(to)
}

export async function setLocale(to: Locale): Promise<void> {
  await ensureMessages(to)
  locale.value = to
  document.documentElement.lang = to
  try {
    localStorage.setItem(KEY, to)
  } catch {
    /* ignore */
  }
}

declare module 'vue' {
  interface ComponentCustomProperties {
    $t: typeof t
  }
}
