/**
 * Element Plus for the office console: its locale following the app's language (zh-CN, or English after the
 * switch), the theme's CSS, and the console's toasts and confirm boxes. Office code only: the build fails if
 * Element Plus reaches a field chunk (../../officeChunks.ts).
 */
import { computed, type App } from 'vue'
import { ElMessage, ElMessageBox, provideGlobalConfig } from 'element-plus'
// The toasts and boxes are called as functions, so no template brings their CSS: the theme's files, by hand (as
// element-plus/es/components/message{,-box}/style/css list them; imported from here, Vitest can stub them).
import 'element-plus/theme-chalk/base.css'
import 'element-plus/theme-chalk/el-badge.css'
import 'element-plus/theme-chalk/el-message.css'
import 'element-plus/theme-chalk/el-button.css'
import 'element-plus/theme-chalk/el-input.css'
import 'element-plus/theme-chalk/el-overlay.css'
import 'element-plus/theme-chalk/el-message-box.css'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'
// The date pickers' month and weekday names come from Day.js, whose locale Element Plus switches by name.
import 'dayjs/locale/zh-cn'
import { i18n } from '../i18n'
import './office.css'

/** Element Plus's strings in the app's language: Chinese unless the user switched to English. */
export const elementLocale = computed(() => (i18n.global.locale.value === 'en' ? en : zhCn))

const installed = new WeakSet<App>()
let poppersNamed = false

/**
 * Element Plus puts a select's options in a popup with role=tooltip and no name (axe: aria-tooltip-name). When a
 * select gets the focus (a click focuses it too), its popup and list take the select's own name: its label's
 * words, or its aria-label.
 */
function nameSelectPoppers(doc: Document): void {
  doc.addEventListener('focusin', (e) => {
    const input = e.target
    if (!(input instanceof HTMLInputElement) || !input.closest('.el-select')) return
    const list = doc.getElementById(input.getAttribute('aria-controls') ?? '')
    const popup = list?.closest('[role=tooltip]')
    const name = input.getAttribute('aria-label') || input.labels?.[0]?.textContent?.trim()
    if (!list || !popup || !name) return
    popup.setAttribute('aria-label', name)
    if (!list.getAttribute('aria-label')) list.setAttribute('aria-label', name)
  })
}

/**
 * Provide the locale to every Element Plus component of the app, the ones the function APIs (toasts, confirm
 * boxes) render outside the page's tree included. The layout installs it once; component tests may too.
 */
export const officeElement = {
  install(app: App): void {
    if (installed.has(app)) return
    installed.add(app)
    // A cleared select or date picker reads null, as the pages' filters do before anything is chosen.
    provideGlobalConfig(computed(() => ({ locale: elementLocale.value, valueOnClear: null })), app, true)
    ElMessage._context = app._context
    ElMessageBox._context = app._context
    if (!poppersNamed && typeof document !== 'undefined') {
      poppersNamed = true
      nameSelectPoppers(document)
    }
  },
}

type Tone = 'success' | 'error' | 'info' | 'warning'

/** A short message at the top of the console (replaces the phone's toast). */
export function notify(message: string, tone: Tone = 'success'): void {
  ElMessage({ message, type: tone, showClose: tone === 'error', grouping: true })
}

export interface ConfirmOptions {
  title: string
  message: string
  confirm: string
  cancel: string
  /** A destructive action: the confirm button is red. */
  danger?: boolean
}

/** Ask before acting: true on confirm; false on cancel, Esc or the close button. */
export async function confirmBox(o: ConfirmOptions): Promise<boolean> {
  try {
    await ElMessageBox.confirm(o.message, o.title, {
      confirmButtonText: o.confirm,
      cancelButtonText: o.cancel,
      confirmButtonClass: o.danger ? 'el-button--danger' : undefined,
      type: o.danger ? 'warning' : undefined,
      closeOnClickModal: false,
      closeOnPressEscape: true,
      autofocus: true,
    })
    return true
  } catch {
    return false
  }
}
