import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import AreasView from '../../src/office/admin/AreasView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { chooseFile, json, mockAdminFetch, type Call } from './adminHelpers'
import { shown, shownRows } from '../office/elementHelpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

afterEach(() => setAdminApi(null))

const AREAS = [
  { id: 1, code: '990100', name: '示范县', level: 'county', parent_id: null },
  { id: 2, code: '990101', name: '城关镇', level: 'township', parent_id: 1 },
  { id: 3, code: '990101001', name: '东关村', level: 'village', parent_id: 2 },
]

function server(c: Call): Response {
  if (c.url.pathname === '/api/areas') return json(200, { items: AREAS })
  if (c.url.pathname === '/api/admin/areas') return json(409, { error: { code: 'code_taken', message: 'exists', fields: { code: ['already exists'] }, field_codes: { code: ['taken'] } } })
  if (c.url.pathname === '/api/admin/areas/import') {
    return json(200, { dry_run: c.url.searchParams.get('dry_run') === '1', created: 4,
      errors: [{ row: 3, errors: { parent_code: ['unknown parent'] }, error_codes: { parent_code: ['not_found'] } }] })
  }
  return json(404, { error: { code: 'not_found' } })
}

const names = (w: ReturnType<typeof mount>) => shownRows(w, 'area-tree').map((r) => r.find('[data-test="area-node"]').text())
const row = (w: ReturnType<typeof mount>, name: string) => shownRows(w, 'area-tree').find((r) => r.find('[data-test="area-node"]').text() === name)!

describe('AreasView', () => {
  it('shows the tree with the county open, and expands a township', async () => {
    await mockAdminFetch(server)
    const w = mount(AreasView, { global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(names(w)).toEqual(['示范县', '城关镇']), WAIT)
    const toggle = row(w, '城关镇').find('button.el-table__expand-icon')
    expect(toggle.attributes('aria-expanded')).toBe('false')
    await toggle.trigger('click')
    await vi.waitFor(() => expect(names(w)).toEqual(['示范县', '城关镇', '东关村']), WAIT)
    expect(row(w, '城关镇').find('button.el-table__expand-icon').attributes('aria-expanded')).toBe('true')
    w.unmount()
  })

  it('imports a CSV of codes and lists its row errors', async () => {
    const calls = await mockAdminFetch(server)
    const w = mount(AreasView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await chooseFile(w.find('[data-test="area-csv"]'), new File(['code,name,level,parent_code\n'], 'areas.csv', { type: 'text/csv' }))
    await w.find('[data-test="area-import"]').trigger('click')
    await flushPromises()
    const upload = calls.find((c) => c.url.pathname === '/api/admin/areas/import')!
    expect(upload.method).toBe('POST')
    expect((upload.body as FormData).get('file')).toBeInstanceOf(File)
    expect(w.find('[data-test="area-import-result"]').text()).toBe('新增 4 个区划，1 行有误')
    // The row's problem in words, never the server's English message or the column's code name.
    expect(w.text()).toContain('上级代码：找不到')
    expect(w.text()).not.toContain('unknown parent')
    w.unmount()
  })

  it('checks a CSV first: a dry run writes nothing and says what the import would do', async () => {
    const calls = await mockAdminFetch(server)
    const w = mount(AreasView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    await chooseFile(w.find('[data-test="area-csv"]'), new File(['code,name,level,parent_code\n'], 'areas.csv', { type: 'text/csv' }))
    await w.find('[data-test="area-dry-run"]').trigger('click')
    await flushPromises()
    const check = calls.find((c) => c.url.pathname === '/api/admin/areas/import')!
    expect(check.url.searchParams.get('dry_run')).toBe('1')
    expect(w.find('[data-test="area-import-result"]').text()).toBe('检查结果（尚未写入）：将新增 4 个区划，1 行有误')
    w.unmount()
  })

  it('adds an area under a parent and shows code_taken on the form', async () => {
    const calls = await mockAdminFetch(server)
    const w = mount(AreasView, { global: { plugins: [i18n] }, attachTo: document.body })
    await vi.waitFor(() => expect(names(w)).toContain('城关镇'), WAIT)
    await row(w, '城关镇').find('.add').trigger('click')
    await shown('[data-test="area-form"]')
    const form = w.find('[data-test="area-form"]')
    expect((form.find('[data-test="area-code"]').element as HTMLInputElement).value).toBe('990101')
    await form.find('[data-test="area-code"]').setValue('990101002')
    await form.find('[data-test="area-name"]').setValue('西街社区')
    await form.trigger('submit')
    await flushPromises()
    const post = calls.find((c) => c.url.pathname === '/api/admin/areas')!
    expect(JSON.parse(String(post.body))).toEqual({ code: '990101002', name: '西街社区', level: 'village', parent_id: 2 })
    expect(form.text()).toContain('区划代码已存在')
    expect(form.text()).toContain('区划代码已存在')
    expect(form.text()).not.toMatch(/[A-Za-z]/)
    w.unmount()
  })
})
