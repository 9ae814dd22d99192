import { afterEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from '../../src/i18n'
import { describeSync, formatSyncTime, savedMessageKey, type SyncFacts } from '../../src/lib/syncState'

const t = i18n.global.t
// 06:05 UTC = 14:05 in Shanghai; "now" is later the same local day.
const LAST = '2026-12-04T06:05:00.000Z'
const NOW = new Date('2026-12-04T09:00:00.000Z')

function facts(extra: Partial<SyncFacts> = {}): SyncFacts {
  return { online: true, pending: 0, running: false, lastSyncAt: LAST, lastOutcome: 'ok', lastErrorCode: null, sessionExpired: false, ...extra }
}

const say = (extra: Partial<SyncFacts>) => describeSync(t, facts(extra), 'zh-CN', NOW)

describe('describeSync', () => {
  afterEach(async () => setLocale('zh-CN'))

  it('offline with nothing pending is calm and says when it last synced', () => {
    const s = say({ online: false, lastOutcome: 'retry', lastErrorCode: 'network_error' })
    expect(s.text).toBe('离线 · 记录已保存在本机 · 上次同步 14:05')
    expect(s.tone).toBe('calm')
    expect(s.lead).toBe('离线')
  })

  it('offline with three pending is not red, even after the round that failed offline', () => {
    const s = say({ online: false, pending: 3, lastOutcome: 'retry', lastErrorCode: 'network_error' })
    expect(s.text).toBe('离线 · 3 条记录已保存在本机，联网后自动同步 · 上次同步 14:05')
    expect(s.tone).toBe('calm')
  })

  it('online with three pending and a failed sync is red and says what happens next', () => {
    const s = say({ pending: 3, lastOutcome: 'retry', lastErrorCode: 'network_error' })
    expect(s.text).toBe('3 条记录待同步 · 上次同步失败：网络不可用，联网后自动重试')
    expect(s.tone).toBe('alert')
    expect(s.lead).toBeNull() // "在线" beside "网络不可用" would contradict itself
    expect(say({ pending: 3, lastOutcome: 'retry', lastErrorCode: 'server_error' }).text)
      .toBe('3 条记录待同步 · 上次同步失败：服务器暂时不可用，稍后自动重试')
  })

  it('an ended session with records waiting asks for a new sign-in', () => {
    const s = say({ pending: 3, sessionExpired: true, lastOutcome: 'unauthorized', lastErrorCode: 'unauthorized' })
    expect(s.text).toBe('3 条记录待同步 · 请重新登录后继续同步')
    expect(s.tone).toBe('alert')
    expect(say({ sessionExpired: true }).tone).toBe('calm') // nothing waiting: nothing at risk
  })

  it('never synced says so, offline and online', () => {
    expect(say({ online: false, lastSyncAt: null, lastOutcome: null }).text).toBe('离线 · 记录已保存在本机 · 尚未同步')
    const online = say({ lastSyncAt: null, lastOutcome: null })
    expect(online.text).toBe('在线 · 尚未同步')
    expect(online.tone).toBe('calm')
  })

  it('online: pending records wait calmly, a failed fetch with nothing pending is not red, all synced is ok', () => {
    expect(say({ pending: 2 }).text).toBe('在线 · 2 条记录待同步 · 上次同步 14:05')
    expect(say({ pending: 2, running: true }).text).toBe('在线 · 正在同步 2 条记录 · 上次同步 14:05')
    const pullFailed = say({ lastOutcome: 'retry', lastErrorCode: 'network_error' })
    expect(pullFailed.tone).toBe('calm')
    expect(pullFailed.text).toBe('在线 · 获取更新失败：网络不可用，稍后自动重试 · 上次同步 14:05')
    const ok = say({})
    expect(ok.text).toBe('在线 · 已全部同步 · 上次同步 14:05')
    expect(ok.tone).toBe('ok')
  })

  it('speaks English after switching', async () => {
    await setLocale('en')
    expect(describeSync(t, facts({ online: false, pending: 3 }), 'en', NOW).text)
      .toBe('Offline · 3 records saved on this phone, they sync when online · last sync 14:05')
  })
})

describe('formatSyncTime', () => {
  it('shows HH:MM today and the date on another day, in Shanghai time', () => {
    expect(formatSyncTime(LAST, 'zh-CN', NOW)).toBe('14:05')
    // 17:00 UTC on the 3rd is 01:00 on the 4th in Shanghai: still today there.
    expect(formatSyncTime('2026-12-03T17:00:00.000Z', 'zh-CN', NOW)).toBe('01:00')
    expect(formatSyncTime('2026-12-02T06:05:00.000Z', 'zh-CN', NOW)).toContain('12/02')
  })
})

describe('savedMessageKey', () => {
  it('says what happens to a saved record', () => {
    expect(t(savedMessageKey(true, false))).toBe('已保存 · 正在同步')
    expect(t(savedMessageKey(false, false))).toBe('已保存 · 联网后自动同步')
    expect(t(savedMessageKey(true, true))).toBe('已保存 · 重新登录后同步')
  })
})
