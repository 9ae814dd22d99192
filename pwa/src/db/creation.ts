/**
 * The creation campaign's reads on a liaison's phone (their unit's items, evidence, 整改, as the pull brings them).
 * The stores are sealed like the rest (`sealed.ts`): rows are looked up by their plain fields and opened here.
 */
import { getDb } from './db'
import type { StoredRecord } from './schema'
import { openRecord, openRecords } from './sealed'
import type { CreationItem, Evidence, Rectification, Unit } from './types'

export const creationItems = async (): Promise<CreationItem[]> =>
  openRecords<CreationItem>('creation_items', await getDb().table<StoredRecord>('creation_items').toArray())
export const getCreationItem = async (id: string): Promise<CreationItem | undefined> =>
  openRecord<CreationItem>('creation_items', await getDb().table<StoredRecord>('creation_items').get(id))
export const evidenceOfItem = async (itemId: string): Promise<Evidence[]> =>
  openRecords<Evidence>('evidence', await getDb().table<StoredRecord>('evidence').where('item_id').equals(itemId).toArray())
export const rectificationsOfItem = async (itemId: string): Promise<Rectification[]> =>
  openRecords<Rectification>('rectifications',
    await getDb().table<StoredRecord>('rectifications').where('item_id').equals(itemId).toArray())
export const getRectification = async (id: string): Promise<Rectification | undefined> =>
  openRecord<Rectification>('rectifications', await getDb().table<StoredRecord>('rectifications').get(id))
export const allRectifications = async (): Promise<Rectification[]> =>
  openRecords<Rectification>('rectifications', await getDb().table<StoredRecord>('rectifications').toArray())
export const getUnit = async (id: number): Promise<Unit | undefined> =>
  openRecord<Unit>('units', await getDb().table<StoredRecord>('units').get(id))
