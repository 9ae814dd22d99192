/** Changing one's own password: the form's state and its submit, shared by the phone's page and the console's. */
import { computed, ref } from 'vue'
import { useRoute, useRouter } from 'vue-router'
import { useI18n } from '../../i18n'
import { session, syncSoon } from '../../composables/useApp'
import { setSession } from '../../db/meta'
import { ApiError } from '../../lib/http'
import { errorMessage, fieldErrors } from '../../lib/errors'
import { adminApi } from './api'

/** `done(message)` shows the success the page's own way (a toast on the phone, a message in the console). */
export function usePasswordChange(done: (message: string) => void) {
  const { t } = useI18n()
  const route = useRoute()
  const router = useRouter()

  const current = ref('')
  const next = ref('')
  const repeat = ref('')
  const busy = ref(false)
  const error = ref('')
  const errors = ref<Record<string, string[]>>({})

  const required = computed(() => !!(session.value?.user as { must_change_password?: boolean } | undefined)?.must_change_password)

  async function submit() {
    error.value = ''
    errors.value = {}
    if (next.value !== repeat.value) {
      errors.value = { repeat: [t('admin.password.mismatch')] }
      return
    }
    busy.value = true
    try {
      await adminApi().changePassword(current.value, next.value)
      // The phone's data key is wrapped by the password: wrap it by the new one (composables/useVault.ts).
      await (await import('../../composables/useVault')).rewrapForNewPassword(current.value, next.value)
      if (session.value) {
        const updated = { ...session.value, user: { ...session.value.user, must_change_password: false } }
        await setSession(updated)
        session.value = updated
      }
      current.value = next.value = repeat.value = ''
      done(t('admin.password.done'))
      syncSoon() // a round refused while the password had to change goes now, not after its backoff
      const target = typeof route.query.next === 'string' && route.query.next.startsWith('/') ? route.query.next
        : route.path.startsWith('/office') ? '/office' : '/'
      await router.replace(target)
    } catch (e) {
      const found = fieldErrors(t, e)
      // The server names the policy's field `password`; on this form it is the new one.
      if (found.password) found.new_password = [...(found.new_password ?? []), ...found.password]
      if (e instanceof ApiError && e.code === 'validation_error' && found.current_password) {
        found.current_password = [t('admin.password.wrongCurrent')]
      }
      errors.value = found
      error.value = errorMessage(t, e, 'admin')
    } finally {
      busy.value = false
    }
  }

  return { current, next, repeat, busy, error, errors, required, submit }
}
