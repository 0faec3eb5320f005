/**
 * Local cluster costs, simulated pods and the real node (targets in docs/cluster.md
 * "Performance": warm `cluster up` < 20 s on 2 cores, idle RSS of the whole cluster < 1.5 GB).
 * Measures, with binaries already built:
 * - binary verification (the warm-cache path of `.ci/run` and every `up`),
 * - `startLocalCluster` with simulated pods (2 runs) and with the real node (2 runs, plus the
 *   time from containerd's start to the real node Ready),
 * - the `edgemu cluster up --nodes real` command end to end (new node process, lazy imports),
 * - an idempotent `up` of a running cluster,
 * - time until a 3-replica Deployment's pods are Ready on the real node,
 * - RSS of every process, the pods and their shims after 15 s idle,
 * - `down` until every process is gone and every port free.
 * The cold build is not repeated here (it takes minutes and both cores); measure it with
 * `EDGEMU_CACHE_DIR=$(mktemp -d) edgemu cluster binaries`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { ensureBinaries } from '../runtime/cluster/ensure-binaries.js';
import { checkHealth, startLocalCluster, stopLocalCluster } from '../runtime/cluster/local-cluster.js';
import { realNodePodsRss } from '../runtime/cluster/real-node.js';

const root = mkdtempSync(join(tmpdir(), 'edgemu-cluster-bench-'));
const rows: [string, string][] = [];
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;

try {
  let t = performance.now();
  const { binaries } = await ensureBinaries({ build: false });
  rows.push(['verify cached binaries (quick: size, mtime, --version)', seconds(performance.now() - t)]);

  const starts: number[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = join(root, `run${i}`);
    const r = await startLocalCluster({ name: `bench${i}`, dir, binaries, nodePool: 'simulated' });
    starts.push(r.elapsedMs);
    await stopLocalCluster(dir);
  }
  rows.push(['startLocalCluster, simulated pods → node Ready + default SA (2 runs)', starts.map(seconds).join(', ')]);

  // the real node: the first start of this process (containerd's store is always empty at
  // start, so every start imports the images) and a second one
  const nodeBinaries = (await ensureBinaries({ build: false, node: true })).binaries;
  const realStarts: number[] = [];
  const readyAfter: string[] = [];
  for (let i = 0; i < 2; i++) {
    const dir = join(root, `real${i}`);
    const progress: string[] = [];
    const r = await startLocalCluster({ name: `real${i}`, dir, binaries: nodeBinaries, nodePool: 'real', onProgress: (m) => progress.push(m) });
    realStarts.push(r.elapsedMs);
    readyAfter.push(/real node \S+ Ready after ([\d.]+ s)/.exec(progress.join('\n'))?.[1] ?? 'n/a');
    await stopLocalCluster(dir);
  }
  rows.push(['startLocalCluster, real node (first, second start)', realStarts.map(seconds).join(', ')]);
  rows.push(['  of which: containerd start → real node Ready', readyAfter.join(', ')]);

  const stateDir = join(root, 'cli');
  const bin = join(import.meta.dirname, '..', 'bin', 'edgemu.js');
  t = performance.now();
  execFileSync(process.execPath, [bin, '--state-dir', stateDir, 'cluster', 'up', '--nodes', 'real', '--name', 'bench'], { stdio: 'ignore' });
  rows.push(['`edgemu cluster up --nodes real` (warm binaries, whole command)', seconds(performance.now() - t)]);
  t = performance.now();
  execFileSync(process.execPath, [bin, '--state-dir', stateDir, 'cluster', 'up', '--nodes', 'real', '--name', 'bench'], { stdio: 'ignore' });
  rows.push(['`edgemu cluster up` again (already running: no-op)', seconds(performance.now() - t)]);

  const statusJson = execFileSync(process.execPath, [bin, '--state-dir', stateDir, 'cluster', 'status', '--name', 'bench', '--json'], { encoding: 'utf8' });
  const status = JSON.parse(statusJson) as { summary: { kubeconfig: string; dir: string } };
  const kc = new KubeConfig();
  kc.loadFromFile(status.summary.kubeconfig);
  const apps = kc.makeApiClient(AppsV1Api);
  const core = kc.makeApiClient(CoreV1Api);
  t = performance.now();
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: { metadata: { name: 'bench' }, spec: { replicas: 3, selector: { matchLabels: { app: 'bench' } }, template: { metadata: { labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'edgemu.local/busybox:v1', imagePullPolicy: 'Never', command: ['sleep', '3600'] }] } } } },
  });
  for (;;) {
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=bench' })).items;
    if (pods.length === 3 && pods.every((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  rows.push(['3-replica Deployment on the real node → 3 pods Ready', seconds(performance.now() - t)]);

  await new Promise((r) => setTimeout(r, 15_000));
  const { readClusterState } = await import('../runtime/cluster/local-cluster.js');
  const state = (await readClusterState(status.summary.dir))!;
  const health = await checkHealth(state);
  for (const p of health.processes) rows.push([`  RSS ${p.id} (after 15 s idle)`, p.rssBytes === undefined ? 'n/a' : mib(p.rssBytes)]);
  const pods = state.hostRecord === undefined ? 0 : (realNodePodsRss(state.hostRecord) ?? 0);
  rows.push(['  RSS of the 3 pods and their containerd shims', mib(pods)]);
  rows.push(['total RSS of the whole cluster (target < 1.5 GB)', mib(health.processes.reduce((s, p) => s + (p.rssBytes ?? 0), 0) + pods)]);

  t = performance.now();
  execFileSync(process.execPath, [bin, '--state-dir', stateDir, 'cluster', 'down', '--name', 'bench'], { stdio: 'ignore' });
  rows.push(['`edgemu cluster down` (all stopped, ports free)', seconds(performance.now() - t)]);
} finally {
  rmSync(root, { recursive: true, force: true });
}

const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} before the table was printed\n\n`);
for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
