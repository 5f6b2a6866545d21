import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { writeFileSync } from 'node:fs';
import { licenses } from './licenses';

export default defineConfig({
  plugins: [
    svelte(),
    licenses(),
    {
      // dist/.keep is committed so that go:embed finds the folder in a fresh clone.
      name: 'keep-dist',
      closeBundle() {
        writeFileSync('dist/.keep', '');
      },
    },
  ],
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  test: { include: ['src/**/*.test.ts'], environment: 'node' },
});
