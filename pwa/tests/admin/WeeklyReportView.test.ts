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
/** The calls of the report itself, without the bulk archive's area list. */
const reportCalls = (calls: Call[]) => calls.filter((c) => c.url.pathname !== '/api/areas')

const JOB_ID = '7b0c5a52-8f2d-4c57-9a43-2f7d3c1e9a10'
const WORKBOOK = { 'Content-Disposition': "attachment; filename=weekly.xlsx; filename*=UTF-8''%E5%91%A8%E6%8A%A5.xlsx" }

afterEach(() => {
  setAdminApi(null)
  vi.useRealTimers()
})

function job(status: string, progress: number, extra: Record<string, unknown> = {}) {
  return {
    id: JOB_ID, kind: 'weekly_xlsx', status, progress, result: null, error: null, created_at: '2026-11-30T01:00:00Z',
    started_at: null, finished_at: null, download_url: status === 'done' ? `/api/jobs/${JOB_ID}/result` : null, ...extra,
  }
}

/** The server's side of a job: queued, then each poll answers the next of `states`; the result file last. */
function jobServer(states: ReturnType<typeof job>[]) {
  return (call: Call) => {
    const path = call.url.pathname
    if (path === '/api/areas') return json(200, { items: AREAS })
    if (call.method === 'POST' && path === '/api/jobs') return json(202, job('queued', 0))
    if (path === `/api/jobs/${JOB_ID}`) return json(200, states.shift() ?? job('done', 100))
    if (path === `/api/jobs/${JOB_ID}/result` || path === '/api/reports/weekly.xlsx') {
      return new Response(new Blob(['PK']), { status: 200, headers: WORKBOOK })
    }
    return json(404, { error: { code: 'not_found', message: 'Not found' } })
  }
}

function spyDownloads(): { clicked: string[]; restore: () => void } {
  const clicked: string[] = []
  const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicked.push(this.download)
  })
  return { clicked, restore: () => click.mockRestore() }
}

describe('WeeklyReportView', () => {
  it('defaults to the last 7 local days, follows the job with a progress bar and downloads its workbook', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'], now: new Date('2026-11-29T17:00:00Z') }) // 11-30 01:00 in Beijing
    const calls = await mockAdminFetch(jobServer([job('running', 40), job('done', 100)]))
    const downloads = spyDownloads()
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await flushPromises()
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-11-24', '2026-11-30'])
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(reportCalls(calls)[0].method).toBe('POST')
    expect(JSON.parse(String(reportCalls(calls)[0].body))).toEqual({ kind: 'weekly_xlsx', params: { from: '2026-11-24', to: '2026-11-30' } })
    expect(w.find('[data-test="report-progress"]').exists()).toBe(true)
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(w.find('[data-test="report-progress"]').text()).toContain('40%')
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(reportCalls(calls).map((c) => c.url.pathname)).toEqual(['/api/jobs', `/api/jobs/${JOB_ID}`, `/api/jobs/${JOB_ID}`,
      `/api/jobs/${JOB_ID}/result`])
    expect(downloads.clicked).toEqual(['周报.xlsx'])
    expect(w.find('[data-test="report-done"]').text()).toContain('周报.xlsx')
    expect(w.find('[data-test="report-progress"]').exists()).toBe(false)
    downloads.restore()
    w.unmount()
  })

  it('queues the range typed into the picker, as YYYY-MM-DD', async () => {
    const calls = await mockAdminFetch(jobServer([]))
    const downloads = spyDownloads()
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await typeRange(w, 'report-dates', '2026-12-01', '2026-12-04')
    expect(rangeShown(w, 'report-dates')).toEqual(['2026-12-01', '2026-12-04'])
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(JSON.parse(String(reportCalls(calls)[0].body)).params).toEqual({ from: '2026-12-01', to: '2026-12-04' })
    downloads.restore()
    w.unmount()
  })

  it('builds the workbook in the request when no dispatcher takes the job', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'], now: new Date('2026-11-29T17:00:00Z') })
    const calls = await mockAdminFetch(jobServer(Array.from({ length: 30 }, () => job('queued', 0))))
    const downloads = spyDownloads()
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-test="report-progress"]').text()).toContain('排队')
    await vi.advanceTimersByTimeAsync(12_000)
    await flushPromises()
    const direct = calls.find((c) => c.url.pathname === '/api/reports/weekly.xlsx')
    expect(direct && query(direct)).toEqual({ from: '2026-11-24', to: '2026-11-30' })
    expect(downloads.clicked).toEqual(['周报.xlsx'])
    downloads.restore()
    w.unmount()
  })

  it('says in Chinese why a job failed, without its code', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] })
    await mockAdminFetch(jobServer([job('failed', 20, { error: { code: 'interrupted', message: 'the job was interrupted' } })]))
    const w = mount(WeeklyReportView, { global: { plugins: [i18n] }, attachTo: document.body })
    await w.find('[data-test="report-download"]').trigger('click')
    await flushPromises()
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    const shown = w.find('[data-test="report-error"]').text()
    expect(shown).toBe('后台任务中断，请重新生成')
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
