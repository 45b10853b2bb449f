import { defineConfig } from 'vitest/config';

/**
 * The Wine harness (npm run test:wine): runs the real Windows native source in Windows Node under Wine.
 * Needs wine64 and what scripts/wine/setup.sh fetches; the tests run one after another (one wineserver).
 */
export default defineConfig({
  test: {
    include: ['test/wine/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
