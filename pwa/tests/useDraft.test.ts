import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h, nextTick, reactive } from 'vue'
import { mount } from '@vue/test-utils'
import { useDraft, type Draft } from '../src/composables/useDraft'
import { loadDraft, saveDraft } from '../src/db/drafts'
import { freshDb } from './helpers'

const KEY = '1:test:form'

/** A form with a draft, as a component's setup makes it; `debounceMs` large to see the flushes alone. */
function mountDraft(debounceMs?: number, key: () => string = () => KEY) {
  const state = reactive({ note: '', status: 'open', tags: [] as string[] })
  let draft!: Draft
  const w = mount(defineComponent({
    setup() {
      draft = useDraft(state, { key, userId: '1', debounceMs })
      return () => h('div')
    },
  }))
  return { w, state, draft }
}

const stored = async () => (await loadDraft(KEY, '1')) ?? undefined

beforeEach(async () => {
  await freshDb()
})

describe('useDraft', () => {
  it('writes the draft on every change once restored, and nothing before', async () => {
    const { state, draft } = mountDraft()
    state.note = 'before restore'
    await new Promise((r) => setTimeout(r, 20))
    expect(await stored()).toBeUndefined()

    expect(await draft.restore()).toBe(false)
    expect(state.note).toBe('before restore')
    state.note = '房屋漏雨'
    await vi.waitFor(async () => expect(await stored()).toEqual({ note: '房屋漏雨', status: 'open', tags: [] }))
    state.tags.push('urgent')
    await vi.waitFor(async () => expect((await stored())?.tags).toEqual(['urgent']))
  })

  it('flushes a pending change on pagehide and when the page is hidden', async () => {
    const { state, draft } = mountDraft(60_000)
    await draft.restore()
    state.note = '刚打完的字'
    await nextTick()
    expect(await stored()).toBeUndefined()
    window.dispatchEvent(new Event('pagehide'))
    await vi.waitFor(async () => expect((await stored())?.note).toBe('刚打完的字'))

    state.note = '切到后台前'
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden')
    document.dispatchEvent(new Event('visibilitychange'))
    visibility.mockRestore()
    await vi.waitFor(async () => expect((await stored())?.note).toBe('切到后台前'))
  })

  it('flushes a pending change when the form unmounts', async () => {
    const { w, state, draft } = mountDraft(60_000)
    await draft.restore()
    state.note = '离开页面'
    w.unmount()
    await vi.waitFor(async () => expect((await stored())?.note).toBe('离开页面'))
  })

  it('restores the stored draft over the form, ignoring fields the form no longer has', async () => {
    await saveDraft(KEY, '1', { note: '上次的草稿', status: 'in_progress', gone: 'x' })
    const { state, draft } = mountDraft()
    expect(await draft.restore()).toBe(true)
    expect(state).toEqual({ note: '上次的草稿', status: 'in_progress', tags: [] })
  })

  it('clear() deletes the draft and the unmount does not write it back', async () => {
    const { w, state, draft } = mountDraft(60_000)
    await draft.restore()
    state.note = '已保存'
    await draft.flush()
    expect((await stored())?.note).toBe('已保存')
    state.note = '已保存，再改一下'
    await draft.clear()
    expect(await stored()).toBeUndefined()
    w.unmount()
    await new Promise((r) => setTimeout(r, 20))
    expect(await stored()).toBeUndefined()
  })

  it('keeps no draft of a form reset to blank after clear(), nor of one edited back to how it opened', async () => {
    const { state, draft } = mountDraft()
    await draft.restore()
    state.note = '第一条跟进'
    await vi.waitFor(async () => expect((await stored())?.note).toBe('第一条跟进'))
    state.note = ''
    await draft.clear()
    await new Promise((r) => setTimeout(r, 20))
    expect(await stored()).toBeUndefined()

    state.note = 'x'
    await vi.waitFor(async () => expect((await stored())?.note).toBe('x'))
    state.note = ''
    await vi.waitFor(async () => expect(await stored()).toBeUndefined())
  })

  it("never restores another user's draft", async () => {
    await saveDraft(KEY, '2', { note: '别人的草稿' })
    expect(await loadDraft(KEY, '1')).toBeNull()
    const { state, draft } = mountDraft()
    expect(await draft.restore()).toBe(false)
    expect(state.note).toBe('')
  })

  it('restore(reset) after a key change flushes the old draft before blanking the form', async () => {
    const key = { value: 'a' }
    const { state, draft } = mountDraft(60_000, () => `1:test:${key.value}`)
    await draft.restore()
    state.note = 'A 的跟进'
    key.value = 'b'
    await draft.restore(() => (state.note = ''))
    expect((await loadDraft('1:test:a', '1'))?.note).toBe('A 的跟进')
    expect(state.note).toBe('')
    state.note = 'B 的跟进'
    await draft.flush()
    expect((await loadDraft('1:test:b', '1'))?.note).toBe('B 的跟进')
    expect((await loadDraft('1:test:a', '1'))?.note).toBe('A 的跟进')
  })
})
