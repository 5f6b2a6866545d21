import { defineConfig } from 'vitest/config';

// End-to-end tests: real konui serve, real Konsole, the real Claude Code CLI
// on the fake Messages API, driven in Debian's Chromium with playwright-core.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
