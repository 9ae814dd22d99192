/** The creation pages' one way to run a request: a busy flag on, the error line cleared, the server's error in
 * words on failure. No Vue components here. */
import type { Ref } from 'vue'
import { errorMessage } from '../../lib/errors'

type T = (key: string, named?: Record<string, unknown>) => string

/** Run `fn` with `busy` set and `error` showing what failed; true when it succeeded. */
export async function attempt(t: T, busy: Ref<boolean> | null, error: Ref<string>, fn: () => Promise<unknown>): Promise<boolean> {
  if (busy) busy.value = true
  error.value = ''
  try {
    await fn()
    return true
  } catch (e) {
    error.value = errorMessage(t, e, 'office')
    return false
  } finally {
    if (busy) busy.value = false
  }
}
