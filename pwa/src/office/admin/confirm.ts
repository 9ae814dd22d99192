/** A confirm box for destructive actions (red confirm button; Esc cancels): resolves true on confirm, false otherwise. */
import { confirmBox } from '../element'

type T = (key: string, named?: Record<string, unknown>) => string

export function confirmAction(t: T, message: string): Promise<boolean> {
  return confirmBox({
    title: t('admin.common.confirmTitle'), message, confirm: t('admin.common.confirm'), cancel: t('admin.common.cancel'), danger: true,
  })
}
