/** The request core bound to the document's paths: `get('/api/visits/{visit_id}', { path: { visit_id } })` answers a VisitDetail. No Vue here. */
import { queryString, type Http, type Query } from '../lib/http'
import type { FormQuery, JsonAnswer, Method, PathParams, PathsWith, QueryParams, RequestBody } from './types'

/** What a call of `M` on `P` takes: its path parameters (when it has any), its query, its body. */
export type CallArgs<P extends PathsWith<M>, M extends Method> =
  (keyof PathParams<P, M> extends never ? { path?: undefined } : { path: PathParams<P, M> }) & {
    query?: FormQuery<QueryParams<P, M>>
    /** JSON as the document describes it, or FormData for a multipart upload; none when the document has none. */
    body?: RequestBody<P, M>
  }

/** `/api/visits/{visit_id}` with `{ visit_id: 'a b' }` → `/api/visits/a%20b`. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`${template}: no value for {${name}}`)
    return encodeURIComponent(String(params[name]))
  })
}

type Caller<M extends Method> = <P extends PathsWith<M>>(
  path: P,
  ...args: keyof PathParams<P, M> extends never ? [CallArgs<P, M>?] : [CallArgs<P, M>]
) => Promise<JsonAnswer<P, M>>

export interface Client {
  get: Caller<'get'>
  post: Caller<'post'>
  put: Caller<'put'>
  patch: Caller<'patch'>
  delete: Caller<'delete'>
  /** The URL of a GET with its path parameters and query filled in (for links, images, downloads by `send`). */
  url<P extends PathsWith<'get'>>(path: P, ...args: keyof PathParams<P, 'get'> extends never
    ? [CallArgs<P, 'get'>?] : [CallArgs<P, 'get'>]): string
}

/**
 * Endpoint tables call the request core through this: the path must be one of the document's and take that
 * method, the body and parameters are the document's, and the answer is typed by it, so a renamed endpoint
 * or a changed shape fails the type check (`vue-tsc --noEmit` in the build) rather than a page at run time.
 */
export function createClient(http: Http): Client {
  const caller = <M extends Method>(method: M): Caller<M> =>
    ((path: string, args: { path?: Record<string, string | number>; query?: Query; body?: unknown } = {}) =>
      http.json(method.toUpperCase(), fillPath(path, args.path) + queryString(args.query), args.body)) as Caller<M>
  return {
    get: caller('get'),
    post: caller('post'),
    put: caller('put'),
    patch: caller('patch'),
    delete: caller('delete'),
    url: ((path: string, args: { path?: Record<string, string | number>; query?: Query } = {}) =>
      fillPath(path, args.path) + queryString(args.query)) as Client['url'],
  }
}
