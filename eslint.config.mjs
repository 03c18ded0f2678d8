// ESLint flat config: type-aware rules that matter for a server, the direction of imports between packages,
// and no import cycles. Formatting is Prettier's job (`pnpm format`), not ESLint's.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** `allowed-imports`: a package's source may import only the bare specifiers listed (relative imports always). */
const allowedImports = {
  meta: {
    type: 'problem',
    schema: [{ type: 'object', properties: { allow: { type: 'array', items: { type: 'string' } } } }],
    messages: { denied: "'{{source}}' is not allowed here; this package may import only: {{allow}}" },
  },
  create(context) {
    const allow = context.options[0]?.allow ?? [];
    const check = (node) => {
      const source = node.source?.value;
      if (typeof source !== 'string' || source.startsWith('.')) return;
      if (allow.some((name) => source === name || source.startsWith(`${name}/`))) return;
      context.report({
        node: node.source,
        messageId: 'denied',
        data: { source, allow: allow.join(', ') || 'nothing' },
      });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
    };
  },
};

const local = { rules: { 'allowed-imports': allowedImports } };
const APPS = ['@app/ws-server', '@app/api', '@app/server', '@app/web', '@app/provider-sim'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '.tools/**',
      '.data/**',
      'bench/results/**',
      '**/*.d.ts',
      '**/*.mjs',
      // Written by `pnpm generate` (examples/src/generate-clients.ts); the tests compare them with the generator.
      'examples/typescript/generated/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX, local },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: [
            'packages/*/tsconfig.json',
            'apps/*/tsconfig.json',
            'bench/tsconfig.json',
            'examples/tsconfig.json',
          ],
          conditionNames: ['@app/source', 'types', 'import', 'default'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // No import cycles in source: a module graph a reader can follow from the top down.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts', 'apps/*/src/**/*.tsx'],
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  // The direction of imports (CONTRIBUTING.md): protocol <- client; protocol <- core <- apps. No package imports an app.
  { files: ['packages/protocol/src/**/*.ts'], rules: { 'local/allowed-imports': ['error', { allow: ['zod'] }] } },
  {
    // What browsers load through @app/protocol/lite and /encode: no zod (ADR 0009; a client test checks the bundle).
    files: ['packages/protocol/src/lite/**/*.ts', 'packages/protocol/src/encode.ts'],
    rules: { 'local/allowed-imports': ['error', { allow: [] }] },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: { 'local/allowed-imports': ['error', { allow: ['@app/protocol'] }] },
  },
  // Only the React entry (`@app/client/react`) may import React; the core stays free of it.
  {
    files: ['packages/client/src/react/**/*.ts'],
    rules: { 'local/allowed-imports': ['error', { allow: ['@app/protocol', 'react'] }] },
  },
  // The web app imports only @app/client (protocol types come through it) and React.
  {
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.tsx'],
    rules: { 'local/allowed-imports': ['error', { allow: ['@app/client', 'react', 'react-dom'] }] },
  },
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: APPS.map((name) => ({ name, message: 'packages never import an app' })) },
      ],
    },
  },
);
