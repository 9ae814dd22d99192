/** The creation campaign on a liaison's phone: urgency and order of tasks, an inspection queued and synced, guards, the task list. */
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { flushPromises, mount } from '@vue/test-utils'
import { createMemoryHistory, createRouter } from 'vue-router'
import CreationItemsView from '../src/views/CreationItemsView.vue'
import { i18n } from '../src/i18n'
import { session } from '../src/composables/useApp'
import { getDb } from '../src/db/db'
import { putAttachment } from '../src/db/attachments'
import { uuid } from '../src/db/meta'
import { listOutbox } from '../src/db/outbox'
import { createEvidence } from '../src/db/records'
import {
  compareNumbers, daysUntil, inspectionEvidence, itemUrgency, redirectForRole, rectificationUrgency, sortEvidence,
  sortRectifications, sortTasks,
} from '../src/lib/creation'
import { recordRoute } from '../src/lib/outboxRoute'
import type { CreationItem } from '../src/db/types'
import { FakeServer } from './fakeServer'
import { engineFor, freshDb, jpegBlob, login } from './helpers'

const TODAY = '2026-12-04'
const item = (number: string, deadline: string | null, status: CreationItem['status'] = 'in_progress', id = uuid()) => ({
  id, _version: 1, category_id: 1, category_name: '组织领导', number, content: `内容${number}`, points: 2, rule: '未落实扣1分',
  evidence_required: null, metric: null, lead_unit_id: 3, cooperating_unit_ids: [], deadline, milestones: [], status,
  self_score: null, estimated_score: null, loss_notes: null,
})

describe('deadlines', () => {
  it('counts calendar days and marks overdue, due within 3 days, later, none and finished', () => {
    expect(daysUntil('2026-12-07', TODAY)).toBe(3)
    expect(daysUntil('2026-12-03', TODAY)).toBe(-1)
    expect(daysUntil('2027-01-01', '2026-12-31')).toBe(1)
    expect(itemUrgency({ deadline: '2026-12-03', status: 'in_progress' }, TODAY)).toBe('overdue')
    expect(itemUrgency({ deadline: TODAY, status: 'not_started' }, TODAY)).toBe('soon')
    expect(itemUrgency({ deadline: '2026-12-07', status: 'in_progress' }, TODAY)).toBe('soon')
    expect(itemUrgency({ deadline: '2026-12-08', status: 'in_progress' }, TODAY)).toBe('later')
    expect(itemUrgency({ deadline: null, status: 'in_progress' }, TODAY)).toBe('none')
    expect(itemUrgency({ deadline: '2026-01-01', status: 'done' }, TODAY)).toBe('finished')
    expect(rectificationUrgency({ deadline: '2026-12-01', status: 'open' }, TODAY)).toBe('overdue')
    expect(rectificationUrgency({ deadline: '2026-12-01', status: 'done' }, TODAY)).toBe('finished')
  })

  it('orders tasks overdue, soon, later, undated, done; then by deadline and number as printed (1.2 before 1.10)', () => {
    const rows = [
      item('1.10', '2026-12-20'), item('2.1', null), item('1.2', '2026-12-20'), item('3.1', '2026-11-01', 'done'),
      item('4.1', '2026-12-06'), item('5.1', '2026-12-01'),
    ]
    expect(sortTasks(rows, TODAY).map((r) => r.number)).toEqual(['5.1', '4.1', '1.2', '1.10', '2.1', '3.1'])
    expect(compareNumbers('2', '10')).toBeLessThan(0)
    expect(compareNumbers('1.2', '1.2')).toBe(0)
  })

  it('lists open 整改 by deadline before closed ones, evidence newest first with queued pieces on top', () => {
    const fixes = sortRectifications([
      { id: 'a', deadline: '2026-12-09', status: 'open', created_at: '2026-12-01T00:00:00Z' },
      { id: 'b', deadline: '2026-12-01', status: 'done', created_at: '2026-11-01T00:00:00Z' },
      { id: 'c', deadline: '2026-12-05', status: 'open', created_at: '2026-12-02T00:00:00Z' },
    ])
    expect(fixes.map((f) => f.id)).toEqual(['c', 'a', 'b'])
    const ev = sortEvidence([
      { id: 'old', created_at: '2026-11-01T00:00:00Z', taken_at: null },
      { id: 'queued', created_at: undefined, taken_at: null },
      { id: 'new', created_at: '2026-12-01T00:00:00Z', taken_at: null },
    ])
    expect(ev.map((e) => e.id)).toEqual(['queued', 'new', 'old'])
  })
})

