/**
 * Every rule the server publishes (api/rules.ts, generated from its OpenAPI document) is one the phone
 * applies: each constrained property of each op's component and each named rule (x-rules) is walked, a
 * violating value is refused with a translated message (Chinese without a Latin letter, and English), and a
 * valid record is taken. A keyword or a named rule this file has no violation for fails the walk, so a rule
 * added on the server and not on the phone cannot go unnoticed.
 */
import { describe, expect, it } from 'vitest'
import { OP_RULES } from '../../src/api/rules'
import { format } from '../../src/i18n'
import zhCN from '../../src/i18n/zh-CN.json'
import en from '../../src/i18n/en.json'
import { checkRecord, KEYWORDS, NAMED_RULES, type Op, type RuleError, type SchemaNode } from '../../src/lib/rules'

type Values = Record<string, unknown>
const NOW = new Date()
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString()
const U1 = '6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b'
const U2 = '0a9b8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d'
const SHA = 'a'.repeat(64)

const RECIPIENT = { id: U1, name: '张三', gender: 'male', id_number: '11010519491231002X', phone: '13800000000', address: '一组12号',
  area_id: 9, category: 'veteran', tags: ['独居'], notes: '备注' }
const VISIT = { id: U1, recipient_id: U2, visited_at: ago(60), kind: 'festival', occasion: '春节慰问', participants: '李四', gifts: '米、油',
  cash_cents: 50000, notes: '情况良好', location: { lat: 30.1, lng: 120.2, accuracy_m: 12 }, photos: [SHA], signature: SHA,
  no_signature_reason: null }
/** A valid record per op, with a value for every property its component has (checked below). */
const VALID: Record<Op, Values> = {
  'recipient.create': RECIPIENT,
  'recipient.update': RECIPIENT,
  'visit.create': VISIT,
  'visit.update': VISIT,
  'difficulty.create': { id: U1, recipient_id: U2, visit_id: U2, category: 'housing', description: '房屋漏雨', urgency: 'urgent',
    due_date: '2026-12-31', follow_up_at: ago(-600) },
  'followup.create': { id: U1, difficulty_id: U2, at: ago(5), note: '已联系', status: 'in_progress', next_follow_up_at: ago(-6000) },
  'evidence.create': { id: U1, item_id: U2, sha256: SHA, title: '示范点位巡查照片', note: '已整改', location: { lat: 30.1, lng: 120.2, accuracy_m: 12 },
    taken_at: ago(30) },
}

interface Violation { keyword: string; value: unknown }

/** A value of a type none of `types` is. */
function otherType(type: string | undefined): unknown {
  return type === 'string' ? 12345 : 'x'
}

