import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import RosterImportView from '../../src/office/admin/RosterImportView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { chooseFile, json, mockAdminFetch, query } from './adminHelpers'

afterEach(() => setAdminApi(null))

const confirmed = vi.hoisted(() => ({ asked: [] as string[] }))
vi.mock('../../src/office/admin/confirm', () => ({
  confirmAction: async (_t: unknown, message: string) => (confirmed.asked.push(message), true),
}))

const WARNED = {
  dry_run: true, valid: 3, invalid: 0, created: 3, updated: 0, unchanged: 0, skipped: 0, warned: 2,
  rows: [
    { row: 2, ok: true, action: 'created' },
    { row: 3, ok: true, action: 'created', warnings: [{ code: 'possible_duplicate', recipient_id: 'r-1', rule: 'name_birth_date',
      name: '张三', id_number: '330102********1234', village_name: '东关村' }] },
    { row: 4, ok: true, action: 'created', warnings: [{ code: 'phone_format', field: 'phone' },
      { code: 'gender_mismatch', field: 'gender', id_number_gender: 'female' }] },
  ],
}

const DRY = {
  dry_run: true, valid: 3, invalid: 2, created: 2, updated: 1, unchanged: 0,
  rows: [
    { row: 2, ok: true, action: 'created' },
    { row: 3, ok: false, errors: { id_number: ['校验位错误 / bad check digit'] }, error_codes: { id_number: ['id_number_check_digit'] } },
    { row: 4, ok: true, action: 'created' },
    { row: 5, ok: true, action: 'updated' },
    { row: 6, ok: false, errors: { area_id: ['村名不唯一，请填写村代码 / not unique'], category: ['未知类别 / unknown'] },
      error_codes: { area_id: ['village_ambiguous'], category: ['invalid_choice'] } },
  ],
}
const DONE = { ...DRY, dry_run: false, rows: DRY.rows }

