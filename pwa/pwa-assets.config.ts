import { defineConfig, minimal2023Preset as preset } from '@vite-pwa/assets-generator/config'

// Icons (favicon, 64/192/512, maskable 512, apple-touch) are generated from one SVG at build time.
export default defineConfig({
  headLinkOptions: { preset: '2023' },
  preset,
  images: ['public/favicon.svg'],
})
