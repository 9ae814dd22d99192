/**
 * Vite plugin: compile the i18n JSON messages to vue-i18n's message AST at build time, so the app ships
 * vue-i18n's runtime-only build (no message compiler in the bundle, no eval, ≈ 17 KB gzip less).
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { baseCompile } from '@intlify/message-compiler'
import type { Plugin } from 'vite'

// The message files resolve to this suffix so Vite's own JSON plugin leaves them alone.
const SUFFIX = '.i18n.js'

type Tree = string | { [key: string]: Tree }

function compile(tree: Tree, path: string): unknown {
  if (typeof tree === 'string') {
    const { ast } = baseCompile(tree, {
      jit: true,
      location: false,
      onError: (e) => {
        throw new Error(`i18n message ${path}: ${e.message}`)
      },
    })
    return ast
  }
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, compile(v, `${path}.${k}`)]))
}

export function i18nPrecompile(): Plugin {
  return {
    name: 'zoufang:i18n-precompile',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || !source.endsWith('.json')) return null
      const file = resolve(dirname(importer.split('?')[0]), source)
      return /[\\/]src[\\/]i18n[\\/][^\\/]+\.json$/.test(file) ? file + SUFFIX : null
    },
    load(id) {
      if (!id.endsWith(SUFFIX)) return null
      const file = id.slice(0, -SUFFIX.length)
      this.addWatchFile(file)
      const tree = JSON.parse(readFileSync(file, 'utf8')) as Tree
      return { code: `export default ${JSON.stringify(compile(tree, file))}`, map: null }
    },
  }
}
