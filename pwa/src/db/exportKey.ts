/**
 * The key that seals a user's exported outbox file (`outboxActions.ts` `exportPending`; login and /api/auth/me hand
 * it out), kept in `meta` under `export_key:<user>` sealed under that user's data key (`sealed.ts`): whoever holds a
 * lost phone's database cannot sign a file the office would load as that user's. Nothing here brings the crypto
 * code: sealing needs the key in memory (after the unlock).
 */
import { exportKeyKey, getMeta, setMeta, type ExportKey } from './meta'
import { openJson, sealJson, unlockedUser } from './sealed'

/** As `meta` holds it: the key sealed (additional data: `aadOf`); a plain `ExportKey` only from before. */
interface SealedExportKey {
  enc: Uint8Array
}

const aadOf = (userId: string) => `export_key:${userId}`

const isPlain = (value: unknown): value is ExportKey => typeof (value as ExportKey | undefined)?.key === 'string'

/**
 * Keep the key the server handed `userId`, sealed under their data key. Only while that user is unlocked (their key
 * in memory); otherwise it is not kept (the next login or /api/auth/me hands it out again). True when kept.
 */
export async function keepExportKey(userId: string, key: ExportKey): Promise<boolean> {
  if (unlockedUser() !== userId) return false
  const sealed: SealedExportKey = { enc: await sealJson({ key_id: key.key_id, key: key.key }, aadOf(userId)) }
  await setMeta(exportKeyKey(userId), sealed)
  return true
}

/** `userId`'s key, opened (their data key must be in memory), or undefined when the phone has none for them. */
export async function exportKeyOf(userId: string): Promise<ExportKey | undefined> {
  const stored = await getMeta<SealedExportKey | ExportKey>(exportKeyKey(userId))
  if (!stored) return undefined
  if (isPlain(stored)) return stored // kept in the clear before: sealed at this user's next unlock
  return openJson<ExportKey>(stored.enc, aadOf(userId))
}

/**
 * A key kept in the clear before it was sealed (a phone updated from then): sealed now, under `userId`'s data key in
 * memory. At every unlock (`keyring.ts` `sealLegacyRows`); true when one was sealed.
 */
export async function sealPlainExportKey(userId: string): Promise<boolean> {
  const stored = await getMeta<unknown>(exportKeyKey(userId))
  return isPlain(stored) ? keepExportKey(userId, stored) : false
}
