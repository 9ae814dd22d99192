/// <reference lib="webworker" />
/** Web Push in the service worker: show the server's notification, and open its screen when it is tapped. */
import { getSession } from '../db/meta'
import { createApi } from '../sync/api'
import { markRead, safeAppPath } from '../sync/inbox'

/** What the dispatcher sends (no personal data: "3 项跟进今天到期"). */
export interface PushPayload {
  id?: number
  kind?: string
  title?: string
  body?: string
  url?: string | null
  tag?: string
}

export interface NotificationData {
  id: number | null
  url: string
}

/** Our own icons, precached with the app shell. */
export const NOTIFICATION_ICON = '/pwa-192x192.png'
export const NOTIFICATION_BADGE = '/pwa-64x64.png'
const FALLBACK_TITLE = '走访通'

export function parsePayload(data: PushMessageData | null): PushPayload {
  if (!data) return {}
  try {
    const json = data.json() as unknown
    return json && typeof json === 'object' ? (json as PushPayload) : {}
  } catch {
    return { body: data.text() }
  }
}

export function notificationOptions(p: PushPayload, origin: string): NotificationOptions & { data: NotificationData } {
  return {
    body: p.body ?? '',
    tag: p.tag ?? (p.id != null ? `notification-${p.id}` : undefined),
    icon: NOTIFICATION_ICON,
    badge: NOTIFICATION_BADGE,
    data: { id: typeof p.id === 'number' ? p.id : null, url: safeAppPath(p.url, origin) },
  }
}

/**
 * Bring the app to `url`: an open window is focused and told to route there (no reload, so an open form keeps its
 * state); with none open, a new window starts at `url`. Focus needs the user's tap; without it we still route.
 */
export async function openApp(sw: ServiceWorkerGlobalScope, url: string): Promise<'routed' | 'opened' | 'none'> {
  const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true })
  const own = windows.filter((c) => new URL(c.url).origin === sw.location.origin)
  const client = own.find((c) => c.focused) ?? own.find((c) => c.visibilityState === 'visible') ?? own[0]
  if (client) {
    client.postMessage({ type: 'open-url', url })
    // Without the user's tap (or once its grace period ended) focus() is refused or never settles: don't wait on it.
    void client.focus().catch(() => undefined)
    return 'routed'
  }
  const opened = await sw.clients.openWindow(url).catch(() => null)
  return opened ? 'opened' : 'none'
}

/** Mark the row read from the worker too (queued if offline), so the badge is right even before the page asks. */
async function markReadFromWorker(id: number | null): Promise<void> {
  if (id == null) return
  const session = await getSession()
  if (!session || session.expired) return
  const api = createApi({ getCsrfToken: async () => (await getSession())?.csrf_token })
  await markRead(api, String(session.user.id), id).catch(() => undefined)
}

async function tellPages(sw: ServiceWorkerGlobalScope, message: unknown): Promise<void> {
  for (const c of await sw.clients.matchAll({ type: 'window' })) c.postMessage(message)
}

/** Extend the event's life; a script-made event (tests) cannot be extended and simply runs to completion. */
function keepAlive(event: ExtendableEvent, work: Promise<unknown>): void {
  try {
    event.waitUntil(work)
  } catch {
    void work
  }
}

export function registerPush(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('push', (event) => {
    const payload = parsePayload(event.data)
    keepAlive(event, Promise.all([
      sw.registration.showNotification(payload.title || FALLBACK_TITLE, notificationOptions(payload, sw.location.origin)),
      // An open page refreshes its inbox and badge at once.
      tellPages(sw, { type: 'notification', id: payload.id ?? null }),
    ]))
  })

  sw.addEventListener('notificationclick', (event) => {
    event.notification.close()
    const data = (event.notification.data ?? {}) as Partial<NotificationData>
    const url = safeAppPath(data.url, sw.location.origin)
    keepAlive(event, Promise.all([openApp(sw, url), markReadFromWorker(data.id ?? null)]))
  })
}