/** Violating values for `node`, one or more per keyword it has; `valid` is a valid value of it. */
function violations(node: SchemaNode, valid: unknown): Violation[] {
  const out: Violation[] = []
  const generators: Record<string, () => void> = {
    type: () => out.push({ keyword: 'type', value: otherType(node.type) }, ...(node.type === 'integer' ? [{ keyword: 'type', value: 1.5 }] : [])),
    nullable: () => undefined, // nullable: true allows null (checked below); false is the null check
    enum: () => out.push({ keyword: 'enum', value: '__not_a_code__' }),
    minLength: () => out.push({ keyword: 'minLength', value: 'x'.repeat(node.minLength! - 1) }),
    maxLength: () => out.push({ keyword: 'maxLength', value: '字'.repeat(node.maxLength! + 1) }),
    // Ids refuse punctuation; text refuses control characters (a vertical tab, as Word pastes a line break).
    pattern: () => out.push({ keyword: 'pattern', value: new RegExp(node.pattern!).test('!') ? 'a\u000bb' : '!' }),
    format: () => out.push({ keyword: 'format', value: node.format === 'date' ? '2026-02-30' : 'not a time' }),
    minimum: () => out.push({ keyword: 'minimum', value: node.minimum! - 1 }),
    maximum: () => out.push({ keyword: 'maximum', value: node.maximum! + 1 }),
    minItems: () => out.push({ keyword: 'minItems', value: [] }),
    maxItems: () => out.push({ keyword: 'maxItems', value: Array(node.maxItems! + 1).fill((valid as unknown[])[0]) }),
    items: () => out.push(...violations(node.items!, (valid as unknown[])[0]).map((v) => ({ keyword: `items.${v.keyword}`, value: [v.value] }))),
    properties: () => {
      for (const [name, prop] of Object.entries(node.properties!)) {
        const inner = (valid as Values)[name]
        out.push(...violations(prop, inner).map((v) => ({ keyword: `${name}.${v.keyword}`, value: { ...(valid as Values), [name]: v.value } })))
      }
    },
    required: () => {
      for (const name of node.required!) {
        const { [name]: _dropped, ...rest } = valid as Values
        void _dropped
        out.push({ keyword: `required.${name}`, value: rest })
      }
    },
    additionalProperties: () => {
      if (node.additionalProperties === false) out.push({ keyword: 'additionalProperties', value: { ...(valid as Values), __unknown__: 1 } })
    },
    anyOf: () => out.push({ keyword: 'anyOf', value: node.anyOf!.some((b) => b.type === 'string') ? 12345 : 'x' }),
  }
  if (!node.nullable) out.push({ keyword: 'not-null', value: null })
  for (const keyword of Object.keys(node)) {
    const generate = generators[keyword]
    if (!generate) throw new Error(`the server has a rule "${keyword}" this test (and so perhaps the phone) does not know`)
    generate()
  }
  return out
}

/** A named rule: records that break it (with the message key) and records it takes. */
type Samples = (rule: Values) => { bad: [Values, string][]; good: Values[] }
const NAMED_SAMPLES: Record<string, Samples> = {
  id_number_gb11643: (r) => ({
    bad: [[{ [r.field as string]: '110105194912310021' }, 'rules.idNumber.checkDigit'],
      [{ [r.field as string]: '11010519491331002X' }, 'rules.idNumber.birthDate'],
      [{ [r.field as string]: '1101051949123100' }, 'rules.idNumber.length'],
      [{ [r.field as string]: '1101051949123100XX' }, 'rules.idNumber.format']],
    good: [{ [r.field as string]: '11010519491231002X' }, { [r.field as string]: '110105********002X' }, { [r.field as string]: null }],
  }),
  not_future: (r) => ({
    bad: [[{ [r.field as string]: ago(-(r.slack_minutes as number) - 5) }, 'rules.not_future']],
    good: [{ [r.field as string]: ago(-(r.slack_minutes as number) + 5) }],
  }),
  signature_or_reason: (r) => ({
    bad: [[{ [r.amount as string]: 100, [r.field as string]: null, [r.reason as string]: '  ' }, 'rules.signature_or_reason']],
    good: [{ [r.amount as string]: 100, [r.field as string]: null, [r.reason as string]: '卧床无法签字' },
      { [r.amount as string]: 100, [r.field as string]: SHA, [r.reason as string]: null },
      { [r.amount as string]: 0, [r.field as string]: null, [r.reason as string]: null }],
  }),
  resolved_no_next: (r) => ({
    bad: [[{ [r.status as string]: r.resolved, [r.field as string]: ago(-600) }, 'rules.resolved_no_next']],
    good: [{ [r.status as string]: r.resolved, [r.field as string]: null }],
  }),
}

function lookup(tree: unknown, key: string): string | undefined {
  const found = key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree)
  return typeof found === 'string' ? found : undefined
}

/** The error in both languages: Chinese with no Latin letter (no English, no field code), English present. */
function expectTranslated(error: RuleError | undefined, what: string): void {
  expect(error, what).toBeDefined()
  const zh = lookup(zhCN, error!.key)
  expect(zh, `${what}: ${error!.key} in zh-CN.json`).toBeDefined()
  expect(format(zh!, error!.named), what).not.toMatch(/[A-Za-z]/)
  expect(lookup(en, error!.key), `${what}: ${error!.key} in en.json`).toBeDefined()
}

