/** An in-memory stand-in for the Flask sync API, with knobs for lost answers, 5xx, 401 and rejections. */
import type { Change } from '../src/db/types'

interface Rec {
  type: string
  id: string
  version: number
  deleted: boolean
  data: Record<string, unknown>
  seq: number
}

type Fault = { status: number; code?: string } | 'network' | 'lose-response'

export class FakeServer {
  records = new Map<string, Rec>()
  applied = new Map<string, { payload: string; key: string }>()
  attachments = new Map<string, Uint8Array>()
  seq = 0
  minCursor = 0
  loggedIn = true
  csrf = 'tok'
  /** Faults for the next requests to a path prefix, consumed in order. */
  faults: { path: string; fault: Fault }[] = []
  reject: (m: { op: string; data: Record<string, unknown> }) => { code: string; message?: string; fields?: Record<string, unknown> } | null = () => null
  /** Attachments the server "lost" once: the next push naming them is rejected with missing_attachment. */
  forget = new Set<string>()
  requests: { method: string; path: string; body?: unknown }[] = []
  pushSizes: number[] = []
  /** Larger batches are answered 413 (the real server's limit is 200 mutations or 2 MB). */
  maxBatch = 200
  /** Reject a follow-up whose difficulty the server lacks (`not_found`), as the real server does. */
  checkReferences = false
  /** The database's epoch: a request naming another answers 410 (a restore changes it: `restore`). */
  epoch = 'epoch-1'
  private restores = 0

  /** What `flask backup` would hold now. */
  snapshot() {
    return structuredClone({ records: this.records, applied: this.applied, attachments: this.attachments, seq: this.seq })
  }

  /** `flask restore` of a snapshot: everything written since is gone, and the epoch is new. */
  restore(snap: ReturnType<FakeServer['snapshot']>) {
    const copy = structuredClone(snap)
    Object.assign(this, { records: copy.records, applied: copy.applied, attachments: copy.attachments, seq: copy.seq })
    this.epoch = `epoch-restored-${++this.restores}`
  }

  seed(type: string, id: string, data: Record<string, unknown>) {
    const key = `${type}:${id}`
    const prev = this.records.get(key)
    this.records.set(key, { type, id, version: (prev?.version ?? 0) + 1, deleted: false, data: { id, ...data }, seq: ++this.seq })
  }

  count(type: string) {
    return [...this.records.values()].filter((r) => r.type === type && !r.deleted).length
  }

  get(type: string, id: string) {
    return this.records.get(`${type}:${id}`)
  }

  private entity(r: Rec): Change {
    return { type: r.type as Change['type'], id: r.id, version: r.version, deleted: r.deleted, data: r.data as Change['data'] }
  }

  private json(status: number, body: unknown): Response {
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
  }

