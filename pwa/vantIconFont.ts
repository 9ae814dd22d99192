/**
 * Vite plugin: serve Vant's icon font as a same-origin file.
 *
 * Vant embeds the font as a data: URL with a fallback on a third-party CDN. The server's CSP allows neither
 * (default-src 'self'), and the app loads nothing from another origin, so the font is extracted into a
 * file that Vite emits as a hashed, precached asset.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, relative, resolve } from 'node:path'
import type { Plugin } from 'vite'

const FONT_FACE_SRC = /src:url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\)\s*format\("woff2"\)[^;}]*/

export function vantIconFont(): Plugin {
  const out = resolve(__dirname, 'node_modules/.cache/vant-icon/vant-icon.woff2')
  return {
    name: 'zoufang:vant-icon-font',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]vant[\\/](es|lib)[\\/]icon[\\/]index\.css$/.test(id.split('?')[0])) return null
      const m = FONT_FACE_SRC.exec(code)
      if (!m) return null
      mkdirSync(dirname(out), { recursive: true })
      writeFileSync(out, Buffer.from(m[1], 'base64'))
      const rel = relative(dirname(id.split('?')[0]), out).split('\\').join('/')
      return { code: code.replace(FONT_FACE_SRC, `src:url("${rel}") format("woff2")`), map: null }
    },
  }
}
