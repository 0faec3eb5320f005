/**
 * Two checkouts of edgemu measured by one driver in one sitting (docs/benchmarks.md):
 * `node bin/run-ts.js bench/compare-trees.ts OLD_TREE NEW_TREE` (each tree a `git worktree`
 * with node_modules). Not part of `npm run bench` (it needs two trees). Per round, in
 * alternating order (old, new, then new, old …), it measures:
 * - hub ingest: each tree's `edgemu hub` process, 10 devices × 128 B QoS 1 telemetry over TLS
 *   from bench/mqtt-load.ts (32 in flight per device, every CONNACK awaited, 0.5 s warm-up then
 *   BENCH_SECONDS), hub CPU µs per acknowledged message from /proc/PID/stat;
 * - routing end to end: the same hub processes, module `sender` → ten conditional `$edgeHub`
 *   routes → module `receiver`'s input over MQTT.js (QoS 1, 1 KB bodies, ≤ 500 unacknowledged),
 *   BENCH_ROUTED messages; hub CPU µs per routed message and sender → receiver msg/s;
 * - validate: each tree's `parseManifestText` + `validateManifest` over the example deployments
 *   both trees have, in a child process for BENCH_SECONDS; CPU µs per validated file.
 * CPU time per unit of work is what is compared: it depends far less on what else the machine
 * runs than wall-clock rates do. Knobs: BENCH_ROUNDS (4), BENCH_SECONDS (3), BENCH_ROUTED (5000),
 * BENCH_ONLY (comma-separated: ingest, routing, validate), BENCH_HUB_PROFILE=DIR (each hub
 * writes a V8 CPU profile there, `<DIR>/tree0`, `<DIR>/tree1`, when it stops).
 *
 * BENCH_CALLGRIND=1 counts instructions instead (valgrind's callgrind; the same numbers however
 * loaded the machine is): each hub runs under `valgrind --tool=callgrind --instr-atstart=no`,
 * and instrumentation is switched on (`callgrind_control -i on`) only around a fixed workload
 * after a warm-up — BENCH_INGESTED (10000) telemetry messages, BENCH_ROUTED routed messages —
 * then dumped; validate runs its child twice under callgrind (N and 2N passes) and divides the
 * difference by N files×passes. Slow (minutes: node starts ~50× slower under valgrind).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import mqtt, { type MqttClient } from 'mqtt';
import { procCpuMicros } from './mqtt-load.js';
import { EDGE, type Creds } from './compare-trees-child.js';
import { lineChild, type LineChild } from './line-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const runTs = path.join(here, '..', 'bin', 'run-ts.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUTED = Number(process.env.BENCH_ROUTED ?? 5000);
const ROUTE_WINDOW = 500;
const ONLY = process.env.BENCH_ONLY?.split(',');
const runs = (workload: string) => ONLY === undefined || ONLY.includes(workload);
const CALLGRIND = process.env.BENCH_CALLGRIND === '1';
const INGESTED = Number(process.env.BENCH_INGESTED ?? 10_000);

/** Measures one stretch of a hub's work: CPU µs from /proc, or instructions from callgrind. */
interface Meter {
  start(): void;
  stop(): number;
}
const cpuMeter = (pid: number): Meter => {
  let t0 = 0;
  return { start: () => void (t0 = procCpuMicros(pid)), stop: () => procCpuMicros(pid) - t0 };
};
const callgrindMeter = (pid: number, outFile: string): Meter => {
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });
  return {
    start: () => {
      control('--zero');
      control('--instr=on');
    },
    stop: () => {
      control('--instr=off');
      control('--dump');
      const dir = path.dirname(outFile);
      const dumps = readdirSync(dir)
        .filter((f) => f.startsWith(`${path.basename(outFile)}.`))
        .sort((x, y) => Number(x.split('.').pop()) - Number(y.split('.').pop()));
      const text = readFileSync(path.join(dir, dumps.at(-1)!), 'utf8');
      return Number(/^totals: (\d+)/m.exec(text)![1]);
    },
  };
};
const valgrind = (outFile: string) => ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${outFile}`];

interface Hub {
  tree: string;
  meter: Meter;
  proc: ChildProcess;
  pid: number;
  port: number;
  ca: string;
  creds: { devices: Creds[]; modules: Record<'sender' | 'receiver', Creds> };
}

async function startHub(tree: string, stateDir: string): Promise<Hub> {
  const p = spawnSync(process.execPath, [runTs, path.join(here, 'compare-trees-child.ts'), 'provision', tree, stateDir], { encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`provisioning with ${tree} failed: ${p.stderr}`);
  const creds = JSON.parse(p.stdout) as Hub['creds'];
  const help = spawnSync(process.execPath, [path.join(tree, 'bin', 'edgemu.js'), 'hub', '--help'], { encoding: 'utf8' }).stdout;
  const amqp = help.includes('--amqps-port') ? ['--amqps-port', '0'] : [];
  const log = openSync(path.join(stateDir, 'hub.log'), 'a');
  const cgOut = path.join(stateDir, 'callgrind.out');
  const profile = process.env.BENCH_HUB_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(path.resolve(process.env.BENCH_HUB_PROFILE), path.basename(stateDir))] : [];
  const [cmd, ...args] = [...(CALLGRIND ? valgrind(cgOut) : []), process.execPath, ...profile, path.join(tree, 'bin', 'edgemu.js'), '--state-dir', stateDir, 'hub', '--mqtts-port', '0', ...amqp, '--https-port', '0', '--bind', '127.0.0.1', '--json'];
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', log] });
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`edgemu hub of ${tree} exited with ${code}; see ${stateDir}/hub.log`)));
  });
  const s = JSON.parse(first) as { pid: number; mqttsPort: number; caFile: string };
  const meter = CALLGRIND ? callgrindMeter(s.pid, cgOut) : cpuMeter(s.pid);
  return { tree, meter, proc, pid: s.pid, port: s.mqttsPort, ca: readFileSync(s.caFile, 'utf8'), creds };
}

async function ingest(load: LineChild, hub: Hub): Promise<number> {
  await load.ask({ cmd: 'connect', url: `mqtts://127.0.0.1:${hub.port}`, ca: hub.ca, clients: hub.creds.devices, payloadBytes: 128 });
  try {
    if (!CALLGRIND) {
      const r = await load.ask({ cmd: 'publish', seconds: SECONDS, warmup: 0.5, window: 32, payloadBytes: 128, brokerPid: hub.pid });
      return (r.brokerCpuMicros as number) / (r.acked as number);
    }
    await load.ask({ cmd: 'publish', total: 5000, window: 32 });
    hub.meter.start();
    await load.ask({ cmd: 'publish', total: INGESTED, window: 32 });
    return hub.meter.stop() / INGESTED;
  } finally {
    await load.ask({ cmd: 'close' });
  }
}

