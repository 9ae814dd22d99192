import { describe, expect, it } from 'vitest'
import { campaignCoverage, splitDue } from '../src/db/queries'
import type { Area, Campaign, Difficulty, Recipient, Visit } from '../src/db/types'
import { matchesName } from '../src/lib/search'
import { isValidIdNumber, maskIdNumber, yuanToCents } from '../src/lib/format'

const d = (id: string, follow_up_at: string | null, status: Difficulty['status'] = 'open'): Difficulty => ({
  id, _version: 1, recipient_id: 'r', visit_id: null, category: 'living', description: '', urgency: 'normal', follow_up_at, due_date: null, status,
})

describe('due follow-ups', () => {
  it('splits today and overdue in Shanghai time and skips resolved ones', () => {
    const now = new Date('2027-01-20T17:00:00Z') // 01:00 on the 21st in Shanghai
    const out = splitDue([
      d('today', '2027-01-20T16:30:00Z'), d('over', '2027-01-19T00:00:00Z'), d('later', '2027-01-25T00:00:00Z'),
      d('done', '2027-01-01T00:00:00Z', 'resolved'), d('none', null),
    ], now)
    expect(out.today.map((x) => x.id)).toEqual(['today'])
    expect(out.overdue.map((x) => x.id)).toEqual(['over'])
  })
})

describe('campaign coverage', () => {
  it('lists target recipients in the area not yet visited during the campaign', () => {
    const areas = new Map<string, Area>([
      ['1', { id: 1, _version: 1, code: '1', name: '县', level: 'county', parent_id: null }],
      ['2', { id: 2, _version: 1, code: '2', name: '镇', level: 'township', parent_id: 1 }],
      ['3', { id: 3, _version: 1, code: '3', name: '村', level: 'village', parent_id: 2 }],
      ['4', { id: 4, _version: 1, code: '4', name: '别镇村', level: 'village', parent_id: 1 }],
    ])
    const r = (id: string, area_id: number, category = 'martyr_family') => ({ id, _version: 1, name: id, area_id, category } as Recipient)
    const c: Campaign = { id: 'c', _version: 1, name: '春节', starts_on: '2027-01-15', ends_on: '2027-02-15', categories: ['martyr_family'], area_id: 2 }
    const visits = [{ id: 'v', recipient_id: 'a', visited_at: '2027-01-20T02:00:00Z' }, { id: 'w', recipient_id: 'b', visited_at: '2026-12-01T02:00:00Z' }] as Visit[]
    const cov = campaignCoverage(c, [r('a', 3), r('b', 3), r('c', 4), r('d', 3, 'veteran')], visits, areas)
    expect(cov.targets.map((x) => x.id)).toEqual(['a', 'b'])
    expect(cov.notVisited.map((x) => x.id)).toEqual(['b'])
  })
})

describe('helpers', () => {
  it('finds names by pinyin initials', () => {
    expect(matchesName('张三', 'zs')).toBe(true)
    expect(matchesName('张三', 'zhangsan')).toBe(true)
    expect(matchesName('张三', '张')).toBe(true)
    expect(matchesName('李四', 'zs')).toBe(false)
  })

  it('converts yuan to fen exactly and masks ID numbers', () => {
    expect(yuanToCents('500')).toBe(50000)
    expect(yuanToCents('0.1')).toBe(10)
    expect(yuanToCents('19.99')).toBe(1999)
    expect(yuanToCents('1.234')).toBeNull()
    expect(maskIdNumber('330102199001011234')).toBe('330102********1234')
    expect(isValidIdNumber('11010519491231002X')).toBe(true)
    expect(isValidIdNumber('110105194912310021')).toBe(false)
  })
})

describe('active campaign coverage from IndexedDB', () => {
  it('reads the visits of the campaign days only, with the Shanghai day edges right', async () => {
    const { freshDb } = await import('./helpers')
    const { activeCampaignCoverage, localDayStart } = await import('../src/db/queries')
    const db = await freshDb()
    expect(localDayStart('2027-01-10')).toBe('2027-01-09T16:00:00.000Z')
    await db.areas.bulkPut([{ id: 1, code: '1', name: '县', level: 'county', parent_id: null }] as never)
    await db.campaigns.put({ id: 'c1', name: '春节走访', starts_on: '2027-01-10', ends_on: '2027-01-20', categories: [], area_id: 1 } as never)
    const rec = (id: string) => ({ id, _version: 1, name: id, gender: 'male', id_number: null, phone: null, address: null, area_id: 1, category: 'veteran', tags: [], notes: null })
    await db.recipients.bulkPut(['before', 'first', 'last', 'after', 'never'].map(rec) as never)
    const visit = (id: string, recipient_id: string, visited_at: string) => ({ id, _version: 1, recipient_id, author_id: 1, visited_at, kind: 'festival' })
    await db.visits.bulkPut([
      visit('v1', 'before', '2027-01-09T15:59:59.999Z'), // 23:59 on the 9th in Shanghai
      visit('v2', 'first', '2027-01-09T16:00:00.000Z'), // 00:00 on the 10th
      visit('v3', 'last', '2027-01-20T15:59:59.999Z'), // 23:59 on the 20th
      visit('v4', 'after', '2027-01-20T16:00:00.000Z'), // 00:00 on the 21st
    ] as never)
    const [cov] = await activeCampaignCoverage(new Date('2027-01-15T04:00:00Z'))
    expect(cov.targets).toHaveLength(5)
    expect(cov.notVisited.map((r) => r.id).sort()).toEqual(['after', 'before', 'never'])
    expect(await activeCampaignCoverage(new Date('2027-01-21T04:00:00Z'))).toEqual([])
  })
})
