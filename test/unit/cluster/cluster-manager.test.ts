import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDown, clusterKubeconfig, clusterStatus, clusterUp } from '../../../runtime/cluster/cluster-manager.js';
import type { Run } from '../../../runtime/cluster/kind-provider.js';

// Provider dispatch from the recorded cluster.json; kind is a recording runner (no kind here).
describe('the cluster manager', () => {
  let stateDir: string;
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));
  const fresh = () => (stateDir = mkdtempSync(join(tmpdir(), 'edgemu-manager-unit-')));
  const record = (name: string, state: Record<string, unknown>) => {
    const dir = join(stateDir, 'clusters', name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cluster.json'), JSON.stringify({ name, dir, ...state }));
    return dir;
  };
  const recorder = (clusters: string[]) => {
    const calls: string[] = [];
    const run: Run = async (file, args) => {
      calls.push([file, ...args].join(' '));
      return { exitCode: 0, stdout: args[0] === 'get' ? clusters.join('\n') : '', stderr: '' };
    };
    return { run, calls };
  };

  it('refuses to start a kind cluster over a recorded local one of the same name', async () => {
    fresh();
    record('edgemu', { provider: 'local', kubeconfig: '/k', context: 'edgemu-edgemu', processes: [] });
    const { run, calls } = recorder([]);
    await expect(clusterUp({ name: 'edgemu', stateDir, provider: 'kind', run })).rejects.toMatchObject({ code: 'CLUSTER_BUSY' });
    expect(calls).toEqual([]);
  });

  it('dispatches down and status of a kind cluster to kind', async () => {
    fresh();
    const dir = record('k', { provider: 'kind', kubeconfig: '/k/kubeconfig', context: 'kind-k' });
    const { run, calls } = recorder(['k']);
    const status = await clusterStatus({ name: 'k', stateDir, run });
    expect(status).toMatchObject({ exists: true, running: true, summary: { provider: 'kind', context: 'kind-k' } });
    expect(await clusterKubeconfig({ name: 'k', stateDir })).toBe('/k/kubeconfig');
    const down = await clusterDown({ name: 'k', stateDir, run });
    expect(down).toMatchObject({ found: true, provider: 'kind' });
    expect(calls.at(-1)).toBe('kind delete cluster --name k --kubeconfig /k/kubeconfig');
    expect(existsSync(dir)).toBe(false);
  });

  it('reports a kind cluster that kind no longer lists as not running', async () => {
    fresh();
    record('k', { provider: 'kind', kubeconfig: '/k', context: 'kind-k' });
    const status = await clusterStatus({ name: 'k', stateDir, run: recorder([]).run });
    expect(status).toMatchObject({ exists: true, running: false, problems: ['kind does not list the cluster'] });
  });

  it('reports a local cluster whose processes are gone as not running, and down cleans it up', async () => {
    fresh();
    const dir = record('gone', {
      provider: 'local',
      kubeconfig: '/k',
      context: 'edgemu-gone',
      server: 'https://127.0.0.1:1',
      ports: {},
      // a pid that cannot exist (above pid_max) and a binary path nothing runs
      processes: [{ id: 'etcd', pid: 2 ** 22 + 1, binary: '/nonexistent/etcd' }],
    });
    const status = await clusterStatus({ name: 'gone', stateDir });
    expect(status.running).toBe(false);
    expect(status.problems[0]).toMatch(/etcd \(pid \d+\) is not running/);
    const down = await clusterDown({ name: 'gone', stateDir });
    expect(down).toMatchObject({ found: true, stopped: [], portsStillBound: [] });
    expect(existsSync(dir)).toBe(false);
  });
});
