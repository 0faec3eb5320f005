/**
 * Hub ingest next to mosquitto, like for like (`npm run bench -- hub`; docs/hub.md "Performance"):
 * - the hub is its own process started as a user starts it (`node bin/edgemu.js hub …`);
 *   mosquitto (Debian's, installed with apt-get when missing; skipped with a message when that
 *   fails) runs with persistence off, one listener over TLS with an EC P-256 certificate this
 *   benchmark makes and one plain TCP listener. The hub's certificate is EC P-256 too.
 * - one load generator (bench/mqtt-load.ts, its own process) for all three targets: the same
 *   client ids and topics, 128 B QoS 1 PUBLISHes, 32 unacknowledged per client, 1/10/100
 *   clients, every CONNACK awaited before the clock starts; no subscriber on either side.
 * - runs are interleaved (round × clients × target) and reported as medians with min–max:
 *   msg/s, p50/p99 ack latency, broker CPU µs per acknowledged message (/proc/PID/stat), and
 *   the load generator's own CPU share, flagged when it is the bottleneck. Ratios come last.
 * - RSS per idle TLS connection, measured first on the fresh brokers: 2,000 SDK-like clients
 *   (CONNECT + 3 SUBSCRIBE filters) on each broker, VmRSS before and after; the same on a bare
 *   Node TLS server that only answers CONNACK/SUBACK (bench/hub-tls-floor.ts), the floor of
 *   any broker on Node's TLS.
 * Knobs: BENCH_ROUNDS (3), BENCH_SECONDS (3), BENCH_CLIENTS ("1,10,100"), BENCH_IDLE_CLIENTS
 * (2000), BENCH_ONLY (ingest | rss), BENCH_HUB_PROFILE=DIR (the hub writes a CPU profile there).
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDevices } from './hub-devices.js';
import { startHubProcess } from './hub-process.js';
import { lineChild } from './line-child.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CLIENT_COUNTS = (process.env.BENCH_CLIENTS ?? '1,10,100').split(',').map(Number);
const IDLE_CLIENTS = Number(process.env.BENCH_IDLE_CLIENTS ?? 2000);
const ONLY = process.env.BENCH_ONLY;
const WINDOW = 32;
const PAYLOAD = 128;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
const waitForPort = async (port: number) => {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true))).once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
};
const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** An EC P-256 certificate for localhost/127.0.0.1 (as the hub's), `<name>-cert.pem` and `<name>-key.pem` in `dir`. */
function makeCert(dir: string, name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}-cert.pem`);
  const key = path.join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

/** bench/hub-tls-floor.ts: Node's TLS server with no broker behind it (the floor of RSS per connection for a Node broker). */
async function startTlsFloor(dir: string): Promise<{ proc: ChildProcess; target: Target }> {
  const { cert, key } = makeCert(dir, 'floor');
  const proc = spawn(process.execPath, [path.join(repo, 'bin', 'run-ts.js'), path.join(here, 'hub-tls-floor.ts'), cert, key], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString()));
    proc.once('exit', (code) => reject(new Error(`hub-tls-floor.ts exited with ${code}`)));
  });
  const { port } = JSON.parse(line) as { port: number };
  return { proc, target: { name: 'Node TLS alone', url: `mqtts://127.0.0.1:${port}`, ca: readFileSync(cert, 'utf8'), pid: proc.pid! } };
}

