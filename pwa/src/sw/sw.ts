/// <reference lib="webworker" />
/** Service worker entry: wiring only (precache, SPA navigation, updates, background sync, push). */
import { clientsClaim } from 'workbox-core'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'
import { registerBackgroundSync } from './backgroundSync'
import { registerPush } from './push'

declare const self: ServiceWorkerGlobalScope

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()

// Every app route renders from the precached shell; the API is never answered from a cache.
registerRoute(new NavigationRoute(createHandlerBoundToURL('/index.html'), { denylist: [/^\/api\//, /^\/sw\.js/] }))

// The first install takes control at once (so the very first visit already works offline);
// later versions wait until the user accepts the update prompt, so no half-filled form is reloaded away.
self.addEventListener('install', () => {
  if (!self.registration.active) void self.skipWaiting()
})
self.addEventListener('message', (event) => {
  if (event.data?.type === 'SKIP_WAITING') void self.skipWaiting()
})
clientsClaim()

registerBackgroundSync(self)
registerPush(self)
