import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import OfficeReviewDialog from '../../src/office/components/OfficeReviewDialog.vue'
import { loadOfficeMessages } from '../../src/office/i18n'
import { i18n } from '../../src/i18n'
import { officeElement } from '../../src/office/element'
import { freshDb, login } from '../helpers'
import { mockFetch } from './fetchMock'
import { inBody, shown } from './elementHelpers'

// Element Plus renders in a few ticks; a loaded machine needs more than waitFor's default second.
const WAIT = { timeout: 5000 }

const VID = '22222222-2222-4222-8222-222222222222'

async function mountDialog(decision: 'approve' | 'return') {
  const w = mount(OfficeReviewDialog, {
    props: { visitId: VID, decision, show: true },
    global: { plugins: [i18n, officeElement] },
    attachTo: document.body,
  })
  await shown('[data-test="review-confirm"]')
  return w
}

async function confirm() {
  await inBody('[data-test="review-confirm"]').trigger('click')
  await flushPromises()
}

beforeAll(async () => {
  await loadOfficeMessages()
})
beforeEach(async () => {
  await freshDb()
  await login('7', 'csrf-7')
})
afterEach(() => {
  vi.unstubAllGlobals()
  document.body.innerHTML = ''
})

describe('OfficeReviewDialog', () => {
  it('will not return a visit without a comment, and sends nothing', async () => {
    const calls = mockFetch(() => ({ json: {} }))
    const w = await mountDialog('return')
    await confirm()
    expect(calls).toHaveLength(0)
    expect(inBody('[data-test="review-error"]').text()).toBe('退回时必须填写意见')
    expect(w.emitted('done')).toBeUndefined()
    w.unmount()
  })

  it('returns a visit with its comment and the CSRF token, then reports done', async () => {
    const calls = mockFetch(() => ({ json: { type: 'visit', id: VID, data: { status: 'returned' } } }))
    const w = await mountDialog('return')
    await inBody('[data-test="review-comment"]').setValue('  照片不清楚，请补拍  ')
    await confirm()
    expect(calls).toEqual([{
      method: 'POST', url: `/api/visits/${VID}/review`, body: { decision: 'return', comment: '照片不清楚，请补拍' },
      headers: expect.objectContaining({ 'X-CSRF-Token': 'csrf-7', 'Content-Type': 'application/json' }),
    }])
    expect(w.emitted('done')).toEqual([['return']])
    expect(w.emitted('update:show')).toEqual([[false]])
    w.unmount()
  })

  it('approves with an empty comment sent as null', async () => {
    const calls = mockFetch(() => ({ json: {} }))
    const w = await mountDialog('approve')
    await confirm()
    expect(calls[0].body).toEqual({ decision: 'approve', comment: null })
    expect(w.emitted('done')).toEqual([['approve']])
    w.unmount()
  })

  it('shows a 409 invalid_transition in words and stays open', async () => {
    mockFetch(() => ({ status: 409, json: { error: { code: 'invalid_transition', message: 'a approved visit cannot be reviewed' } } }))
    const w = await mountDialog('approve')
    await confirm()
    expect(inBody('[data-test="review-error"]').text()).toContain('该走访已被审核')
    expect(w.emitted('done')).toBeUndefined()
    expect(w.emitted('failed')).toEqual([['invalid_transition']])
    expect(w.emitted('update:show')).toBeUndefined()
    w.unmount()
  })

  it('closes on Esc without sending anything', async () => {
    const calls = mockFetch(() => ({ json: {} }))
    const w = await mountDialog('return')
    document.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', code: 'Escape', bubbles: true }))
    await flushPromises()
    // Element Plus hides the dialog at once (and reports show=false when its leave transition ends, which the
    // test renderer stubs).
    const overlay = document.querySelector('[data-test="review-dialog"]')!.closest('.el-overlay') as HTMLElement
    await vi.waitFor(() => expect(overlay.style.display).toBe('none'), WAIT)
    expect(calls).toHaveLength(0)
    expect(w.emitted('done')).toBeUndefined()
    w.unmount()
  })

  it('speaks English after switching', async () => {
    mockFetch(() => ({ status: 409, json: { error: { code: 'invalid_transition' } } }))
    const { ensureOfficeMessages } = await import('../../src/office/i18n')
    await ensureOfficeMessages('en')
    i18n.global.locale.value = 'en'
    try {
      const w = await mountDialog('approve')
      await confirm()
      expect(inBody('[data-test="review-error"]').text()).toContain('already reviewed')
      w.unmount()
    } finally {
      i18n.global.locale.value = 'zh-CN'
    }
  })
})