describe('an inspection', () => {
  it('becomes one piece of evidence per photo, titled with its place when there are several', () => {
    let n = 0
    const pieces = inspectionEvidence({ item_id: 'i', title: ' 示范点位检查 ', note: ' ', photos: ['s1', 's2'],
      location: { lat: 30.1, lng: 120.2, accuracy_m: 8 }, taken_at: '2026-12-04T02:00:00Z' }, () => `id${++n}`)
    expect(pieces.map((p) => [p.id, p.title, p.sha256, p.note])).toEqual([
      ['id1', '示范点位检查（1/2）', 's1', null], ['id2', '示范点位检查（2/2）', 's2', null],
    ])
    expect(pieces[0].location).toEqual({ lat: 30.1, lng: 120.2, accuracy_m: 8 })
    expect(inspectionEvidence({ item_id: 'i', title: '会议纪要', note: '', photos: ['s'], location: null, taken_at: 'x' }, () => 'a')[0].title)
      .toBe('会议纪要')
  })

  it('is queued as evidence.create with its photo, shown at once, and synced: photos uploaded, then the mutations', async () => {
    await freshDb()
    await login('7')
    const server = new FakeServer()
    const [p1, p2] = [await putAttachment('7', jpegBlob(1)), await putAttachment('7', jpegBlob(2))]
    const itemId = uuid()
    const pieces = inspectionEvidence({ item_id: itemId, title: '检查', note: '', photos: [p1, p2], location: null,
      taken_at: new Date().toISOString() }, uuid)
    await createEvidence('7', pieces)
    const queued = await listOutbox('7')
    expect(queued.map((m) => [m.op, m.attachments])).toEqual([['evidence.create', [p1]], ['evidence.create', [p2]]])
    expect(recordRoute(queued[0])).toBe(`/creation/items/${itemId}`)
    const local = await getDb().evidence.where('item_id').equals(itemId).toArray()
    expect(local.map((e) => [e.status, e._version, e.uploaded_by])).toEqual([['submitted', 0, '7'], ['submitted', 0, '7']])

    expect(await engineFor(server).syncOnce()).toBe('ok')
    expect(server.count('evidence')).toBe(2)
    expect(server.attachments.has(p1) && server.attachments.has(p2)).toBe(true)
    expect(await listOutbox('7')).toHaveLength(0)
    const puts = server.requests.filter((r) => r.method === 'PUT').length
    const firstPush = server.requests.findIndex((r) => r.path === '/api/sync/push')
    expect(puts).toBe(2)
    expect(server.requests.slice(firstPush).some((r) => r.method === 'PUT')).toBe(false)
  })
})

describe('where each role may go', () => {
  it('keeps a liaison on their tasks, never the visit screens; and every other role off the tasks', () => {
    for (const path of ['/', '/recipients', '/recipients/x', '/visits/new', '/difficulties/d']) {
      expect(redirectForRole('liaison', path)).toBe('/creation')
    }
    for (const path of ['/creation', '/creation/items/i', '/outbox', '/inbox', '/settings', '/password', '/office']) {
      expect(redirectForRole('liaison', path)).toBeNull()
    }
    expect(redirectForRole('liaison', '/creationx')).toBe('/creation')
    expect(redirectForRole('staff', '/creation/items/i')).toBe('/')
    expect(redirectForRole('reviewer', '/recipients')).toBeNull()
  })
})

describe('我的创建任务', () => {
  beforeEach(async () => {
    const db = await freshDb()
    session.value = { user: { id: 7, username: 'l', display_name: '王联络', role: 'liaison', area_id: null, unit_id: 3 }, csrf_token: 't', expired: false }
    await db.units.put({ id: 3, _version: 1, name: '县人武部', kind: 'armed_forces', area_id: null })
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10)
    await db.creation_items.bulkPut([item('1.1', day(20)), item('2.3', day(-5)), item('3.1', day(30), 'done')] as never)
  })

  it('lists the unit and its items, overdue first and marked, and follows the database live', async () => {
    const router = createRouter({ history: createMemoryHistory(), routes: [
      { path: '/creation', component: CreationItemsView }, { path: '/:p(.*)*', component: { render: () => null } },
    ] })
    await router.push('/creation')
    const w = mount(CreationItemsView, { global: { plugins: [i18n, router] }, attachTo: document.body })
    await vi.waitFor(() => expect(w.findAll('[data-test=creation-item]')).toHaveLength(3))
    expect(w.text()).toContain('县人武部')
    const rows = w.findAll('[data-test=creation-item]')
    expect(rows[0].text()).toContain('2.3')
    expect(rows[0].attributes('data-urgency')).toBe('overdue')
    expect(rows[0].text()).toContain('已逾期')
    expect(rows[2].text()).toContain('已完成')
    expect(w.get('[data-test=summary-overdue]').text()).toContain('1')
    await getDb().creation_items.put(item('0.9', null) as never)
    await vi.waitFor(() => expect(w.findAll('[data-test=creation-item]')).toHaveLength(4))
    await flushPromises()
    w.unmount()
  })
})
