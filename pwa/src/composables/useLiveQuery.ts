/** Bind a Dexie liveQuery to a Vue ref; re-runs when the database or the given sources change. */
import { liveQuery, type Subscription } from 'dexie'
import { getCurrentScope, onScopeDispose, shallowRef, watch, type Ref, type WatchSource } from 'vue'

export function useLiveQuery<T>(query: () => Promise<T> | T, deps: WatchSource[] = [], initial?: T): Ref<T | undefined> {
  const value = shallowRef<T | undefined>(initial)
  let sub: Subscription | null = null
  const run = () => {
    sub?.unsubscribe()
    sub = liveQuery(query).subscribe({
      next: (v) => {
        value.value = v
      },
      error: (e) => console.error('liveQuery failed', e),
    })
  }
  if (deps.length) watch(deps, run, { immediate: true })
  else run()
  if (getCurrentScope()) onScopeDispose(() => sub?.unsubscribe())
  return value
}
