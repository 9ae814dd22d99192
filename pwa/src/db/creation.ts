/** The creation campaign's reads on a liaison's phone (their unit's items, evidence, 整改, as the pull brings them). */
import { getDb } from './db'
import type { CreationItem, Evidence, Rectification, Unit } from './types'

export const creationItems = (): Promise<CreationItem[]> => getDb().creation_items.toArray()
export const getCreationItem = (id: string): Promise<CreationItem | undefined> => getDb().creation_items.get(id)
export const evidenceOfItem = (itemId: string): Promise<Evidence[]> =>
  getDb().evidence.where('item_id').equals(itemId).toArray()
export const rectificationsOfItem = (itemId: string): Promise<Rectification[]> =>
  getDb().rectifications.where('item_id').equals(itemId).toArray()
export const getRectification = (id: string): Promise<Rectification | undefined> => getDb().rectifications.get(id)
export const allRectifications = (): Promise<Rectification[]> => getDb().rectifications.toArray()
export const getUnit = (id: number): Promise<Unit | undefined> => getDb().units.get(id)
