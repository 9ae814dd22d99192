import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import WeeklyReportView from '../../src/office/admin/WeeklyReportView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { loadOfficeMessages } from '../../src/office/i18n'
import { json, mockAdminFetch, query, type Call } from './adminHelpers'
import { choose, rangeShown, typeRange } from '../office/elementHelpers'

const AREAS = [
  { id: 1, code: '990100', name: '示范县', level: 'county', parent_id: null },
  { id: 2, code: '990101', name: '城关镇', level: 'township', parent_id: 1 },
  { id: 3, code: '990101001', name: '东街社区', level: 'village', parent_id: 2 },
  { id: 4, code: '990102', name: '青山乡', level: 'township', parent_id: 1 },
]

/** The area list as JSON, everything else as `file`. */
const withAreas = (file: () => Response) => (c: Call) => (c.url.pathname === '/api/areas' ? json(200, { items: AREAS }) : file())
const reportCalls = (calls: Call[]) => calls.filter((c) => c.url.pathname === '/api/reports/weekly.xlsx')

afterEach(() => {
  setAdminApi(null)
  vi.useRealTimers()
})

describe('WeeklyReportView', () => {
  it('defaults to the last 7 local days and downloads the workbook under the server name', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-29T17:00:00Z') }) // 11-30 01:00 in Beijing
    const calls = await mockAdminFetch(withAreas(() => new Response(new Blob(['PK']), {
      status: 200, headers: { 'Content-Disposition': "attachment; filename=weekly.xlsx; filename*=UTF-8''%E5%91%A8%E6%8A%A5.xlsx" },
    })))
    const clicked: string[] = []
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download)
    })
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-11-24', '2026-11-30'])
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(reportCalls(calls)).toHaveLength(1)
    expect(query(reportCalls(calls)[0])).toEqual({ from: '2026-11-24', to: '2026-11-30' })
    expect(clicked).toEqual(['周报.xlsx'])
    expect(w.find('[data-test="report-done"]').text()).toContain('周报.xlsx')
    click.mockRestore()
    w.unmount()
  })

  it('downloads the range typed into the picker, as YYYY-MM-DD', async () => {
    const calls = await mockAdminFetch(withAreas(() => new Response(new Blob(['PK']), { status: 200 })))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await typeRange(w, 'report-dates', '2026-12-01', '2026-12-04')
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-12-01', '2026-12-04'])
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(query(reportCalls(calls)[0])).toEqual({ from: '2026-12-01', to: '2026-12-04' })
    click.mockRestore()
    w.unmount()
  })

  it('links the bulk archive of the chosen township, or of one of its villages, for the browser to stream', async () => {
    await loadOfficeMessages()
    await mockAdminFetch(withAreas(() => new Response(null, { status: 500 })))
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(w.find('[data-test="archive-download"]').exists()).toBe(false)
    await choose(w, 'archive-township', '城关镇')
    const link = () => w.find('[data-test="archive-download"]')
    expect(link().element.tagName).toBe('A')
    expect(link().attributes('href')).toBe('/api/reports/archive.zip?area=2')
    expect(link().attributes('download')).toBeDefined()
    await choose(w, 'archive-village', '东街社区')
    expect(link().attributes('href')).toBe('/api/reports/archive.zip?area=3')
    expect(w.find('[data-test="bulk-archive"]').text()).toContain('档案批量导出')
    w.unmount()
  })
})
