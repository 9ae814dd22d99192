/**
 * The phone's keys, WebCrypto only: a random AES-GCM data key per user, wrapped (AES-GCM) by a key derived from
 * the user's password with PBKDF2-SHA256; records are sealed with AES-GCM under the data key.
 *
 * Loaded lazily (the unlock screen's submit, `db/keyring.ts`): no first screen pays for it. The data key in use
 * is non-extractable; its extractable form exists only for the moment of wrapping (first login, a password
 * change) and is never stored. A wrong password never unlocks: the wrapped key's GCM tag does not verify.
 */
import type { Cipher } from '../db/sealed'

/** OWASP's 2023 floor for PBKDF2-HMAC-SHA256; native in every browser (Argon2id would need wasm). */
export const PBKDF2_ITERATIONS = 600_000
const IV_BYTES = 12
const SALT_BYTES = 16
const AES = { name: 'AES-GCM', length: 256 } as const

/** A data key as the phone stores it: wrapped by the password's key, with what derives that key again. */
export interface WrappedKey {
  salt: Uint8Array
  iterations: number
  iv: Uint8Array
  wrapped: Uint8Array
}

/** The password does not unwrap this key (or the wrapped key was tampered with). */
export class WrongPassword extends Error {
  constructor() {
    super('wrong_password')
    this.name = 'WrongPassword'
  }
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle
const random = (n: number): Uint8Array<ArrayBuffer> => globalThis.crypto.getRandomValues(new Uint8Array(n))
const utf8 = new TextEncoder()

/** The key-wrapping key: PBKDF2-SHA256 over the password. The slow step (≈ 0.2–1 s on a phone, on purpose). */
export async function deriveWrappingKey(password: string, salt: Uint8Array, iterations = PBKDF2_ITERATIONS): Promise<CryptoKey> {
  const base = await subtle().importKey('raw', utf8.encode(password), 'PBKDF2', false, ['deriveKey'])
  return subtle().deriveKey({ name: 'PBKDF2', salt: salt as BufferSource, iterations, hash: 'SHA-256' }, base, AES, false,
    ['wrapKey', 'unwrapKey'])
}

/** Unwrap a data key (non-extractable unless asked for, to wrap it again); a wrong password throws WrongPassword. */
export async function unwrapDataKey(kek: CryptoKey, w: WrappedKey, extractable = false): Promise<CryptoKey> {
  try {
    return await subtle().unwrapKey('raw', w.wrapped as BufferSource, kek, { name: 'AES-GCM', iv: w.iv as BufferSource }, AES,
      extractable, ['encrypt', 'decrypt'])
  } catch {
    throw new WrongPassword()
  }
}

async function wrap(key: CryptoKey, kek: CryptoKey, salt: Uint8Array, iterations: number): Promise<WrappedKey> {
  const iv = random(IV_BYTES)
  const wrapped = new Uint8Array(await subtle().wrapKey('raw', key, kek, { name: 'AES-GCM', iv }))
  return { salt, iterations, iv, wrapped }
}

/**
 * A new random data key for a user, wrapped by `password`: the wrapped form to store and the key to use
 * (a non-extractable copy, unwrapped with the same derived key, so the password is stretched once).
 */
export async function newDataKey(password: string, iterations = PBKDF2_ITERATIONS): Promise<{ key: CryptoKey; kek: CryptoKey; wrapped: WrappedKey }> {
  const salt = random(SALT_BYTES)
  const [kek, extractable] = await Promise.all([
    deriveWrappingKey(password, salt, iterations),
    subtle().generateKey(AES, true, ['encrypt', 'decrypt']),
  ])
  const wrapped = await wrap(extractable, kek, salt, iterations)
  return { key: await unwrapDataKey(kek, wrapped), kek, wrapped }
}

/** Unlock: the data key `password` unwraps (WrongPassword otherwise), and the wrapping key that unwrapped it. */
export async function openDataKey(w: WrappedKey, password: string): Promise<{ key: CryptoKey; kek: CryptoKey }> {
  const kek = await deriveWrappingKey(password, w.salt, w.iterations)
  return { key: await unwrapDataKey(kek, w), kek }
}

/**
 * The same data key wrapped by `newPassword`, unwrapped by a wrapping key already derived (`kek`, the one the
 * phone was unlocked with): the password changed elsewhere while this page held the key.
 */
export async function rewrapWithKek(w: WrappedKey, kek: CryptoKey, newPassword: string,
  iterations = Math.max(w.iterations, PBKDF2_ITERATIONS)): Promise<{ key: CryptoKey; kek: CryptoKey; wrapped: WrappedKey }> {
  const salt = random(SALT_BYTES)
  const newKek = await deriveWrappingKey(newPassword, salt, iterations)
  const wrapped = await wrap(await unwrapDataKey(kek, w, true), newKek, salt, iterations)
  return { key: await unwrapDataKey(newKek, wrapped), kek: newKek, wrapped }
}

/**
 * The same data key wrapped by a new password (a password change), with a fresh salt, and the key to use; the old
 * password must unwrap it (WrongPassword otherwise). Nothing sealed under the data key changes.
 */
export async function rewrapDataKey(w: WrappedKey, oldPassword: string, newPassword: string,
  iterations = Math.max(w.iterations, PBKDF2_ITERATIONS)): Promise<{ key: CryptoKey; kek: CryptoKey; wrapped: WrappedKey }> {
  const salt = random(SALT_BYTES)
  const [oldKek, newKek] = await Promise.all([
    deriveWrappingKey(oldPassword, w.salt, w.iterations),
    deriveWrappingKey(newPassword, salt, iterations),
  ])
  const wrapped = await wrap(await unwrapDataKey(oldKek, w, true), newKek, salt, iterations)
  return { key: await unwrapDataKey(newKek, wrapped), kek: newKek, wrapped }
}

/** Seal bytes: a fresh 12-byte IV, then the AES-GCM ciphertext and tag; `aad` binds it to its store. */
export async function seal(key: CryptoKey, plain: BufferSource, aad: string): Promise<Uint8Array> {
  const iv = random(IV_BYTES)
  const sealed = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: utf8.encode(aad) }, key, plain))
  const out = new Uint8Array(IV_BYTES + sealed.length)
  out.set(iv)
  out.set(sealed, IV_BYTES)
  return out
}

/** Open what `seal` made; throws (OperationError) for another key, another store or a changed byte. */
export async function open(key: CryptoKey, sealed: Uint8Array, aad: string): Promise<ArrayBuffer> {
  const bytes = sealed as Uint8Array<ArrayBuffer> // IndexedDB hands back a plain ArrayBuffer-backed view
  return subtle().decrypt({ name: 'AES-GCM', iv: bytes.subarray(0, IV_BYTES), additionalData: utf8.encode(aad) }, key,
    bytes.subarray(IV_BYTES))
}

/** The cipher `db/sealed.ts` seals and opens records with, for one user's unwrapped data key. */
export function cipherFor(userId: string, key: CryptoKey): Cipher {
  return { userId, seal: (plain, aad) => seal(key, plain, aad), open: (sealed, aad) => open(key, sealed, aad) }
}
