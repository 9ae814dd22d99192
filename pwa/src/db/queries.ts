/**
 * The reads the views run (through `useLiveQuery`), and read models computed from synced data: due follow-ups,
 * coverage. Records come out opened (`sealed.ts`): the indexes hold plain fields only, the rest is decrypted here.
 */
import { getDb } from './db'
import type { StoredRecord } from './schema'
import { openRecord, openRecords, type SealedStore } from './sealed'
import type { Area, AreaId, Assignment, Campaign, Difficulty, FollowUp, Recipient, Visit } from './types'

const one = <T>(store: SealedStore) => async (id: string): Promise<T | undefined> =>
  openRecord<T>(store, await getDb().table<StoredRecord>(store).get(id))
const all = async <T>(store: SealedStore, rows: Promise<StoredRecord[]>): Promise<T[]> => openRecords<T>(store, await rows)

// -- records by id

export const getRecipient = one<Recipient>('recipients')
export const getVisit = one<Visit>('visits')
export const getDifficulty = one<Difficulty>('difficulties')
export const getArea = (id: AreaId): Promise<Area | undefined> => getDb().areas.get(id as never)

// -- lists

/** The whole roster in key order, read in one go (no index walk): the list sorts it by pinyin itself. */
export const roster = (): Promise<Recipient[]> => all('recipients', getDb().recipients.toArray())

/** The roster in name order (code points; the list orders by pinyin itself). */
export const recipientsByName = async (): Promise<Recipient[]> =>
  (await roster()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))

export const allAreas = (): Promise<Area[]> => getDb().areas.toArray()

/** Recipient names by id: the whole roster, or only `ids` (a keyed read, so a pull of other records does not wake it). */
export async function recipientNames(ids?: string[]): Promise<Map<string, string>> {
  const rows = ids ? (ids.length ? await getDb().recipients.bulkGet(ids) : []) : await getDb().recipients.toArray()
  const found = await openRecords<Recipient>('recipients', rows.filter((r): r is StoredRecord => !!r))
  return new Map(found.map((r) => [r.id, r.name] as const))
}

const newestFirst = <T>(rows: T[], at: (row: T) => string): T[] => rows.sort((a, b) => at(b).localeCompare(at(a)))

/** A recipient's visits, newest first. */
export async function visitsOfRecipient(recipientId: string): Promise<Visit[]> {
  return newestFirst(await all<Visit>('visits', getDb().visits.where('recipient_id').equals(recipientId).toArray()), (v) => v.visited_at)
}

/** The difficulties recorded during a visit. */
export const difficultiesOfVisit = (visitId: string): Promise<Difficulty[]> =>
  all('difficulties', getDb().difficulties.where('visit_id').equals(visitId).toArray())

/** A difficulty's follow-ups, newest first. */
export async function followUpsOf(difficultyId: string): Promise<FollowUp[]> {
  return newestFirst(await all<FollowUp>('followups', getDb().followups.where('difficulty_id').equals(difficultyId).toArray()), (f) => f.at)
}

const difficultiesOf = (recipientId: string): Promise<Difficulty[]> =>
  all('difficulties', getDb().difficulties.where('recipient_id').equals(recipientId).toArray())

export interface HistoryEntry {
  key: string
  at: string
  followup?: FollowUp
  assignment?: Assignment
}

/** A difficulty's history, newest first: its follow-ups and the office's assignments in one timeline. */
export function historyOf(followups: FollowUp[], assignments: Assignment[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [
    ...followups.map((f) => ({ key: `f:${f.id}`, at: f.at, followup: f })),
    ...assignments.map((a, i) => ({ key: `a:${i}`, at: a.at, assignment: a })),
  ]
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at))
}

/** A recipient's unresolved difficulties, each with its follow-ups (newest first). */
export async function openDifficultiesOf(recipientId: string): Promise<(Difficulty & { followups: FollowUp[] })[]> {
  const list = (await difficultiesOf(recipientId)).filter((d) => d.status !== 'resolved')
  return Promise.all(list.map(async (d) => ({ ...d, followups: await followUpsOf(d.id) })))
}

/** A recipient's resolved difficulties, the last one resolved first (its history, shown below the open ones). */
export async function resolvedDifficultiesOf(recipientId: string): Promise<Difficulty[]> {
  const list = (await difficultiesOf(recipientId)).filter((d) => d.status === 'resolved')
  return newestFirst(list, (d) => d.resolved_at ?? d.created_at ?? '')
}