describe('RosterImportView', () => {
  it('shows exactly the invalid rows of a dry run, enables the import, then shows the counts', async () => {
    const calls = await mockAdminFetch((c) => json(200, c.url.searchParams.get('dry_run') === '1' ? DRY : DONE))
    const w = mount(RosterImportView, { global: { plugins: [i18n] }, attachTo: document.body })
    const run = () => w.find('[data-test="import-run"]')
    expect(w.find('[data-test="import-dry-run"]').attributes('disabled')).toBeDefined()
    expect(run().attributes('disabled')).toBeDefined()

    await chooseFile(w.find('[data-test="import-file"]'), new File(['姓名,身份证号\n'], 'roster.csv', { type: 'text/csv' }))
    await w.find('[data-test="import-dry-run"]').trigger('click')
    await flushPromises()

    expect(calls).toHaveLength(1)
    expect(calls[0].method).toBe('POST')
    expect(calls[0].url.pathname).toBe('/api/recipients/import')
    expect(query(calls[0])).toEqual({ dry_run: '1' })
    expect(calls[0].headers['X-CSRF-Token']).toBe('csrf-1')
    expect((calls[0].body as FormData).get('file')).toBeInstanceOf(File)

    const shown = w.findAll('[data-test="invalid-row"]')
    expect(shown.map((r) => r.attributes('data-row'))).toEqual(['3', '6'])
    expect(shown[0].text()).toContain('身份证号')
    expect(shown[0].text()).toContain('校验位错误')
    expect(shown[1].text()).toContain('所在村(社区)')
    expect(shown[1].text()).toContain('请改填村代码')
    expect(shown[1].text()).toContain('不是可选的值')
    expect(shown.map((r) => r.text()).join()).not.toMatch(/[A-Za-z]/)
    expect(w.find('[data-test="count-valid"]').text()).toBe('3')
    expect(w.find('[data-test="count-invalid"]').text()).toBe('2')
    expect(run().attributes('disabled')).toBeUndefined()
    expect(run().text()).toContain('3')

    await run().trigger('click')
    expect(w.find('[data-test="busy"]').exists()).toBe(true)
    await flushPromises()
    expect(calls).toHaveLength(2)
    expect(query(calls[1])).toEqual({})
    expect(w.find('[data-test="import-done"]').text()).toContain('新增 2 人')
    expect(w.find('[data-test="count-created"]').text()).toBe('2')
    expect(w.find('[data-test="count-updated"]').text()).toBe('1')
    expect(w.find('[data-test="busy"]').exists()).toBe(false)
    expect(run().attributes('disabled')).toBeDefined()
    w.unmount()
  })

  it('asks about every warned row (import anyway or skip) before the import, and sends the skipped rows', async () => {
    const calls = await mockAdminFetch((c) => json(200, c.url.searchParams.get('dry_run') === '1' ? WARNED
      : { ...WARNED, dry_run: false, created: 2, skipped: 1 }))
    const w = mount(RosterImportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await chooseFile(w.find('[data-test="import-file"]'), new File(['x'], 'roster.xlsx'))
    await w.find('[data-test="import-dry-run"]').trigger('click')
    await flushPromises()

    const warned = w.findAll('[data-test="warned-row"]')
    expect(warned.map((r) => r.attributes('data-row'))).toEqual(['3', '4'])
    expect(warned[0].text()).toBe('可能与已登记的张三（东关村，身份证号 330102********1234）为同一人（姓名和出生日期相同）')
    expect(warned[1].text()).toContain('联系电话格式可疑')
    expect(warned[1].text()).toContain('按身份证号应为女')
    expect(w.find('[data-test="warned-rows"]').text()).not.toMatch(/[A-Za-z]/)
    expect(w.find('[data-test="import-problems"]').exists()).toBe(true)
    const run = () => w.find('[data-test="import-run"]')
    expect(run().attributes('disabled')).toBeDefined() // two rows undecided
    expect(w.find('[data-test="warned-undecided"]').text()).toContain('2')

    await w.find('[data-test="decision-3-skip"] input').setValue(true)
    await w.find('[data-test="decision-4-import"] input').setValue(true)
    await flushPromises()
    expect(run().attributes('disabled')).toBeUndefined()
    expect(run().text()).toContain('2')

    await run().trigger('click')
    await flushPromises()
    expect(confirmed.asked).toEqual(['将导入 2 条记录，跳过 1 行。确定导入吗？'])
    expect(query(calls[1])).toEqual({ skip_rows: '3' })
    expect(w.find('[data-test="count-skipped"]').text()).toBe('1')
    w.unmount()
  })

  it('pages through 20,000 invalid rows and never renders them all', async () => {
    const rows = Array.from({ length: 20_000 }, (_, i) => ({ row: i + 2, ok: false, errors: { name: ['必填 / required'] } }))
    await mockAdminFetch(() => json(200, { dry_run: true, valid: 0, invalid: 20_000, created: 0, updated: 0, unchanged: 0, rows }))
    const w = mount(RosterImportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await chooseFile(w.find('[data-test="import-file"]'), new File(['x'], 'big.xlsx'))
    await w.find('[data-test="import-dry-run"]').trigger('click')
    await flushPromises()
    expect(w.findAll('[data-test="invalid-row"]')).toHaveLength(50)
    expect(w.find('[data-test="invalid-row"]').attributes('data-row')).toBe('2')
    expect(w.find('[data-test="import-run"]').attributes('disabled')).toBeDefined()
    expect(w.find('[data-test="invalid-pages"]').exists()).toBe(true)
    w.unmount()
  })

  it('shows a translated error when the file is refused', async () => {
    await mockAdminFetch(() => json(415, { error: { code: 'unsupported_file_type', message: 'save as .xlsx' } }))
    const w = mount(RosterImportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await chooseFile(w.find('[data-test="import-file"]'), new File(['x'], 'old.xls'))
    await w.find('[data-test="import-dry-run"]').trigger('click')
    await vi.waitFor(() => expect(w.find('[data-test="import-error"]').text()).toContain('.xlsx 或 .csv'))
    expect(w.find('[data-test="import-run"]').attributes('disabled')).toBeDefined()
    w.unmount()
  })
})
