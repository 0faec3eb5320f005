import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterDir, clusterUpgrade, DEFAULT_VERSIONS, upgradeLocalCluster } from '../../../runtime/cluster/index.js';

// The refusals of `edgemu cluster upgrade` that need no running cluster: a recorded cluster whose
// processes are gone, an interrupted upgrade, a kind cluster. Each is refused before anything is
// built or stopped (the recorded state stays as it was).
const stateDir = mkdtempSync(join(tmpdir(), 'edgemu-upgrade-unit-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

function record(name: string, extra: Record<string, unknown>): string {
  const dir = clusterDir(stateDir, name);
  mkdirSync(dir, { recursive: true });
  const state = {
    name,
    provider: 'local',
    dir,
    kubeconfig: join(dir, 'kubeconfig'),
    context: `edgemu-${name}`,
    server: 'https://127.0.0.1:1',
    ports: { etcdClient: 1, etcdPeer: 2, apiServer: 3, controllerManager: 4, scheduler: 5 },
    // a pid that cannot exist (above the kernel's pid_max limit)
    processes: [{ id: 'etcd', pid: 4_194_999, binary: '/nonexistent/etcd' }],
    nodes: ['kwok-node-0'],
    startedAt: '2026-01-01T00:00:00.000Z',
    versions: { ...DEFAULT_VERSIONS, kubernetes: 'v1.36.3', kubernetesStaging: 'v0.36.3' },
    ...extra,
  };
  writeFileSync(join(dir, 'cluster.json'), JSON.stringify(state));
  return dir;
}

describe('edgemu cluster upgrade without a running cluster', () => {
  it('refuses a recorded cluster whose processes are gone (CLUSTER_NOT_RUNNING), whatever the version', async () => {
    const dir = record('stopped', {});
    for (const version of ['v1.37.2', 'v1.99.0']) {
      await expect(upgradeLocalCluster({ dir, version })).rejects.toMatchObject({ code: 'CLUSTER_NOT_RUNNING', message: expect.stringMatching(/cluster "stopped" is not running \(etcd \(pid 4194999\) is not running\)/) });
    }
  });

  it('refuses a cluster whose last upgrade did not finish, and says how to recover', async () => {
    const dir = record('interrupted', { upgrading: { from: 'v1.36.3', to: 'v1.37.2', startedAt: '2026-01-01T00:00:00.000Z' } });
    await expect(upgradeLocalCluster({ dir, version: 'v1.37.2' })).rejects.toMatchObject({
      code: 'CLUSTER_NOT_RUNNING',
      message: expect.stringMatching(/upgrade of cluster "interrupted" from v1\.36\.3 to v1\.37\.2 .* did not finish; stop the cluster with `edgemu cluster down`/),
    });
  });

  it('refuses a kind cluster (UPGRADE_UNSUPPORTED) and an unrecorded one (CLUSTER_NOT_FOUND)', async () => {
    const dir = clusterDir(stateDir, 'kindly');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ name: 'kindly', provider: 'kind', dir, kubeconfig: join(dir, 'kubeconfig'), context: 'kind-kindly' }));
    await expect(clusterUpgrade({ name: 'kindly', stateDir, version: 'v1.37.2' })).rejects.toMatchObject({ code: 'UPGRADE_UNSUPPORTED' });
    await expect(clusterUpgrade({ name: 'nothing', stateDir, version: 'v1.37.2' })).rejects.toMatchObject({ code: 'CLUSTER_NOT_FOUND' });
  });
});
