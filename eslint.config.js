// Lint configuration: typescript-eslint's recommended rules on every TypeScript file, and the
// area boundaries of runtime/ (docs/architecture-rules.md): no import into another area past
// its entry file (eslint-plugin-import-x's no-restricted-paths).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import { readdirSync } from 'node:fs';
import { areaBoundaryConfigs } from './eslint-areas.js';

const runtimeAreas = readdirSync(new URL('./runtime/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.edgemu/**', '.edgemu-*/**', '.agent-scratch/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['runtime/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // ESM TypeScript: `./x.js` in an import names `./x.ts`
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
  },
  // The web view's browser app (runtime/web/app/, bundled by runtime/web/web-bundle.ts) runs in the browser.
  { files: ['runtime/web/app/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  // Cycles (between files, types included, and between sibling folders) are checked by
  // test/unit/architecture/import-graph.test.ts: import-x/no-cycle skips type-only imports.
  ...areaBoundaryConfigs(runtimeAreas),
);