const connectModule = (hub: Hub, c: Creds): Promise<MqttClient> =>
  mqtt.connectAsync(`mqtts://127.0.0.1:${hub.port}`, { clientId: c.clientId, username: c.username, password: c.password, ca: hub.ca, servername: 'localhost', protocolVersion: 4, clean: false, reconnectPeriod: 0, keepalive: 180, connectTimeout: 300_000 });
const pad = 'x'.repeat(1000);
const OUTPUT_TOPIC = `devices/${EDGE}/modules/sender/messages/events/${encodeURIComponent('$.on')}=data&${encodeURIComponent('$.ct')}=${encodeURIComponent('application/json')}&${encodeURIComponent('$.ce')}=utf-8&kind=bench/`;

async function routing(hub: Hub): Promise<{ cpuPerMsg: number; rate: number }> {
  const receiver = await connectModule(hub, hub.creds.modules.receiver);
  let received = 0;
  receiver.on('message', () => {
    received += 1;
  });
  await receiver.subscribeAsync(`devices/${EDGE}/modules/receiver/inputs/#`, { qos: 1 });
  const sender = await connectModule(hub, hub.creds.modules.sender);
  const body = Buffer.from(JSON.stringify({ value: 42, pad }));
  const until = async (check: () => boolean, what: string) => {
    const end = Date.now() + (CALLGRIND ? 600_000 : 60_000);
    while (!check()) {
      if (Date.now() > end) throw new Error(`${hub.tree}: timed out waiting for ${what} (${received} received)`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all(Array.from({ length: 200 }, () => sender.publishAsync(OUTPUT_TOPIC, body, { qos: 1 })));
  await until(() => received >= 200, 'warm-up deliveries');
  received = 0;
  hub.meter.start();
  const t0 = performance.now();
  let sent = 0;
  let acked = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = () => {
      while (sent < ROUTED && sent - acked < ROUTE_WINDOW) {
        sent += 1;
        sender.publish(OUTPUT_TOPIC, body, { qos: 1 }, (error) => {
          if (error) return reject(error);
          acked += 1;
          if (acked === ROUTED) resolve();
          else pump();
        });
      }
    };
    pump();
  });
  await until(() => received >= ROUTED, 'all deliveries');
  const ms = performance.now() - t0;
  // The receiver's PUBACKs (and the queue deletes they cause) belong to the routed messages.
  await new Promise((r) => setTimeout(r, 300));
  const cpu = hub.meter.stop();
  await sender.endAsync();
  await receiver.endAsync();
  return { cpuPerMsg: cpu / ROUTED, rate: (ROUTED / ms) * 1000 };
}

function validate(tree: string, files: string[], dir: string): number {
  const child = (arg: string, cgOut?: string) => {
    const [cmd, ...args] = [...(cgOut ? [...valgrind(cgOut).filter((a) => a !== '--instr-atstart=no')] : []), process.execPath, runTs, path.join(here, 'compare-trees-child.ts'), 'validate', tree, arg, ...files];
    const r = spawnSync(cmd!, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`validate with ${tree} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as { validations: number; cpuMicros: number };
  };
  if (!CALLGRIND) {
    const o = child(String(SECONDS));
    return o.cpuMicros / o.validations;
  }
  const instructions = (passes: number) => {
    const out = path.join(dir, `validate-${passes}.callgrind`);
    child(`x${passes}`, out);
    return Number(/^totals: (\d+)/m.exec(readFileSync(out, 'utf8'))![1]);
  };
  const passes = 100;
  return (instructions(2 * passes) - instructions(passes)) / (passes * files.length);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[], d = 1) => `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
const rev = (tree: string) => spawnSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();

async function main(): Promise<void> {
  const trees = process.argv.slice(2).map((t) => path.resolve(t));
  if (trees.length !== 2 || !trees.every((t) => existsSync(path.join(t, 'bin', 'edgemu.js')))) {
    process.stderr.write('usage: compare-trees.ts OLD_TREE NEW_TREE (two edgemu checkouts with node_modules)\n');
    process.exit(2);
  }
  const [a, b] = trees as [string, string];
  const examples = (t: string) => readdirSync(path.join(t, 'deployments', 'examples')).filter((f) => f.endsWith('.json'));
  const common = examples(a).filter((f) => examples(b).includes(f)).sort();
  const files = common.map((f) => path.join(b, 'deployments', 'examples', f));
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-compare-'));
  const hubs: Hub[] = [];
  const load = lineChild(spawn(process.execPath, [runTs, path.join(here, 'mqtt-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const results = new Map<string, number[]>();
  const add = (key: string, v: number) => results.set(key, [...(results.get(key) ?? []), v]);
  const load0 = loadavg()[0]!;
  try {
    for (const [i, t] of trees.entries()) {
      const s = path.join(dir, `tree${i}`);
      hubs.push(await startHub(t, s));
    }
    process.stdout.write(`machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, ${new Date().toISOString()}\n`);
    process.stdout.write(`old ${rev(a)} (${a}), new ${rev(b)} (${b}); ${ROUNDS} rounds, order alternating; validate over ${common.join(', ')}\n\n`);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      if (runs('ingest')) for (const i of order) add(`ingest|${i}`, await ingest(load, hubs[i]!));
      if (runs('routing'))
        for (const i of order) {
          const r = await routing(hubs[i]!);
          add(`route|${i}`, r.cpuPerMsg);
          add(`rate|${i}`, r.rate);
        }
      if (runs('validate')) for (const i of order) add(`validate|${i}`, validate(trees[i]!, files, dir));
      process.stderr.write(`round ${round + 1}: ${[...results.entries()].map(([k, v]) => `${k}=${v.at(-1)!.toFixed(1)}`).join(' ')}\n`);
    }
    const rows: string[][] = [['workload', 'old', 'new', 'new / old (medians)']];
    const row = (name: string, key: string, d = 1) => {
      const [o, n] = [results.get(`${key}|0`), results.get(`${key}|1`)];
      if (!o || !n) return;
      rows.push([name, spread(o, d), spread(n, d), `${(median(n) / median(o)).toFixed(2)}×`]);
    };
    const unit = CALLGRIND ? 'thousand instructions' : 'CPU µs';
    if (CALLGRIND) for (const [key, v] of results) if (key !== 'rate|0' && key !== 'rate|1') results.set(key, v.map((x) => x / 1000));
    row(`hub ingest: hub ${unit} per acked QoS 1 TLS message (10 devices)`, 'ingest');
    row(`routing: hub ${unit} per routed module→module message`, 'route');
    if (!CALLGRIND) row('routing: sender → receiver msg/s (wall clock)', 'rate', 0);
    row(`validate: ${unit} per example deployment (parse + validate)`, 'validate');
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    rows.forEach((r, j) => {
      process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |\n`);
      if (j === 0) process.stdout.write(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|\n`);
    });
    process.stdout.write(`\n(median of ${ROUNDS} rounds, min–max in brackets; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)})\n`);
  } finally {
    load.child.kill();
    for (const h of hubs) h.proc.kill('SIGINT');
    await Promise.all(hubs.map((h) => new Promise((r) => (h.proc.exitCode !== null ? r(null) : h.proc.once('exit', r)))));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
