import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import ImportPanel from '../../src/office/creation/ImportPanel.vue'
import StandardView from '../../src/office/creation/StandardView.vue'
import type { Standard, StandardChanges } from '../../src/office/creation/api'
import { changeCounts, changedFieldValues } from '../../src/office/creation/logic'
import { loadOfficeMessages } from '../../src/office/i18n'
import { i18n } from '../../src/i18n'
import { mockFetch } from './fetchMock'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

const CHANGES: StandardChanges = {
  previous_version: 1, carry_over: true,
  added: [{ number: '2.7', item_id: 'n27', content: '开展军民共建示范点位建设', points: 3 }],
  removed: [{ number: '2.6', item_id: 'o26', content: '支持国防动员', points: 3, status: 'pending_review', estimated_score: 3,
    evidence: 2, open_rectifications: 1 }],
  changed: [{ number: '1.3', item_id: 'n13', previous_item_id: 'o13', content: '双拥办机构健全', status: 'pending_review',
    previous_status: 'done', evidence: 1, rectifications: 0, fields: ['points', 'metric'], before: { points: 2, metric: null },
    after: { points: 2.5, metric: 'difficulty_on_time' }, previous_self_score: 2, previous_estimated_score: 1.5 }],
  carried: [{ number: '1.1', item_id: 'n11', previous_item_id: 'o11', content: '纳入规划', status: 'done', previous_status: 'done',
    evidence: 2, rectifications: 0 }],
}

const standard = (version: number, current: boolean, changes: StandardChanges | null): Standard => ({
  id: version, name: '双拥模范县考评标准', version, is_current: current, created_at: '2026-12-01T00:00:00.000Z', target: 90,
  period_start: null, period_end: null, max_total: 3, changes,
  categories: [{ id: version, name: '组织领导', max_points: 3, items: [
    { id: `i${version}`, number: '1.3', content: '双拥办机构健全', points: 3, rule: null, evidence_required: null, metric: null },
  ] }],
})

const HISTORY = {
  id: 'o26', number: '2.6', content: '支持国防动员', points: 3, rule: null, category_name: '拥军优属', standard_version: 1,
  is_current: false, status: 'pending_review', self_score: null, estimated_score: 3, loss_notes: null, lead_unit_id: 1, deadline: null,
  evidence_list: [{ id: 'e1', item_id: 'o26', item_number: '2.6', sha256: 'ab', title: '2026年征兵工作总结', note: null, location: null,
    taken_at: null, unit_id: 1, unit_name: '县人武部', status: 'submitted', review_comment: null, reviewed_at: null, uploaded_by: 3,
    uploader_name: '联络员', content_type: 'application/pdf', size: 10, created_at: '2026-11-30T02:00:00.000Z', version: 1 }],
  rectifications: [],
}

function answer(_method: string, url: URL) {
  if (url.pathname === '/api/creation/standard') return { json: standard(2, true, CHANGES) }
  if (url.pathname === '/api/creation/standards') {
    return { json: { items: [
      { id: 2, name: '修订版', version: 2, is_current: true, target: 90, created_at: null, items: 40, summary: changeCounts(CHANGES) },
      { id: 1, name: '初版', version: 1, is_current: false, target: 90, created_at: null, items: 40, summary: null },
    ] } }
  }
  if (url.pathname === '/api/creation/standards/1') return { json: standard(1, false, null) }
  if (url.pathname === '/api/creation/history/items/o26') return { json: HISTORY }
  return { status: 404, json: { error: { code: 'not_found', message: 'no' } } }
}

beforeAll(async () => {
  await loadOfficeMessages()
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('the standard page across versions', () => {
  it('puts a changed item in words: points as numbers, a bound figure by its label, nothing as 无', () => {
    const word = (k: string) => ({ empty: '无', 'metric.difficulty_on_time': '按时办结率' })[k] ?? k
    expect(changedFieldValues(CHANGES.changed[0], word)).toEqual([
      { field: 'points', before: '2', after: '2.5' }, { field: 'metric', before: '无', after: '按时办结率' }])
    expect(changeCounts(CHANGES)).toEqual({ added: 1, removed: 1, changed: 1, carried: 1 })
  })

  it('shows what the version changed in Chinese, opens a removed item\'s history and an earlier version read-only', async () => {
    i18n.global.locale.value = 'zh-CN'
    const calls = mockFetch(answer)
    const w = mount(StandardView, { global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.find('[data-test="standard-changes"]').exists()).toBe(true), WAIT)
    const head = w.find('[data-test="standard-changes"]').text()
    for (const words of ['本版变更（对比第 1 版）', '新增 1 条', '删除 1 条', '内容或分值变更 1 条', '原样沿用 1 条']) expect(head).toContain(words)

    for (const title of w.findAll('.el-collapse-item__header')) await title.trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="changes-field"]').exists()).toBe(true), WAIT)
    const text = w.find('[data-test="standard-changes"]').text()
    expect(text).toContain('分值：2 → 2.5')
    expect(text).toContain('数据评分：无 → 按时办结率')
    expect(text).toContain('已完成 →')
    expect(text).toContain('待审核')
    // No raw code on a Chinese screen.
    expect(text).not.toMatch(/pending_review|difficulty_on_time|points|metric|done\b/)

    await w.find('[data-test="changes-history"]').trigger('click')
    await vi.waitFor(() => expect(document.body.querySelector('[data-test="item-history"]')).not.toBeNull(), WAIT)
    const history = document.body.querySelector('[data-test="item-history"]')!.textContent!
    expect(history).toContain('2026年征兵工作总结')
    expect(history).toContain('县人武部')
    expect(history).not.toMatch(/submitted|pending_review/)
    expect(calls.some((c) => c.url === '/api/creation/history/items/o26')).toBe(true)

    expect(w.findAll('[data-test="standard-edit"]').length).toBeGreaterThan(0)
    const vm = w.findComponent({ name: 'ElSelect' })
    vm.vm.$emit('update:modelValue', 1)
    vm.vm.$emit('change', 1)
    await vi.waitFor(() => expect(w.find('[data-test="standard-readonly"]').exists()).toBe(true), WAIT)
    expect(w.find('[data-test="standard-readonly"]').text()).toContain('正在查看第 1 版（历史版本，只读）')
    expect(w.findAll('[data-test="standard-edit"]')).toHaveLength(0)
    expect(w.find('[data-test="standard-changes"]').exists()).toBe(false)
  })

  it('says before an import what the file would add, remove, change and carry over', async () => {
    i18n.global.locale.value = 'zh-CN'
    const runs: boolean[] = []
    const run = async (_f: File, dryRun: boolean) => {
      runs.push(dryRun)
      return { dry_run: dryRun, valid: 48, invalid: 0, rows: [], changes: { added: 1, removed: 2, changed: 3, carried: 37 } }
    }
    const w = mount(ImportPanel, { props: { run, testId: 'standard-import' }, global: { plugins: [i18n] }, attachTo: document.body })
    const input = w.find('[data-test="standard-import-file"]')
    Object.defineProperty(input.element, 'files', { value: [new File(['x'], '标准.xlsx')] })
    await input.trigger('change')
    await w.find('[data-test="standard-import-check"]').trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="standard-import-changes"]').exists()).toBe(true), WAIT)
    expect(w.find('[data-test="standard-import-changes"]').text()).toBe(
      '与当前版本相比：新增 1 条，删除 2 条，内容或分值变更 3 条（评分将清空），原样沿用 37 条')
    expect(runs).toEqual([true])
  })
})
