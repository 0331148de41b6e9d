// Flat config: typescript-eslint's recommended rules (syntax only, not type-aware, to stay fast)
// plus the project's layering rule (scripts/eslint-rules/layers.js). Rules that are mere style
// are relaxed; lint is for bugs and architecture.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-rules/layers.js';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'bench/out/**', '.workspace/**', '**/*.d.ts'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'warn' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    plugins: { synccanvas: { rules: { layers } } },
    rules: {
      'synccanvas/layers': 'error',
      // Reported, but not fatal: an unused name is untidy, not a bug, and files are often mid-edit.
      '@typescript-eslint/no-unused-vars': ['warn', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // Style, not bugs: `any` at a boundary is sometimes the honest type, and `!` is used where the check is a line above.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-empty-function': 'off',
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/consistent-type-definitions': 'off',
      '@typescript-eslint/no-this-alias': 'off',
      // `if (x) (a.push(1), b.push(2))` is a house idiom; this rule cannot allow comma sequences alone.
      '@typescript-eslint/no-unused-expressions': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
      'no-control-regex': 'off',
    },
  },
);