const OPS = Object.keys(OP_RULES) as Op[]

describe('the server rules the phone applies', () => {
  it('knows every keyword and named rule of the document', () => {
    const used = new Set<string>()
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk)
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k !== 'properties') used.add(k)
          walk(k === 'properties' ? Object.values(v as object) : v)
        }
      }
    }
    OPS.forEach((op) => walk(OP_RULES[op].schema))
    expect([...used].filter((k) => !(KEYWORDS as readonly string[]).includes(k))).toEqual([])
    const named = new Set(OPS.flatMap((op) => OP_RULES[op].rules.map((r) => r.rule as string)))
    expect([...named].filter((n) => !NAMED_RULES.includes(n) || !NAMED_SAMPLES[n])).toEqual([])
  })

  it.each(OPS)('%s: the valid record has every property and is taken', (op) => {
    const schema = OP_RULES[op].schema as unknown as SchemaNode
    expect(Object.keys(VALID[op]).sort()).toEqual(Object.keys(schema.properties!).sort())
    expect(checkRecord(op, VALID[op], NOW)).toEqual({})
  })

  const constraints = OPS.flatMap((op) => {
    const schema = OP_RULES[op].schema as unknown as SchemaNode
    // The record itself is always an object: its own type and null are no rule of a field.
    return violations(schema, VALID[op]).filter((v) => v.keyword !== 'type' && v.keyword !== 'not-null')
      .map((v) => [op, v.keyword, v.value] as const)
  })

  it.each(constraints)('%s refuses %s', (op, keyword, record) => {
    const errors = checkRecord(op, record as Values, NOW)
    // The field the violation is in: the first part of the keyword path, or the field it dropped or added.
    const field = keyword.startsWith('required.') ? keyword.slice(9) : keyword === 'additionalProperties' ? '__unknown__' : keyword.split('.')[0]
    expectTranslated(errors[field], `${op} ${keyword}`)
  })

  it('refuses control characters in text as such, and keeps line breaks and tabs in multi-line text', () => {
    const visit = (fields: Values) => checkRecord('visit.create', { ...VISIT, ...fields }, NOW)
    expect(visit({ notes: '第一行\n第二行\t缩进' })).toEqual({})
    expect(visit({ notes: '身体\u000b状况良好' }).notes?.key).toBe('errors.field.control_characters')
    expect(visit({ occasion: '春节\n慰问' }).occasion?.key).toBe('errors.field.control_characters')
    expect(visit({ gifts: '米\u0085油' }).gifts?.key).toBe('errors.field.control_characters')
    expect(checkRecord('visit.create', { ...VISIT, id: 'not!a-uuid' }, NOW).id?.key).toBe('rules.pattern')
  })

  it.each(OPS.flatMap((op) => Object.entries((OP_RULES[op].schema as unknown as SchemaNode).properties!)
    .filter(([, p]) => p.nullable).map(([name]) => [op, name] as const)))('%s takes null for %s', (op, name) => {
    // (A named rule may still want a value there: signature_or_reason when cash is given.)
    expect(checkRecord(op, { ...VALID[op], [name]: null }, NOW)[name]?.key).not.toBe('rules.required')
  })

  const named = OPS.flatMap((op) => OP_RULES[op].rules.map((rule) => [op, rule.rule, rule as unknown as Values] as const))

  it.each(named)('%s applies %s', (op, name, rule) => {
    const samples = NAMED_SAMPLES[name](rule)
    for (const [patch, key] of samples.bad) {
      const error = checkRecord(op, { ...VALID[op], ...patch }, NOW)[rule.field as string]
      expect(error?.key, `${op} ${name} ${JSON.stringify(patch)}`).toBe(key)
      expectTranslated(error, `${op} ${name}`)
    }
    for (const patch of samples.good) expect(checkRecord(op, { ...VALID[op], ...patch }, NOW), `${op} ${name} ${JSON.stringify(patch)}`).toEqual({})
  })
})
