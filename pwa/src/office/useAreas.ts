/**
 * The console's area list (office filters, admin pickers, the areas page), fetched once per page load and shared
 * by every page; a page that must show changes made elsewhere asks for a fresh copy.
 */
import { computed, ref } from 'vue'
import { officeApi, type Area } from './api'
import { areaOrder } from './areaTree'

const rows = ref<Area[]>([])
const loading = ref(false)
const error = ref<unknown>(null)
let loaded = false
let inFlight: Promise<void> | null = null

/** Fetch the list again (after an area was added, or on a page that wants it fresh); failures land in `error`. */
function reload(): Promise<void> {
  loading.value = true
  error.value = null
  const request: Promise<void> = officeApi.areas().then(
    (answer) => {
      rows.value = answer.items
      loaded = true
    },
    (e: unknown) => {
      error.value = e
    },
  ).finally(() => {
    if (inFlight === request) {
      inFlight = null
      loading.value = false
    }
  })
  inFlight = request
  return request
}

/** `fresh`: fetch again even when this page load already has the list (the admin pages). */
export function useAreas(opts: { fresh?: boolean } = {}) {
  const ready = opts.fresh || (!loaded && !inFlight) ? reload() : inFlight ?? Promise.resolve()
  const nodes = computed(() => areaOrder(rows.value))
  const byId = computed(() => new Map(rows.value.map((a) => [a.id, a])))
  const townships = computed(() => rows.value.filter((a) => a.level === 'township'))
  const villagesOf = (townshipId: number | null | undefined) =>
    rows.value.filter((a) => a.level === 'village' && (townshipId == null || a.parent_id === townshipId))
  return { areas: rows, nodes, byId, townships, villagesOf, loading, error, ready, reload }
}
