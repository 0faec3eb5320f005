import { defineConfig } from 'vitest/config';

// Test tiers (design.md "Test tiers"): pure unit tests; hub/process integration tests on
// 127.0.0.1; Kubernetes tests against the real local control plane started once per run.
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/summary-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
