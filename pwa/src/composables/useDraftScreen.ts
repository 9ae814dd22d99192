/**
 * A form screen's draft chrome: the draft is restored when the screen opens (with the "draft restored" toast),
 * and `discard` asks before it forgets the draft and leaves. The forms of new records share it.
 */
import { onMounted } from 'vue'
import { useRouter } from 'vue-router'
import { showConfirmDialog, showToast } from 'vant'
import { useI18n } from '../i18n'
import type { Draft } from './useDraft'

export function useDraftScreen(draft: Draft): { discard: () => Promise<void> } {
  const { t } = useI18n()
  const router = useRouter()
  onMounted(async () => {
    if (await draft.restore()) showToast({ message: t('visit.draftRestored'), position: 'top' })
  })

  async function discard(): Promise<void> {
    try {
      await showConfirmDialog({ message: t('visit.discardDraftConfirm') })
    } catch {
      return // kept: the user said no
    }
    await draft.clear()
    router.back()
  }

  return { discard }
}
