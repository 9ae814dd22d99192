/**
 * The server's rules for a record, checked on the phone before it saves: what `api/rules.ts` (generated from
 * the OpenAPI document by `make api-types`) says each op's `data` must be. JSON-Schema constraints are checked
 * generically; the named rules (`x-rules`) by the table below, one implementation per name: a name the
 * document has and this table lacks fails the type check (`npm run build`), and tests/lib/rules.test.ts
 * walks every rule of the document.
 *
 * An error is an i18n key under `rules.` with its named values, never the server's text or a field code.
 */
import { OP_RULES } from '../api/rules'
import { idNumberError } from './idNumber'

export type Op = keyof typeof OP_RULES
type RuleSpec = (typeof OP_RULES)[Op]['rules'][number]
export type RuleName = RuleSpec['rule']

/** A JSON Schema node as the document writes one (the keywords the server uses). */
export interface SchemaNode {
  type?: string
  nullable?: boolean
  enum?: readonly (string | number | null)[]
  anyOf?: readonly SchemaNode[]
  minLength?: number
  maxLength?: number
  pattern?: string
  format?: string
  minimum?: number
  maximum?: number
  minItems?: number
  maxItems?: number
  items?: SchemaNode
  properties?: Readonly<Record<string, SchemaNode>>
  required?: readonly string[]
  additionalProperties?: boolean
}

/** Every keyword this file checks (or that only shapes the others): the test fails on any other. */
export const KEYWORDS = ['type', 'nullable', 'enum', 'anyOf', 'minLength', 'maxLength', 'pattern', 'format', 'minimum',
  'maximum', 'minItems', 'maxItems', 'items', 'properties', 'required', 'additionalProperties'] as const

export interface RuleError {
  key: string
  named?: Record<string, unknown>
}
/** The first problem of each top-level field. */
export type RecordErrors = Record<string, RuleError>
type Values = Record<string, unknown>

export function opSchema(op: Op): SchemaNode {
  return OP_RULES[op].schema as unknown as SchemaNode
}

export function opRules(op: Op): readonly RuleSpec[] {
  return OP_RULES[op].rules
}

/** The longest text a field takes (a form's `maxlength` and word counter), if the server limits it. */
export function maxLength(op: Op, field: string): number | undefined {
  return opSchema(op).properties?.[field]?.maxLength
}

/** Code points, as the server (Python's len) counts them. */
function length(value: string): number {
  return [...value].length
}

function typeOk(type: string | undefined, value: unknown): boolean {
  switch (type) {
    case undefined: return true
    case 'string': return typeof value === 'string'
    case 'integer': return typeof value === 'number' && Number.isInteger(value)
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'boolean': return typeof value === 'boolean'
    case 'array': return Array.isArray(value)
    case 'object': return typeof value === 'object' && value !== null && !Array.isArray(value)
    default: return false
  }
}

function formatOk(format: string, value: string): boolean {
  if (format === 'date') {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value)
    if (!m) return false
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))
    return d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3]
  }
  if (format === 'date-time') return /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value) && !Number.isNaN(Date.parse(value))
  return false // a format the phone does not know: refused, and the test names it
}

