/**
 * Vite plugin: keep the office console out of the field app's downloads. Chunks made only of office code
 * (src/office, its messages, ECharts, Element Plus and the libraries only it uses) are named `office-…`; they,
 * the chunks only they import, and their CSS are left out of the service worker's precache, so a phone never
 * fetches them; the console loads them online, on demand. The build fails if a field chunk imports an office
 * chunk statically, or if any Element Plus code or CSS would reach a phone (a field chunk or the precache).
 */
import type { Plugin } from 'vite'

/** Element Plus itself: its components, locales and theme CSS. */
const ELEMENT_PLUS = /[\\/]node_modules[\\/](element-plus|@element-plus)[\\/]/
/** The libraries only Element Plus brings (they ride in its office chunks). */
const ELEMENT_PLUS_DEPS =
  /[\\/]node_modules[\\/](@vueuse|@floating-ui|@popperjs|@ctrl[\\/]tinycolor|dayjs|lodash-es|lodash-unified|lodash|async-validator|memoize-one|normalize-wheel-es)[\\/]/
/** Element Plus's CSS, wherever it ends up: its `.el-…` classes and `--el-…` variables. */
const ELEMENT_PLUS_CSS = /(^|[^\w-])\.el-[a-z]|--el-[a-z]/

const OFFICE = [
  /[\\/]src[\\/]office[\\/](?!routes\.ts$|admin[\\/]routes\.ts$|admin[\\/]i18n\.ts$)/,
  /[\\/]src[\\/]i18n[\\/](office|admin)\.[^\\/]+$/,
  /[\\/]node_modules[\\/](echarts|zrender|vue-echarts)[\\/]/,
  ELEMENT_PLUS,
  ELEMENT_PLUS_DEPS,
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

// Shared chunks take the name of their first module; the two big libraries' chunks, and the console's chunks made
// only of Element Plus, are named after them instead, so size reports say what they hold.
const LIBRARIES: [RegExp, string][] = [
  [/[\\/]node_modules[\\/]@vue[\\/]runtime-core[\\/]/, 'vue'],
  [/[\\/]node_modules[\\/]dexie[\\/]/, 'dexie'],
]

const isElementPlus = (id: string) => ELEMENT_PLUS.test(id) || ELEMENT_PLUS_DEPS.test(id)

export function chunkFileNames(chunk: { moduleIds: readonly string[] }): string {
  if (chunk.moduleIds.length && chunk.moduleIds.every(isElementPlus)) return 'assets/office-element-plus-[hash].js'
  if (isOfficeChunk(chunk.moduleIds)) return 'assets/office-[name]-[hash].js'
  const library = LIBRARIES.find(([re]) => chunk.moduleIds.some((id) => re.test(id)))
  return library ? `assets/${library[1]}-[hash].js` : 'assets/[name]-[hash].js'
}

const officeFiles = new Set<string>()
/** Files holding Element Plus code or CSS: none may be precached (checked again on the precache list). */
const elementPlusFiles = new Set<string>()

type CssMeta = { viteMetadata?: { importedCss?: Set<string> } }
const importedCss = (c: object): Set<string> => (c as CssMeta).viteMetadata?.importedCss ?? new Set<string>()

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
        if (reachable.has(c.fileName)) importedCss(c).forEach((f) => fieldCss.add(f))
      }
      for (const c of chunks) {
        if (c.moduleIds.some((id) => ELEMENT_PLUS.test(id))) elementPlusFiles.add(c.fileName)
        if (reachable.has(c.fileName)) continue
        officeFiles.add(c.fileName)
        importedCss(c).forEach((f) => fieldCss.has(f) || officeFiles.add(f))
      }
      // Element Plus is the console's alone: a field chunk (or a CSS file a field chunk loads) holding any of it would
      // put it on every phone and in the precache.
      for (const c of chunks) {
        if (!reachable.has(c.fileName)) continue
        const ep = c.moduleIds.find((id) => ELEMENT_PLUS.test(id))
        if (ep) this.error(`${c.fileName} is a field chunk holding Element Plus (${ep}): import it only from office pages`)
      }
      for (const f of Object.values(bundle)) {
        if (f.type !== 'asset' || !f.fileName.endsWith('.css')) continue
        const hit = ELEMENT_PLUS_CSS.exec(typeof f.source === 'string' ? f.source : new TextDecoder().decode(f.source))
        if (!hit) continue
        elementPlusFiles.add(f.fileName)
        if (!officeFiles.has(f.fileName)) this.error(`${f.fileName} would be precached for phones but holds Element Plus CSS (${hit[0].trim()})`)
      }
    },
  }
}

/** workbox manifestTransform: drop the office files from the precache list; fail if Element Plus is still on it. */
export function withoutOfficeFiles<T extends { url: string }>(entries: T[]) {
  const manifest = entries.filter((e) => !officeFiles.has(e.url.replace(/^\//, '')))
  const leaked = manifest.filter((e) => elementPlusFiles.has(e.url.replace(/^\//, ''))).map((e) => e.url)
  if (leaked.length) throw new Error(`Element Plus files on the phone's precache list: ${leaked.join(', ')}`)
  return { manifest, warnings: [] as string[] }
}
