/** Record shapes shared by the local database, the sync engine and the views (snake_case, as the server). */

export type EntityType = 'area' | 'user' | 'recipient' | 'visit' | 'difficulty' | 'followup' | 'campaign'

/** Every replicated row carries the server's version (0 while it only exists on the device). */
export interface Versioned {
  id: string | number
  _version: number
}

export type AreaId = number | string

export interface Area extends Versioned {
  id: AreaId
  code: string
  name: string
  level: 'county' | 'township' | 'village'
  parent_id: AreaId | null
}

export interface UserRow extends Versioned {
  display_name: string
}

export interface Recipient extends Versioned {
  id: string
  name: string
  gender: 'male' | 'female' | null
  id_number: string | null
  phone: string | null
  address: string | null
  area_id: AreaId
  category: string
  tags: string[]
  notes: string | null
}

export interface GeoPoint {
  lat: number
  lng: number
  accuracy_m: number | null
}

export interface Visit extends Versioned {
  id: string
  recipient_id: string
  visited_at: string
  kind: string
  occasion: string | null
  participants: string | null
  gifts: string | null
  cash_cents: number
  notes: string | null
  location: GeoPoint | null
  photos: string[]
  signature: string | null
  no_signature_reason: string | null
  author_id?: string | number
  status?: 'submitted' | 'returned' | 'approved'
  review_comment?: string | null
}

export interface Difficulty extends Versioned {
  id: string
  recipient_id: string
  visit_id: string | null
  category: string
  description: string
  urgency: 'normal' | 'urgent'
  follow_up_at: string | null
  due_date: string | null
  status: 'open' | 'in_progress' | 'resolved'
  assignee_id?: string | number | null
  responsible_unit?: string | null
}

export interface FollowUp extends Versioned {
  id: string
  difficulty_id: string
  at: string
  note: string
  status: 'open' | 'in_progress' | 'resolved' | null
  next_follow_up_at: string | null
  author_id?: string | number
}

export interface Campaign extends Versioned {
  name: string
  starts_on: string
  ends_on: string
  categories: string[]
  area_id: AreaId | null
}

export type Op =
  | 'recipient.create'
  | 'recipient.update'
  | 'visit.create'
  | 'visit.update'
  | 'difficulty.create'
  | 'followup.create'

export type MutationState = 'pending' | 'rejected' | 'conflict'

export interface ApiErrorBody {
  code: string
  message?: string
  fields?: Record<string, unknown>
}

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

export interface Change {
  type: EntityType
  id: string
  version: number
  deleted: boolean
  data: Record<string, unknown>
}

export interface SessionUser {
  id: string | number
  username: string
  display_name: string
  role: 'staff' | 'reviewer' | 'admin'
  area_id: AreaId | null
}

export interface Session {
  user: SessionUser
  csrf_token: string
  expired: boolean
}
