import { describe, expect, it } from 'vitest'

const SOURCES = import.meta.glob('../src/**/*.{vue,ts}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>

describe('outbox writers', () => {
  it('only db/outbox.ts (and its rarely used part, db/outboxActions.ts) writes outbox rows', () => {
    const write = /\.outbox\s*\.(?:put|add|update|delete|bulkPut|bulkAdd|bulkDelete|bulkUpdate|clear|modify)\b|\.outbox\.where\([^)]*\)[\s\S]{0,120}?\.(?:delete|modify)\(/
    expect(Object.keys(SOURCES).length).toBeGreaterThan(50)
    const writers = Object.entries(SOURCES)
      .filter(([path, text]) => !['../src/db/outbox.ts', '../src/db/outboxActions.ts'].includes(path) && write.test(text))
      .map(([path]) => path)
    expect(writers).toEqual([])
  })
})
