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

/** A field's label under `prefix` (e.g. `admin.import.fields`), or its name when the i18n files have none. */
export function fieldLabel(t: T, name: string, prefix = 'fields'): string {
  return translated(t, `${prefix}.${name}`) ?? name
}

/** A code's message: the scope's wording, the app's, else the scope's "unknown" with `named`. */
function message(t: T, code: string, scope: ErrorScope | undefined, named: Record<string, unknown>): string {
  const own = scope ? translated(t, `${scope}.errors.${code}`) : null
  return own ?? translated(t, `errors.${code}`) ?? t(scope ? `${scope}.errors.unknown` : 'errors.unknown', named)
}

/** The field app lists the fields after the message; the console shows them beside their inputs instead. */
function withFields(t: T, msg: string, fields: Record<string, unknown> | undefined, scope: ErrorScope | undefined): string {
  const names = scope ? [] : Object.keys(fields ?? {})
  if (!names.length) return msg
  return `${msg}（${t('errors.fields', { fields: names.map((n) => fieldLabel(t, n)).join(', ') })}）`
}

/** The message for an error envelope (an outbox row's `error`, a sync status code). */
export function codeMessage(t: T, err: ApiErrorBody | null | undefined, scope?: ErrorScope): string {
  if (!err) return ''
  return withFields(t, message(t, err.code, scope, { code: err.code }), err.fields, scope)
}

/** The message for anything a request threw: an ApiError by its code, anything else as an unknown error. */
export function errorMessage(t: T, e: unknown, scope?: ErrorScope): string {
  if (e instanceof ApiError) return withFields(t, message(t, e.code, scope, { code: e.code, status: e.status }), e.fields, scope)
  return t(scope ? `${scope}.errors.unknown` : 'errors.unknown', { code: (e as Error)?.message ?? String(e), status: '' })
}

/** Field errors of an envelope as `{field: [messages]}` (the server's own, already bilingual); {} for other errors. */
export function fieldErrors(e: unknown): Record<string, string[]> {
  if (!(e instanceof ApiError)) return {}
  const out: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(e.fields ?? {})) {
    out[k] = Array.isArray(v) ? v.map(String) : [typeof v === 'string' ? v : JSON.stringify(v)]
  }
  return out
}
