/**
 * Vite plugin: keep the office console out of the field app's downloads. Chunks made only of office code
 * (src/office, its messages, ECharts) are named `office-…`, and they and their CSS are left out of the
 * service worker's precache, so a phone never fetches them; the console loads them online, on demand.
 */
import type { Plugin } from 'vite'

const OFFICE = [
  /[\\/]src[\\/]office[\\/](?!routes\.ts$|admin[\\/]routes\.ts$|admin[\\/]i18n\.ts$)/,
  /[\\/]src[\\/]i18n[\\/](office|admin)\.[^\\/]+$/,
  /[\\/]node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/,
]
const FIELD = /[\\/]pwa[\\/]src[\\/]/
const isOffice = (id: string) => OFFICE.some((re) => re.test(id.split('?')[0]))

/**
 * A chunk is the office's when it holds office modules and no app module outside the office (library code
 * such as the Vant parts only the console uses may ride along). The bundler groups modules by who imports
 * them, so such a chunk is reachable only from office routes; generateBundle below checks that.
 */
export function isOfficeChunk(moduleIds: readonly string[]): boolean {
  return moduleIds.some(isOffice) && !moduleIds.some((id) => FIELD.test(id) && !isOffice(id))
}

export function chunkFileNames(chunk: { moduleIds: readonly string[] }): string {
  return isOfficeChunk(chunk.moduleIds) ? 'assets/office-[name]-[hash].js' : 'assets/[name]-[hash].js'
}

const officeFiles = new Set<string>()

export function officeChunks(): Plugin {
  return {
    name: 'zoufang:office-chunks',
    apply: 'build',
    generateBundle(_, bundle) {
      const office = new Set<string>()
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk' || !isOfficeChunk(file.moduleIds)) continue
        office.add(file.fileName)
        const css = (file as { viteMetadata?: { importedCss?: Set<string> } }).viteMetadata?.importedCss
        css?.forEach((f) => officeFiles.add(f))
      }
      // The field app may reach office code only through the lazy /office routes, never by a static import.
      for (const file of Object.values(bundle)) {
        if (file.type !== 'chunk' || office.has(file.fileName)) continue
        const bad = file.imports.filter((f) => office.has(f))
        if (bad.length) this.error(`${file.fileName} statically imports office chunks ${bad.join(', ')}`)
      }
      office.forEach((f) => officeFiles.add(f))
    },
  }
}

/** workbox manifestTransform: drop the office files from the precache list. */
export function withoutOfficeFiles<T extends { url: string }>(entries: T[]) {
  return { manifest: entries.filter((e) => !officeFiles.has(e.url.replace(/^\//, ''))), warnings: [] as string[] }
}
