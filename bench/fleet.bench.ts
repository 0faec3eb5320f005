/**
 * A fleet in one process (docs/agent.md "Many devices"): `edgemu up --devices N --deployment F`
 * (default 100 devices, 5 modules each) as a child process against a fresh local cluster whose
 * pods are simulated (KWOK nodes, enough for every pod), measuring the time from the start of `edgemu up` until every
 * device's `$edgeAgent` reports the deployment (status 200) with all 5 modules `running`, the
 * resident memory (VmRSS, and VmHWM: the peak) and CPU time of the edgemu process from /proc,
 * and the watch connections the API server holds for pods and Deployments
 * (`apiserver_longrunning_requests{verb="WATCH"}`) before and during the run.
 * Aim from the issue: RSS < 300 MB at 100 devices.
 * Usage: npm run bench -- fleet   (EDGEMU_BENCH_DEVICES=N, EDGEMU_BENCH_MODULES=M to change it;
 * EDGEMU_BENCH_HEAPSNAPSHOT=DIR also writes a V8 heap snapshot of the edgemu process into DIR
 * once the numbers are taken, to see what the memory holds: open it in Chrome DevTools' Memory tab)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeConfig } from '@kubernetes/client-node';
import { startLocalCluster, stopLocalCluster } from '../runtime/cluster/local-cluster.js';
import { connectToRunningHub } from '../runtime/service-api/index.js';
import { apiServerWatches as openWatches } from '../test/k8s/agent/agent-harness.js';
import { deploymentManifest } from '../test/helpers/manifest-builders.js';

const DEVICES = Number(process.env.EDGEMU_BENCH_DEVICES ?? 100);
const MODULES = Number(process.env.EDGEMU_BENCH_MODULES ?? 5);
const SNAPSHOT_DIR = process.env.EDGEMU_BENCH_HEAPSNAPSHOT ? path.resolve(process.env.EDGEMU_BENCH_HEAPSNAPSHOT) : undefined;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const root = mkdtempSync(path.join(tmpdir(), 'edgemu-fleet-bench-'));
const manifest = path.join(root, 'fleet.deployment.json');
writeFileSync(manifest, JSON.stringify(deploymentManifest(Array.from({ length: MODULES }, (_, i) => `m${i}`))));

/** VmRSS, VmHWM (kB → MB) and user+system CPU seconds of a process, from /proc. */
function procStats(pid: number): { rssMb: number; peakMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (proc(5): fields 14 and 15)
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, cpuS: ticks / 100 };
}

const clusterStart = Date.now();
// A KWOK node takes 110 pods, as a kubelet by default (kubernetes.io/docs/reference/config-api/kubelet-config.v1beta1, maxPods).
const NODES = Math.ceil((DEVICES * MODULES) / 100) + 1;
const { state } = await startLocalCluster({ name: 'edgemu-fleet-bench', dir: path.join(root, 'cluster'), nodes: NODES, ownerPid: process.pid, nodePool: 'simulated' });
process.stdout.write(`local cluster (${NODES} KWOK nodes) ready in ${((Date.now() - clusterStart) / 1000).toFixed(1)} s; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
const kc = new KubeConfig();
kc.loadFromFile(state.kubeconfig);
const stateDir = path.join(root, 'state');
const watchesBefore = await openWatches(kc);

// A start that has to compile the CLI first (bin/cli-bundle.js, after any source change) is not what is measured.
const warm = spawnSync(process.execPath, [path.join(repo, 'bin', 'edgemu.js'), '--version'], { encoding: 'utf8' });
if (warm.status !== 0) throw new Error(`edgemu --version failed:\n${warm.stderr}`);

const t0 = Date.now();
const child = spawn(
  process.execPath,
  [path.join(repo, 'bin', 'edgemu.js'), '--state-dir', stateDir, '--log-level', 'warn', 'up', '--kubeconfig', state.kubeconfig, '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--devices', String(DEVICES), '--deployment', manifest],
  // A Node diagnostic report on SIGUSR2 (nodejs.org/api/report.html) tells the V8 heap apart from the rest of RSS.
  // A heap snapshot on SIGUSR1 (nodejs.org/api/cli.html#--heapsnapshot-signalsignal) when asked for.
  { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --report-on-signal --report-signal=SIGUSR2 --report-directory=${root}${SNAPSHOT_DIR ? ' --heapsnapshot-signal=SIGUSR1' : ''}`.trim() }, cwd: SNAPSHOT_DIR ?? process.cwd() },
);
let stderr = '';
child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-20_000)));
const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
let peakRss = 0;
const sampler = setInterval(() => {
  try {
    peakRss = Math.max(peakRss, procStats(child.pid!).rssMb);
  } catch {
    // the process is gone
  }
}, 250);

