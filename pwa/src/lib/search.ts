/** Name search for the roster: plain text, full pinyin or initials (`zs` finds 张三), and the roster's pinyin order. */
import { match, polyphonic } from 'pinyin-pro'

/** One name against one query, with pinyin-pro's matcher: the reference `NameIndex` is tested against. */
export function matchesName(name: string, query: string): boolean {
  const q = query.trim().toLowerCase()
  if (!q) return true
  if (name.toLowerCase().includes(q)) return true
  if (!/^[a-z\s]+$/.test(q)) return false
  return match(name, q.replace(/\s+/g, ''), { precision: 'start', continuous: true }) !== null
}

/** A character's toneless readings as pinyin-pro's `match` sees them (a non-Chinese character reads as itself). */
const readingsOf = (char: string): string[] => {
  if (char === ' ') return [] // `match` ignores spaces in the text: a space neither matches nor breaks a run
  const found = polyphonic(char, { type: 'array', toneType: 'none' })[0] ?? []
  return found.length ? found : [char]
}

/**
 * Surnames read otherwise than the character's first reading: pinyin-pro's surname table (`surname: 'head'`),
 * the single characters where it differs (a test keeps the two in step). Inlined because `pinyin()`, which
 * knows them, brings phrase dictionaries that would double the list's code.
 */
const SURNAME_READINGS: Record<string, string> = {
  乐: 'yue', 缪: 'miao', 解: 'xie', 单: 'shan', 於: 'yu', 郗: 'xi', 仇: 'qiu', 薄: 'bo', 能: 'nai', 都: 'du', 曾: 'zeng',
  查: 'zha', 盖: 'ge', 牟: 'mou', 区: 'ou', 朴: 'piao', 繁: 'po', 员: 'yun', 句: 'gou', 折: 'she', 召: 'shao', 郄: 'qie',
  六: 'lu', 啜: 'chuai',
}

/** How a name's character sorts: the surname's reading for the first one, else the first reading, ü as v. */
export function sortReading(char: string, first: boolean, readings: readonly string[] | null = readingsOf(char.toLowerCase())): string {
  return (first && SURNAME_READINGS[char]) || (readings?.[0] ?? '').replace(/ü/g, 'v')
}

/**
 * Does `q` (letters only) spell a run of consecutive characters, each by a non-empty prefix of one of its
 * readings? That is `match(name, q, { precision: 'start', continuous: true })`, over readings looked up once.
 */
function spells(chars: readonly (readonly string[] | null)[], q: string, a: Uint8Array, b: Uint8Array): boolean {
  const m = q.length
  // reach[j]: some run ending at the previous character spelled q[0, j); `a` and `b` are scratch of m + 1
  let reach = a.fill(0)
  let next = b
  for (const readings of chars) {
    if (readings === null) continue // a space: runs pass through it
    next.fill(0)
    reach[0] = 1 // a run may start at any character
    for (let j = 0; j < m; j++) {
      if (!reach[j]) continue
      for (const r of readings) {
        for (let k = 0; k < r.length && j + k < m && r.charCodeAt(k) === q.charCodeAt(j + k); k++) {
          if (j + k + 1 === m) return true
          next[j + k + 1] = 1
        }
      }
    }
    ;[reach, next] = [next, reach]
  }
  return false
}

interface Entry<T> {
  item: T
  lower: string
  /** Every reading's first letter, to turn most records away before `spells`. */
  firsts: string
  chars: (readonly string[] | null)[]
  sortKey: string
}

/** The roster's search: names and readings worked out once per roster, then reused by every keystroke. */
export interface NameIndex<T> {
  /** Every item, in pinyin order of the names (surname read as a surname). */
  readonly items: readonly T[]
  /** The items whose name matches `query` as `matchesName` would, in `items`' order. */
  search(query: string): readonly T[]
}

