import { describe, expect, it } from 'vitest'
import { areaOrder, areaTree } from '../../src/office/areaTree'
import type { Area } from '../../src/office/api'

const ROWS: Area[] = [
  { id: 3, code: '330102002', name: '西镇', level: 'township', parent_id: 1 },
  { id: 4, code: '330102001001', name: '东村', level: 'village', parent_id: 2 },
  { id: 1, code: '330102', name: '示范县', level: 'county', parent_id: null },
  { id: 2, code: '330102001', name: '东镇', level: 'township', parent_id: 1 },
]

describe('areaTree', () => {
  it('orders depth-first by code with depths and child counts', () => {
    const nodes = areaOrder(ROWS)
    expect(nodes.map((n) => [n.name, n.depth, n.children])).toEqual([
      ['示范县', 0, 2], ['东镇', 1, 1], ['东村', 2, 0], ['西镇', 1, 0],
    ])
  })

  it('nests the ordered nodes under their parents for the tree table', () => {
    const [county, ...others] = areaTree(areaOrder(ROWS))
    expect(others).toEqual([])
    expect(county.name).toBe('示范县')
    expect(county.kids!.map((n) => n.name)).toEqual(['东镇', '西镇'])
    expect(county.kids![0].kids!.map((n) => n.name)).toEqual(['东村'])
    expect(county.kids![1].kids).toBeUndefined()
  })

  it('makes an area whose parent is out of sight a root', () => {
    expect(areaOrder([ROWS[1]]).map((n) => n.depth)).toEqual([0])
  })
})
