/** Outbox operation → message key. Ops contain dots ("visit.create"), which vue-i18n would read as a nested path. */
import type { Op } from '../db/types'

const OP_KEYS: Record<Op, string> = {
  'recipient.create': 'outbox.ops.recipient_create',
  'recipient.update': 'outbox.ops.recipient_update',
  'visit.create': 'outbox.ops.visit_create',
  'visit.update': 'outbox.ops.visit_update',
  'difficulty.create': 'outbox.ops.difficulty_create',
  'followup.create': 'outbox.ops.followup_create',
  'evidence.create': 'outbox.ops.evidence_create',
}

export const OPS = Object.keys(OP_KEYS) as Op[]

export function opLabelKey(op: Op): string {
  return OP_KEYS[op]
}