/** Works out one item's entry; the readings and sort keys of each distinct character are looked up once. */
function entryMaker<T>(nameOf: (item: T) => string): (item: T) => Entry<T> {
  const readings = new Map<string, readonly string[] | null>()
  const surnameKey = new Map<string, string>()
  const charKey = new Map<string, string>()
  const read = (c: string) => {
    let r = readings.get(c)
    if (r === undefined) {
      const found = readingsOf(c)
      r = found.length ? found : null
      readings.set(c, r)
    }
    return r
  }
  const keyOf = (c: string, map: Map<string, string>, first: boolean) => {
    let k = map.get(c)
    if (k === undefined) {
      k = sortReading(c, first, read(c.toLowerCase()))
      map.set(c, k)
    }
    return k
  }
  return (item: T) => {
    const name = nameOf(item)
    const lower = name.toLowerCase()
    const chars = Array.from(lower, read)
    let firsts = ''
    for (const rs of chars) for (const r of rs ?? []) if (r && !firsts.includes(r[0])) firsts += r[0]
    const parts = Array.from(name, (c, i) => keyOf(c, i ? charKey : surnameKey, i === 0))
    // Readings, then the characters themselves (homophones sort together); the sort is stable, so equal names
    // keep the roster's order.
    return { item, lower, firsts, chars, sortKey: `${parts.join(' ')}\u0000${name}` }
  }
}

function indexOf<T>(entries: Entry<T>[]): NameIndex<T> {
  entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0))
  const sorted = entries.map((e) => e.item)

  // The last answer: a query that extends it can only narrow it (matching is monotone in the query).
  let last: { q: string; hits: Entry<T>[]; items: readonly T[] } = { q: '', hits: entries, items: sorted }
  return {
    items: sorted,
    search(query: string) {
      const q = query.trim().toLowerCase()
      if (!q) return sorted
      if (q === last.q) return last.items // the same answer, the same array: nothing to re-render
      const pool = q.startsWith(last.q) ? last.hits : entries
      const letters = /^[a-z\s]+$/.test(q) ? q.replace(/\s+/g, '') : null
      const a = new Uint8Array(q.length + 1)
      const b = new Uint8Array(q.length + 1)
      const hits = pool.filter((e) =>
        e.lower.includes(q) || (letters !== null && e.firsts.includes(letters[0]) && spells(e.chars, letters, a, b)))
      last = { q, hits, items: hits.map((e) => e.item) }
      return last.items
    },
  }
}

/**
 * Build the index of a roster. Readings come from pinyin-pro once per distinct character; the sort key reads the
 * first character as a surname (单 shan, 曾 zeng) and the others by their first (most common) reading.
 */
export function buildNameIndex<T>(items: readonly T[], nameOf: (item: T) => string): NameIndex<T> {
  return indexOf(items.map(entryMaker(nameOf)))
}

/** Give the event loop a turn (input, rendering) before the next slice of work. */
export function nextTask(): Promise<void> {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler
  if (typeof s?.yield === 'function') return s.yield()
  return new Promise((resolve) => setTimeout(resolve, 0))
}

/**
 * `buildNameIndex` in slices of about `sliceMs` of work, yielding between them so that building a big roster's
 * index in the background never holds up a tap or a keystroke for long. `null` when `cancelled()` turns true
 * between slices (a newer roster arrived, the user changed).
 */
export async function buildNameIndexInSlices<T>(items: readonly T[], nameOf: (item: T) => string,
  { sliceMs = 8, cancelled = () => false }: { sliceMs?: number; cancelled?: () => boolean } = {}): Promise<NameIndex<T> | null> {
  const make = entryMaker(nameOf)
  const entries: Entry<T>[] = new Array(items.length)
  let i = 0
  while (i < items.length) {
    const until = performance.now() + sliceMs
    do entries[i] = make(items[i])
    while (++i < items.length && (i & 63 || performance.now() < until))
    if (i < items.length) {
      await nextTask()
      if (cancelled()) return null
    }
  }
  return indexOf(entries)
}
