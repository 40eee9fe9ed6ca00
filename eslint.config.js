// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { readFileSync } from 'node:fs';

// vi-mmrec's error classes, read from core so the rule below follows them: `instanceof` against
// one of them fails when two copies of core are installed, hence isViMmrecError(e, code).
const coreErrors = [
  'ViMmrecError',
  ...[
    ...readFileSync(new URL('packages/core/src/errors.ts', import.meta.url), 'utf8').matchAll(/export class (\w+) extends ViMmrecError/g),
  ].map((m) => m[1]),
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'docs/**', 'coverage/**', '**/*.d.ts'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts', 'vitest.shared.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/promise-function-async': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/only-throw-error': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: `BinaryExpression[operator='instanceof'][right.name=/^(${coreErrors.join('|')})$/]`,
          message: "Use isViMmrecError(e, code) from '@vi-mmrec/core': instanceof fails across duplicate installs of core.",
        },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    ignores: ['packages/cli/src/**', 'packages/*/src/**/bench*.ts'],
    rules: { 'no-console': 'error' },
  },
  {
    // Plain JavaScript (tools, bin shims, configs) is linted without type information.
    // Root config files are outside every package's tsconfig as well.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs', 'vitest.shared.ts', 'vitest.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // CommonJS on purpose: nx loads generator factories with require() (tools/generators).
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.config.ts', '**/*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['**/test/**/*.ts', 'tools/**', '**/*.mjs', 'packages/*/bin/*.js', 'packages/*/vitest.config.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
