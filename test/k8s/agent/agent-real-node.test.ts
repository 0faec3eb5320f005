import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EdgeAgent } from '../../../runtime/agent/edge-agent.js';
import { ensureBinaries } from '../../../runtime/cluster/ensure-binaries.js';
import { startLocalCluster, stopLocalCluster } from '../../../runtime/cluster/local-cluster.js';
import { readClusterNodeInfo } from '../../../runtime/cluster/node-info.js';
import { nodeImageCache, type ContainerdImageCache } from '../../../runtime/image/index.js';
import { deviceNamespace } from '../../../runtime/translate/labels.js';
import { eventually, kubeconfigPath } from '../../helpers/k8s.js';
import { MemoryTwin, startAgent, syntheticDesired, uniqueDevice } from './agent-harness.js';

// The edge agent with a deployment manifest on the real node (docs/agent.md, docs/cluster.md
// "The real node"): named volumes bind and keep their data across pods, and restart counts and
// exit codes in `$edgeAgent` reported come from real containers. The file starts its own
// real-node cluster unless the run's cluster is real (one real node per machine).
const run = promisify(execFile);
const globalReal = inject('edgemuNodes') === 'real';
const IMAGE = 'edgemu.local/busybox:v1';
let root = '';
let dir = '';
let kc: KubeConfig;
let images: ContainerdImageCache | undefined;
const agents: EdgeAgent[] = [];

beforeAll(async () => {
  let kubeconfig: string;
  if (globalReal) {
    kubeconfig = kubeconfigPath();
  } else {
    root = mkdtempSync(join(tmpdir(), 'edgemu-agent-real-'));
    dir = join(root, 'ar');
    const { binaries } = await ensureBinaries({ node: true });
    const { state } = await startLocalCluster({ name: 'ar', dir, binaries, nodePool: 'real', ownerPid: process.pid, onProgress: (m) => process.stderr.write(`[agent-real] ${m}\n`) });
    kubeconfig = state.kubeconfig;
    const info = readClusterNodeInfo(dir);
    if (info?.nodes === 'real') images = nodeImageCache({ ctr: info.ctr, address: info.containerdAddress, namespace: info.containerdNamespace });
  }
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
}, 900_000);

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  images?.close();
  if (dir !== '') await stopLocalCluster(dir).catch(() => undefined);
  if (root !== '') rmSync(root, { recursive: true, force: true });
}, 120_000);

/** A module running `script` in busybox's shell (Entrypoint → command, Cmd → args), with Docker create options. */
const shellModule = (script: string, extra: Record<string, unknown> = {}, restartPolicy = 'always') => ({
  image: IMAGE,
  restartPolicy,
  createOptions: JSON.stringify({ Entrypoint: ['sh', '-c'], Cmd: [script], ...extra }),
});
// sh as pid 1 ignores SIGTERM unless it traps it: without the trap every pod deletion waits out the grace period.
const SLEEP_FOREVER = "trap 'exit 0' TERM; while true; do sleep 1; done";

function newDevice(prefix: string, modules: Parameters<typeof syntheticDesired>[0]) {
  const deviceId = uniqueDevice(prefix);
  const twin = new MemoryTwin(syntheticDesired(modules));
  const agent = startAgent(kc, deviceId, twin, { readyTimeoutMs: 60_000, ...(images !== undefined ? { imageCatalog: images } : {}) });
  agents.push(agent);
  return { deviceId, twin, namespace: deviceNamespace(deviceId) };
}

const kubectl = async (namespace: string, ...args: string[]): Promise<string> =>
  (await run('kubectl', ['--kubeconfig', globalReal ? kubeconfigPath() : join(dir, 'kubeconfig'), '-n', namespace, ...args], { timeout: 60_000 })).stdout;

async function runningPod(namespace: string, module: string, not?: string): Promise<string> {
  return eventually(
    async () => {
      const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: `edgemu.io/module=${module}` });
      const ready = pods.items.find((p) => p.metadata?.name !== not && !p.metadata?.deletionTimestamp && p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready?.metadata?.name;
    },
    { timeoutMs: 90_000, what: `a Ready pod of ${module}` },
  );
}

