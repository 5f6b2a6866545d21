import { defineConfig } from 'vitest/config';

// The dashboard's benchmarks in Chromium (make bench): figures, not pass/fail.
export default defineConfig({
  test: {
    include: ['e2e/**/*.bench-ui.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
