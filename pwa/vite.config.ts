/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { VitePWA } from 'vite-plugin-pwa'
import { vantIconFont } from './vantIconFont'
import { i18nPrecompile } from './i18nPrecompile'
import { chunkFileNames, officeChunks, withoutOfficeFiles } from './officeChunks'

export default defineConfig({
  plugins: [
    vantIconFont(),
    i18nPrecompile(),
    officeChunks(),
    vue(),
    // Vant components are imported on demand; in Vitest the CSS is skipped (TOOLCHAIN gotcha 4).
    Components({ resolvers: [VantResolver({ importStyle: !process.env.VITEST })], dts: false }),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      registerType: 'prompt',
      injectRegister: false,
      pwaAssets: { config: true, overrideManifestIcons: true },
      includeManifestIcons: false,
      manifest: {
        name: '走访通',
        short_name: '走访通',
        description: '优抚对象走访慰问记录（离线可用）',
        lang: 'zh-CN',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#ffffff',
        theme_color: '#b71c1c',
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,ico,png,svg,woff2}'],
        // Field phones never download the office console (see officeChunks.ts).
        manifestTransforms: [withoutOfficeFiles],
      },
      devOptions: { enabled: false },
    }),
  ],
  resolve: {
    // Messages arrive precompiled (i18nPrecompile), so the runtime-only build is enough.
    alias: { 'vue-i18n': 'vue-i18n/dist/vue-i18n.runtime.esm-bundler.js' },
  },
  define: {
    __VUE_I18N_FULL_INSTALL__: 'true',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
    __INTLIFY_JIT_COMPILATION__: 'true',
    __INTLIFY_DROP_MESSAGE_COMPILER__: 'true',
  },
  // `npm run dev` forwards the API to a Flask server (make run serves on 8000).
  server: { proxy: { '/api': process.env.ZOUFANG_API ?? 'http://127.0.0.1:8000' } },
  build: { outDir: 'dist', target: 'es2020', chunkSizeWarningLimit: 600, rolldownOptions: { output: { chunkFileNames } } },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.ts'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 20000,
  },
})
