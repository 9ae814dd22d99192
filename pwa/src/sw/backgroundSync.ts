/// <reference lib="webworker" />
/**
 * Background Sync (Chromium): when the connection returns, an open page flushes the outbox. With the app closed
 * the worker cannot: the queue is sealed under a data key that lives only in an unlocked page's memory
 * (`db/sealed.ts`), so it waits for the next unlock.
 */

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
      // An open page runs the engine (if it is unlocked); with none, nothing here can open the queue.
      clients.forEach((c) => c.postMessage({ type: 'sync' }))
    })())
  })
}
