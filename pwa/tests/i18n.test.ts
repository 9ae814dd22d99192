import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick } from 'vue'
import { mount } from '@vue/test-utils'
import { format, i18n, setLocale, useI18n } from '../src/i18n'
import zhRaw from '../src/i18n/zh-CN.json?raw'
import enRaw from '../src/i18n/en.json?raw'

const SOURCES = import.meta.glob(['../src/**/*.{vue,ts}', '!../src/office/**'], {
  query: '?raw', import: 'default', eager: true,
}) as Record<string, string>

function keys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as Record<string, unknown>, `${prefix}${k}.`))
}

afterEach(async () => {
  await setLocale('zh-CN')
})

describe('i18n', () => {
  it('shows Chinese by default and English after switching', async () => {
    const { t } = useI18n()
    expect(t('nav.home')).toBe(JSON.parse(zhRaw).nav.home)
    await setLocale('en')
    expect(t('nav.home')).toBe(JSON.parse(enRaw).nav.home)
    expect(document.documentElement.lang).toBe('en')
    expect(localStorage.getItem('zoufang.locale')).toBe('en')
  })

  it('interpolates named values; a missing one renders empty', () => {
    expect(format('{n} 条待同步，共 {total} 条', { n: 3, total: 10 })).toBe('3 条待同步，共 10 条')
    expect(format('code {code}{status}', { code: 'x' })).toBe('code x')
    expect(format('{n} items')).toBe('{n} items')
  })

  it('falls back to Chinese, then to the key itself', async () => {
    i18n.global.mergeLocaleMessage('zh-CN', { test: { onlyZh: '只有中文 {a}' } })
    await setLocale('en')
    const { t, te } = useI18n()
    expect(t('test.onlyZh', { a: 1 })).toBe('只有中文 1')
    expect(te('test.onlyZh')).toBe(false)
    expect(te('test.onlyZh', 'zh-CN')).toBe(true)
    expect(t('no.such.key')).toBe('no.such.key')
    expect(t('nav')).toBe('nav') // a subtree is not a message
  })

  it('merges a lazily loaded bundle without losing the app messages, and screens render it', async () => {
    const Probe = defineComponent({
      setup() {
        const { t } = useI18n()
        return () => h('p', `${t('nav.home')}|${t('later.title')}`)
      },
    })
    const w = mount(Probe, { global: { plugins: [i18n] } })
    expect(w.text()).toBe(`${JSON.parse(zhRaw).nav.home}|later.title`)
    i18n.global.mergeLocaleMessage('zh-CN', { later: { title: '稍后加载' } })
    await nextTick()
    expect(w.text()).toBe(`${JSON.parse(zhRaw).nav.home}|稍后加载`)
    await setLocale('en')
    await nextTick()
    expect(w.text()).toBe(`${JSON.parse(enRaw).nav.home}|稍后加载`)
    w.unmount()
  })

  it('keeps the English app messages when an office bundle for English arrived first', async () => {
    // A fresh module: nothing English loaded yet.
    vi.resetModules()
    const fresh = await import('../src/i18n')
    fresh.i18n.global.mergeLocaleMessage('en', { office: { x: 'X' } })
    await fresh.setLocale('en')
    const { t } = fresh.useI18n()
    expect(t('nav.home')).toBe(JSON.parse(enRaw).nav.home)
    expect(t('office.x')).toBe('X')
  })

  it('has the same keys in Chinese and English, and every literal key the field app uses exists', () => {
    const zh = keys(JSON.parse(zhRaw))
    expect(keys(JSON.parse(enRaw)).sort()).toEqual([...zh].sort())
    const known = new Set(zh)
    const prefixes = new Set(zh.map((k) => k.split('.')[0]))
    const used = new Set<string>()
    for (const text of Object.values(SOURCES)) {
      for (const m of text.matchAll(/\bt\('([A-Za-z0-9_.]+)'/g)) {
        if (prefixes.has(m[1].split('.')[0])) used.add(m[1])
      }
    }
    expect(used.size).toBeGreaterThan(100)
    expect([...used].filter((k) => !known.has(k))).toEqual([])
  })
})
