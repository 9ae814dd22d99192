/**
 * The height a list's table may take so its header stays fixed while its rows scroll: the window's height minus
 * what the page shows around the table (header bar, filters, pager), never less than `min` pixels.
 */
import { onBeforeUnmount, onMounted, ref } from 'vue'

export function useTableHeight(reserved: number, min = 280) {
  const measure = () => Math.max(min, (typeof window === 'undefined' ? 768 : window.innerHeight) - reserved)
  const height = ref(measure())
  const onResize = () => (height.value = measure())
  onMounted(() => window.addEventListener('resize', onResize))
  onBeforeUnmount(() => window.removeEventListener('resize', onResize))
  return height
}
