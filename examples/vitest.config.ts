import { defineConfig } from 'vitest/config';

export default defineConfig({
  ssr: { resolve: { conditions: ['@app/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['../scripts/vitest-db-setup.mjs'],
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