try {
  // Every device reports status 200 with all modules running: one query per second over the service API.
  let client: ReturnType<typeof connectToRunningHub> | undefined;
  let allRunningAt: number | undefined;
  const deadline = Date.now() + 900_000;
  while (allRunningAt === undefined) {
    if (Date.now() > deadline) throw new Error(`timed out; edgemu up said:\n${stderr}`);
    if (child.exitCode !== null) throw new Error(`edgemu up exited with ${child.exitCode}:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 1000));
    try {
      client ??= connectToRunningHub(stateDir);
      const page = await client.query("SELECT deviceId, properties.reported.lastDesiredStatus, properties.reported.modules FROM devices.modules WHERE moduleId = '$edgeAgent'", { maxItemCount: 1000 });
      const rows = page.items as Array<{ lastDesiredStatus?: { code?: number }; modules?: Record<string, { runtimeStatus?: string }> }>;
      const done = rows.filter((r) => r.lastDesiredStatus?.code === 200 && Object.keys(r.modules ?? {}).length === MODULES && Object.values(r.modules ?? {}).every((m) => m.runtimeStatus === 'running')).length;
      if (done === DEVICES) allRunningAt = Date.now();
    } catch (error) {
      // the hub is not up yet (no hub.json): keep waiting
      if ((error as { code?: string }).code !== 'HUB_NOT_RUNNING' && !/ECONNREFUSED/.test(String((error as Error).message))) throw error;
      client = undefined;
    }
  }
  const at = procStats(child.pid!);
  const watchesDuring = await openWatches(kc);
  await new Promise((r) => setTimeout(r, 10_000));
  const settled = procStats(child.pid!);
  client?.close();
  child.kill('SIGUSR2');
  let heap = 'n/a';
  for (let i = 0; i < 40 && heap === 'n/a'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const report = readdirSync(root).find((f) => f.startsWith('report.') && f.endsWith('.json'));
    if (!report) continue;
    try {
      const r = JSON.parse(readFileSync(path.join(root, report), 'utf8')) as {
        javascriptHeap: { usedMemory: number; totalMemory: number; heapSpaces: Record<string, { memorySize: number; used: number }> };
      };
      const mb = (bytes: number | undefined) => ((bytes ?? NaN) / 2 ** 20).toFixed(0);
      // new space is V8's young generation (two semi-spaces; nodejs.org/api/cli.html#--max-semi-space-sizesize-in-mib)
      const young = r.javascriptHeap.heapSpaces.new_space;
      heap = `${mb(r.javascriptHeap.usedMemory)} MB used of ${mb(r.javascriptHeap.totalMemory)} MB; young generation ${mb(young?.used)} MB used of ${mb(young?.memorySize)} MB`;
    } catch {
      // still being written
    }
  }
  const rows = [
    ['devices × modules', `${DEVICES} × ${MODULES}`],
    ['edgemu up start → every device reports all modules running', `${((allRunningAt - t0) / 1000).toFixed(1)} s`],
    ['RSS of the edgemu process when all run / 10 s later / peak (VmHWM)', `${at.rssMb.toFixed(0)} / ${settled.rssMb.toFixed(0)} / ${Math.max(settled.peakMb, peakRss).toFixed(0)} MB`],
    ['V8 heap of the edgemu process 10 s later', heap],
    ['CPU time of the edgemu process until all run / 10 s later', `${at.cpuS.toFixed(1)} / ${settled.cpuS.toFixed(1)} s`],
    ['API-server watches on pods, before / during', `${watchesBefore.pods ?? 0} / ${watchesDuring.pods ?? 0}`],
    ['API-server watches on deployments, before / during', `${watchesBefore.deployments ?? 0} / ${watchesDuring.deployments ?? 0}`],
    ['load average (1, 5, 15 min) at the end', loadavg().map((l) => l.toFixed(2)).join(' ')],
  ];
  if (SNAPSHOT_DIR) {
    // written into the child's working directory; the file is complete once its size stops changing
    const before = new Set(readdirSync(SNAPSHOT_DIR));
    child.kill('SIGUSR1');
    let last = -1;
    for (let i = 0; i < 240; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const file = readdirSync(SNAPSHOT_DIR).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
      const size = file ? statSync(path.join(SNAPSHOT_DIR, file)).size : -1;
      if (file && size > 0 && size === last) {
        rows.push(['heap snapshot', path.join(SNAPSHOT_DIR, file)]);
        break;
      }
      last = size;
    }
  }
  process.stdout.write(`\n| measure | value |\n| --- | --- |\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\naim: RSS < 300 MB at 100 devices\n`);
} finally {
  clearInterval(sampler);
  child.kill('SIGINT');
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(killer);
  await stopLocalCluster(path.join(root, 'cluster'));
  rmSync(root, { recursive: true, force: true });
}
