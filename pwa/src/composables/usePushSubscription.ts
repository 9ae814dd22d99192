/** Web Push opt-in: permission only when the user asks, subscribe with the server's VAPID key, keep the server told. */
import { onMounted, ref } from 'vue'
import { getMeta, setMeta } from '../db/meta'
import type { Api, PushSubscriptionBody } from '../sync/api'
import { api, currentUserId } from './useApp'

/** What the device remembers of this user's opt-in: the endpoint and the key it was made with. */
export interface PushPref {
  endpoint: string
  public_key: string
}

export type PushOutcome = 'on' | 'off' | 'unsupported'

export const pushPrefKey = (userId: string) => `push:${userId}`
const READY_TIMEOUT_MS = 10_000

function pushSupported(): boolean {
  return typeof window !== 'undefined' && 'PushManager' in window && 'Notification' in window &&
    typeof navigator !== 'undefined' && 'serviceWorker' in navigator
}

/** Unsupported here, or the user has blocked notifications for the site (only the browser settings can undo that). */
function pushBlocked(): boolean {
  return !pushSupported() || Notification.permission === 'denied'
}

export function base64UrlToBytes(b64url: string): Uint8Array<ArrayBuffer> {
  const b64 = b64url.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (b64url.length % 4)) % 4)
  const raw = atob(b64)
  const out = new Uint8Array(new ArrayBuffer(raw.length))
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i)
  return out
}

function sameKey(a: ArrayBuffer | null | undefined, key: string): boolean {
  if (!a) return false
  const x = new Uint8Array(a)
  const y = base64UrlToBytes(key)
  return x.length === y.length && x.every((v, i) => v === y[i])
}

async function registration(): Promise<ServiceWorkerRegistration> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('service worker not ready')), READY_TIMEOUT_MS)
  })
  try {
    return await Promise.race([navigator.serviceWorker.ready, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The browser's subscription for `key`; one made with another key (the server rotated it) is replaced. */
async function ensureSubscription(reg: ServiceWorkerRegistration, key: string): Promise<PushSubscription> {
  const existing = await reg.pushManager.getSubscription()
  if (existing && sameKey(existing.options?.applicationServerKey, key)) return existing
  if (existing) await existing.unsubscribe().catch(() => false)
  return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) })
}

function body(sub: PushSubscription): PushSubscriptionBody {
  const json = sub.toJSON()
  return { endpoint: json.endpoint ?? sub.endpoint, keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' } }
}

async function subscribeAndSave(client: Api, userId: string): Promise<void> {
  const key = await client.vapidPublicKey()
  const sub = await ensureSubscription(await registration(), key)
  await client.savePushSubscription(body(sub))
  await setMeta(pushPrefKey(userId), { endpoint: sub.endpoint, public_key: key } satisfies PushPref)
}

/** The user flipped the switch on: ask for permission now (never earlier), subscribe, tell the server. */
export async function enablePush(client: Api, userId: string): Promise<PushOutcome> {
  if (!pushSupported()) return 'unsupported'
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission()
  if (permission !== 'granted') return permission === 'denied' ? 'unsupported' : 'off'
  await subscribeAndSave(client, userId)
  return 'on'
}

/** The user flipped it off: forget the subscription on the server and in the browser. */
export async function disablePush(client: Api, userId: string): Promise<PushOutcome> {
  const pref = await getMeta<PushPref | null>(pushPrefKey(userId))
  let sub: PushSubscription | null = null
  if (pushSupported()) sub = await registration().then((r) => r.pushManager.getSubscription()).catch(() => null)
  const endpoint = sub?.endpoint ?? pref?.endpoint
  // Offline, the DELETE fails: the push service then answers 404/410 and the server drops the row itself.
  if (endpoint) await client.deletePushSubscription(endpoint).catch(() => undefined)
  await sub?.unsubscribe().catch(() => false)
  await setMeta(pushPrefKey(userId), null)
  return 'off'
}

/**
 * At login: the server dropped this phone's subscription at the last logout, and may have rotated its key.
 * If this user had push on and the permission still holds, subscribe again (with a new key if it changed) and save.
 */
export async function resubscribeAtLogin(client: Api, userId: string): Promise<boolean> {
  const pref = await getMeta<PushPref | null>(pushPrefKey(userId))
  if (!pref || !pushSupported() || Notification.permission !== 'granted') return false
  await subscribeAndSave(client, userId)
  return true
}

/** The Settings switch. */
export function usePushSubscription() {
  const state = ref<PushOutcome>(pushBlocked() ? 'unsupported' : 'off')
  const busy = ref(false)
  const failed = ref(false)

  async function load() {
    if (pushBlocked()) {
      state.value = 'unsupported'
      return
    }
    const pref = currentUserId.value ? await getMeta<PushPref | null>(pushPrefKey(currentUserId.value)) : null
    state.value = pref && Notification.permission === 'granted' ? 'on' : 'off'
  }
  onMounted(() => void load())

  async function setEnabled(on: boolean): Promise<void> {
    if (busy.value || !currentUserId.value) return
    busy.value = true
    failed.value = false
    try {
      state.value = on ? await enablePush(api, currentUserId.value) : await disablePush(api, currentUserId.value)
    } catch {
      failed.value = true
      state.value = pushBlocked() ? 'unsupported' : 'off'
    } finally {
      busy.value = false
    }
  }

  return { state, busy, failed, setEnabled, reload: load }
}
