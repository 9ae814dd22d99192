import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { mount } from '@vue/test-utils'
import OutboxView from '../src/views/OutboxView.vue'
import { i18n, setLocale } from '../src/i18n'
import { newMutation } from '../src/db/outbox'
import { OPS, opLabelKey } from '../src/lib/ops'
import zhCN from '../src/i18n/zh-CN.json'
import en from '../src/i18n/en.json'
import { loadSession } from '../src/composables/useApp'
import { RID, freshDb, login, queueRows } from './helpers'

vi.mock('vue-router', () => ({ useRouter: () => ({ push: vi.fn() }), useRoute: () => ({ path: '/outbox', meta: {} }) }))

const ZH: Record<string, string> = {
  'recipient.create': '新增对象', 'recipient.update': '修改对象', 'visit.create': '新建走访',
  'visit.update': '修改走访', 'difficulty.create': '登记困难', 'followup.create': '添加跟进',
  'evidence.create': '提交创建材料',
}

describe('outbox operation labels', () => {
  afterEach(async () => setLocale('zh-CN'))

  it('every op has a message in both locales (not the raw key)', async () => {
    const catalogs = { 'zh-CN': zhCN, en } as const
    for (const [name, cat] of Object.entries(catalogs)) {
      const ops = (cat as { outbox: { ops: Record<string, string> } }).outbox.ops
      for (const op of OPS) {
        const leaf = opLabelKey(op).split('.').pop()!
        expect(ops[leaf], `${name} ${op}`).toBeTruthy()
      }
    }
    const { t } = i18n.global
    for (const locale of ['zh-CN', 'en'] as const) {
      await setLocale(locale)
      for (const op of OPS) {
        const label = t(opLabelKey(op))
        expect(label).not.toBe(opLabelKey(op))
        expect(label).not.toContain('outbox.ops')
        if (locale === 'zh-CN') expect(label).toBe(ZH[op])
      }
    }
  })

  describe('OutboxView', () => {
    beforeEach(async () => {
      await freshDb()
      await login('1')
      await loadSession()
    })

    it('shows the translated label of each queued op', async () => {
      await queueRows(OPS.map((op) => newMutation('1', op, { id: crypto.randomUUID(), recipient_id: RID }, null)))
      const w = mount(OutboxView, { global: { plugins: [i18n], stubs: { SyncStatusCard: true } }, attachTo: document.body })
      await vi.waitFor(() => expect(w.findAll('[data-test="outbox-item"]')).toHaveLength(OPS.length))
      const titles = w.findAll('[data-test="outbox-item"] .van-cell__title').map((c) => c.text())
      for (const op of OPS) expect(titles.some((x) => x.startsWith(ZH[op])), op).toBe(true)
      expect(w.text()).not.toContain('outbox.ops')
      w.unmount()
    })
  })
})
