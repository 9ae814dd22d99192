/** Form drafts, saved as the user types and keyed by form and user; their content sealed (`sealed.ts`). */
import { getDb } from './db'
import { openRecord, sealRecord } from './sealed'
import type { StoredDraft } from './schema'
import type { Draft } from './types'

/** The photos and signature a form's data names (kept plain beside the sealed draft, so pruning files needs no key). */
export function filesOf(data: Record<string, unknown> | undefined): string[] {
  const photos = Array.isArray(data?.photos) ? (data.photos as unknown[]).filter((p): p is string => typeof p === 'string') : []
  return typeof data?.signature === 'string' ? [...photos, data.signature] : photos
}

export async function saveDraft(key: string, userId: string, data: Record<string, unknown>): Promise<void> {
  // Clone through JSON so reactive proxies never reach IndexedDB.
  const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>
  const draft: Draft & { attachments: string[] } = {
    key, user_id: userId, data: plain, updated_at: new Date().toISOString(), attachments: filesOf(plain),
  }
  await getDb().drafts.put(await sealRecord('drafts', draft) as StoredDraft)
}

export async function loadDraft(key: string, userId: string): Promise<Record<string, unknown> | null> {
  const row = await getDb().drafts.get(key)
  return row && row.user_id === userId ? (await openRecord<Draft>('drafts', row))?.data ?? null : null
}

export async function deleteDraft(key: string): Promise<void> {
  await getDb().drafts.delete(key)
}

/** Drafts are per user: a second user on the same phone never sees or overwrites the first one's. */
export function visitDraftKey(userId: string, visitId?: string, recipientId?: string): string {
  return visitId ? `${userId}:visit:edit:${visitId}` : `${userId}:visit:new:${recipientId}`
}

/** The new-recipient form: one draft per user (a second household waits until the first is saved). */
export function recipientDraftKey(userId: string): string {
  return `${userId}:recipient:new`
}

/** A difficulty registered on its own, for one recipient. */
export function difficultyDraftKey(userId: string, recipientId: string): string {
  return `${userId}:difficulty:new:${recipientId}`
}

/** The follow-up form under one difficulty. */
export function followUpDraftKey(userId: string, difficultyId: string): string {
  return `${userId}:followup:new:${difficultyId}`
}

/** A liaison's inspection (evidence) under one creation item. */
export function evidenceDraftKey(userId: string, itemId: string): string {
  return `${userId}:evidence:new:${itemId}`
}
