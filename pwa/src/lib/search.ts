/** Name search for the roster: plain text, full pinyin or initials (`zs` finds 张三). */
import { match } from 'pinyin-pro'

export function matchesName(name: string, query: string): boolean {
  const q = query.trim().toLowerCase()
  if (!q) return true
  if (name.toLowerCase().includes(q)) return true
  if (!/^[a-z\s]+$/.test(q)) return false
  return match(name, q.replace(/\s+/g, ''), { precision: 'start', continuous: true }) !== null
}