  private err(status: number, code: string) {
    return this.json(status, { error: { code, message: code } })
  }

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(String(input), 'http://test')
    const method = (init.method ?? 'GET').toUpperCase()
    let body: unknown
    if (typeof init.body === 'string') body = JSON.parse(init.body)
    this.requests.push({ method, path: url.pathname, body })
    const i = this.faults.findIndex((f) => url.pathname.startsWith(f.path))
    let lose = false
    if (i >= 0) {
      const { fault } = this.faults.splice(i, 1)[0]
      if (fault === 'network') throw new TypeError('Failed to fetch')
      if (fault === 'lose-response') lose = true
      else return this.err(fault.status, fault.code ?? 'server_error')
    }
    const res = await this.handle(method, url, body, init)
    if (lose) throw new TypeError('connection reset')
    return res
  }

  private async handle(method: string, url: URL, body: unknown, init: RequestInit): Promise<Response> {
    if (!this.loggedIn) return this.err(401, 'unauthorized')
    if (method !== 'GET' && (init.headers as Record<string, string>)['X-CSRF-Token'] !== this.csrf) return this.err(403, 'csrf_failed')
    const p = url.pathname
    if (p.startsWith('/api/attachments/') && method === 'PUT') {
      const sha = p.split('/').pop()!
      const bytes = new Uint8Array(await (init.body as Blob).arrayBuffer())
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
      const hex = Array.from(digest, (x) => x.toString(16).padStart(2, '0')).join('')
      if (hex !== sha) return this.err(422, 'hash_mismatch')
      const existed = this.attachments.has(sha)
      this.attachments.set(sha, bytes)
      return this.json(existed ? 200 : 201, { sha256: sha })
    }
    const epoch = p === '/api/sync/push' ? (body as { epoch?: string }).epoch : url.searchParams.get('epoch')
    if (p.startsWith('/api/sync/') && epoch && epoch !== this.epoch) return this.err(410, 'cursor_expired')
    if (p === '/api/sync/push') return this.push(body as { mutations: { id: string; op: string; data: Record<string, unknown>; base_version: number | null }[] })
    if (p === '/api/sync/pull') {
      const cursor = Number(url.searchParams.get('cursor'))
      const limit = Number(url.searchParams.get('limit') ?? 500)
      if (cursor < 0 || cursor > this.seq || (cursor > 0 && cursor < this.minCursor)) return this.err(410, 'cursor_expired')
      const rows = [...this.records.values()].filter((r) => r.seq > cursor).sort((a, b) => a.seq - b.seq)
      const page = rows.slice(0, limit)
      return this.json(200, {
        changes: page.map((r) => this.entity(r)),
        cursor: page.length ? page[page.length - 1].seq : this.seq,
        has_more: rows.length > limit,
        epoch: this.epoch,
      })
    }
    return this.err(404, 'not_found')
  }

  private push(body: { mutations: { id: string; op: string; data: Record<string, unknown>; base_version: number | null }[] }) {
    if (body.mutations.length > this.maxBatch) return this.err(413, 'batch_too_large')
    this.pushSizes.push(body.mutations.length)
    const results = body.mutations.map((m) => {
      const payload = JSON.stringify([m.op, m.data, m.base_version])
      const prior = this.applied.get(m.id)
      if (prior) {
        if (prior.payload !== payload) return { id: m.id, status: 'rejected', error: { code: 'mutation_id_reused' } }
        return { id: m.id, status: 'duplicate', entity: this.entity(this.records.get(prior.key)!) }
      }
      const names = [...((m.data.photos as string[]) ?? []), ...(m.data.signature ? [m.data.signature as string] : [])]
      const missing = names.find((s) => !this.attachments.has(s) || this.forget.has(s))
      if (missing) {
        this.forget.delete(missing)
        this.attachments.delete(missing)
        return { id: m.id, status: 'rejected', error: { code: 'missing_attachment', fields: { photos: [missing] } } }
      }
      const error = this.reject(m)
      if (error) return { id: m.id, status: 'rejected', error }
      if (this.checkReferences && m.op === 'followup.create' && !this.records.has(`difficulty:${String(m.data.difficulty_id)}`)) {
        return { id: m.id, status: 'rejected', error: { code: 'not_found' } }
      }
      const [type, action] = m.op.split('.')
      const id = String(m.data.id)
      const key = `${type}:${id}`
      const cur = this.records.get(key)
      if (action === 'update') {
        if (!cur) return { id: m.id, status: 'rejected', error: { code: 'not_found' } }
        if (m.base_version !== cur.version) return { id: m.id, status: 'conflict', entity: this.entity(cur) }
        this.records.set(key, { ...cur, data: { ...cur.data, ...m.data }, version: cur.version + 1, seq: ++this.seq })
      } else {
        if (cur) return { id: m.id, status: 'rejected', error: { code: 'validation_error', fields: { id: ['exists'] } } }
        const extra = type === 'visit' ? { status: 'submitted', author_id: 1 } : {}
        this.records.set(key, { type, id, version: 1, deleted: false, data: { ...m.data, ...extra }, seq: ++this.seq })
      }
      this.applied.set(m.id, { payload, key })
      return { id: m.id, status: 'applied', entity: this.entity(this.records.get(key)!) }
    })
    return this.json(200, { results, cursor: this.seq, epoch: this.epoch })
  }
}
