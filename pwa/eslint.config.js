// ESLint for the PWA: correctness rules only. Formatting is left to the code as written (no layout rules),
// and the type checker (vue-tsc, run by `npm run build`) already reports undefined names and wrong types.
import js from '@eslint/js'
import { defineConfig } from 'eslint/config'
import pluginVue from 'eslint-plugin-vue'
import tseslint from 'typescript-eslint'

export default defineConfig(
  // Build output, and the OpenAPI types openapi-typescript writes (`make api-types`): a finding there could
  // only be fixed by hand-editing generated code, which the next regeneration undoes.
  { ignores: ['dist/**', 'dev-dist/**', 'src/api/schema.d.ts'] },

  js.configs.recommended,
  tseslint.configs.recommended,
  pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['**/*.{ts,vue}'],
    // TypeScript resolves names (DOM, service worker, Node globals in build files); typescript-eslint advises
    // leaving this rule off for TS, and its own config does so for .ts files but not for .vue ones.
    rules: { 'no-undef': 'off' },
  },
  {
    // Two type-aware rules for the app and its tests: a promise nobody awaits or catches loses its rejection
    // (a failed local write, a sync round that died), which the offline-first design cannot afford.
    files: ['src/**/*.{ts,vue}', 'tests/**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.vue'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // The layout rules of eslint-plugin-vue's presets (indentation, line breaks, quotes, self-closing tags) are
    // off, so the linter never asks for formatting churn.
    files: ['**/*.vue'],
    rules: {
      ...pluginVue.configs['no-layout-rules'].rules,
      'vue/attributes-order': 'off', // an ordering preference, not a defect
    },
  },
)
