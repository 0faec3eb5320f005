import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHealth, startLocalCluster, stopLocalCluster } from '../../../runtime/cluster/local-cluster.js';
import { freePort, isPortFree } from '../../../runtime/cluster/free-port.js';
import { isRunning } from '../../../runtime/cluster/process-tree.js';
import { ClusterError } from '../../../runtime/cluster/cluster-errors.js';
import { ensureBinaries, type ControlPlaneBinaries } from '../../../runtime/cluster/ensure-binaries.js';

/** Listening TCP sockets (v4 and v6) of the given pids, from /proc/net/tcp{,6} and /proc/<pid>/fd. */
function listeningAddresses(pids: number[]): { pid: number; address: string; port: number }[] {
  const owner = new Map<string, number>();
  for (const pid of pids) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m) owner.set(m[1]!, pid);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  const result: { pid: number; address: string; port: number }[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== '0A') continue; // 0A = LISTEN
      const pid = owner.get(cols[9]!);
      if (pid === undefined) continue;
      const [hex, portHex] = cols[1]!.split(':') as [string, string];
      const address =
        hex.length === 8
          ? [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.')
          : hex === '0'.repeat(32)
            ? '::'
            : hex === '0000000000000000FFFF00000100007F'
              ? '127.0.0.1'
              : `ipv6:${hex}`;
      result.push({ pid, address, port: parseInt(portHex, 16) });
    }
  }
  return result;
}

// A second, private cluster (besides the run's shared one): start with a port race, stop, and
// check that nothing is left. Costs one extra control-plane start (~5-10 s).
describe('a local cluster’s lifecycle', () => {
  const root = mkdtempSync(join(tmpdir(), 'edgemu-lifecycle-test-'));
  const blockers: Server[] = [];
  let binaries: ControlPlaneBinaries;
  beforeAll(async () => {
    binaries = (await ensureBinaries({ build: false })).binaries;
  });
  afterAll(async () => {
    await stopLocalCluster(join(root, 'race')).catch(() => undefined);
    for (const b of blockers) b.close();
    rmSync(root, { recursive: true, force: true });
  });

  const occupy = async (): Promise<number> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    blockers.push(server);
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  };

  it('fails with PORT_IN_USE naming the component when every attempt hits a taken port', async () => {
    const taken = await occupy();
    let calls = 0;
    // the first pick of every attempt is etcd's client port
    const pickPort = async () => (calls++ % 5 === 0 ? taken : freePort());
    const error = await startLocalCluster({ name: 'taken', dir: join(root, 'taken'), binaries, pickPort, maxAttempts: 2, nodePool: 'simulated' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClusterError);
    expect((error as ClusterError).code).toBe('PORT_IN_USE');
    expect((error as Error).message).toMatch(/etcd could not bind its port after 2 attempts: .*address already in use/);
    expect(existsSync(join(root, 'taken'))).toBe(false);
  });

  it('retries with fresh ports when a port is taken, then down stops every process and frees every port', async () => {
    const taken = await occupy();
    let first = true;
    const pickPort = async () => {
      if (first) {
        first = false;
        return taken;
      }
      return freePort();
    };
    const progress: string[] = [];
    const { state, started } = await startLocalCluster({ name: 'race', dir: join(root, 'race'), binaries, pickPort, onProgress: (m) => progress.push(m), nodePool: 'simulated' });
    expect(started).toBe(true);
    expect(progress.join('\n')).toMatch(/etcd could not bind its port .*retrying with new ports \(attempt 2\/3\)/);
    expect(state.ports.etcdClient).not.toBe(taken);
    expect((await checkHealth(state)).healthy).toBe(true);

    // every listening socket of every process is on 127.0.0.1, and KWOK listens on nothing
    const listening = listeningAddresses(state.processes.map((p) => p.pid));
    expect(listening.length).toBeGreaterThanOrEqual(5);
    for (const l of listening) expect(l.address, `${l.pid} listens on ${l.address}:${l.port}`).toBe('127.0.0.1');
    expect(listening.some((l) => l.pid === state.processes.find((p) => p.id === 'kwok')?.pid)).toBe(false);
    expect(listening.map((l) => l.port)).toContain(state.ports.apiServer);

    // idempotent: a second up returns the running cluster
    const again = await startLocalCluster({ name: 'race', dir: join(root, 'race'), binaries, nodePool: 'simulated' });
    expect(again.started).toBe(false);
    expect(again.state.server).toBe(state.server);

    const result = await stopLocalCluster(state.dir);
    expect(result.found).toBe(true);
    expect(result.stopped.map((p) => p.id).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok', 'local-path-provisioner']);
    expect(result.portsStillBound).toEqual([]);
    for (const p of state.processes) expect(isRunning(p.pid), `${p.id} pid ${p.pid}`).toBe(false);
    for (const port of Object.values(state.ports)) expect(await isPortFree(port), `port ${port}`).toBe(true);
    expect(existsSync(state.dir)).toBe(false);
    // stopping twice is harmless
    expect((await stopLocalCluster(state.dir)).found).toBe(false);
  });
});
