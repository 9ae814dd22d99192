/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'
import { VitePWA } from 'vite-plugin-pwa'
import { vantIconFont } from './vantIconFont'
import { chunkFileNames, officeChunks, withoutOfficeFiles } from './officeChunks'

export default defineConfig({
  plugins: [
    vantIconFont(),
    officeChunks(),
    vue(),
    // Vant (the phone) and Element Plus (the office console only: officeChunks.ts fails the build if it reaches a
    // field chunk) are imported on demand, each component with its CSS; in Vitest the CSS is skipped
    // (TOOLCHAIN gotcha 4).
    Components({
      resolvers: [
        VantResolver({ importStyle: !process.env.VITEST }),
        ElementPlusResolver({ importStyle: process.env.VITEST ? false : 'css', directives: false }),
      ],
      dts: false,
    }),
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
  define: {
    // Every component (ours, Vant's, vue-router's) is written with setup(): leave the Options API out of Vue.
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
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
