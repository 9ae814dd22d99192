import { describe, expect, it } from 'vitest'
import { campaignCoverage, historyOf, splitDue, splitLate } from '../src/db/queries'
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

describe('the two late lists: 跟进逾期 and 办结超期', () => {
  const late = (id: string, fields: Partial<Difficulty>): Difficulty => ({ ...d(id, null), ...fields })
  const now = new Date('2026-12-04T16:30:00Z') // 00:30 on the 5th in Shanghai

  it('decides on the local day, around midnight in Shanghai', () => {
    const out = splitLate([
      late('fu-4th', { follow_up_at: '2026-12-04T15:59:00Z' }), // 23:59 on the 4th: its day is over
      late('fu-5th', { follow_up_at: '2026-12-04T16:00:00Z' }), // 00:00 on the 5th: due today, not late
      late('due-4th', { due_date: '2026-12-04' }),
      late('due-5th', { due_date: '2026-12-05' }),
      late('done', { follow_up_at: '2026-12-01T02:00:00Z', due_date: '2026-12-01', status: 'resolved' }),
    ], [], now)
    expect(out.followUpOverdue.map((x) => x.id)).toEqual(['fu-4th'])
    expect(out.deadlineOverdue.map((x) => x.id)).toEqual(['due-4th'])
  })

  it('a follow-up made on or after the due day takes it off 跟进逾期; one made before does not', () => {
    const due = '2026-12-03T02:00:00Z' // 10:00 on the 3rd
    const out = splitLate([late('made', { follow_up_at: due }), late('early', { follow_up_at: due })], [
      { difficulty_id: 'made', at: '2026-12-02T16:00:00Z' }, // 00:00 on the 3rd: counts
      { difficulty_id: 'early', at: '2026-12-02T15:59:00Z' }, // 23:59 on the 2nd: too early
    ], now)
    expect(out.followUpOverdue.map((x) => x.id)).toEqual(['early'])
  })

  it('a difficulty can be on both lists, each sorted by how long it has been late', () => {
    const out = splitLate([
      late('b', { follow_up_at: '2026-12-02T02:00:00Z', due_date: '2026-11-20' }),
      late('a', { follow_up_at: '2026-11-30T02:00:00Z', due_date: '2026-12-01' }),
    ], [], now)
    expect(out.followUpOverdue.map((x) => x.id)).toEqual(['a', 'b'])
    expect(out.deadlineOverdue.map((x) => x.id)).toEqual(['b', 'a'])
  })
})

describe('a difficulty history', () => {
  it('merges follow-ups and the office assignments, newest first', () => {
    const f = { id: 'f1', _version: 1, difficulty_id: 'x', at: '2026-12-02T02:00:00Z', note: '电话联系', status: null, next_follow_up_at: null }
    const a = { at: '2026-12-03T02:00:00.000Z', by_id: 2, by_name: '王科长', assignee_id: 1, assignee_name: '李晓红', responsible_unit: null, due_date: '2026-12-20' }
    expect(historyOf([f], [a]).map((h) => h.key)).toEqual(['a:0', 'f:f1'])
    expect(historyOf([f], [a])[0].assignment?.by_name).toBe('王科长')
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

describe('named reads of the views', () => {
  it('lists a recipient\'s visits and follow-ups newest first, and only unresolved difficulties', async () => {
    const { freshDb } = await import('./helpers')
    const q = await import('../src/db/queries')
    const db = await freshDb()
    await db.recipients.bulkPut([{ id: 'r1', name: '乙' }, { id: 'r2', name: '甲' }] as never)
    await db.visits.bulkPut([
      { id: 'v1', recipient_id: 'r1', visited_at: '2027-01-01T00:00:00Z' },
      { id: 'v2', recipient_id: 'r1', visited_at: '2027-01-03T00:00:00Z' },
      { id: 'v3', recipient_id: 'r2', visited_at: '2027-01-02T00:00:00Z' },
    ] as never)
    await db.difficulties.bulkPut([
      { id: 'd1', recipient_id: 'r1', visit_id: 'v1', status: 'open', follow_up_at: null, due_date: '2027-02-01' },
      { id: 'd2', recipient_id: 'r1', visit_id: 'v2', status: 'resolved', follow_up_at: null, due_date: null },
      { id: 'd3', recipient_id: 'r2', visit_id: null, status: 'in_progress', follow_up_at: null, due_date: '2027-01-15' },
    ] as never)
    await db.followups.bulkPut([
      { id: 'f1', difficulty_id: 'd1', at: '2027-01-05T00:00:00Z' },
      { id: 'f2', difficulty_id: 'd1', at: '2027-01-07T00:00:00Z' },
    ] as never)
    expect((await q.visitsOfRecipient('r1')).map((v) => v.id)).toEqual(['v2', 'v1'])
    expect((await q.followUpsOf('d1')).map((f) => f.id)).toEqual(['f2', 'f1'])
    const open = await q.openDifficultiesOf('r1')
    expect(open.map((d) => [d.id, d.followups.map((f) => f.id)])).toEqual([['d1', ['f2', 'f1']]])
    expect((await q.openDifficulties()).map((d) => d.id)).toEqual(['d3', 'd1'])
    expect((await q.difficultiesOfVisit('v2')).map((d) => d.id)).toEqual(['d2'])
    expect((await q.recipientsByName()).map((r) => r.name)).toEqual(['乙', '甲'].sort())
    expect(await q.recipientNames(['r2', 'gone'])).toEqual(new Map([['r2', '甲']]))
    expect((await q.recipientNames()).size).toBe(2)
  })

  it('answers what is queued: record ids, per record and other users\' mutations', async () => {
    const { freshDb, visitData } = await import('./helpers')
    const q = await import('../src/db/queries')
    const { createVisit } = await import('../src/db/records')
    await freshDb()
    await createVisit('1', visitData('a1'))
    await createVisit('1', visitData('a2'))
    await createVisit('2', visitData('b1'))
    expect(await q.queuedEntityIds()).toEqual(new Set(['a1', 'a2', 'b1']))
    expect(await q.countQueuedFor('a1')).toBe(1)
    expect(await q.countQueuedFor('zz')).toBe(0)
    expect(await q.countQueuedOfOthers('1')).toBe(1)
    expect(await q.countQueuedOfOthers('2')).toBe(2)
  })
})
