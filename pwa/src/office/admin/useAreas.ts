/** The visible area tree for the admin pages, fetched once per page visit and reloadable after changes. */
import { computed, ref } from 'vue'
import { adminApi, type AreaRow } from './api'
import { areaOrder } from './areaTree'

export function useAreas() {
  const rows = ref<AreaRow[]>([])
  const loading = ref(false)
  const error = ref<unknown>(null)
  const nodes = computed(() => areaOrder(rows.value))
  const byId = computed(() => new Map(rows.value.map((a) => [a.id, a])))

  async function reload(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      rows.value = (await adminApi().listAreas()).items
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }

  return { rows, nodes, byId, loading, error, reload }
}
