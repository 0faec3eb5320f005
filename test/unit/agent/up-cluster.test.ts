import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterSummary } from '../../../runtime/cluster/cluster-manager.js';
import { startUpCluster, type UpClusterDeps } from '../../../runtime/agent/up-cluster.js';

const summary: ClusterSummary = { name: 'edgemu', provider: 'local', kubeconfig: '/k', context: 'edgemu-edgemu', dir: '/d' };

function fakeClusterManager(started: boolean) {
  const upCalls: Parameters<UpClusterDeps['clusterUp']>[0][] = [];
  const downCalls: Parameters<UpClusterDeps['clusterDown']>[0][] = [];
  const deps: UpClusterDeps = {
    clusterUp: async (options) => {
      upCalls.push(options);
      return { summary, started, elapsedMs: 1 };
    },
    clusterDown: async (options) => {
      downCalls.push(options);
      return { found: true, provider: 'local', stopped: [], portsStillBound: [] };
    },
  };
  return { deps, upCalls, downCalls };
}

const logger = pino({ level: 'silent' });

describe('startUpCluster (the cluster edgemu up runs on)', () => {
  it('asks the cluster manager to tie a cluster it starts to this process (watchdog) and stops it on request', async () => {
    const fake = fakeClusterManager(true);
    const cluster = await startUpCluster({ name: 'edgemu', stateDir: '/s', provider: 'local', logger }, fake.deps);
    expect(fake.upCalls).toHaveLength(1);
    expect(fake.upCalls[0]).toMatchObject({ name: 'edgemu', stateDir: '/s', provider: 'local', ownerPid: process.pid });
    expect(cluster.stop).toBeTypeOf('function');
    await cluster.stop!();
    expect(fake.downCalls).toEqual([expect.objectContaining({ name: 'edgemu', stateDir: '/s' })]);
  });

  it('leaves a cluster that was already running alone: nothing to stop', async () => {
    const fake = fakeClusterManager(false);
    const cluster = await startUpCluster({ name: 'edgemu', stateDir: '/s', provider: 'local', logger }, fake.deps);
    expect(cluster.started).toBe(false);
    expect(cluster.stop).toBeUndefined();
    expect(fake.downCalls).toHaveLength(0);
  });

  it('passes a given owner pid through', async () => {
    const fake = fakeClusterManager(true);
    await startUpCluster({ name: 'edgemu', stateDir: '/s', provider: 'local', logger, ownerPid: 4242 }, fake.deps);
    expect(fake.upCalls[0]?.ownerPid).toBe(4242);
  });
});
