/** What the sync card and the save toast say: the device's sync facts → one honest sentence, its tone, the save toast's key. */
import { codeMessage } from './errors'
import { dateTimeFormat, formatDateTime, localDate, TIME_ZONE } from './format'

type T = (key: string, named?: Record<string, unknown>) => string

/** The facts the card reads: connectivity, this user's queue, the engine's last round. */
export interface SyncFacts {
  online: boolean
  /** This user's mutations waiting to be sent (rejected and conflicting ones are counted apart). */
  pending: number
  running: boolean
  /** The end of the last round that completed without error (kept on the phone), or null if never. */
  lastSyncAt: string | null
  /** The engine's last round: `retry` = it failed and will run again; `unauthorized` = the session ended. */
  lastOutcome: 'ok' | 'no_session' | 'unauthorized' | 'retry' | 'busy' | null
  lastErrorCode: string | null
  sessionExpired: boolean
}

/**
 * `ok`: all synced; `calm`: nothing to worry about (offline with records safe on the phone, a sync on its way);
 * `alert`: records are waiting AND a sync actually failed — the only red state, always with what to do.
 */
export type SyncTone = 'ok' | 'calm' | 'alert'

export interface SyncState {
  tone: SyncTone
  /** "离线" / "在线", or null when saying it would mislead (online but the network failed). */
  lead: string | null
  /** The rest, in parts joined by " · ". */
  detail: string
  /** lead and detail as one sentence. */
  text: string
}

const SEP = ' · '

/** When the phone last synced: HH:MM if today (in the deployment's zone), the date and time otherwise. */
export function formatSyncTime(iso: string, locale: string, now: Date = new Date()): string {
  if (localDate(iso) !== localDate(now)) return formatDateTime(iso, locale)
  return dateTimeFormat(locale, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso))
}

export function describeSync(t: T, f: SyncFacts, locale: string, now: Date = new Date()): SyncState {
  const last = f.lastSyncAt ? t('trust.sync.lastSync', { time: formatSyncTime(f.lastSyncAt, locale, now) }) : t('trust.sync.never')
  const n = f.pending
  const make = (tone: SyncTone, lead: string | null, ...parts: string[]): SyncState => {
    const detail = parts.join(SEP)
    return { tone, lead, detail, text: lead ? `${lead}${SEP}${detail}` : detail }
  }
  // Offline is the normal state in the field: records are safe on the phone; never red.
  if (!f.online) {
    return make('calm', t('trust.sync.offline'), n ? t('trust.sync.waitingOffline', { n }) : t('trust.sync.savedHere'), last)
  }
  if (f.sessionExpired || f.lastOutcome === 'unauthorized') {
    return n ? make('alert', null, t('trust.sync.waiting', { n }), t('trust.sync.relogin')) : make('calm', null, t('trust.sync.relogin'), last)
  }
  if (f.lastOutcome === 'retry') {
    const code = f.lastErrorCode ?? 'network_error'
    const reason = codeMessage(t, { code, message: code })
    if (!n) return make('calm', t('trust.sync.online'), t('trust.sync.pullFailed', { reason }), last)
    // The phone thinks it is online but the request never got an answer: a weak or captive network.
    const then = t(code === 'network_error' ? 'trust.sync.retryWhenOnline' : 'trust.sync.retrySoon')
    return make('alert', null, t('trust.sync.waiting', { n }), t('trust.sync.failed', { reason, then }))
  }
  if (n) return make('calm', t('trust.sync.online'), t(f.running ? 'trust.sync.syncing' : 'trust.sync.waiting', { n }), last)
  if (!f.lastSyncAt) return make('calm', t('trust.sync.online'), last)
  return make('ok', t('trust.sync.online'), t('trust.sync.allSynced'), last)
}

/** The toast after a save says what happens next. */
export function savedMessageKey(online: boolean, sessionExpired: boolean): string {
  if (sessionExpired) return 'trust.saved.relogin'
  return online ? 'trust.saved.syncing' : 'trust.saved.offline'
}
