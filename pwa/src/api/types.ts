/** The generated OpenAPI types by name and by endpoint: a schema, a path's JSON answer, body, query and path parameters. Types only. */
import type { components, paths } from './schema'

/** Every named wire shape of the document: `Schemas['VisitDetail']`. */
export type Schemas = components['schemas']

/** The HTTP methods an endpoint table calls. */
export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch'

/** The document's paths that answer `M`: `PathsWith<'patch'>` is `'/api/admin/users/{user_id}' | …`. */
export type PathsWith<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never
}[keyof paths]

/** The operation of `M` on `P`. */
export type Operation<P extends PathsWith<M>, M extends Method> = paths[P][M]

/** The success statuses an endpoint table reads the JSON of (a file download is read by `send`). */
type Ok = 200 | 201

/**
 * What `http.json` resolves to for `M` on `P`: the JSON of its 200/201 answer, or null when the endpoint answers
 * 204 No Content (`json` returns null for an empty answer).
 */
export type JsonAnswer<P extends PathsWith<M>, M extends Method> =
  Operation<P, M> extends { responses: infer R }
    ? Extract<keyof R, Ok> extends never
      ? null
      : R[Extract<keyof R, Ok>] extends { content: { 'application/json': infer J } } ? J : never
    : never

/** The JSON request body of `M` on `P` (never when it takes none, or only a multipart upload). */
export type JsonBody<P extends PathsWith<M>, M extends Method> =
  Operation<P, M> extends { requestBody: { content: { 'application/json': infer B } } } ? B : never

/** What the request core sends for `M` on `P`: its JSON body, or FormData for a multipart upload; never when it takes none. */
export type RequestBody<P extends PathsWith<M>, M extends Method> =
  | JsonBody<P, M>
  | (Operation<P, M> extends { requestBody: { content: { 'multipart/form-data': unknown } } } ? FormData : never)

/** The query parameters of `M` on `P`, all optional (the server applies the defaults). */
export type QueryParams<P extends PathsWith<M>, M extends Method> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? Partial<NonNullable<Q>> : never

/** The path parameters of `M` on `P`: `{ visit_id: string }` for `/api/visits/{visit_id}`. */
export type PathParams<P extends PathsWith<M>, M extends Method> =
  Operation<P, M> extends { parameters: { path: infer T } } ? T : Record<never, never>

/** A query parameter's value as a form may hold it: a number also as its digits, a boolean also as 'true'/'false'. */
type FormValue<V> = V extends number ? number | `${number}` : V extends boolean ? boolean | 'true' | 'false' : V

/**
 * A query as the console's forms hold it: each of the document's parameters, null or '' when not chosen
 * (`queryString` leaves those out). `queryString` leaves out `false` too, so a filter whose false matters
 * (`active=false`) holds the text 'false'; the server's Boolean reads both.
 */
export type FormQuery<Q> = { [K in keyof Q]?: FormValue<NonNullable<Q[K]>> | null | '' }
