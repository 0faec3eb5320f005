import { defineConfig } from 'vitest/config';

// Test tiers (README.md, "Tests and CI"): pure unit tests; hub/process integration tests on
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
          // tests start `node bin/edgemu.js`: its bundle is built once, first
          globalSetup: ['test/helpers/cli-bundle-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // One local control plane per run (test/helpers/k8s-global-setup.ts; EDGEMU_TEST_KUBECONFIG
        // uses an existing cluster instead). Files share it, one at a time: 2-core CI.
        test: {
          name: 'k8s',
          include: ['test/k8s/**/*.test.ts'],
          globalSetup: ['test/helpers/cli-bundle-setup.ts', 'test/helpers/k8s-global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
