/** Dexie schema and its versions: every store and index of the device database lives here. */
import Dexie, { type EntityTable, type Table } from 'dexie'
import type { Area, Campaign, EntityType, MutationState, Op } from './types'
import type { SealedRow } from './sealed'

export interface MetaRow {
  key: string
  value: unknown
}

/** `answered`: one row per user, `versions` by `type:id` (db/answered.ts). */
export interface AnsweredRow {
  user_id: string
  versions: Record<string, number>
}

/** A replicated record or an outbox row as stored: plain fields and the sealed rest (`sealed.ts`). */
export type StoredRecord = SealedRow & { id: string | number }

/** A photo or signature as stored: its bytes sealed in `enc` (`bytes` only in a row from before encryption). */
export interface StoredAttachment {
  sha256: string
  user_id: string
  mime: string
  uploaded: 0 | 1
  created_at: string
  enc?: Uint8Array
  bytes?: ArrayBuffer
}

/** A queued mutation as stored: what the queue's order and checks need, plain; its data, error and entity sealed. */
export type StoredMutation = StoredRecord & {
  id: string
  user_id: string
  seq: number
  op: Op
  entity_type: EntityType
  entity_id: string
  base_version: number | null
  client_time: string
  attachments: string[]
  state: MutationState
  attempts: number
  /** The records this mutation changes (`outbox.ts` `protectedBy`); absent in a row from before. */
  protects?: string[]
  /** Sent again after the server was restored (`outbox.ts` `requeueAcknowledged`): never folded into. */
  resend?: 1
}

/** An acknowledged mutation kept as it was queued (sealed like the outbox's rows), with when it was acknowledged. */
export type StoredAcked = StoredMutation & { acked_at: string }

/**
 * The mutations one stored answer acknowledged, kept as one row of `acked` (`outbox.ts` `keepAcknowledged`):
 * their outbox rows as sent, sealed as the outbox held them. One row, not one per mutation: IndexedDB writes a
 * record of 200 rows several times faster than 200 records, and this copy is on the flush's critical path.
 * `attachments`: every file they name (pruning keeps those). `acked` also holds single rows (`StoredAcked`)
 * written before.
 */
export interface StoredAckedPack {
  id: string
  user_id: string
  acked_at: string
  attachments: string[]
  rows: StoredMutation[]
}

export type StoredAckedRow = StoredAcked | StoredAckedPack

export type StoredDraft = SealedRow & { key: string; user_id: string; updated_at: string; attachments?: string[] }

/**
 * One user's data key on this phone (`keyring.ts`): wrapped by the key their password derives (`lib/crypto.ts`),
 * never in the clear; `user` (the account as the server answered it) sealed under the data key.
 */
export interface KeyringRow {
  user_id: string
  username: string
  salt: Uint8Array
  iterations: number
  iv: Uint8Array
  wrapped: Uint8Array
  user: Uint8Array
  created_at: string
  /** The server ended this user's session or account (`session_revoked`, `account_inactive`): an online login first. */
  revoked_at?: string | null
}

export type ZoufangDB = Dexie & {
  areas: EntityTable<Area, 'id'>
  users: EntityTable<StoredRecord, 'id'>
  recipients: EntityTable<StoredRecord, 'id'>
  visits: EntityTable<StoredRecord, 'id'>
  difficulties: EntityTable<StoredRecord, 'id'>
  followups: EntityTable<StoredRecord, 'id'>
  campaigns: EntityTable<Campaign, 'id'>
  units: EntityTable<StoredRecord, 'id'>
  creation_items: EntityTable<StoredRecord, 'id'>
  evidence: EntityTable<StoredRecord, 'id'>
  rectifications: EntityTable<StoredRecord, 'id'>
  outbox: EntityTable<StoredMutation, 'id'>
  attachments: EntityTable<StoredAttachment, 'sha256'>
  drafts: EntityTable<StoredDraft, 'key'>
  meta: EntityTable<MetaRow, 'key'>
  answered: EntityTable<AnsweredRow, 'user_id'>
  acked: Table<StoredAckedRow, string, StoredAckedRow>
  keys: EntityTable<KeyringRow, 'user_id'>
}

