/**
 * Encryption at rest of the device database: which fields of each store stay plain and the sealed rest.
 *
 * A sealed store keeps in the clear only what its indexes and the sync need (ids, area, dates, states, the
 * mutation's type, sync fields: `PLAIN`); every other field of a record goes into one AES-GCM blob, `enc`, under
 * the logged-in user's data key (`lib/crypto.ts`, unwrapped at unlock by `keyring.ts`). Without a key nothing
 * sealed can be read or written (`LockedError`). Photos and signatures are sealed as bytes (`sealBytes`).
 *
 * WebCrypto answers asynchronously and IndexedDB commits a transaction that waits on anything else, so every crypto
 * await inside a transaction goes through `settle` (Dexie.waitFor: it keeps the transaction busy, and a liveQuery's
 * observation alive); bulk paths (a pulled page, a photo) seal before their transaction instead. Opened records are
 * kept in memory by id while unlocked (the "decrypt into memory" the roster search needs), so a liveQuery that runs
 * again opens only the rows that changed; all of it is dropped at lock. Imports nothing but Dexie: the crypto code
 * arrives with the unlock (`useCipher`), so no first screen pays for it.
 */
import Dexie from 'dexie'

/** Seals and opens bytes for one user (lib/crypto.ts `cipherFor`); `aad` is the store the bytes belong to. */
export interface Cipher {
  userId: string
  seal(plain: BufferSource, aad: string): Promise<Uint8Array>
  open(sealed: Uint8Array, aad: string): Promise<ArrayBuffer>
}

const OUTBOX_PLAIN = ['id', 'user_id', 'seq', 'op', 'entity_type', 'entity_id', 'base_version', 'client_time',
  'attachments', 'state', 'attempts', 'protects', 'resend'] as const

/** The plain fields of each sealed store: its indexes and what the sync reads without the record. */
export const PLAIN = {
  users: ['id', '_version'],
  recipients: ['id', 'area_id', '_version'],
  visits: ['id', 'recipient_id', 'visited_at', 'author_id', '_version'],
  difficulties: ['id', 'recipient_id', 'visit_id', 'status', 'follow_up_at', '_version'],
  followups: ['id', 'difficulty_id', 'at', '_version'],
  // The creation campaign's (a liaison's pull): its ids, units, states and dates; names, texts, notes, places sealed.
  units: ['id', 'area_id', 'kind', '_version'],
  creation_items: ['id', 'deadline', 'status', 'category_id', 'lead_unit_id', '_version'],
  evidence: ['id', 'item_id', 'unit_id', 'status', 'created_at', 'taken_at', 'uploaded_by', '_version'],
  rectifications: ['id', 'item_id', 'unit_id', 'status', 'deadline', 'created_at', 'closed_at', '_version'],
  // `protects`: the record ids a mutation changes (outbox.ts `protectedBy`), so the pending check needs no key.
  outbox: OUTBOX_PLAIN,
  // Acknowledged mutations: outbox rows copied as they are (sealed for the outbox, see `AAD`), and when.
  acked: [...OUTBOX_PLAIN, 'acked_at'],
  // `attachments`: the files a draft names, so pruning attachments needs no key.
  drafts: ['key', 'user_id', 'updated_at', 'attachments'],
} as const satisfies Record<string, readonly string[]>

export type SealedStore = keyof typeof PLAIN

/**
 * What a store's blobs are bound to (AES-GCM additional data): its own name, but `acked`, whose rows are the
 * outbox's moved as they are (and moved back after a 410), shares the outbox's.
 */
const aadOf = (store: SealedStore): string => (store === 'acked' ? 'outbox' : store)

/** A row of a sealed store as IndexedDB holds it: its plain fields and `enc` (a row from before has no `enc`). */
export interface SealedRow {
  enc?: Uint8Array
  [field: string]: unknown
}

/** Reading or writing a sealed record while no data key is in memory (locked, logged out). */
export class LockedError extends Error {
  constructor() {
    super('locked')
    this.name = 'LockedError'
  }
}

let cipher: Cipher | null = null
/**
 * Opened records by store and key; `tag` (the blob's IV) tells whether the row still holds that blob. A record
 * being opened holds its promise, so two reads at once (the home screen and the unlock's roster) decrypt it once.
 * `record`: the last record handed out for it, handed out again while the row's plain fields stay the same (a
 * liveQuery over the roster runs again at every pulled page: no 10,000 new objects each time).
 */
interface Opened {
  tag: string
  value: Record<string, unknown> | Promise<Record<string, unknown>>
  record?: Record<string, unknown>
}
const opened = new Map<string, Map<unknown, Opened>>()
const utf8 = new TextEncoder()
const text = new TextDecoder()
/** Decrypts in flight at once: WebCrypto answers each on another thread (a few hundred: fastest measured here). */
const CHUNK = 256

let dropped: (() => void) | undefined

/**
 * Start sealing and opening with this user's key (unlock), or stop (`null`: lock, logout); the memory is dropped.
 * `onDrop`: called when this cipher is replaced or dropped (the keyring forgets what it held with it).
 */
export function useCipher(next: Cipher | null, onDrop?: () => void): void {
  const last = dropped
  dropped = onDrop
  cipher = next
  opened.clear()
  last?.()
}

/** The user whose key is in memory, or null while locked. */
export const unlockedUser = (): string | null => cipher?.userId ?? null

export function requireCipher(): Cipher {
  if (!cipher) throw new LockedError()
  return cipher
}

/** Await a crypto promise inside a transaction or a liveQuery without letting either end (Dexie.waitFor). */
export function settle<T>(p: Promise<T>): Promise<T> {
  return Dexie.waitFor(p) as unknown as Promise<T>
}

