/** The area list as a tree: depth-first order with depths (pickers), and nested (the areas page's tree table). No Vue here. */
import type { Area, AreaLevel } from './api'

export interface AreaNode extends Area {
  depth: number
  children: number
}

/** Depth-first, children in code order; rows whose parent is not visible become roots. */
export function areaOrder(rows: Area[]): AreaNode[] {
  const ids = new Set(rows.map((r) => r.id))
  const kids = new Map<number | null, Area[]>()
  for (const r of rows) {
    const parent = r.parent_id !== null && ids.has(r.parent_id) ? r.parent_id : null
    const list = kids.get(parent) ?? []
    list.push(r)
    kids.set(parent, list)
  }
  for (const list of kids.values()) list.sort((a, b) => a.code.localeCompare(b.code))
  const out: AreaNode[] = []
  const walk = (parent: number | null, depth: number) => {
    for (const r of kids.get(parent) ?? []) {
      out.push({ ...r, depth, children: kids.get(r.id)?.length ?? 0 })
      walk(r.id, depth + 1)
    }
  }
  walk(null, 0)
  return out
}

/** The next level down; a new area under `parent` defaults to it. */
export const CHILD_LEVEL: Record<string, AreaLevel | undefined> = {
  province: 'city', city: 'county', county: 'township', township: 'village',
}
export const LEVELS: AreaLevel[] = ['province', 'city', 'county', 'township', 'village']

/** A node with its child nodes under `kids` (`children` is the count), for a tree table. */
export interface AreaTreeRow extends AreaNode {
  kids?: AreaTreeRow[]
}

/** The depth-first nodes as a nested tree (roots with their `kids`). */
export function areaTree(nodes: AreaNode[]): AreaTreeRow[] {
  const roots: AreaTreeRow[] = []
  const stack: AreaTreeRow[] = []
  for (const n of nodes) {
    const row: AreaTreeRow = { ...n }
    stack.length = n.depth
    const parent = stack[n.depth - 1]
    if (parent) (parent.kids ??= []).push(row)
    else roots.push(row)
    stack.push(row)
  }
  return roots
}
