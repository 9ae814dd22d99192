/**
 * Local writes: each one updates the local record and queues its mutation in one Dexie transaction. Records and
 * mutations are sealed on their way in (`sealed.ts`), inside that transaction (`settle` keeps it open).
 */
import { getDb } from './db'
import { ENTITY_TABLES } from './schema'
import { openRecord, sealRecord, type SealedStore } from './sealed'
import { enqueue, foldTarget, newMutation } from './outbox'
import { baseVersionOf } from './answered'
import type { Difficulty, Evidence, FollowUp, Mutation, Op, Recipient, Visit } from './types'

/** Ids of mutations being pushed right now (in this page); they must not be edited in place. */
export const inflight = new Set<string>()

type Data = Record<string, unknown>

function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T
}

/** Apply a mutation to the local replica (used when saving and when replaying a queue after a user switch). */
export async function applyMutationLocally(m: Pick<Mutation, 'op' | 'data' | 'user_id'>): Promise<void> {
  const db = getDb()
  const type = m.op.split('.')[0] as keyof typeof ENTITY_TABLES
  const store = ENTITY_TABLES[type] as SealedStore // every op's record type is a sealed store
  const table = db.table(store)
  const id = String(m.data.id)
  const existing = await openRecord<Data>(store, await table.get(id))
  if (m.op.endsWith('.create')) {
    const extra: Data = {}
    if (type === 'visit') Object.assign(extra, { author_id: m.user_id, status: 'submitted', review_comment: null })
    if (type === 'followup') extra.author_id = m.user_id
    if (type === 'evidence') Object.assign(extra, { uploaded_by: m.user_id, status: 'submitted', review_comment: null })
    await table.put(await sealRecord(store, { ...extra, ...existing, ...m.data, _version: (existing?._version as number) ?? 0 }))
  } else if (existing) {
    const patch: Data = { ...m.data }
    if (type === 'visit' && existing.status === 'returned') patch.status = 'submitted'
    await table.put(await sealRecord(store, { ...existing, ...patch }))
  }
  if (m.op === 'followup.create') {
    const d = await openRecord<Difficulty>('difficulties', await db.difficulties.get(String(m.data.difficulty_id)))
    if (d) {
      const upd: Partial<Difficulty> = {}
      if (m.data.status) upd.status = m.data.status as Difficulty['status']
      if (m.data.next_follow_up_at !== undefined) upd.follow_up_at = m.data.next_follow_up_at as string | null
      await db.difficulties.put(await sealRecord('difficulties', { ...d, ...upd }))
    }
  }
}

function tablesFor(db: ReturnType<typeof getDb>) {
  return [db.outbox, db.visits, db.recipients, db.difficulties, db.followups, db.answered]
}

/**
 * Queue one mutation. Edits of a record whose create or update has not left the device yet are
 * folded into that mutation, so the server sees one clean change.
 */
async function queue(userId: string, op: Op, data: Data, attachments: string[] = []): Promise<Mutation> {
  const db = getDb()
  data = plain(data)
  // The op's own table too (a liaison's evidence is not among the field work's tables).
  const own = db.table(ENTITY_TABLES[op.split('.')[0] as keyof typeof ENTITY_TABLES])
  return db.transaction('rw', [...new Set([...tablesFor(db), own])], async () => {
    let mutation: Mutation
    const target = op.endsWith('.update') ? await foldTarget(db, userId, op, String(data.id), inflight) : undefined
    if (target) {
      const fresh = newMutation(userId, target.op, { ...target.data, ...data }, target.base_version,
        [...new Set([...target.attachments, ...attachments])])
      mutation = { ...fresh, seq: target.seq }
    } else {
      let base: number | null = null
      if (op.endsWith('.update')) {
        const table = db.table(ENTITY_TABLES[op.split('.')[0] as keyof typeof ENTITY_TABLES])
        const existing = (await table.get(String(data.id))) as Data | undefined // its plain _version is all it needs
        // The server's version: the row's, or a newer one a push answered that the pull has not brought yet.
        base = await baseVersionOf(userId, op.split('.')[0], String(data.id), existing?._version as number | undefined)
      }
      mutation = newMutation(userId, op, data, base, attachments)
    }
    await applyMutationLocally(mutation)
    await enqueue(db, mutation, target?.id)
    return mutation
  })
}

export type VisitInput = Omit<Visit, '_version' | 'author_id' | 'status' | 'review_comment'>
export type DifficultyInput = Omit<Difficulty, '_version' | 'assignee_id' | 'responsible_unit' | 'status'> & {
  status?: Difficulty['status']
}

function visitAttachments(v: Partial<VisitInput>): string[] {
  return [...(v.photos ?? []), ...(v.signature ? [v.signature] : [])]
}

/** A new visit and the difficulties found during it, queued in order (visit first). */
export async function createVisit(userId: string, visit: VisitInput, difficulties: DifficultyInput[] = []) {
  const db = getDb()
  return db.transaction('rw', tablesFor(db), async () => {
    const m = await queue(userId, 'visit.create', visit as unknown as Data, visitAttachments(visit))
    for (const d of difficulties) await createDifficulty(userId, { ...d, visit_id: visit.id })
    return m
  })
}

/** Edit a visit (a returned one, or one still queued): only the changed fields travel, with base_version. */
export async function updateVisit(userId: string, id: string, patch: Partial<VisitInput>,
  difficulties: DifficultyInput[] = []) {
  const db = getDb()
  return db.transaction('rw', tablesFor(db), async () => {
    const current = await openRecord<Visit>('visits', await db.visits.get(id))
    const changed: Data = { id }
    for (const [k, v] of Object.entries(patch)) {
      if (k === 'id') continue
      if (!current || JSON.stringify((current as unknown as Data)[k]) !== JSON.stringify(v)) changed[k] = v
    }
    let m: Mutation | null = null
    if (Object.keys(changed).length > 1) m = await queue(userId, 'visit.update', changed, visitAttachments(patch))
    for (const d of difficulties) await createDifficulty(userId, { ...d, visit_id: id })
    return m
  })
}

export async function createDifficulty(userId: string, d: DifficultyInput) {
  const data: Data = {
    assignee_id: null, responsible_unit: null, ...d, status: d.status ?? 'open',
  }
  return queue(userId, 'difficulty.create', data)
}

export async function createFollowUp(userId: string, f: Omit<FollowUp, '_version' | 'author_id'>) {
  return queue(userId, 'followup.create', f as unknown as Data)
}

export type RecipientInput = Omit<Recipient, '_version'>

export async function createRecipient(userId: string, r: RecipientInput) {
  return queue(userId, 'recipient.create', r as unknown as Data)
}

export async function updateRecipient(userId: string, id: string, patch: Partial<RecipientInput>) {
  return queue(userId, 'recipient.update', { ...patch, id })
}

/** A liaison's pieces of evidence (one per file), queued in order in one transaction: sent as `evidence.create`. */
export async function createEvidence(userId: string, pieces: Omit<Evidence, '_version' | 'unit_id' | 'uploaded_by' | 'status' | 'review_comment' | 'created_at'>[]) {
  const db = getDb()
  return db.transaction('rw', [...tablesFor(db), db.evidence], async () => {
    const queued: Mutation[] = []
    for (const e of pieces) queued.push(await queue(userId, 'evidence.create', e as unknown as Data, [e.sha256]))
    return queued
  })
}