/** Every unresolved difficulty, the one due soonest first (those without a date last). */
export async function openDifficulties(): Promise<Difficulty[]> {
  const list = await all<Difficulty>('difficulties', getDb().difficulties.toArray())
  return list.filter((d) => d.status !== 'resolved').sort((a, b) => (difficultyDueDay(a) ?? '9').localeCompare(difficultyDueDay(b) ?? '9'))
}

// -- the outbox as the views see it (any user's queue: a record queued by anyone on this phone is "not synced")

/** Ids of the records with a queued mutation. */
export async function queuedEntityIds(): Promise<Set<string>> {
  return new Set((await getDb().outbox.orderBy('entity_id').uniqueKeys()) as string[])
}

/** How many mutations are queued for one record. */
export const countQueuedFor = (entityId: string): Promise<number> => getDb().outbox.where('entity_id').equals(entityId).count()

/** How many mutations of other users than `userId` wait on this phone. */
export const countQueuedOfOthers = (userId: string): Promise<number> =>
  getDb().outbox.filter((m) => m.user_id !== userId).count()

// -- due follow-ups and campaign coverage

const TZ_OFFSET_MS = 8 * 3600_000 // Asia/Shanghai, no DST

export function localDay(iso: string | Date): string {
  const t = typeof iso === 'string' ? new Date(iso).getTime() : iso.getTime()
  return new Date(t + TZ_OFFSET_MS).toISOString().slice(0, 10)
}

/** The day a difficulty next needs attention: its follow-up date, else its deadline. */
export function difficultyDueDay(d: Difficulty): string | null {
  if (d.follow_up_at) return localDay(d.follow_up_at)
  return d.due_date ?? null
}

export interface DueLists {
  today: Difficulty[]
  overdue: Difficulty[]
}

export function splitDue(difficulties: Difficulty[], now: Date = new Date()): DueLists {
  const today = localDay(now)
  const out: DueLists = { today: [], overdue: [] }
  for (const d of difficulties) {
    if (d.status === 'resolved') continue
    const day = difficultyDueDay(d)
    if (!day) continue
    if (day === today) out.today.push(d)
    else if (day < today) out.overdue.push(d)
  }
  out.overdue.sort((a, b) => (difficultyDueDay(a) ?? '').localeCompare(difficultyDueDay(b) ?? ''))
  return out
}

export async function dueFollowUps(now: Date = new Date()): Promise<DueLists> {
  // Only the unresolved ones are opened: their plain status says which.
  return splitDue(await all<Difficulty>('difficulties', getDb().difficulties.filter((d) => d.status !== 'resolved').toArray()), now)
}

/**
 * The two meanings of "逾期", named apart everywhere (server/domain/difficulties.py holds the same rules):
 * - 跟进逾期 `followUpOverdue`: unresolved, its follow-up date's local day is over, and no follow-up was
 *   recorded on or after that day;
 * - 办结超期 `deadlineOverdue`: unresolved and its deadline (`due_date`, a local date) is before today.
 */
export interface LateLists {
  followUpOverdue: Difficulty[]
  deadlineOverdue: Difficulty[]
}

export function isDeadlineOverdue(d: Difficulty, today: string): boolean {
  return d.status !== 'resolved' && !!d.due_date && d.due_date < today
}

export function isFollowUpOverdue(d: Difficulty, lastFollowUpAt: string | undefined, today: string): boolean {
  if (d.status === 'resolved' || !d.follow_up_at) return false
  const day = localDay(d.follow_up_at)
  if (day >= today) return false
  return !lastFollowUpAt || lastFollowUpAt < localDayStart(day)
}

/** Both late lists, the longest overdue first; `followups` gives each difficulty's latest follow-up. */
export function splitLate(difficulties: Difficulty[], followups: Pick<FollowUp, 'difficulty_id' | 'at'>[], now: Date = new Date()): LateLists {
  const today = localDay(now)
  const last = new Map<string, string>()
  for (const f of followups) {
    const seen = last.get(f.difficulty_id)
    if (!seen || Date.parse(f.at) > Date.parse(seen)) last.set(f.difficulty_id, new Date(f.at).toISOString())
  }
  const followUpOverdue = difficulties.filter((d) => isFollowUpOverdue(d, last.get(d.id), today))
    .sort((a, b) => (a.follow_up_at ?? '').localeCompare(b.follow_up_at ?? ''))
  const deadlineOverdue = difficulties.filter((d) => isDeadlineOverdue(d, today))
    .sort((a, b) => (a.due_date ?? '').localeCompare(b.due_date ?? ''))
  return { followUpOverdue, deadlineOverdue }
}