const keyOf = (store: SealedStore) => (store === 'drafts' ? 'key' : 'id')
const tagOf = (enc: Uint8Array) => String.fromCharCode(...enc.subarray(0, 12))

function memo(store: string) {
  let m = opened.get(store)
  if (!m) opened.set(store, (m = new Map()))
  return m
}

function sealValue(value: unknown, aad: string): Promise<Uint8Array> {
  return requireCipher().seal(utf8.encode(JSON.stringify(value)), aad)
}

/** Any JSON value sealed for `aad` (the keyring's account details). */
export function sealJson(value: unknown, aad: string): Promise<Uint8Array> {
  return settle(sealValue(value, aad))
}

export async function openJson<T>(enc: Uint8Array, aad: string): Promise<T> {
  return JSON.parse(text.decode(await settle(requireCipher().open(enc, aad)))) as T
}

async function sealOne(store: SealedStore, record: object): Promise<SealedRow> {
  const plain: readonly string[] = PLAIN[store]
  const row: SealedRow = {}
  const rest: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(record)) {
    if (k === 'enc') continue
    if (plain.includes(k)) row[k] = v
    else rest[k] = v
  }
  row.enc = await sealValue(rest, aadOf(store))
  memo(store).set(row[keyOf(store)], { tag: tagOf(row.enc), value: rest })
  return row
}

/** A record as its store keeps it: the plain fields, and the rest sealed into `enc`. Safe inside a transaction. */
export function sealRecord(store: SealedStore, record: object): Promise<SealedRow> {
  return settle(sealOne(store, record))
}

/** The row to store for a record of any replicated store: sealed where the store is (`PLAIN`), else as it is. */
export function storedRow(store: string, record: object): Promise<object> {
  return store in PLAIN ? sealRecord(store as SealedStore, record) : Promise.resolve(record)
}

/** Seal many records (a pulled page), a few dozen at a time; best before the transaction that writes them. */
export function sealRecords(store: SealedStore, records: object[]): Promise<SealedRow[]> {
  return settle((async () => {
    const out: SealedRow[] = []
    for (let s = 0; s < records.length; s += CHUNK) out.push(...await Promise.all(records.slice(s, s + CHUNK).map((r) => sealOne(store, r))))
    return out
  })())
}

function merged(value: Record<string, unknown>, row: SealedRow): Record<string, unknown> {
  const out = { ...value }
  // Copied field by field: `delete out.enc` would turn every record into a slow dictionary-mode object.
  for (const k in row) if (k !== 'enc') out[k] = row[k]
  return out
}

/** The record for `row` from what was opened: the one handed out before when the plain fields did not move. */
function recordOf(kept: Opened, value: Record<string, unknown>, row: SealedRow): Record<string, unknown> {
  const last = kept.record
  if (last) {
    let same = true
    for (const k in row) if (k !== 'enc' && last[k] !== row[k]) same = false
    if (same) return last
  }
  return (kept.record = merged(value, row))
}

async function openAll(store: SealedStore, rows: SealedRow[]): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = new Array(rows.length)
  const kept = memo(store)
  const key = keyOf(store)
  const misses: number[] = []
  const waiting: Promise<void>[] = []
  rows.forEach((row, i) => {
    if (!row.enc) {
      out[i] = { ...row } // a row written before encryption at rest (sealed by `sealLegacyRows` at the next unlock)
      return
    }
    const hit = kept.get(row[key])
    if (!hit || hit.tag !== tagOf(row.enc)) misses.push(i)
    else if (hit.value instanceof Promise) waiting.push(hit.value.then((value) => void (out[i] = merged(value, row))))
    else out[i] = recordOf(hit, hit.value, row)
  })
  // Nothing to wait for: no await at all (each one more is a hop a caller's transaction must survive).
  if (!misses.length && !waiting.length) return out
  if (misses.length) {
    const c = requireCipher()
    for (let s = 0; s < misses.length; s += CHUNK) {
      await Promise.all(misses.slice(s, s + CHUNK).map(async (i) => {
        const row = rows[i]
        const tag = tagOf(row.enc!)
        const opening = c.open(row.enc!, aadOf(store)).then((b) => JSON.parse(text.decode(b)) as Record<string, unknown>)
        kept.set(row[key], { tag, value: opening })
        let value: Record<string, unknown>
        try {
          value = await opening
        } catch (e) {
          if (kept.get(row[key])?.value === opening) kept.delete(row[key])
          throw e
        }
        const entry: Opened = { tag, value }
        if (kept.get(row[key])?.value === opening) kept.set(row[key], entry)
        out[i] = recordOf(entry, value, row)
      }))
    }
  }
  if (waiting.length) await Promise.all(waiting)
  return out
}

/**
 * The records these rows hold (same order), plain fields over the opened rest. Treat them as read-only: the same
 * record (and its nested values) is handed to every reader until its row changes. Safe inside a transaction and a
 * liveQuery.
 */
export function openRecords<T>(store: SealedStore, rows: SealedRow[]): Promise<T[]> {
  return settle(openAll(store, rows)) as Promise<T[]>
}

export async function openRecord<T>(store: SealedStore, row: SealedRow | undefined): Promise<T | undefined> {
  return row ? (await openRecords<T>(store, [row]))[0] : undefined
}

/** Photo and signature bytes, sealed as they are (no JSON). */
export function sealBytes(bytes: ArrayBuffer): Promise<Uint8Array> {
  return settle(requireCipher().seal(bytes, 'attachments'))
}

export function openBytes(enc: Uint8Array): Promise<ArrayBuffer> {
  return settle(requireCipher().open(enc, 'attachments'))
}
