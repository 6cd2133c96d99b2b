import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The composition root of every test file: sim/ never imports policies/, so the policy registry
    // is loaded here and fills the engine's policy catalog (sim/policy-catalog.ts).
    setupFiles: ['./policies/registry.ts'],
    // Simulation tests are CPU-bound; two workers match the two-core machines here.
    maxWorkers: 2,
    // Many tests spawn child runs; on a loaded 2-core machine some take over a minute.
    testTimeout: 120_000,
  },
});
