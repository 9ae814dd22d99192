/** Record shapes shared by the local database, the sync engine and the views (snake_case, as the server). */
import type { components } from '../api/schema'

/** The server's shapes, generated from its OpenAPI document (`make api-types`): never re-typed here. */
type Schemas = components['schemas']

export type EntityType = Schemas['Entity']['type']

/** Every replicated row carries the server's version (0 while it only exists on the device). */
export interface Versioned {
  id: string | number
  _version: number
}

/**
 * The fields the server owns in a record: answered in its pulled `data` (`…Data`), never read from the
 * device (absent from the op's `…Create`): author, village of a visit, review, status, assignment.
 */
export type ServerOwned<Data, Create> = Exclude<keyof Data, keyof Create>

/**
 * A record as the device keeps it: its pulled `data` plus `_version`; one made on this device has not got
 * the server-owned fields until its first sync, so those are optional.
 */
export type Replica<Data, Create = Data> = Omit<Data, ServerOwned<Data, Create>> &
  Partial<Pick<Data, ServerOwned<Data, Create>>> & { _version: number }

export type AreaId = Schemas['AreaData']['id']

export type Area = Replica<Schemas['AreaData']>

export type UserRow = Replica<Schemas['UserData']>

export type Recipient = Replica<Schemas['RecipientData'], Schemas['RecipientCreate']>

export type GeoPoint = Schemas['LocationData']

export type Visit = Replica<Schemas['VisitData'], Schemas['VisitCreate']>

export type Difficulty = Replica<Schemas['DifficultyData'], Schemas['DifficultyCreate']>

/** One office assignment in a difficulty's history (pulled with the difficulty). */
export type Assignment = Schemas['Assignment']

export type FollowUp = Replica<Schemas['FollowUpData'], Schemas['FollowUpCreate']>

export type Campaign = Replica<Schemas['CampaignData']>

/** The creation campaign's records, pulled by a liaison's phone only (their unit's work; never recipients). */
export type Unit = Replica<Schemas['UnitData']>

export type CreationItem = Replica<Schemas['CreationItemData']>

export type Evidence = Replica<Schemas['EvidenceData'], Schemas['EvidenceCreate']>

export type Rectification = Replica<Schemas['RectificationData']>

export type Op = Schemas['Mutation']['op']

export type MutationState = 'pending' | 'rejected' | 'conflict'

/** An error the server answered (`Error`), or one the device made (`{ code }`: the message is optional). */
export type ApiErrorBody = Omit<Schemas['Error'], 'message'> & Partial<Pick<Schemas['Error'], 'message'>>

/** One queued change, keyed by its own UUID and owned by the user who made it. */
export interface Mutation {
  id: string
  user_id: string
  seq: number
  op: Op
  entity_type: EntityType
  entity_id: string
  data: Record<string, unknown>
  base_version: number | null
  client_time: string
  attachments: string[]
  state: MutationState
  error: ApiErrorBody | null
  attempts: number
  server_entity?: Change | null
  /** Sent again after the server was restored (`requeueAcknowledged`): never folded into, its payload is the server's to compare. */
  resend?: 1
}

/** A mutation the server acknowledged, kept as it was sent (`db/outbox.ts`) to go again if the server is restored. */
export interface AckedMutation extends Mutation {
  acked_at: string
}

/**
 * A photo or signature, content-addressed by the SHA-256 of its bytes. Bytes are kept as an ArrayBuffer,
 * which every IndexedDB stores reliably (old Safari lost Blobs).
 */
export interface Attachment {
  sha256: string
  user_id: string
  bytes: ArrayBuffer
  mime: string
  uploaded: 0 | 1
  created_at: string
}

export interface Draft {
  key: string
  user_id: string
  data: Record<string, unknown>
  updated_at: string
}

/** A pull change, and a push result's entity: a record's current version, or its tombstone (`data` null). */
export type Change = Schemas['Entity']

export interface SessionUser {
  id: string | number
  username: string
  display_name: string
  role: 'staff' | 'reviewer' | 'admin' | 'liaison'
  area_id: AreaId | null
  /** A liaison's member unit (creation campaign); null for every other role. */
  unit_id?: number | null
}

export interface Session {
  user: SessionUser
  csrf_token: string
  expired: boolean
  /** The 401 code that ended it, when the server said (`password_changed`: log in with the new password). */
  ended?: string
}
