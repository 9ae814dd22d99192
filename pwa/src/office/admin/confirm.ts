/** A confirm dialog for destructive actions: resolves true on confirm, false on cancel. */
import { showConfirmDialog } from 'vant'

type T = (key: string, named?: Record<string, unknown>) => string

export async function confirmAction(t: T, message: string): Promise<boolean> {
  try {
    await showConfirmDialog({
      title: t('admin.common.confirmTitle'), message, confirmButtonText: t('admin.common.confirm'),
      cancelButtonText: t('admin.common.cancel'), confirmButtonColor: '#b3261e',
    })
    return true
  } catch {
    return false
  }
}
