/**
 * One GPS fix for a form (a visit, an inspection): optional evidence, so any failure only sets `failed` and
 * never blocks saving. `locate(set)` hands the rounded point to the form.
 */
import { ref } from 'vue'
import type { GeoPoint } from '../db/types'

export function useGeolocation() {
  const locating = ref(false)
  const failed = ref(false)

  function locate(set: (point: GeoPoint) => void): void {
    const geo = typeof navigator !== 'undefined' ? navigator.geolocation : null
    if (!geo) {
      failed.value = true
      return
    }
    locating.value = true
    failed.value = false
    geo.getCurrentPosition(
      (pos) => {
        locating.value = false
        set({
          lat: Number(pos.coords.latitude.toFixed(6)), lng: Number(pos.coords.longitude.toFixed(6)),
          accuracy_m: pos.coords.accuracy != null ? Math.round(pos.coords.accuracy) : null,
        })
      },
      () => {
        locating.value = false
        failed.value = true
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    )
  }

  return { locating, failed, locate }
}
