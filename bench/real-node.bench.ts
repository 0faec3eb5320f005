/**
 * Modules that really run (docs/cluster.md "Performance", the real node): needs root and the
 * real node's binaries, and takes the machine's one real node for about three minutes.
 * - `npm start` (= `edgemu up` with the sample deployment, run in this process as the CLI runs
 *   it) → first message upstream, twice: a fresh state dir (hub certificates made, device
 *   created) and the same state dir again (what a user's second `npm start` does), with the
 *   time of each progress line, so the table says where the time goes;
 * - idle RSS of the whole cluster with the sample deployment running (15 s after the first
 *   upstream message): every cluster process, the pods and their shims, and this process (hub,
 *   agent, CLI);
 * - deploy → every module reported running, 10 and 50 modules, on the real node (busybox pods)
 *   and on the simulated pool (an image the node lacks), one agent with the in-memory twin and
 *   production timings, on one cluster with a real node.
 * Cold `npm start` (binaries built from the Go module proxy, Debian packages installed) is not
 * measured here: docs/cluster.md "Building the binaries" has its parts.
 * Usage: npm run bench -- real-node   (EDGEMU_BENCH_SIZES=10 to limit sizes, EDGEMU_BENCH_SKIP_DEPLOY=1
 * for the `npm start` part only)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { main } from '../runtime/cli/main.js';
import { ensureBinaries } from '../runtime/cluster/ensure-binaries.js';
import { startLocalCluster, stopLocalCluster } from '../runtime/cluster/local-cluster.js';
import { readClusterNodeInfo } from '../runtime/cluster/node-info.js';
import { nodeImageCache } from '../runtime/image/index.js';
import { deviceNamespace } from '../runtime/translate/labels.js';
import { MemoryTwin, memoryTwinAgent, syntheticDesired } from '../test/k8s/agent/agent-harness.js';

const sizes = (process.env.EDGEMU_BENCH_SIZES ?? '10,50').split(',').map(Number);
const root = mkdtempSync(path.join(tmpdir(), 'edgemu-real-bench-'));
const rows: [string, string][] = [];
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;
const say = (m: string) => process.stdout.write(`${m}\n`);

async function until<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function cli(stateDir: string, argv: string[], signal = AbortSignal.abort()) {
  const io = { out: '', err: '', lines: [] as { at: number; line: string }[] };
  const t0 = performance.now();
  const done = main(['--state-dir', stateDir, '--log-level', 'silent', ...argv], {
    out: (s) => void (io.out += s),
    err: (s) => {
      io.err += s;
      for (const line of s.split('\n')) if (line.trim() !== '') io.lines.push({ at: performance.now() - t0, line: line.trim() });
    },
    shutdownSignal: signal,
  });
  return { io, t0, done };
}

/** One `npm start`: until the first filter message upstream; the idle RSS when asked. */
async function npmStart(stateDir: string, label: string, measureRss: boolean): Promise<void> {
  const stop = new AbortController();
  const up = cli(stateDir, ['up', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--deployment', 'deployments/examples/temperature-filter.deployment.json', '--device', 'edge-1'], stop.signal);
  const upDone = up.done.then((code) => code);
  const stopMonitor = new AbortController();
  let monitor: ReturnType<typeof cli> | undefined;
  try {
    // The monitor connects once the hub serves (the discovery file `up` writes), as a user's second shell would.
    await until(() => up.io.lines.some((l) => /^deployed |created IoT Edge device|edge-1: /.test(l.line)) || up.io.out.includes('edgemu up (pid'), 600_000, 'the hub of edgemu up');
    monitor = cli(stateDir, ['monitor', '--device', 'edge-1'], stopMonitor.signal);
    await until(() => monitor!.io.out.includes('edge-1/filter output output1'), 300_000, 'the first filter message upstream');
    const first = performance.now() - up.t0;
    rows.push([`${label}: \`npm start\` → first message upstream`, secs(first)]);
    // Where the time goes: every progress line of `up` with its time (the per-binary checks folded into one).
    const boring = /cluster: \S+ v[\d.]+: verified /;
    const lastCheck = [...up.io.lines].reverse().find((l) => boring.test(l.line));
    if (lastCheck !== undefined) rows.push([`  ${secs(lastCheck.at).padStart(7)}  binaries checked (last: ${lastCheck.line.replace(/^\[up\] /, '').slice(0, 60)})`, '']);
    for (const l of up.io.lines) if (!boring.test(l.line)) rows.push([`  ${secs(l.at).padStart(7)}  ${l.line.replace(/^\[up\] /, '').slice(0, 110)}`, '']);
    if (measureRss) {
      await new Promise((r) => setTimeout(r, 15_000));
      const status = cli(stateDir, ['cluster', 'status', '--json']);
      await status.done;
      const report = JSON.parse(status.io.out) as { processes?: { id: string; rssBytes?: number }[]; podsRssBytes?: number; totalRssBytes?: number };
      for (const p of report.processes ?? []) rows.push([`  RSS ${p.id}`, p.rssBytes === undefined ? 'n/a' : mib(p.rssBytes)]);
      rows.push(['  RSS of the sample pods and their shims', mib(report.podsRssBytes ?? 0)]);
      const own = process.memoryUsage().rss;
      rows.push(['  RSS of the edgemu process (hub, agent, CLI; here also the monitor and this benchmark)', mib(own)]);
      rows.push(['idle RSS, whole cluster + edgemu, sample deployment (target < 1.5 GB)', mib((report.totalRssBytes ?? 0) + own)]);
    }
  } finally {
    stopMonitor.abort();
    await monitor?.done.catch(() => undefined);
    const t = performance.now();
    stop.abort();
    await upDone;
    rows.push([`${label}: Ctrl-C → edgemu up stopped (cluster and real node torn down)`, secs(performance.now() - t)]);
  }
}

/** deploy → all running on one cluster with a real node, for each size and pool. */
async function deployTimes(): Promise<void> {
  const { binaries } = await ensureBinaries({ build: false, node: true });
  const dir = path.join(root, 'agents');
  const { state } = await startLocalCluster({ name: 'bench-agents', dir, binaries, nodePool: 'real', ownerPid: process.pid });
  const info = readClusterNodeInfo(dir);
  const images = info?.nodes === 'real' ? nodeImageCache({ ctr: info.ctr, address: info.containerdAddress, namespace: info.containerdNamespace }) : undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(state.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  try {
    for (const pool of ['real', 'simulated'] as const) {
      for (const n of sizes) {
        const deviceId = `bench-${pool}-${n}`;
        const image = pool === 'real' ? 'edgemu.local/busybox:v1' : 'example.com/not-on-the-node:1';
        const modules: Parameters<typeof syntheticDesired>[0] = {};
        for (let i = 0; i < n; i += 1) {
          modules[`m${String(i).padStart(3, '0')}`] = { image, createOptions: JSON.stringify({ Entrypoint: ['sh', '-c'], Cmd: ["trap 'exit 0' TERM; while true; do sleep 5; done"] }) };
        }
        const twin = new MemoryTwin({});
        const agent = memoryTwinAgent(kc, deviceId, twin, images !== undefined ? { imageCatalog: images } : {});
        agent.start();
        await until(() => (twin.reported.lastDesiredStatus as { code?: number } | undefined)?.code === 417, 20_000, 'agent idle');
        const t0 = performance.now();
        twin.setDesired(syntheticDesired(modules));
        await until(
          () => {
            const r = twin.reported as { lastDesiredStatus?: { code?: number }; modules?: Record<string, { runtimeStatus?: string; runsOn?: string }> };
            const mods = Object.values(r.modules ?? {});
            return r.lastDesiredStatus?.code === 200 && mods.length === n && mods.every((m) => m.runtimeStatus === 'running' && m.runsOn === pool);
          },
          600_000,
          `${n} modules running on the ${pool} pool`,
        );
        const took = performance.now() - t0;
        rows.push([`deploy → all ${n} modules running, ${pool === 'real' ? 'real node (busybox containers)' : 'simulated pool (KWOK)'}`, secs(took)]);
        say(`${n} modules on the ${pool} pool: ${secs(took)}`);
        await agent.stop();
        await core.deleteNamespace({ name: deviceNamespace(deviceId) }).catch(() => undefined);
        await until(async () => core.readNamespace({ name: deviceNamespace(deviceId) }).then(() => false, () => true), 300_000, 'namespace gone');
      }
    }
  } finally {
    images?.close();
    await stopLocalCluster(dir);
  }
}

try {
  const stateDir = path.join(root, 'start');
  await npmStart(stateDir, 'fresh state dir', false);
  say('first npm start done');
  await npmStart(stateDir, 'warm (same state dir again)', true);
  say('second npm start done');
  if (process.env.EDGEMU_BENCH_SKIP_DEPLOY !== '1') await deployTimes();
} finally {
  rmSync(root, { recursive: true, force: true });
}

const width = Math.max(...rows.map(([k]) => k.length));
say(`\nload average ${loadavg().map((x) => x.toFixed(2)).join(' ')} when the table was printed\n`);
for (const [k, v] of rows) say(`${k.padEnd(width)}  ${v}`);