/** The replicated stores, by the `type` of a pulled change. */
export const ENTITY_TABLES = {
  area: 'areas',
  user: 'users',
  recipient: 'recipients',
  visit: 'visits',
  difficulty: 'difficulties',
  followup: 'followups',
  campaign: 'campaigns',
  unit: 'units',
  creation_item: 'creation_items',
  evidence: 'evidence',
  rectification: 'rectifications',
} as const

export function createDb(name = 'zoufang'): ZoufangDB {
  const db = new Dexie(name) as ZoufangDB
  db.version(1).stores({
    areas: 'id, parent_id',
    users: 'id',
    recipients: 'id, area_id, category, name',
    visits: 'id, recipient_id, visited_at, author_id',
    difficulties: 'id, recipient_id, visit_id, status, follow_up_at',
    followups: 'id, difficulty_id, at',
    campaigns: 'id, ends_on',
    // Mutation ids are UUIDs made on the device; seq orders them within one user's queue.
    outbox: 'id, [user_id+seq], entity_id, state',
    attachments: 'sha256, uploaded',
    drafts: 'key, user_id',
    meta: 'key',
  })
  // Version 2 changes only outbox indexes (IndexedDB builds them from the rows already queued; no row moves):
  // [user_id+state+seq] reads the next batch of one user's pending mutations with one ranged getAll instead of
  // a filtered cursor walk, and replaces the unused `state` index (one index less to update per write);
  // data.difficulty_id finds the queued follow-ups that protect a difficulty.
  db.version(2).stores({
    outbox: 'id, [user_id+seq], entity_id, [user_id+state+seq], data.difficulty_id',
  })
  // Version 3 adds `answered` (db/answered.ts): per user, the versions pushes were answered with until the pull
  // brings the records. Its own store, so the sync engine's session reads (meta) never wait for a batch's store.
  db.version(3).stores({
    answered: 'user_id',
  })
  // Version 4 drops two outbox indexes nothing reads any more: [user_id+seq] (a user's whole queue is the
  // [user_id+state+seq] prefix) and data.difficulty_id (queuedAmong remembers what each mutation protects).
  // Every queued row is deleted once it is answered, and each index is one more entry to remove per row.
  db.version(4).stores({
    outbox: 'id, entity_id, [user_id+state+seq]',
  })
  // Version 5 adds the creation campaign's records, which only a liaison's pull carries: member units, their
  // unit's items (by deadline), evidence (by item, made offline through evidence.create) and rectifications.
  db.version(5).stores({
    units: 'id',
    creation_items: 'id, deadline',
    evidence: 'id, item_id',
    rectifications: 'id, item_id',
  })
  // Version 6 adds `acked`: acknowledged mutations kept for a while (db/outbox.ts), to be sent again when the
  // server answers 410 after a restore from a backup. Its own store, so the queue's reads and indexes stay as
  // they were; `acked_at` finds the ones past the window. (6, not 5: version 5 is the creation campaign's stores,
  // made on another branch; Dexie takes versions with gaps.)
  db.version(6).stores({
    acked: 'id, acked_at',
  })
  // Version 7: encryption at rest (`sealed.ts`). Recipients lose their `name` and `category` indexes (the name is
  // sealed; the list sorts and searches the roster in memory); `keys` holds each user's wrapped data key
  // (`keyring.ts`). Rows from before stay readable as they are and are sealed at their user's next unlock
  // (`keyring.ts` `sealLegacyRows`): nothing is lost in the upgrade.
  db.version(7).stores({
    recipients: 'id, area_id',
    keys: 'user_id, username',
  })
  return db
}
