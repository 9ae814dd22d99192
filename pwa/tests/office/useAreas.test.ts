import { afterEach, describe, expect, it, vi } from 'vitest'
import { flushPromises } from '@vue/test-utils'
import { mockFetch } from './fetchMock'

const AREAS = [
  { id: 1, code: '990100', name: '示范县', level: 'county', parent_id: null },
  { id: 3, code: '990101001', name: '东关村', level: 'village', parent_id: 2 },
  { id: 2, code: '990101', name: '城关镇', level: 'township', parent_id: 1 },
]

afterEach(() => {
  vi.unstubAllGlobals()
  vi.resetModules()
})

describe('useAreas', () => {
  it('fetches the list once for every page of a page load, and again when a page wants it fresh', async () => {
    const calls = mockFetch(() => ({ json: { items: AREAS } }))
    const { useAreas } = await import('../../src/office/useAreas')
    const a = useAreas()
    const b = useAreas()
    await flushPromises()
    expect(calls.filter((c) => c.url === '/api/areas')).toHaveLength(1)
    expect(a.townships.value.map((t) => t.name)).toEqual(['城关镇'])
    expect(b.villagesOf(2).map((v) => v.name)).toEqual(['东关村'])
    expect(a.nodes.value.map((n) => [n.name, n.depth])).toEqual([['示范县', 0], ['城关镇', 1], ['东关村', 2]])
    expect(a.byId.value.get(3)?.name).toBe('东关村')
    useAreas()
    await flushPromises()
    expect(calls).toHaveLength(1)
    const fresh = useAreas({ fresh: true })
    await fresh.ready
    expect(calls).toHaveLength(2)
  })

  it('keeps a failure in `error` and tries again at the next use', async () => {
    let fail = true
    const calls = mockFetch(() => (fail ? { status: 503, json: { error: { code: 'server_error' } } } : { json: { items: AREAS } }))
    const { useAreas } = await import('../../src/office/useAreas')
    const first = useAreas()
    await first.ready
    expect(first.error.value).toMatchObject({ status: 503, code: 'server_error' })
    expect(first.areas.value).toEqual([])
    fail = false
    const second = useAreas()
    await second.ready
    expect(calls).toHaveLength(2)
    expect(second.error.value).toBeNull()
    expect(first.areas.value).toHaveLength(3)
  })
})
