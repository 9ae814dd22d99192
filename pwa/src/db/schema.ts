/** Dexie schema and its versions: every store and index of the device database lives here. */
import Dexie, { type EntityTable } from 'dexie'
import type {
  AckedMutation, Area, Attachment, Campaign, CreationItem, Difficulty, Draft, Evidence, FollowUp, Mutation, Recipient,
  Rectification, Unit, UserRow, Visit,
} from './types'

export interface MetaRow {
  key: string
  value: unknown
}

/** `answered`: one row per user, `versions` by `type:id` (db/answered.ts). */
export interface AnsweredRow {
  user_id: string
  versions: Record<string, number>
}

export type ZoufangDB = Dexie & {
  areas: EntityTable<Area, 'id'>
  users: EntityTable<UserRow, 'id'>
  recipients: EntityTable<Recipient, 'id'>
  visits: EntityTable<Visit, 'id'>
  difficulties: EntityTable<Difficulty, 'id'>
  followups: EntityTable<FollowUp, 'id'>
  campaigns: EntityTable<Campaign, 'id'>
  units: EntityTable<Unit, 'id'>
  creation_items: EntityTable<CreationItem, 'id'>
  evidence: EntityTable<Evidence, 'id'>
  rectifications: EntityTable<Rectification, 'id'>
  outbox: EntityTable<Mutation, 'id'>
  attachments: EntityTable<Attachment, 'sha256'>
  drafts: EntityTable<Draft, 'key'>
  meta: EntityTable<MetaRow, 'key'>
  answered: EntityTable<AnsweredRow, 'user_id'>
  acked: EntityTable<AckedMutation, 'id'>
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
  return db
}
