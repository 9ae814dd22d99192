/**
 * Every form's draft: restore it when the form opens, write it on every change, clear it on save or discard.
 *
 * One mechanism for all forms (elk's `statusDrafts.ts` keeps one map of drafts per user; here each draft is a
 * row of `db.drafts` keyed by user and form, see `db/drafts.ts`). A field worker's phone may reload, kill the
 * tab or lose power at any moment, so a change is written at once (coalesced, one write in flight) and any
 * pending change is flushed again on `pagehide`, on `visibilitychange` → hidden, and when the form unmounts.
 */
import { onScopeDispose, ref, toValue, watch, type MaybeRefOrGetter, type Ref } from 'vue'
import { deleteDraft, loadDraft, saveDraft } from '../db/drafts'

export interface DraftOptions {
  /** The draft's key (`db/drafts.ts` builds them); read when `restore()` runs. */
  key: MaybeRefOrGetter<string>
  userId: MaybeRefOrGetter<string>
  /** Wait this long after a change before writing (0: the next task). A flush on hide writes at once anyway. */
  debounceMs?: number
}

export interface Draft {
  /** `restore()` has run: changes are being written. */
  active: Readonly<Ref<boolean>>
  /** Apply the stored draft over `state` and start writing; true when there was one (the caller says so).
   *  Again after the key changed (a route reused for another record): the old draft is flushed first, then
   *  `reset` (if given) blanks the form without that counting as a change to the old draft. */
  restore(reset?: () => void): Promise<boolean>
  /** Write the pending change now (pagehide, visibilitychange and unmount call it). */
  flush(): Promise<void>
  /** Forget the draft (saved or discarded): drop the pending write and delete the row. The state as it is now
   *  becomes the form's blank one, so reset the form (if it stays open) before calling this. */
  clear(): Promise<void>
}

const snapshot = (state: object): string => JSON.stringify(state)

/** Draft `state` (a reactive object of plain, JSON-able values). Call from a component's setup. */
export function useDraft<T extends object>(state: T, options: DraftOptions): Draft {
  const active = ref(false)
  let key = ''
  let userId = ''
  // The form without a draft: a draft equal to it is no draft, so none is kept.
  let blank = ''
  let written = ''
  let dirty = false
  let timer: ReturnType<typeof setTimeout> | null = null
  let queue: Promise<void> = Promise.resolve()

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = null
    if (!active.value || !dirty) return queue
    dirty = false
    // Read the state now, synchronously: on pagehide there may be no later moment.
    const data = snapshot(state)
    if (data === written) return queue
    written = data
    const [k, uid] = [key, userId]
    queue = queue
      .then(() => (data === blank ? deleteDraft(k) : saveDraft(k, uid, JSON.parse(data) as Record<string, unknown>)))
      .catch((e: unknown) => console.error('draft write failed', e))
    return queue
  }

  // `sync`: the change is noted at once, so a clear() right after a reset sees it (and drops it).
  watch(() => snapshot(state), () => {
    if (!active.value) return
    dirty = true
    if (!timer) timer = setTimeout(() => void flush(), options.debounceMs ?? 0)
  }, { flush: 'sync' })

  async function restore(reset?: () => void): Promise<boolean> {
    await flush()
    active.value = false
    reset?.()
    key = toValue(options.key)
    userId = toValue(options.userId)
    blank = snapshot(state)
    const stored = await loadDraft(key, userId)
    if (stored) {
      // Only the form's own fields: a draft from an older version of the form may hold others.
      const target = state as Record<string, unknown>
      for (const [k, v] of Object.entries(stored)) if (k in target) target[k] = v
    }
    written = snapshot(state)
    dirty = false
    active.value = true
    return !!stored
  }

  async function clear(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = null
    dirty = false
    blank = written = snapshot(state)
    const k = key || toValue(options.key)
    queue = queue.then(() => (k ? deleteDraft(k) : undefined)).catch((e: unknown) => console.error('draft delete failed', e))
    await queue
  }

  const onPageHide = () => void flush()
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') void flush()
  }
  if (typeof window !== 'undefined') {
    window.addEventListener('pagehide', onPageHide)
    document.addEventListener('visibilitychange', onVisibility)
  }
  onScopeDispose(() => {
    if (typeof window !== 'undefined') {
      window.removeEventListener('pagehide', onPageHide)
      document.removeEventListener('visibilitychange', onVisibility)
    }
    void flush()
  })

  return { active, restore, flush, clear }
}
