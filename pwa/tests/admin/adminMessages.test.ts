import { describe, expect, it } from 'vitest'
import zhRaw from '../../src/i18n/admin.zh-CN.json?raw'
import enRaw from '../../src/i18n/admin.en.json?raw'

const SOURCES = import.meta.glob('../../src/office/admin/*.{vue,ts}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>

function keys(tree: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) =>
    typeof v === 'string' ? [`${prefix}${k}`] : keys(v as Record<string, unknown>, `${prefix}${k}.`))
}

const zh = JSON.parse(zhRaw)
const en = JSON.parse(enRaw)

describe('admin messages', () => {
  it('Chinese and English have the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zh).sort())
  })

  it('every literal admin key (or key prefix, as for field labels) the pages use exists', () => {
    const known = new Set(keys(zh).flatMap((k) => k.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))))
    const used = new Set<string>()
    expect(Object.keys(SOURCES).length).toBeGreaterThan(10)
    for (const text of Object.values(SOURCES)) {
      for (const m of text.matchAll(/'(admin\.[A-Za-z0-9_.]+[A-Za-z0-9_])'/g)) used.add(m[1])
    }
    expect(used.size).toBeGreaterThan(50)
    expect([...used].filter((k) => !known.has(k))).toEqual([])
  })

  it('translates every error code the brief names', () => {
    for (const code of ['weak_password', 'username_taken', 'code_taken', 'validation_error', 'forbidden', 'not_found',
      'payload_too_large', 'unsupported_media_type']) {
      expect(zh.admin.errors[code], code).toBeTruthy()
      expect(en.admin.errors[code], code).toBeTruthy()
    }
  })
})
