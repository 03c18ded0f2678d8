import { defineConfig } from 'vitest/config';

export default defineConfig({
  ssr: { resolve: { conditions: ['@app/source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    // The database for the servers the tests start, and the built page they serve.
    globalSetup: ['../../scripts/vitest-db-setup.mjs', '../../scripts/vitest-web-build-setup.mjs'],
    // One Chromium at a time: the browser suites share two cores with the servers they drive.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
