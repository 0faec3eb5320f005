import path from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { kubeConfig, kubeconfigPath } from '../../helpers/k8s.js';

/**
 * `edgemu check --dry-run` against the REAL kube-apiserver of the test cluster: every example
 * deployment's objects pass a server-side dry run (dryRun=All), nothing is stored, and the
 * throwaway namespace the dry run needs is gone afterwards.
 */

const repo = path.resolve(import.meta.dirname, '../../..');

const run = (argv: string[]) => runCli(argv);

describe('edgemu check --dry-run on a real kube-apiserver', () => {
  it('dry-runs every example deployment, has none rejected and leaves nothing behind', async () => {
    const core = kubeConfig().makeApiClient(CoreV1Api);
    const before = (await core.listNamespace()).items.map((n) => n.metadata!.name!);
    const r = await run(['check', path.join(repo, 'deployments/examples'), path.join(repo, 'deployments/invalid'), '--expect', path.join(repo, 'deployments/check-expectations.json'), '--dry-run', '--device', 'check-k8s', '--kubeconfig', kubeconfigPath(), '--json']);
    expect(r.err).toBe('');
    const entries = JSON.parse(r.out) as { report: { file: string; status: number }; dryRun?: { object: string; reason: string }[]; failures: string[] }[];
    const valid = entries.filter((e) => e.report.status === 200);
    expect(valid.length).toBeGreaterThan(4);
    for (const e of valid) {
      expect(e.dryRun, e.report.file).toEqual([]);
      expect(e.failures, e.report.file).toEqual([]);
    }
    // invalid manifests are not translated, so not dry-run
    for (const e of entries.filter((x) => x.report.status !== 200)) expect(e.dryRun).toBeUndefined();
    expect(r.code).toBe(0);
    // dryRun=All stored nothing, not even the device namespace; the throwaway namespace is deleted (or terminating)
    const after = (await core.listNamespace()).items.filter((n) => n.status?.phase !== 'Terminating').map((n) => n.metadata!.name!);
    expect(after.filter((n) => !before.includes(n))).toEqual([]);
  });
});
