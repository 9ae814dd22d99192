import { describe, expect, it } from 'vitest'
import { chunkFileNames, officeChunks, withoutOfficeFiles } from '../../officeChunks'

const ROOT = '/w/pwa'
const EP = `${ROOT}/node_modules/element-plus/es/components/table/index.mjs`
const EP_CSS = `${ROOT}/node_modules/element-plus/theme-chalk/el-table.css`

interface FakeChunk {
  type: 'chunk'; fileName: string; isEntry: boolean; moduleIds: string[]; imports: string[]; dynamicImports: string[]
  viteMetadata: { importedCss: Set<string> }
}
const chunk = (fileName: string, moduleIds: string[], extra: Partial<FakeChunk> = {}): FakeChunk => ({
  type: 'chunk', fileName, isEntry: false, moduleIds, imports: [], dynamicImports: [], viteMetadata: { importedCss: new Set() }, ...extra,
})
const css = (fileName: string, source: string) => ({ type: 'asset' as const, fileName, source })

/** Run the plugin's bundle check on a made-up bundle; the build's error() throws, as Rollup's does. */
function check(files: Array<FakeChunk | ReturnType<typeof css>>) {
  const bundle = Object.fromEntries(files.map((f) => [f.fileName, f]))
  const hook = officeChunks().generateBundle as unknown as (this: unknown, o: unknown, b: unknown) => void
  hook.call({ error: (m: string) => { throw new Error(m) } }, {}, bundle)
  return (urls: string[]) => withoutOfficeFiles(urls.map((url) => ({ url }))).manifest.map((e) => e.url)
}

describe('officeChunks', () => {
  it('names office and Element Plus chunks office-…, the rest as before', () => {
    expect(chunkFileNames({ moduleIds: [EP, `${ROOT}/node_modules/dayjs/dayjs.min.js`] })).toBe('assets/office-element-plus-[hash].js')
    expect(chunkFileNames({ moduleIds: [`${ROOT}/src/office/OfficeLayout.vue`, EP] })).toBe('assets/office-[name]-[hash].js')
    expect(chunkFileNames({ moduleIds: [`${ROOT}/src/views/HomeView.vue`] })).toBe('assets/[name]-[hash].js')
  })

  it('leaves the console and its Element Plus out of the precache', () => {
    const precache = check([
      chunk('a/index.js', [`${ROOT}/src/main.ts`], { isEntry: true, dynamicImports: ['a/office-layout.js'], viteMetadata: { importedCss: new Set(['a/index.css']) } }),
      chunk('a/office-layout.js', [`${ROOT}/src/office/OfficeLayout.vue`], { imports: ['a/office-element-plus.js'] }),
      chunk('a/office-element-plus.js', [EP, EP_CSS], { viteMetadata: { importedCss: new Set(['a/office-ep.css']) } }),
      css('a/index.css', '.van-cell{color:red}'),
      css('a/office-ep.css', '.el-table{--el-table-border:1px}'),
    ])
    expect(precache(['a/index.js', 'a/index.css', 'a/office-layout.js', 'a/office-element-plus.js', 'a/office-ep.css', 'index.html']))
      .toEqual(['a/index.js', 'a/index.css', 'index.html'])
  })

  it('fails the build when a field chunk holds Element Plus code', () => {
    expect(() => check([
      chunk('b/index.js', [`${ROOT}/src/main.ts`], { isEntry: true, imports: ['b/SettingsView.js'] }),
      chunk('b/SettingsView.js', [`${ROOT}/src/views/SettingsView.vue`, EP]),
    ])).toThrow(/b\/SettingsView\.js is a field chunk holding Element Plus/)
  })

  it('fails the build when Element Plus CSS would be precached', () => {
    expect(() => check([
      chunk('c/index.js', [`${ROOT}/src/main.ts`], { isEntry: true, viteMetadata: { importedCss: new Set(['c/index.css']) } }),
      css('c/index.css', '.van-cell{color:red}.el-button{color:blue}'),
    ])).toThrow(/c\/index\.css would be precached for phones but holds Element Plus CSS/)
  })
})
