import { describe, expect, it } from 'vitest'
import type { Dashboard, Standard } from '../../src/office/creation/api'
import {
  changeValue, isoWeek, itemsSum, lostPoints, matchText, nextVersion, previewKind, reachesTarget, standardRows, statusTone, supervision,
} from '../../src/office/creation/logic'

const standard: Standard = {
  id: 3, name: '双拥模范县考评标准', version: 2, is_current: true, created_at: null, changes: null, target: 90,
  period_start: null, period_end: null, max_total: 10,
  categories: [
    { id: 1, name: '组织领导', max_points: 6, items: [
      { id: 'a', number: '1.1', content: '成立领导小组', points: 3.5, rule: '未成立扣3.5分', evidence_required: '文件', metric: null },
      { id: 'b', number: '1.2', content: '定期召开会议', points: 2.5, rule: null, evidence_required: null, metric: null },
    ] },
    { id: 2, name: '拥军优属', max_points: 4, items: [
      { id: 'c', number: '2.1', content: '走访全覆盖', points: 4, rule: null, evidence_required: null, metric: 'campaign_coverage:x' },
    ] },
  ],
}

const unit = (over: Partial<Dashboard['units'][number]>): Dashboard['units'][number] => ({
  id: 1, name: '甲', kind: 'department', items: 1, cooperating: 0, done: 0, overdue: 0, due_soon: 0, pending_review: 0, points: 5,
  estimated: 0, evidence_submitted: 0, open_rectifications: 0, overdue_rectifications: 0, ...over,
})

describe('creation console rules', () => {
  it('shows the standard as categories holding their items', () => {
    const rows = standardRows(standard)
    expect(rows.map((r) => [r.kind, r.content, r.points])).toEqual([['category', '组织领导', 6], ['category', '拥军优属', 4]])
    expect(rows[0].children!.map((r) => [r.key, r.number, r.itemIndex])).toEqual([['c0-0', '1.1', 0], ['c0-1', '1.2', 1]])
    expect(rows[1].children![0].metric).toBe('campaign_coverage:x')
  })

  it('saves an edit as the next version whose category maxima are their items\' sums, carrying units over by number', () => {
    const edited = structuredClone(standard)
    edited.categories[0].items[1].points = 3.25
    const body = nextVersion(edited)
    expect(body.categories.map((c) => c.max_points)).toEqual([6.75, 4])
    expect(body.carry_over).toBe(true)
    const item = body.categories[0].items[0]
    expect(item).toMatchObject({ id: null, number: '1.1', lead_unit_id: null, deadline: null, rule: '未成立扣3.5分' })
    expect(itemsSum([{ points: 0.1 }, { points: 0.2 }])).toBe(0.3)
  })

  it('ranks units for 督办: overdue first, then overdue fixes, then what falls due; units with nothing left out', () => {
    const ranked = supervision([
      unit({ id: 1, name: '县民政局', due_soon: 3 }),
      unit({ id: 2, name: '县人武部', overdue: 1 }),
      unit({ id: 3, name: '城关镇', overdue_rectifications: 1, open_rectifications: 1 }),
      unit({ id: 4, name: '县财政局' }),
    ])
    expect(ranked.map((r) => r.name)).toEqual(['县人武部', '城关镇', '县民政局'])
  })

  it('names ISO weeks as the briefing takes them, across year ends', () => {
    expect(isoWeek(new Date(2026, 11, 4))).toBe('2026-W49')
    expect(isoWeek(new Date(2027, 0, 1))).toBe('2026-W53')
    expect(isoWeek(new Date(2025, 11, 29))).toBe('2026-W01')
  })

  it('previews images and PDFs, downloads Office files', () => {
    expect(previewKind('image/jpeg')).toBe('image')
    expect(previewKind('application/pdf')).toBe('pdf')
    expect(previewKind('application/vnd.openxmlformats-officedocument.wordprocessingml.document')).toBe('none')
  })

  it('colours statuses, matches text, compares with the target and counts lost points', () => {
    expect(statusTone('needs_fix')).toBe('danger')
    expect(statusTone('accepted')).toBe('success')
    expect(statusTone('anything')).toBe('info')
    expect(matchText({ number: '3.2', content: '拥军优属慰问' }, '慰问')).toBe(true)
    expect(matchText({ number: '3.2', content: '拥军优属慰问' }, '宣传')).toBe(false)
    expect(reachesTarget({ estimated_total: 90, target: 90 })).toBe(true)
    expect(reachesTarget({ estimated_total: 89.5, target: 90 })).toBe(false)
    expect(lostPoints({ points: 3, score: 2.25 })).toBe(0.75)
    expect(lostPoints({ points: 3, score: null })).toBeNull()
  })

  it('writes a meeting change in words: unit names, statuses, empties; never a raw id', () => {
    const units = new Map([[7, '县人武部'], [8, '城关镇']])
    const word = (k: string) => ({ empty: '空', unknownUnit: '已删除的单位', 'status.done': '已完成' })[k] ?? k
    expect(changeValue('lead_unit_id', 7, units, word)).toBe('县人武部')
    expect(changeValue('lead_unit_id', 99, units, word)).toBe('已删除的单位')
    expect(changeValue('cooperating_unit_ids', [7, 8], units, word)).toBe('县人武部、城关镇')
    expect(changeValue('status', 'done', units, word)).toBe('已完成')
    expect(changeValue('deadline', null, units, word)).toBe('空')
    expect(changeValue('deadline', '2027-03-01', units, word)).toBe('2027-03-01')
  })
})
