import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import WeeklyReportView from '../../src/office/admin/WeeklyReportView.vue'
import { i18n } from '../../src/i18n'
import { setAdminApi } from '../../src/office/admin/api'
import { mockAdminFetch, query } from './adminHelpers'
import { rangeShown, typeRange } from '../office/elementHelpers'

afterEach(() => {
  setAdminApi(null)
  vi.useRealTimers()
})

describe('WeeklyReportView', () => {
  it('defaults to the last 7 local days and downloads the workbook under the server name', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-11-29T17:00:00Z') }) // 11-30 01:00 in Beijing
    const calls = await mockAdminFetch(() => new Response(new Blob(['PK']), {
      status: 200, headers: { 'Content-Disposition': "attachment; filename=weekly.xlsx; filename*=UTF-8''%E5%91%A8%E6%8A%A5.xlsx" },
    }))
    const clicked: string[] = []
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download)
    })
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-11-24', '2026-11-30'])
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(calls[0].url.pathname).toBe('/api/reports/weekly.xlsx')
    expect(query(calls[0])).toEqual({ from: '2026-11-24', to: '2026-11-30' })
    expect(clicked).toEqual(['周报.xlsx'])
    expect(w.find('[data-test="report-done"]').text()).toContain('周报.xlsx')
    click.mockRestore()
    w.unmount()
  })

  it('downloads the range typed into the picker, as YYYY-MM-DD', async () => {
    const calls = await mockAdminFetch(() => new Response(new Blob(['PK']), { status: 200 }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined)
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await typeRange(w, 'report-dates', '2026-12-01', '2026-12-04')
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-12-01', '2026-12-04'])
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(query(calls[0])).toEqual({ from: '2026-12-01', to: '2026-12-04' })
    click.mockRestore()
    w.unmount()
  })
})
