import { describe, expect, it } from 'vitest'
import { officeDay, officeTime, personLabel } from '../../src/office/format'

describe('office format', () => {
  it('writes instants in Beijing time as YYYY-MM-DD HH:mm, never as ISO or with a zone', () => {
    expect(officeTime('2026-12-04T15:23:00.000Z')).toBe('2026-12-04 23:23')
    expect(officeTime('2026-12-31T16:05:09Z')).toBe('2027-01-01 00:05')
    expect(officeTime('2026-11-28T16:30:05.123Z', { seconds: true })).toBe('2026-11-29 00:30:05')
    expect(officeTime(null)).toBe('')
    expect(officeTime('not a time')).toBe('not a time')
  })

  it('writes days as YYYY-MM-DD whatever the browser language', () => {
    expect(officeDay('2027-01-20')).toBe('2027-01-20')
    expect(officeDay('2026-12-04T20:00:00Z')).toBe('2026-12-04')
    expect(officeDay(undefined)).toBe('')
  })

  it('adds the area to a name once: never 李晓红（城关镇）（城关镇）', () => {
    expect(personLabel('李晓红（城关镇）', '城关镇')).toBe('李晓红（城关镇）')
    expect(personLabel('李晓红(城关镇)', '城关镇')).toBe('李晓红(城关镇)')
    expect(personLabel('王建军（县退役军人事务局）', '示范县')).toBe('王建军（县退役军人事务局）')
    expect(personLabel('王五', '城关镇')).toBe('王五（城关镇）')
    expect(personLabel('王五', null)).toBe('王五')
    expect(personLabel('', '城关镇')).toBe('城关镇')
  })
})
