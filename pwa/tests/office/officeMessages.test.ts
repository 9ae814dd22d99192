import { describe, expect, it } from 'vitest'
import zhRaw from '../../src/i18n/office.zh-CN.json?raw'
import enRaw from '../../src/i18n/office.en.json?raw'

const SOURCES = import.meta.glob('../../src/office/**/*.{vue,ts}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>

function keys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as Record<string, unknown>, `${prefix}${k}.`))
}

const zh = JSON.parse(zhRaw)
const en = JSON.parse(enRaw)

describe('office messages', () => {
  it('Chinese and English have the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort())
  })

  it('every literal office key (or key prefix) the console uses exists', () => {
    const known = new Set(keys(zh).flatMap((k) => k.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))))
    const used = new Set<string>()
    for (const text of Object.values(SOURCES)) {
      for (const m of text.matchAll(/'(office\.[A-Za-z0-9_.]+[A-Za-z0-9_])'/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(100)
    expect([...used].filter((k) => !known.has(k))).toEqual([])
  })
})
