/** Outbox mutation → the page of the record it changes (a follow-up opens its difficulty). */
import type { Mutation } from '../db/types'

export function recordRoute(m: Pick<Mutation, 'entity_type' | 'entity_id' | 'data'>): string | null {
  switch (m.entity_type) {
    case 'recipient':
      return `/recipients/${m.entity_id}`
    case 'visit':
      return `/visits/${m.entity_id}`
    case 'difficulty':
      return `/difficulties/${m.entity_id}`
    case 'followup': {
      const difficulty = (m.data as { difficulty_id?: unknown } | null)?.difficulty_id
      return typeof difficulty === 'string' && difficulty ? `/difficulties/${difficulty}` : null
    }
    default:
      return null
  }
}
