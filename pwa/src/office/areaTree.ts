/** The area list as a tree: depth-first order with depths, for pickers and the collapsible tree. No Vue here. */
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

/** The rows to show when only the areas in `open` are expanded (roots always show). */
export function visibleNodes(nodes: AreaNode[], open: Set<number>): AreaNode[] {
  const out: AreaNode[] = []
  let hideBelow = Infinity // depth under a collapsed node
  for (const n of nodes) {
    if (n.depth > hideBelow) continue
    hideBelow = Infinity
    out.push(n)
    if (n.children && !open.has(n.id)) hideBelow = n.depth
  }
  return out
}

/** Indented option label for a <select> (full-width spaces keep the indent in every font). */
export function optionLabel(n: AreaNode): string {
  return `${'\u3000'.repeat(n.depth)}${n.name}`
}

/** The next level down; a new area under `parent` defaults to it. */
export const CHILD_LEVEL: Record<string, AreaLevel | undefined> = {
  province: 'city', city: 'county', county: 'township', township: 'village',
}
export const LEVELS: AreaLevel[] = ['province', 'city', 'county', 'township', 'village']
