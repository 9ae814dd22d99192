/** Turn an ApiError (or anything thrown) into a translated message by its stable code. */
import { ApiError } from '../sync/api'
import type { ApiErrorBody } from '../db/types'

type T = (key: string, named?: Record<string, unknown>) => string

export function codeMessage(t: T, err: ApiErrorBody | null | undefined): string {
  if (!err) return ''
  const key = `errors.${err.code}`
  let msg = t(key)
  if (msg === key) msg = t('errors.unknown', { code: err.code })
  const fields = err.fields && Object.keys(err.fields).length ? Object.keys(err.fields).join(', ') : ''
  return fields ? `${msg}（${t('errors.fields', { fields })}）` : msg
}

export function errorMessage(t: T, e: unknown): string {
  if (e instanceof ApiError) return codeMessage(t, { code: e.code, fields: e.fields })
  return t('errors.unknown', { code: (e as Error)?.message ?? String(e) })
}