/** Both late lists from the synced data on this phone (no server round trip). */
export async function lateDifficulties(now: Date = new Date()): Promise<LateLists> {
  const db = getDb()
  const unresolved = await all<Difficulty>('difficulties', db.difficulties.filter((d) => d.status !== 'resolved').toArray())
  const open = unresolved.filter((d) => d.follow_up_at || d.due_date)
  const followups = open.length
    ? await all<FollowUp>('followups', db.followups.where('difficulty_id').anyOf(open.map((d) => d.id)).toArray()) : []
  return splitLate(open, followups, now)
}

/** Is `areaId` the area `rootId` or below it? */
export function inSubtree(areaId: AreaId | null | undefined, rootId: AreaId | null | undefined, areas: Map<string, Area>): boolean {
  if (rootId === null || rootId === undefined) return true
  let cur: AreaId | null | undefined = areaId
  for (let i = 0; cur && i < 10; i++) {
    if (String(cur) === String(rootId)) return true
    cur = areas.get(String(cur))?.parent_id ?? null
  }
  return false
}

export interface CampaignCoverage {
  campaign: Campaign
  targets: Recipient[]
  notVisited: Recipient[]
}

export interface CampaignTargets {
  campaign: Campaign
  targets: Recipient[]
}

function targetsOf(campaign: Campaign, recipients: Recipient[], areas: Map<string, Area>): Recipient[] {
  const cats = campaign.categories ?? []
  return recipients.filter((r) => (!cats.length || cats.includes(r.category)) && inSubtree(r.area_id, campaign.area_id, areas))
}

function withNotVisited({ campaign, targets }: CampaignTargets, visits: Visit[]): CampaignCoverage {
  const visited = new Set(
    visits.filter((v) => {
      const day = localDay(v.visited_at)
      return day >= campaign.starts_on && day <= campaign.ends_on
    }).map((v) => v.recipient_id),
  )
  return { campaign, targets, notVisited: targets.filter((r) => !visited.has(r.id)) }
}

export function campaignCoverage(campaign: Campaign, recipients: Recipient[], visits: Visit[], areas: Map<string, Area>): CampaignCoverage {
  return withNotVisited({ campaign, targets: targetsOf(campaign, recipients, areas) }, visits)
}

/** The UTC instant (ISO, as `visited_at` is stored) at which a local day starts. */
export function localDayStart(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - TZ_OFFSET_MS).toISOString()
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10)
}

/** The campaigns running today and whom each targets: reads the roster, so only a roster change wakes it. */
export async function activeCampaignTargets(now: Date = new Date()): Promise<CampaignTargets[]> {
  const db = getDb()
  const today = localDay(now)
  const campaigns = (await db.campaigns.toArray()).filter((c) => c.starts_on <= today && today <= c.ends_on)
  if (!campaigns.length) return []
  const [recipients, areas] = await Promise.all([roster(), db.areas.toArray()])
  const areaMap = new Map(areas.map((a) => [String(a.id), a]))
  return campaigns.map((campaign) => ({ campaign, targets: targetsOf(campaign, recipients, areaMap) }))
}

/** The visits inside the campaigns' days only (a range of the `visited_at` index), not the whole history. */
export async function visitsDuring(campaigns: Campaign[]): Promise<Visit[]> {
  if (!campaigns.length) return []
  const from = campaigns.map((c) => c.starts_on).sort()[0]
  const to = campaigns.map((c) => c.ends_on).sort().reverse()[0]
  return all('visits', getDb().visits.where('visited_at').between(localDayStart(from), localDayStart(nextDay(to)), true, false).toArray())
}

/** Who each running campaign still has to visit. */
export function coverageOf(running: CampaignTargets[], visits: Visit[]): CampaignCoverage[] {
  return running.map((r) => withNotVisited(r, visits))
}

/** Coverage of the campaigns running today, in one read (the home screen keeps its two halves live apart). */
export async function activeCampaignCoverage(now: Date = new Date()): Promise<CampaignCoverage[]> {
  const running = await activeCampaignTargets(now)
  return coverageOf(running, await visitsDuring(running.map((r) => r.campaign)))
}