/** Debian's mosquitto with a TLS (EC P-256) and a plain listener, persistence off; undefined with the reason printed when unavailable. */
async function startMosquitto(dir: string): Promise<{ proc: ChildProcess; version: string; tlsPort: number; plainPort: number; ca: string } | undefined> {
  if (!existsSync('/usr/sbin/mosquitto')) {
    try {
      process.stdout.write('mosquitto not installed; installing the Debian package (apt-get install -y mosquitto) …\n');
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'mosquitto'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch (error) {
      process.stdout.write(`mosquitto skipped: apt-get install mosquitto failed (${(error as Error).message.split('\n')[0]}); install it (as root: apt-get install -y mosquitto) to compare\n`);
      return undefined;
    }
  }
  const { cert, key } = makeCert(dir, 'mosq');
  const [tlsPort, plainPort] = [await freePort(), await freePort()];
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`user root`, `persistence false`, `log_type error`, `per_listener_settings false`, `allow_anonymous true`, `max_connections -1`, `listener ${tlsPort} 127.0.0.1`, `certfile ${cert}`, `keyfile ${key}`, `listener ${plainPort} 127.0.0.1`, ''].join('\n'),
  );
  const proc = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitForPort(tlsPort);
  const version = /mosquitto version (\S+)/.exec(spawnSync('/usr/sbin/mosquitto', ['-h'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  return { proc, version, tlsPort, plainPort, ca: readFileSync(cert, 'utf8') };
}

interface Target {
  name: string;
  url: string;
  ca?: string;
  pid: number;
}
interface Run {
  rate: number;
  p50: number;
  p99: number;
  cpuPerMsg: number;
  loadShare: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[], f: (x: number) => string) => `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})`;
const k = (x: number) => `${(x / 1000).toFixed(1)}k`;
const ms = (x: number) => x.toFixed(2);
const us = (x: number) => x.toFixed(1);
const table = (rows: string[][]) => {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  rows.forEach((r, j) => {
    process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |\n`);
    if (j === 0) process.stdout.write(`|${w.map((n) => '-'.repeat(n + 2)).join('|')}|\n`);
  });
};

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-'));
  const pubNames = Array.from({ length: Math.max(...CLIENT_COUNTS) }, (_, i) => `pub${i}`);
  const idleNames = ONLY === 'ingest' ? [] : Array.from({ length: IDLE_CLIENTS }, (_, i) => `idle${i}`);
  const devices = await makeDevices(dir, [...pubNames, ...idleNames]);
  const hub = await startHubProcess(dir, process.env.BENCH_HUB_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(process.env.BENCH_HUB_PROFILE)] : []);
  const mosq = await startMosquitto(dir).catch((error: unknown) => {
    hub.proc.kill('SIGTERM');
    throw error;
  });
  const load = lineChild(spawn(process.execPath, [path.join(repo, 'bin', 'run-ts.js'), path.join(here, 'mqtt-load.ts')], { stdio: ['pipe', 'pipe', 'inherit'] }));
  const targets: Target[] = [{ name: 'edgemu TLS', url: `mqtts://127.0.0.1:${hub.mqttsPort}`, ca: hub.ca, pid: hub.pid }];
  if (mosq) targets.push({ name: `mosquitto TLS`, url: `mqtts://127.0.0.1:${mosq.tlsPort}`, ca: mosq.ca, pid: mosq.proc.pid! }, { name: `mosquitto plain`, url: `mqtt://127.0.0.1:${mosq.plainPort}`, pid: mosq.proc.pid! });
  const load0 = loadavg()[0]!;
  let cipher = '';
  try {
    process.stdout.write(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at start, ${new Date().toISOString()}\n`);
    process.stdout.write(`mosquitto: ${mosq ? mosq.version : 'not available'}; ${ROUNDS} interleaved rounds × ${SECONDS} s per run (0.5 s warm-up), ${PAYLOAD} B QoS 1, ${WINDOW} in flight per client\n\n`);
    // RSS first, on fresh brokers: after the ingest runs the hub's heap has free room that would hide what new connections take.
    let rss: { hub: number; mosq?: number; floor?: number } | undefined;
    if (ONLY !== 'ingest') {
      const idle = idleNames.map((d) => devices.get(d)!);
      const measure = async (t: Target) => {
        const before = rssKb(t.pid);
        await load.ask({ cmd: 'connect', url: t.url, ca: t.ca, clients: idle, payloadBytes: PAYLOAD });
        await new Promise((r) => setTimeout(r, 3000));
        const after = rssKb(t.pid);
        await load.ask({ cmd: 'close' });
        await new Promise((r) => setTimeout(r, 1000));
        return ((after - before) * 1024) / idle.length;
      };
      rss = { hub: await measure(targets[0]!) };
      if (mosq) rss.mosq = await measure(targets[1]!);
      const floor = await startTlsFloor(dir);
      try {
        rss.floor = await measure(floor.target);
      } finally {
        floor.proc.kill();
      }
      table([
        ['RSS per idle TLS connection', `${IDLE_CLIENTS} clients`],
        ['edgemu', `${(rss.hub / 1024).toFixed(1)} KB`],
        ...(rss.mosq !== undefined ? [['mosquitto', `${(rss.mosq / 1024).toFixed(1)} KB`]] : []),
        ['Node TLS server alone (no broker: bench/hub-tls-floor.ts)', `${(rss.floor / 1024).toFixed(1)} KB`],
      ]);
      process.stdout.write('\n');
    }
    const runs = new Map<string, Run[]>();
    if (ONLY !== 'rss') {
      for (let round = 0; round < ROUNDS; round++) {
        for (const n of CLIENT_COUNTS) {
          for (const t of targets) {
            const clients = pubNames.slice(0, n).map((d) => ({ ...devices.get(d)!, subscribe: [] }));
            const c = await load.ask({ cmd: 'connect', url: t.url, ca: t.ca, clients, payloadBytes: PAYLOAD });
            if (t.ca) cipher = String(c.cipher);
            const r = await load.ask({ cmd: 'publish', seconds: SECONDS, warmup: 0.5, window: WINDOW, payloadBytes: PAYLOAD, brokerPid: t.pid });
            await load.ask({ cmd: 'close' });
            const acked = r.acked as number;
            const run: Run = { rate: (acked / (r.ms as number)) * 1000, p50: r.p50 as number, p99: r.p99 as number, cpuPerMsg: (r.brokerCpuMicros as number) / acked, loadShare: (r.loadCpuMicros as number) / ((r.ms as number) * 1000) };
            const key = `${t.name}|${n}`;
            runs.set(key, [...(runs.get(key) ?? []), run]);
            process.stderr.write(`round ${round + 1} ${t.name} ${n} clients: ${k(run.rate)} msg/s, p99 ${ms(run.p99)} ms, ${us(run.cpuPerMsg)} µs/msg, load generator ${(run.loadShare * 100).toFixed(0)}% CPU\n`);
          }
        }
      }
      process.stdout.write(`TLS: ${cipher}\n\n`);
      const rows = [['target', 'clients', 'msg/s', 'p50 ack ms', 'p99 ack ms', 'broker CPU µs/msg', 'load generator CPU']];
      for (const n of CLIENT_COUNTS)
        for (const t of targets) {
          const rs = runs.get(`${t.name}|${n}`)!;
          const share = median(rs.map((r) => r.loadShare));
          rows.push([t.name, String(n), spread(rs.map((r) => r.rate), k), spread(rs.map((r) => r.p50), ms), spread(rs.map((r) => r.p99), ms), spread(rs.map((r) => r.cpuPerMsg), us), `${(share * 100).toFixed(0)}%${share > 0.85 ? ' (bottleneck)' : ''}`]);
        }
      table(rows);
      process.stdout.write('\n(median of the runs, min–max in brackets; "bottleneck": the load generator used > 85% of a core, so the broker was not saturated)\n\n');
    }
    if (mosq) {
      process.stdout.write(`edgemu / mosquitto (medians; load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)}):\n`);
      const rows = [['clients', 'msg/s vs TLS', 'msg/s vs plain', 'CPU/msg vs TLS', 'p99 vs TLS']];
      if (ONLY !== 'rss')
        for (const n of CLIENT_COUNTS) {
          const m = (name: string, f: (r: Run) => number) => median(runs.get(`${name}|${n}`)!.map(f));
          const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
          rows.push([String(n), ratio(m('edgemu TLS', (r) => r.rate), m('mosquitto TLS', (r) => r.rate)), ratio(m('edgemu TLS', (r) => r.rate), m('mosquitto plain', (r) => r.rate)), ratio(m('edgemu TLS', (r) => r.cpuPerMsg), m('mosquitto TLS', (r) => r.cpuPerMsg)), ratio(m('edgemu TLS', (r) => r.p99), m('mosquitto TLS', (r) => r.p99))]);
        }
      if (rows.length > 1) table(rows);
      if (rss?.mosq) process.stdout.write(`RSS per idle TLS connection: ${(rss.hub / rss.mosq).toFixed(2)}× (Node's TLS server alone: ${((rss.floor ?? 0) / rss.mosq).toFixed(2)}×)\n`);
    }
  } finally {
    load.child.kill();
    hub.proc.kill('SIGTERM');
    mosq?.proc.kill('SIGTERM');
    await new Promise((r) => hub.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
