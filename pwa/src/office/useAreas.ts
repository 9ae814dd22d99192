/** The area tree for the office filters (townships, and the villages of one), fetched once per page load. */
import { computed, ref } from 'vue'
import { officeApi, type Area } from './api'

const areas = ref<Area[]>([])
let loading: Promise<void> | null = null

function load(): Promise<void> {
  if (!loading) {
    loading = officeApi.areas().then((a) => void (areas.value = a.items))
    loading.catch(() => (loading = null))
  }
  return loading
}

export function useAreas() {
  void load().catch(() => undefined)
  const townships = computed(() => areas.value.filter((a) => a.level === 'township'))
  const villagesOf = (townshipId: number | null | undefined) =>
    areas.value.filter((a) => a.level === 'village' && (townshipId == null || a.parent_id === townshipId))
  const byId = computed(() => new Map(areas.value.map((a) => [a.id, a])))
  return { areas, townships, villagesOf, byId }
}
