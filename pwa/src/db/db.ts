/** The one Dexie instance of the app (tests make their own with createDb and setDb). */
import { createDb, type ZoufangDB } from './schema'

let instance: ZoufangDB | null = null

export function getDb(): ZoufangDB {
  if (!instance) instance = createDb()
  return instance
}

export function setDb(db: ZoufangDB): void {
  instance = db
}
