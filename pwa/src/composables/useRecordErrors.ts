/**
 * A form's view of the server's rules (lib/rules.ts): each field's problem as a message in the user's
 * language, and each text field's limit for its counter. `check` runs at the save handler: a record with a
 * problem is not saved, and every problem shows beside its field.
 */
import { computed, reactive } from 'vue'
import { centsToYuan } from '../lib/format'
import { checkRecord, maxLength, type Op, type RecordErrors } from '../lib/rules'

type T = (key: string, named?: Record<string, unknown>) => string

// Made by the app (crypto.randomUUID) or picked from stored records, never typed: nothing the user could fix
// beside a field, so a form does not hold a save for them (the server's answer still would).
const APP_MADE = new Set(['id', 'recipient_id', 'visit_id', 'difficulty_id'])

export function useRecordErrors(t: T) {
  const found = reactive<RecordErrors>({})

  /** Field → message, translated again when the language changes. */
  const messages = computed<Record<string, string>>(() => Object.fromEntries(Object.entries(found).map(([field, e]) => {
    // Money is kept in fen and typed in yuan: its limits are shown in yuan.
    const named = field.endsWith('_cents') && typeof e.named?.n === 'number' ? { n: centsToYuan(e.named.n) || '0' } : e.named
    return [field, t(e.key, named)]
  })))

  /** Check `record` for `op`; true when the server will take it (the previous problems are cleared first). */
  function check(op: Op, record: Record<string, unknown>, prefix = ''): boolean {
    if (!prefix) clear()
    const errors = Object.entries(checkRecord(op, record)).filter(([field]) => !APP_MADE.has(field))
    for (const [field, e] of errors) found[`${prefix}${field}`] = e
    return errors.length === 0
  }

  function clear(): void {
    for (const k of Object.keys(found)) delete found[k]
  }

  return { messages, check, clear, limit: (op: Op, field: string) => maxLength(op, field) }
}
