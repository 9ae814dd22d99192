/** Outbox mutation → the page of the record it changes (a follow-up opens its difficulty). */
import type { Mutation } from '../db/types'

/** The page of the record a field of the mutation's data names (a follow-up's difficulty, evidence's item). */
function underData(m: Pick<Mutation, 'data'>, field: string, prefix: string): string | null {
  const id = (m.data as Record<string, unknown> | null)?.[field]
  return typeof id === 'string' && id ? `${prefix}${id}` : null
}

export function recordRoute(m: Pick<Mutation, 'entity_type' | 'entity_id' | 'data'>): string | null {
  switch (m.entity_type) {
    case 'recipient':
      return `/recipients/${m.entity_id}`
    case 'visit':
      return `/visits/${m.entity_id}`
    case 'difficulty':
      return `/difficulties/${m.entity_id}`
    case 'followup':
      return underData(m, 'difficulty_id', '/difficulties/')
    case 'evidence':
      return underData(m, 'item_id', '/creation/items/')
    default:
      return null
  }
}
