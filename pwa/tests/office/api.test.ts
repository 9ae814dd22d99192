import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { createClient, fillPath } from '../../src/api/client'
import type { FormQuery, JsonAnswer, JsonBody, PathParams, QueryParams, Schemas } from '../../src/api/types'
import { createHttp } from '../../src/lib/http'
import {
  archiveUrl, attachmentUrl, officeApi, type Area, type Campaign, type Colleague, type Coverage, type Difficulty,
  type DifficultyDetail, type OfficeVisit, type VisitDetail,
} from '../../src/office/api'
import { createAdminApi, type AdminApi, type AdminUser, type AuditRow, type ImportAnswer } from '../../src/office/admin/api'
import { mockFetch } from './fetchMock'

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('the endpoint tables on the document', () => {
  it('fill a path template with encoded parameters, and refuse one with a value missing', () => {
    expect(fillPath('/api/visits/{visit_id}/review', { visit_id: 'a b/c' })).toBe('/api/visits/a%20b%2Fc/review')
    expect(() => fillPath('/api/visits/{visit_id}', {})).toThrow('no value for {visit_id}')
    expect(attachmentUrl('ab12')).toBe('/api/attachments/ab12')
    expect(archiveUrl('r 1')).toBe('/api/recipients/r%201/archive.html')
  })

  it('send each office call to its path with its query and body', async () => {
    const calls = mockFetch(() => ({ json: {} }))
    await officeApi.visit('v/1')
    await officeApi.visits({ area: 3, status: 'submitted', kind: '', author_id: null, page: 2 })
    await officeApi.difficulties({ overdue: true, category: 'medical', page: 1, per_page: 50 })
    await officeApi.patchDifficulty('d1', { status: 'resolved', version: 4 })
    await officeApi.review('v1', 'return', null)
    await officeApi.coverage('c1')
    expect(calls.map((c) => [c.method, c.url, c.body])).toEqual([
      ['GET', '/api/visits/v%2F1', undefined],
      ['GET', '/api/visits?area=3&status=submitted&page=2', undefined],
      ['GET', '/api/difficulties?overdue=1&category=medical&page=1&per_page=50', undefined],
      ['PATCH', '/api/difficulties/d1', { status: 'resolved', version: 4 }],
      ['POST', '/api/visits/v1/review', { decision: 'return', comment: null }],
      ['GET', '/api/campaigns/c1/coverage', undefined],
    ])
  })

  it('send the admin calls the document describes: a false filter as text, no body where none is taken', async () => {
    const calls: { method: string; url: string; body: BodyInit | null | undefined }[] = []
    const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
      calls.push({ method: init.method ?? 'GET', url: String(input), body: init.body })
      return new Response('{}', { status: 200, headers: { 'Content-Type': 'application/json' } })
    }
    const admin = createAdminApi({ fetch: fetch as typeof globalThis.fetch, getCsrfToken: async () => 'csrf' })
    await admin.listUsers({ q: '', role: 'reviewer', area: '', active: 'false', page: 1 })
    await admin.revokeSessions(7)
    await admin.importRoster(new File(['x'], 'roster.csv'), true)
    await admin.importRoster(new File(['x'], 'roster.csv'), false)
    expect(calls.map((c) => [c.method, c.url])).toEqual([
      ['GET', '/api/admin/users?role=reviewer&active=false&page=1'],
      ['POST', '/api/admin/users/7/revoke-sessions'],
      ['POST', '/api/recipients/import?dry_run=1'],
      ['POST', '/api/recipients/import'],
    ])
    expect(calls[1].body).toBeUndefined()
    expect(calls[2].body).toBeInstanceOf(FormData)
  })

  // Checked by vue-tsc (`npm run build` type-checks tests/), a no-op when Vitest runs it: each endpoint's answer
  // is the document's, and the client refuses what the document does not describe. Should the helpers ever
  // widen to `any`, the @ts-expect-error lines below stop being errors and the type check fails.
  it('answer the document\'s shapes and refuse calls it does not describe (type level)', () => {
    type Answer<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>
    expectTypeOf<Answer<typeof officeApi.areas>>().toEqualTypeOf<{ items: Area[] }>()
    expectTypeOf<Answer<typeof officeApi.colleagues>>().toEqualTypeOf<{ items: Colleague[] }>()
    expectTypeOf<Answer<typeof officeApi.visits>['items'][number]>().toEqualTypeOf<OfficeVisit>()
    expectTypeOf<Answer<typeof officeApi.visit>>().toEqualTypeOf<VisitDetail>()
    expectTypeOf<Answer<typeof officeApi.review>>().toEqualTypeOf<Schemas['Entity']>()
    expectTypeOf<Answer<typeof officeApi.revealIdNumber>>().toEqualTypeOf<{ id_number: string | null }>()
    expectTypeOf<Answer<typeof officeApi.difficulties>['items'][number]>().toEqualTypeOf<Difficulty>()
    expectTypeOf<Answer<typeof officeApi.difficulty>>().toEqualTypeOf<DifficultyDetail>()
    expectTypeOf<Answer<typeof officeApi.patchDifficulty>>().toEqualTypeOf<DifficultyDetail>()
    expectTypeOf<Answer<typeof officeApi.campaigns>>().toEqualTypeOf<{ items: Campaign[] }>()
    expectTypeOf<Answer<typeof officeApi.createCampaign>>().toEqualTypeOf<Campaign>()
    expectTypeOf<Answer<typeof officeApi.coverage>>().toEqualTypeOf<Coverage>()

    expectTypeOf<Answer<AdminApi['listUsers']>['items'][number]>().toEqualTypeOf<AdminUser>()
    expectTypeOf<Answer<AdminApi['updateUser']>>().toEqualTypeOf<AdminUser>()
    expectTypeOf<Answer<AdminApi['listAudit']>['items'][number]>().toEqualTypeOf<AuditRow>()
    expectTypeOf<Answer<AdminApi['importRoster']>>().toEqualTypeOf<ImportAnswer>()
    expectTypeOf<Answer<AdminApi['revokeSessions']>>().toEqualTypeOf<{ revoked: number }>()
    expectTypeOf<Answer<AdminApi['changePassword']>>().toEqualTypeOf<void>()

    expectTypeOf<JsonAnswer<'/api/auth/password', 'post'>>().toEqualTypeOf<null>()
    expectTypeOf<JsonBody<'/api/visits/{visit_id}/review', 'post'>>().toEqualTypeOf<Schemas['Review']>()
    expectTypeOf<JsonBody<'/api/admin/users/{user_id}/revoke-sessions', 'post'>>().toBeNever()
    expectTypeOf<PathParams<'/api/visits/{visit_id}', 'get'>>().toEqualTypeOf<{ visit_id: string }>()
    expectTypeOf<FormQuery<QueryParams<'/api/difficulties', 'get'>>['urgency']>()
      .toEqualTypeOf<'normal' | 'urgent' | null | '' | undefined>()

    const api = createClient(createHttp({ getCsrfToken: async () => null }))
    const refused = () => {
      // @ts-expect-error a path the document does not have
      void api.get('/api/visit/{visit_id}', { path: { visit_id: 'x' } })
      // @ts-expect-error a method the path does not take
      void api.delete('/api/visits/{visit_id}', { path: { visit_id: 'x' } })
      // @ts-expect-error its path parameter missing
      void api.get('/api/visits/{visit_id}')
      // @ts-expect-error a status the query does not take
      void api.get('/api/visits', { query: { status: 'draft' } })
      // @ts-expect-error a body the endpoint does not take
      void api.post('/api/admin/users/{user_id}/revoke-sessions', { path: { user_id: 1 }, body: {} })
      // @ts-expect-error a body that is not the document's
      void api.post('/api/visits/{visit_id}/review', { path: { visit_id: 'x' }, body: { decision: 'reject', comment: null } })
    }
    expect(refused).toBeTypeOf('function')
  })
})
