/** The idle lock (composables/useVault.ts): 15 minutes in the background, never longer, shorter only on request. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { unlocked } from '../src/composables/useApp'
import { LOCK_AFTER_KEY, LOCK_AFTER_MS, lockAfterMs, watchIdle } from '../src/composables/useVault'
import { unlockedUser } from '../src/db/sealed'
import { freshDb } from './helpers'

function setVisibility(state: 'hidden' | 'visible') {
  Object.defineProperty(document, 'visibilityState', { value: state, configurable: true })
  document.dispatchEvent(new Event('visibilitychange'))
}

beforeEach(async () => {
  await freshDb() // a data key in memory, as after an unlock
  unlocked.value = true
  localStorage.removeItem(LOCK_AFTER_KEY)
})

afterEach(() => {
  vi.useRealTimers()
  setVisibility('visible')
  localStorage.removeItem(LOCK_AFTER_KEY)
})

describe('the idle lock', () => {
  it('is 15 minutes, which a setting may shorten but never lengthen', () => {
    expect(LOCK_AFTER_MS).toBe(15 * 60_000)
    expect(lockAfterMs()).toBe(LOCK_AFTER_MS)
    localStorage.setItem(LOCK_AFTER_KEY, '2000')
    expect(lockAfterMs()).toBe(2000)
    localStorage.setItem(LOCK_AFTER_KEY, String(24 * 3600_000))
    expect(lockAfterMs()).toBe(LOCK_AFTER_MS)
    localStorage.setItem(LOCK_AFTER_KEY, 'nonsense')
    expect(lockAfterMs()).toBe(LOCK_AFTER_MS)
  })

  it('a short trip to the background keeps the key; one as long as the limit drops it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
    watchIdle()
    setVisibility('hidden')
    vi.advanceTimersByTime(LOCK_AFTER_MS - 1000)
    setVisibility('visible')
    expect(unlocked.value).toBe(true)
    expect(unlockedUser()).toBe('1')

    setVisibility('hidden')
    vi.advanceTimersByTime(LOCK_AFTER_MS)
    expect(unlocked.value).toBe(false)
    await vi.waitFor(() => expect(unlockedUser()).toBeNull())
  })

  it('locks on return when the timer could not run in the background', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    watchIdle()
    setVisibility('hidden')
    vi.setSystemTime(Date.now() + LOCK_AFTER_MS + 1)
    setVisibility('visible')
    expect(unlocked.value).toBe(false)
    await vi.waitFor(() => expect(unlockedUser()).toBeNull())
  })
})