describe('the edge agent on the real node', () => {
  it('runs a manifest whose modules mount a named volume, and a file written in the volume survives a pod restart', async () => {
    const volume = { HostConfig: { Binds: ['keeper-data:/data'] } };
    const { twin, namespace } = newDevice('vol', { keeper: shellModule(`echo started >> /data/starts; ${SLEEP_FOREVER}`, volume) });
    await eventually(async () => (twin.module('keeper')?.runtimeStatus === 'running' ? true : undefined), { timeoutMs: 120_000, what: 'keeper reported running' });
    expect(twin.module('keeper')?.runsOn).toBe('real');
    const claims = (await kc.makeApiClient(CoreV1Api).listNamespacedPersistentVolumeClaim({ namespace })).items;
    expect(claims.map((c) => [c.metadata?.name, c.status?.phase])).toEqual([['keeper-data', 'Bound']]);
    const first = await runningPod(namespace, 'keeper');
    expect((await kubectl(namespace, 'exec', first, '--', 'cat', '/data/starts')).trim()).toBe('started');

    // A pod restart: the Deployment makes a new pod, which mounts the same claim.
    await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: first, namespace, gracePeriodSeconds: 0 });
    const second = await runningPod(namespace, 'keeper', first);
    expect((await kubectl(namespace, 'exec', second, '--', 'cat', '/data/starts')).trim().split('\n')).toEqual(['started', 'started']);
    await eventually(async () => (twin.module('keeper')?.runtimeStatus === 'running' ? true : undefined), { timeoutMs: 60_000, what: 'keeper running again' });

    // Steady state: passes every second (resync 1 s) and the node catalog's 5 s refreshes ask containerd nothing.
    if (images !== undefined) {
      // containerd's own image events (the pod restart just now) legitimately drop the list once or
      // twice; after that, 7 s of passes must make no ctr call. Fails if that quiet window never comes.
      const cache = images;
      await eventually(
        async () => {
          const calls = cache.listCalls;
          await new Promise((r) => setTimeout(r, 7_000));
          return cache.listCalls === calls ? true : undefined;
        },
        { timeoutMs: 60_000, what: '7 s of steady-state passes without a ctr images ls' },
      );
    }
  }, 300_000);

  it('reports the restart count and exit code of a crash-looping container as backoff', async () => {
    const { twin, namespace } = newDevice('crash', { crashy: shellModule('echo crash-run; exit 3') });
    const m = await eventually(
      async () => {
        const mod = twin.module('crashy');
        // Between runs the kubelet holds the container in back-off (10 s, 20 s, …): it shows it
        // `terminated` until its next sync of the pod, then `waiting: CrashLoopBackOff`; the agent
        // reports back-off either way (the kubelet's reason, or the exit that caused it).
        if (mod?.runtimeStatus === 'backoff' && (mod.restartCount as number) >= 2 && mod.exitCode === 3 && /^Module in Back-off reason: (CrashLoopBackOff|container exited with code 3)/.test(String(mod.statusDescription))) return mod;
        // What was last seen, for the timeout's message: the twin's view and the pod's own status.
        const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace, labelSelector: 'edgemu.io/module=crashy' })).items;
        const pod = pods.map((p) => ({ name: p.metadata?.name, phase: p.status?.phase, container: p.status?.containerStatuses?.[0] }));
        throw new Error(`reported ${JSON.stringify(mod ?? null)}; pods ${JSON.stringify(pod)}`);
      },
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'crashy reported in back-off with two restarts and exit code 3' },
    );
    expect(m.runsOn).toBe('real');
    expect(m.lastExitTimeUtc).not.toBe('0001-01-01T00:00:00Z');
    expect(Date.parse(m.lastExitTimeUtc as string)).toBeGreaterThan(Date.parse(m.lastStartTimeUtc as string) - 60_000);
  }, 180_000);

  it('stops a module with restart policy never after its container exits, and reports the exit code', async () => {
    const { twin, namespace } = newDevice('never', { once: shellModule('sleep 2; exit 7', {}, 'never') });
    await eventually(async () => (twin.module('once')?.runtimeStatus === 'failed' && twin.module('once')?.exitCode === 7 ? true : undefined), {
      timeoutMs: 120_000,
      what: 'once reported failed with exit code 7',
    });
    expect((await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name: 'once', namespace })).spec?.replicas).toBe(0);
    // Stopped for good: no pod comes back.
    await eventually(async () => ((await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace })).items.length === 0 ? true : undefined), { timeoutMs: 60_000, what: 'no pod of once left' });
    expect(twin.module('once')?.runtimeStatus).toBe('failed');
  }, 180_000);
});
