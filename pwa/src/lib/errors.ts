/** The one error translator: stable codes and field names → messages of the i18n files, for the field app, office and admin. */
import { ApiError } from './http'
import type { ApiErrorBody } from '../db/types'

type T = (key: string, named?: Record<string, unknown>) => string

/**
 * Whose wording comes first: the office console's (`office.errors.*`) or the admin pages' (`admin.errors.*`),
 * each falling back to the app's own `errors.*`. Without a scope (the field app) only `errors.*` is asked,
 * and the fields the server named are listed after the message.
 */
export type ErrorScope = 'office' | 'admin'

function translated(t: T, key: string): string | null {
  const msg = t(key)
  return msg === key ? null : msg
}

/** A field's label under `prefix` (e.g. `admin.import.fields`), else the app's (`fields.*`), else its name. */
export function fieldLabel(t: T, name: string, prefix = 'fields'): string {
  return translated(t, `${prefix}.${name}`) ?? translated(t, `fields.${name}`) ?? name
}

/** A field's label for a message: never its raw name (a field the i18n files lack is "another field"). */
function shownLabel(t: T, name: string): string {
  return translated(t, `fields.${name}`) ?? t('fields._other')
}

/** A code's message: the scope's wording, the app's, else the scope's "unknown" with `named`. */
function message(t: T, code: string, scope: ErrorScope | undefined, named: Record<string, unknown>): string {
  const own = scope ? translated(t, `${scope}.errors.${code}`) : null
  return own ?? translated(t, `errors.${code}`) ?? t(scope ? `${scope}.errors.unknown` : 'errors.unknown', named)
}

type Tree = unknown

/** The leaves of a message or code tree (`{"location": {"lat": [...]}}`, `{"tags": {"0": [...]}}`). */
function leaves(tree: Tree): unknown[] {
  if (Array.isArray(tree)) return tree.flatMap(leaves)
  if (tree && typeof tree === 'object') return Object.values(tree).flatMap(leaves)
  return tree === undefined || tree === null ? [] : [tree]
}

const NUMBER = /-?\d+(?:\.\d+)?/g

/**
 * One field problem in words: its code's message (`errors.field.<code>`), with the limits the server's own
 * message names (`{min}` its first number, `{max}` its last: "Longer than maximum length 2000.") where the
 * wording has a variant for them (`<code>_n`); a code the files lack is "invalid".
 */
function problem(t: T, code: unknown, serverMessage: unknown): string {
  const key = typeof code === 'string' && translated(t, `errors.field.${code}`) ? code : 'invalid'
  const numbers = typeof serverMessage === 'string' ? serverMessage.match(NUMBER) ?? [] : []
  if (numbers.length) {
    const withLimits = translated(t, `errors.field.${key}_n`)
    if (withLimits) return t(`errors.field.${key}_n`, { min: numbers[0], max: numbers[numbers.length - 1] })
  }
  return t(`errors.field.${key}`)
}

/** `{field: [problems in words]}` of an envelope's `fields` and `field_codes` (top-level fields; a nested
 * record's or a list's problems count as its field's), or of an import row's `errors` and `error_codes`.
 * Without codes (an older answer) a field is "invalid". */
export function problems(t: T, fields: Record<string, unknown> | undefined, codes: Record<string, unknown> | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, messages] of Object.entries(fields ?? {})) {
    const texts = leaves(messages)
    const found = leaves(codes?.[name])
    const words = (found.length ? found : ['invalid']).map((code, i) => problem(t, code, texts[i]))
    out[name] = [...new Set(words)]
  }
  return out
}

/** The field app and the office list the fields after the message; the admin pages show them beside their inputs. */
function withFields(t: T, msg: string, fields: Record<string, unknown> | undefined, codes: Record<string, unknown> | undefined, scope: ErrorScope | undefined): string {
  if (scope === 'admin') return msg
  const found = Object.entries(problems(t, fields, codes))
  if (!found.length) return msg
  const parts = found.map(([name, words]) => t('errors.fieldProblem', { field: shownLabel(t, name), problem: words.join(t('errors.listSeparator')) }))
  return `${msg}${t('errors.fields', { fields: parts.join(t('errors.listSeparator')) })}`
}

/** The message for an error envelope (an outbox row's `error`, a sync status code). */
export function codeMessage(t: T, err: ApiErrorBody | null | undefined, scope?: ErrorScope): string {
  if (!err) return ''
  return withFields(t, message(t, err.code, scope, { code: err.code }), err.fields, err.field_codes, scope)
}

/** The message for anything a request threw: an ApiError by its code, anything else as an unexpected error
 * (whose own text, in English, stays in the console). */
export function errorMessage(t: T, e: unknown, scope?: ErrorScope): string {
  if (e instanceof ApiError) return withFields(t, message(t, e.code, scope, { code: e.code, status: e.status }), e.fields, e.fieldCodes, scope)
  console.error(e)
  return t(scope ? `${scope}.errors.unexpected` : 'errors.unexpected')
}

/** Field errors of an envelope as `{field: [problems in words]}`, for the inputs they belong to; {} for other errors. */
export function fieldErrors(t: T, e: unknown): Record<string, string[]> {
  if (!(e instanceof ApiError)) return {}
  return problems(t, e.fields, e.fieldCodes)
}
