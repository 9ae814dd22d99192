/** A date range picker's value (`[from, to]` as YYYY-MM-DD, or null) over a page's two day fields. */
import { computed, type WritableComputedRef } from 'vue'

export type DayRange = [string, string] | null

export function dayRange(read: () => { from: unknown; to: unknown }, write: (from: string, to: string) => void): WritableComputedRef<DayRange> {
  return computed<DayRange>({
    get: (): DayRange => {
      const { from, to } = read()
      return from && to ? [String(from), String(to)] : null
    },
    set: (v: DayRange) => write(v?.[0] ?? '', v?.[1] ?? ''),
  })
}
