import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Simulation tests are CPU-bound; two workers match the two-core machines here.
    maxWorkers: 2,
    testTimeout: 60_000,
  },
});
