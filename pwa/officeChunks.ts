/**
 * Vite plugin: keep the office console out of the field app's downloads. Chunks made only of office code
 * (src/office, its messages, ECharts) are named `office-…`; they, the chunks only they import, and their CSS
 * are left out of the service worker's precache, so a phone never fetches them; the console loads them
 * online, on demand.
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

// Shared chunks take the name of their first module; the two big libraries' chunks are named after them instead,
// so size reports say what they hold.
const LIBRARIES: [RegExp, string][] = [
  [/[\\/]node_modules[\\/]@vue[\\/]runtime-core[\\/]/, 'vue'],
  [/[\\/]node_modules[\\/]dexie[\\/]/, 'dexie'],
]

export function chunkFileNames(chunk: { moduleIds: readonly string[] }): string {
  if (isOfficeChunk(chunk.moduleIds)) return 'assets/office-[name]-[hash].js'
  const library = LIBRARIES.find(([re]) => chunk.moduleIds.some((id) => re.test(id)))
  return library ? `assets/${library[1]}-[hash].js` : 'assets/[name]-[hash].js'
}

const officeFiles = new Set<string>()

export function officeChunks(): Plugin {
  return {
    name: 'zoufang:office-chunks',
    apply: 'build',
    generateBundle(_, bundle) {
      const chunks = Object.values(bundle).filter((f) => f.type === 'chunk')
      const office = new Set(chunks.filter((c) => isOfficeChunk(c.moduleIds)).map((c) => c.fileName))
      // The field app may reach office code only through the lazy /office routes, never by a static import.
      for (const c of chunks) {
        const bad = office.has(c.fileName) ? [] : c.imports.filter((f) => office.has(f))
        if (bad.length) this.error(`${c.fileName} statically imports office chunks ${bad.join(', ')}`)
      }
      // What the field app can load without entering an office chunk; everything else (office chunks and the
      // library parts only they use, e.g. Vant's tabs) stays out of the precache.
      const reachable = new Set<string>()
      const queue = chunks.filter((c) => c.isEntry).map((c) => c.fileName)
      while (queue.length) {
        const name = queue.pop()!
        if (reachable.has(name) || office.has(name)) continue
        reachable.add(name)
        const c = bundle[name]
        if (c?.type === 'chunk') queue.push(...c.imports, ...c.dynamicImports)
      }
      const fieldCss = new Set<string>()
      for (const c of chunks) {
        const css = (c as { viteMetadata?: { importedCss?: Set<string> } }).viteMetadata?.importedCss ?? new Set<string>()
        if (reachable.has(c.fileName)) css.forEach((f) => fieldCss.add(f))
      }
      for (const c of chunks) {
        if (reachable.has(c.fileName)) continue
        officeFiles.add(c.fileName)
        const css = (c as { viteMetadata?: { importedCss?: Set<string> } }).viteMetadata?.importedCss
        css?.forEach((f) => fieldCss.has(f) || officeFiles.add(f))
      }
    },
  }
}

/** workbox manifestTransform: drop the office files from the precache list. */
export function withoutOfficeFiles<T extends { url: string }>(entries: T[]) {
  return { manifest: entries.filter((e) => !officeFiles.has(e.url.replace(/^\//, ''))), warnings: [] as string[] }
}
