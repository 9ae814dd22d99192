/**
 * Each user's data key on this phone (store `keys`): made at their first login here, wrapped by their password
 * (`lib/crypto.ts`), unwrapped at every unlock — online after the server accepted the password, or offline on the
 * phone alone — and wrapped again when the password changes. Also: the revoked mark, the way out when the old
 * password is forgotten, and sealing what the phone held in the clear before encryption at rest.
 *
 * Loaded lazily with the unlock (it brings the crypto code); `sealed.ts` is the part every read needs.
 */
import { getDb } from './db'
import { getMeta, setMeta } from './meta'
import { dropReplica } from './replica'
import { protectedBy, setAsideQueue } from './outbox'
import { filesOf } from './drafts'
import { sealPlainExportKey } from './exportKey'
import { openJson, sealBytes, sealJson, sealRecords, useCipher, type SealedRow, type SealedStore } from './sealed'
import { cipherFor, newDataKey, openDataKey, rewrapDataKey, rewrapWithKek, WrongPassword, type WrappedKey } from '../lib/crypto'
import type { KeyringRow, StoredAttachment } from './schema'
import type { SessionUser } from './types'

export { WrongPassword }

/** No account of this name has logged in on this phone: the first login needs the server. */
export class NoKeyring extends Error {
  constructor() {
    super('no_keyring')
    this.name = 'NoKeyring'
  }
}

/** The server ended this account's session here: only an online login (or exporting the queue) opens it. */
export class KeyringRevoked extends Error {
  constructor() {
    super('keyring_revoked')
    this.name = 'KeyringRevoked'
  }
}

/**
 * The wrapping key the data key in memory was unwrapped with (non-extractable, never stored), kept while unlocked:
 * when the password changed elsewhere (401 `password_changed`) and this page still holds the key, the next online
 * login with the new password wraps the key again without asking for the old one. Dropped with the key at lock.
 */
let held: { userId: string; kek: CryptoKey } | null = null

/** Use this user's data key (`useCipher`) and hold the wrapping key it was unwrapped with. */
function use(userId: string, key: CryptoKey, kek: CryptoKey): void {
  const mine = { userId, kek }
  useCipher(cipherFor(userId, key), () => {
    if (held === mine) held = null
  })
  held = mine
}

const wrappedOf = (row: KeyringRow): WrappedKey => ({ salt: row.salt, iterations: row.iterations, iv: row.iv, wrapped: row.wrapped })

export const keyringOf = (userId: string): Promise<KeyringRow | undefined> => getDb().keys.get(userId)

/** The newest keyring of an account name (a user id may change when an account is made again). */
export async function keyringByName(username: string): Promise<KeyringRow | undefined> {
  const rows = await getDb().keys.where('username').equals(username).toArray()
  return rows.sort((a, b) => b.created_at.localeCompare(a.created_at))[0]
}

/** Store the wrapped key (with the account, sealed under the key now in use). */
async function keep(user: SessionUser, wrapped: WrappedKey, createdAt = new Date().toISOString()): Promise<void> {
  await getDb().keys.put({
    user_id: String(user.id), username: user.username, ...wrapped, user: await sealJson(user, 'keys'),
    created_at: createdAt, revoked_at: null,
  })
}

/**
 * After the server accepted `password` for `user`: unlock with it (a new data key at the user's first login on
 * this phone). 'stale': this phone's key is wrapped by another password (changed elsewhere, or reset by an
 * admin): `rekey` with the old one, or `startAfresh`.
 */
export async function unlockOnline(user: SessionUser, password: string): Promise<'unlocked' | 'stale'> {
  const uid = String(user.id)
  const row = await keyringOf(uid)
  if (!row) {
    const { key, kek, wrapped } = await newDataKey(password)
    use(uid, key, kek)
    await keep(user, wrapped)
    return 'unlocked'
  }
  try {
    const { key, kek } = await openDataKey(wrappedOf(row), password)
    use(uid, key, kek)
  } catch (e) {
    if (!(e instanceof WrongPassword)) throw e
    // The password changed elsewhere while this page held the key: wrap it by the new one (the old one not asked).
    const kek = held?.userId === uid ? held.kek : null
    if (!kek) return 'stale'
    const next = await rewrapWithKek(wrappedOf(row), kek, password)
    use(uid, next.key, next.kek)
    await keep(user, next.wrapped, row.created_at)
    return 'unlocked'
  }
  await keep(user, wrappedOf(row), row.created_at) // the account as the server answers it now; no longer revoked
  return 'unlocked'
}

/**
 * On the phone alone: the account remembered under `username`, unlocked by `password` (WrongPassword, NoKeyring).
 * A revoked account is refused (KeyringRevoked) unless `evenRevoked` (to export its queue for the office).
 */
