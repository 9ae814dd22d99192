/**
 * The roster (every recipient in the user's scope) and its name index, kept for the whole session: one live
 * query, subscribed once, rebuilds the index only when the roster changes, so reopening the list is a render,
 * not a reload. Loaded lazily (it brings pinyin-pro): the home screen warms it when idle (`warmRoster`), the list
 * reads it (`useRoster`). Dropped when the user changes, logs out or the app locks: the rows are opened (decrypted)
 * with the user's key, so this is the roster "decrypted into memory at unlock" that search runs on.
 */
import { liveQuery, type Subscription } from 'dexie'
import { getCurrentScope, onScopeDispose, shallowRef, watch } from 'vue'
import { roster } from '../db/queries'
import type { AreaId, Recipient } from '../db/types'
import { buildNameIndexInSlices, type NameIndex } from '../lib/search'
import { currentUserId, unlocked } from './useApp'

export interface Roster {
  /** The index of the current roster (its `items` in pinyin order); null until the first is built. */
  index: NameIndex<Recipient>
  /** The villages the roster's recipients live in (for the village filter). */
  areaIds: ReadonlySet<AreaId>
}

const state = shallowRef<Roster | null>(null)
let sub: Subscription | null = null
let owner = ''
let generation = 0
let builds = 0
let users = 0

const nameOf = (r: Recipient) => r.name

async function build(rows: Recipient[], gen: number): Promise<void> {
  const index = await buildNameIndexInSlices(rows, nameOf, { cancelled: () => gen !== generation })
  if (!index || gen !== generation) return
  builds++
  state.value = { index, areaIds: new Set(rows.map((r) => r.area_id)) }
}

/** Start keeping the roster for the logged-in user (once; later calls are free). */
export function warmRoster(): void {
  if (sub || !currentUserId.value) return
  owner = currentUserId.value
  sub = liveQuery(roster).subscribe({
    next: (rows) => void build(rows, ++generation),
    error: (e) => console.error('roster liveQuery failed', e),
  })
}

/** Forget the roster (another user, a logout); it is read again by the next `warmRoster`/`useRoster`. */
export function resetRoster(): void {
  sub?.unsubscribe()
  sub = null
  owner = ''
  generation++
  state.value = null
}

/** How many indexes have been built since the page loaded (for tests and the bench). */
export const rosterBuilds = (): number => builds

/** The kept roster, for a view: starts it if the home screen has not yet. */
export function useRoster() {
  warmRoster()
  users++
  if (getCurrentScope()) onScopeDispose(() => users--)
  return state
}

watch(currentUserId, (id) => {
  if (id === owner) return
  resetRoster()
  if (id && users > 0) warmRoster() // a view is showing the list: keep it filled, now for this user
})

// Locked: the opened roster leaves memory with the key; the next unlock opens it again.
watch(unlocked, (now) => {
  if (!now) resetRoster()
})
