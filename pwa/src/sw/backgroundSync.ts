/// <reference lib="webworker" />
/** Background Sync (Chromium): flush the outbox when the connection returns, even with the app closed. */
import { currentSession } from '../db/meta'
import { createApi } from '../sync/api'
import { SyncEngine } from '../sync/engine'

export const SYNC_TAG = 'zoufang-sync'

interface SyncEvent extends ExtendableEvent {
  tag: string
}

export function registerBackgroundSync(sw: ServiceWorkerGlobalScope): void {
  sw.addEventListener('sync', (event) => {
    const e = event as SyncEvent
    if (e.tag !== SYNC_TAG) return
    e.waitUntil((async () => {
      const clients = await sw.clients.matchAll({ type: 'window' })
      if (clients.length) {
        // An open page runs the same engine; let it do the work so its status stays accurate.
        clients.forEach((c) => c.postMessage({ type: 'sync' }))
        return
      }
      const api = createApi({ getCsrfToken: async () => (await currentSession())?.csrf_token })
      const outcome = await new SyncEngine({ api }).syncOnce()
      // A rejection of the returned promise makes the browser retry the sync later.
      if (outcome === 'retry') throw new Error('sync will be retried')
    })())
  })
}