export async function unlockOffline(username: string, password: string, evenRevoked = false): Promise<SessionUser> {
  const row = await keyringByName(username)
  if (!row) throw new NoKeyring()
  const { key, kek } = await openDataKey(wrappedOf(row), password)
  if (row.revoked_at && !evenRevoked) throw new KeyringRevoked()
  use(row.user_id, key, kek)
  return openJson<SessionUser>(row.user, 'keys')
}

/** The password changed elsewhere: `oldPassword` (the one this phone knew) rewraps the key for `newPassword`. */
export async function rekey(user: SessionUser, oldPassword: string, newPassword: string): Promise<void> {
  const row = await keyringOf(String(user.id))
  if (!row) throw new NoKeyring()
  const { key, kek, wrapped } = await rewrapDataKey(wrappedOf(row), oldPassword, newPassword)
  use(String(user.id), key, kek)
  await keep(user, wrapped, row.created_at)
}

/** A password change on this phone: the same key, wrapped by the new password. False when `current` does not unwrap it. */
export async function rewrap(userId: string, current: string, next: string): Promise<boolean> {
  const row = await keyringOf(userId)
  if (!row) return false
  try {
    const { kek, wrapped } = await rewrapDataKey(wrappedOf(row), current, next)
    await getDb().keys.put({ ...row, ...wrapped })
    if (held?.userId === userId) held.kek = kek
    return true
  } catch (e) {
    if (e instanceof WrongPassword) return false
    throw e
  }
}

/**
 * The old password is forgotten: what is sealed under the old key cannot be opened any more. The replica (pulled
 * again) and the drafts go; the unsynced queue and the old wrapped key are set aside under another id (kept on the
 * phone, never sent, counted as another account's records); a new key is made for `password`.
 */
export async function startAfresh(user: SessionUser, password: string): Promise<number> {
  const uid = String(user.id)
  const db = getDb()
  const old = await keyringOf(uid)
  const aside = `${uid}~${Date.now()}`
  let kept = 0
  if (old) {
    kept = await setAsideQueue(uid, aside)
    await db.keys.put({ ...old, user_id: aside, username: aside })
    await db.keys.delete(uid)
  }
  if ((await getMeta<string>('replica_user')) === uid) await dropReplica()
  await db.drafts.where('user_id').equals(uid).delete()
  await db.attachments.filter((a) => a.user_id === uid).modify({ user_id: aside })
  const { key, kek, wrapped } = await newDataKey(password)
  use(uid, key, kek)
  await keep(user, wrapped)
  return kept
}

/** The server ended this account's session (revoked, deactivated): it needs an online login again. */
export async function markRevoked(userId: string): Promise<void> {
  await getDb().keys.update(userId, { revoked_at: new Date().toISOString() })
}

const REPLICA: SealedStore[] = ['users', 'recipients', 'visits', 'difficulties', 'followups', 'units', 'creation_items',
  'evidence', 'rectifications']

/**
 * Seal what this phone held in the clear for `userId` before encryption at rest (once per user, at their first
 * unlock with this version): the replica when it is theirs (the creation campaign's stores too), their queue, the
 * acknowledged mutations kept for a re-send, drafts and files, and the export file's key (that one at every unlock:
 * it stayed plain longer). Nothing is dropped: each row is sealed as it is, in one transaction per store. Returns
 * the rows sealed.
 */
export async function sealLegacyRows(userId: string): Promise<number> {
  // The export file's key was kept in the clear after rows were sealed already: checked at every unlock.
  const keySealed = (await sealPlainExportKey(userId)) ? 1 : 0
  const mark = `sealed_at_rest:${userId}`
  if (await getMeta(mark)) return keySealed
  const db = getDb()
  const owner = await getMeta<string>('replica_user')
  const mine = (r: SealedRow) => r.user_id === userId
  const stores: [SealedStore, (r: SealedRow) => boolean][] = [
    ...(owner === userId ? REPLICA.map((s): [SealedStore, () => boolean] => [s, () => true]) : []),
    ['outbox', mine], ['acked', mine], ['drafts', mine],
  ]
  let sealed = keySealed
  for (const [store, wanted] of stores) {
    // (`acked` also holds packs of sealed rows, written since: `outbox.ts` `keepAcknowledged`.)
    const legacy = await db.table<SealedRow>(store).filter((r) => !r.enc && !r.rows && wanted(r)).toArray()
    if (!legacy.length) continue
    const rows = legacy.map((r) => (store === 'outbox' || store === 'acked' ? { ...r, protects: protectedBy(r as never) }
      : store === 'drafts' ? { ...r, attachments: filesOf(r.data as Record<string, unknown>) } : r))
    await db.table(store).bulkPut(await sealRecords(store, rows))
    sealed += rows.length
  }
  const files = await db.attachments.filter((a) => !a.enc && !!a.bytes && a.user_id === userId).toArray()
  for (const a of files) {
    const { bytes, ...rest } = a
    const row: StoredAttachment = { ...rest, enc: await sealBytes(bytes!) }
    await db.attachments.put(row)
    sealed++
  }
  await setMeta(mark, new Date().toISOString())
  return sealed
}