/** The first problem of `value` against `node` (undefined: none). */
export function checkValue(node: SchemaNode, value: unknown): RuleError | undefined {
  if (value === null) return node.nullable || node.anyOf?.some((b) => b.nullable) ? undefined : { key: 'rules.required' }
  if (node.anyOf) {
    const errors = node.anyOf.map((branch) => checkValue(branch, value))
    if (errors.some((e) => !e)) return undefined
    return errors.find((e) => e && e.key !== 'rules.type') ?? errors[0]
  }
  if (!typeOk(node.type, value)) return { key: 'rules.type' }
  if (node.enum && !node.enum.includes(value as string)) return { key: 'rules.enum' }
  if (typeof value === 'string') {
    if (node.minLength !== undefined && length(value) < node.minLength) {
      return node.minLength === 1 ? { key: 'rules.required' } : { key: 'rules.minLength', named: { n: node.minLength } }
    }
    if (node.maxLength !== undefined && length(value) > node.maxLength) return { key: 'rules.maxLength', named: { n: node.maxLength } }
    if (node.pattern !== undefined && !new RegExp(node.pattern).test(value)) {
      // Text patterns refuse control characters (pasted from Word or a chat, invisible): say so, not "format".
      return { key: /\p{Cc}/u.test(value) ? 'errors.field.control_characters' : 'rules.pattern' }
    }
    if (node.format !== undefined && !formatOk(node.format, value)) return { key: 'rules.format' }
  }
  if (typeof value === 'number') {
    if (node.minimum !== undefined && value < node.minimum) return { key: 'rules.minimum', named: { n: node.minimum } }
    if (node.maximum !== undefined && value > node.maximum) return { key: 'rules.maximum', named: { n: node.maximum } }
  }
  if (Array.isArray(value)) {
    if (node.minItems !== undefined && value.length < node.minItems) return { key: 'rules.minItems', named: { n: node.minItems } }
    if (node.maxItems !== undefined && value.length > node.maxItems) return { key: 'rules.maxItems', named: { n: node.maxItems } }
    if (node.items) {
      for (const item of value) {
        const e = checkValue(node.items, item)
        if (e) return e
      }
    }
  }
  if (node.properties && typeOk('object', value)) {
    const e = Object.values(checkObject(node, value as Values))[0]
    if (e) return e
  }
  return undefined
}

function checkObject(node: SchemaNode, values: Values): RecordErrors {
  const errors: RecordErrors = {}
  for (const name of node.required ?? []) {
    if (values[name] === undefined) errors[name] = { key: 'rules.required' }
  }
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || errors[name]) continue
    const prop = node.properties?.[name]
    if (!prop) {
      if (node.additionalProperties === false) errors[name] = { key: 'rules.unknownField' }
      continue
    }
    const e = checkValue(prop, value)
    if (e) errors[name] = e
  }
  return errors
}

// -- the named rules (x-rules) --------------------------------------------------------------------------

type Impl<K extends RuleName> = (rule: Extract<RuleSpec, { rule: K }>, values: Values, now: Date) => RuleError | undefined

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

const NAMED: { [K in RuleName]: Impl<K> } = {
  // A masked number (330102********1234, what pulls give the phone) is never an error.
  id_number_gb11643: (rule, values, now) => {
    const value = text(values[rule.field])
    return value && !value.includes('*') ? idNumberError(value, now) : undefined
  },
  not_future: (rule, values, now) => {
    const value = text(values[rule.field])
    const at = value ? Date.parse(value) : NaN
    return at > now.getTime() + rule.slack_minutes * 60_000 ? { key: 'rules.not_future' } : undefined
  },
  signature_or_reason: (rule, values) =>
    values[rule.amount] && !values[rule.field] && !text(values[rule.reason]).trim() ? { key: 'rules.signature_or_reason' } : undefined,
  resolved_no_next: (rule, values) =>
    values[rule.status] === rule.resolved && values[rule.field] ? { key: 'rules.resolved_no_next' } : undefined,
}

/** The names this phone implements (the test compares them with the document's). */
export const NAMED_RULES = Object.keys(NAMED)

function runNamed(rule: RuleSpec, values: Values, now: Date): RuleError | undefined {
  const impl = (NAMED as Record<string, Impl<RuleName> | undefined>)[rule.rule]
  if (!impl) throw new Error(`rules: the server's rule ${rule.rule} has no implementation on the phone`)
  return impl(rule as never, values, now)
}

/**
 * The problems of a record the phone is about to save for `op` (a patch op: the whole record as the form
 * holds it, the server checks the stored record the same way), keyed by field; {} when the server will take it.
 */
export function checkRecord(op: Op, values: Values, now = new Date()): RecordErrors {
  const errors = checkObject(opSchema(op), values)
  for (const rule of opRules(op)) {
    if (errors[rule.field]) continue
    const e = runNamed(rule, values, now)
    if (e) errors[rule.field] = e
  }
  return errors
}
