/**
 * `npm run soak`: the hub under slow, stalled and greedy clients, as a user runs it
 * (`edgemu hub` in its own process), over loopback only, in a few minutes. It is an
 * acceptance test with pass/fail criteria rather than a speed benchmark, so it lives with the
 * tests (test/soak) but outside vitest's projects: it needs minutes and thousands of sockets.
 *
 * While a well-behaved device publishes QoS 1 telemetry from its own process throughout, it
 *  1. connects 2,000 devices, 100 per second, and keeps them connected;
 *  2. opens 2,000 slowloris TCP connections to the MQTT listener that never start TLS — all
 *     must be closed within the handshake timeout (10 s);
 *  3. starts, one per second, devices that each send 20,000 twin GETs of a ~28 KB twin and never
 *     read — each must be cut off at the write limit, with hub RSS growing < 50 MB;
 *  4. holds 2,000 idle sockets on the service API (half never start TLS) while fresh
 *     authenticated requests must be served, and sends oversized bodies that must get 413;
 *  5. lets every attacker go: the hub must hold exactly the sockets it held at the baseline
 *     (the 2,000 devices connected, before the first attacker) and give back what the attackers
 *     cost (below).
 * Steps 2-5 run twice (`ATTACK_ROUNDS`): a leak grows with every round, memory the allocator
 * keeps for reuse does not. After each round, against the baseline: the V8 heap used and the
 * external memory (Buffers) after a full GC within `LIVE_HEAP_MARGIN_MB` / `LIVE_EXTERNAL_MARGIN_MB`.
 * Resident memory, which V8 and glibc keep after a free for reuse, against the round before:
 * from the first round to the second the C heap (glibc's main arena: TLS state, socket buffers)
 * may grow by at most `C_HEAP_ROUND_GROWTH_MB`, the RSS outside it and outside V8's heap (whose
 * committed pages V8 keeps or frees as it likes; what it holds live is checked after a full GC)
 * by at most 10%. Each resident figure is the lowest over `SETTLE_SECONDS`.
 * Throughout, the well-behaved device's ack p99 must stay < 50 ms, and after the hub stops,
 * every acknowledged message must be in the store. The device sends at one rate in every phase
 * (one message, then 20 ms), and every phase, its attack included, lasts at least
 * `MIN_PHASE_MS`: its p99 is taken over some 400 acks or more, not over a few dozen of which it
 * would be the slowest.
 * The load generator — this process: the 2,000 devices, every attacker, the service requests —
 * runs at a lower CPU priority (`nice` +10, all of its threads) than the hub and the
 * well-behaved device, which keep the priority the soak was started with: on a real deployment
 * the attackers are other machines, here they share the hub's CPUs (docs/hub.md "Tests and
 * benchmarks"). The hub gets nothing else: same flags, same launcher as `edgemu hub`.
 * The hub runs with twin-GET throttling off (`--limit twinGetsPerSecond=0`) so step 3 exercises
 * the write limit itself (the throttle is tested in test/integration/hub/slow-clients.test.ts).
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { createSasToken, openHubStore } from '../../runtime/hub/index.js';
import { publishQos0, rawDeviceConnect } from '../helpers/raw-mqtt.js';

/** How much lower the load generator's CPU priority is than the hub's and the well-behaved device's. */
const LOAD_GENERATOR_NICENESS = 10;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEVICES = 2000;
const SLOWLORIS = 2000;
const IDLE_SERVICE = 2000;
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Device connections started per second (IoT Hub S1: 100 new connections per second per unit). */
const CONNECTS_PER_SECOND = 100;
/** Shortest phase: the well-behaved device's acks of a phase are measured over at least this long. */
const MIN_PHASE_MS = 10_000;
/** Never-reading twin-GET clients started per second in step 3, so the step is the same on a fast or a busy machine. */
const STALLED_PER_SECOND = 1;
/** How many times steps 2-5 (the attacks) run. */
const ATTACK_ROUNDS = 2;
/** Memory is read once a second for this long after the attackers leave; the lowest reading counts. */
const SETTLE_SECONDS = 10;
/** How long the hub has to close every attacker's socket once they leave. */
const SOCKETS_CLOSE_SECONDS = 30;
/** V8 heap used after a full GC may exceed the baseline's by this much (the device's stored-message bookkeeping, caches). */
const LIVE_HEAP_MARGIN_MB = 3;
/** External memory (Buffers) after a full GC may exceed the baseline's by this much: a round opens 4,010 attacking connections, so a leak of 1 KB per connection (4 MB a round) crosses it in the first round. */
const LIVE_EXTERNAL_MARGIN_MB = 2;
/**
 * From one round to the next the C heap may grow by this much: a round opens 4,010 attacking
 * connections, so a native leak of 5 KB or more per connection crosses it.
 */
const C_HEAP_ROUND_GROWTH_MB = 20;
const MB = 1024 * 1024;

interface HubStats {
  t: number;
  delayMaxMs: number;
  delayP99Ms: number;
  cpuMs: number;
  gcMaxMs: number;
  gcMaxKind: string;
  gcMs: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** The hub's open TCP sockets (accepted connections). */
  sockets: number;
  /** A line written on SIGUSR2 right after a full GC (memory and sockets only). */
  afterGc?: boolean;
}
/** What the hub's memory settles at: MB, each the lowest over `SETTLE_SECONDS`. */
interface Settled {
  /** RSS outside the C heap and V8's heap: code, stacks, other threads' allocator arenas, mappings. */
  restOfRss: number;
  cHeap: number;
}
const mb = (bytes: number) => (bytes / MB).toFixed(1);

interface Hello {
  mqttsPort: number;
  httpsPort: number;
  caFile: string;
  pid: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stdout.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

/**
 * Lowers this process's CPU priority by `by` (nice(1)): every thread it has now (on Linux
 * `setpriority` applies to one thread, nodejs.org/api/os.html#ossetprioritypid-priority takes a
 * thread id from /proc/self/task) and, inherited, every thread and child it starts later.
 * Children started before keep the old priority. Returns the old and the new niceness.
 */
function lowerOwnPriority(by: number): { from: number; to: number } {
  const from = os.getPriority();
  const to = Math.min(19, from + by);
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      os.setPriority(Number(tid), to);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return { from, to };
}

/** A process's niceness as the kernel reports it (proc(5): field 19 of /proc/PID/stat). */
function nicenessOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/**
 * How much of a process's RSS is the C allocator's main heap: the `[heap]` mapping of
 * /proc/PID/smaps (proc(5)), where glibc's main arena keeps what the main thread allocates
 * natively (OpenSSL's TLS state, Node's socket buffers, SQLite) — and keeps it resident after
 * a free until the top of the heap is free.
 */
function cHeapMb(pid: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const at = smaps.search(/ \[heap\]\n/);
  if (at < 0) return 0;
  const m = /\nRss:\s+(\d+) kB/.exec(smaps.slice(at));
  return m ? Number(m[1]) / 1024 : 0;
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * The lowest C heap, and the lowest RSS outside it and outside V8's heap (`v8HeapMb`: what V8 has
 * committed, from the hub's latest stats line), read once a second for `seconds`.
 */
async function settled(pid: number, seconds: number, v8HeapMb: () => number): Promise<Settled> {
  let restOfRss = Number.POSITIVE_INFINITY;
  let cHeap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < seconds; i++) {
    if (i > 0) await sleep(1000);
    const heap = cHeapMb(pid);
    restOfRss = Math.min(restOfRss, rssMb(pid) - heap - v8HeapMb());
    cHeap = Math.min(cHeap, heap);
  }
  return { restOfRss, cHeap };
}

// ---- the well-behaved device, in its own process so the soak's own load does not skew it -----
async function probe(): Promise<void> {
  const [port, ca, key] = [Number(process.env.SOAK_PORT), readFileSync(process.env.SOAK_CA!, 'utf8'), process.env.SOAK_KEY!];
  const client = await mqtt.connectAsync(`mqtts://localhost:${port}`, {
    ca,
    clientId: 'good',
    username: `localhost:${port}/good/?api-version=2021-04-12`,
    password: createSasToken(`localhost:${port}/devices/good`, key, Math.floor(Date.now() / 1000) + 3600),
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  let seq = 0;
  let stopping = false;
  const latencies: number[] = [];
  const acked: number[] = [];
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'report') {
      process.send!({ latencies: latencies.splice(0), acked: acked.length });
    } else if (m.cmd === 'stop') stopping = true;
  });
  while (!stopping) {
    const n = ++seq;
    const t0 = performance.now();
    try {
      await client.publishAsync('devices/good/messages/events/', JSON.stringify({ n }), { qos: 1 });
      latencies.push(performance.now() - t0);
      acked.push(n);
    } catch (e) {
      process.send!({ error: (e as Error).message });
    }
    await sleep(20);
  }
  await client.endAsync();
  process.send!({ done: true, ackedSeqs: acked });
}

function p99(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))]!;
}

async function main(): Promise<void> {
  const fdLimit = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  const needed = 2 * (DEVICES + SLOWLORIS + IDLE_SERVICE) + 1000;
  if (fdLimit < needed) throw new Error(`open-file limit ${fdLimit} is below the ${needed} this soak needs: run it with \`npm run soak\` (which raises it) or \`ulimit -n ${needed}\``);

  const stateDir = mkdtempSync(path.join(tmpdir(), 'edgemu-soak-'));
  // The hub's own view (test/soak/hub-stats.mjs): event-loop delay, CPU and memory split.
  const statsFile = path.join(stateDir, 'hub-stats.jsonl');
  let statsFrom = 0;
  const readStats = () => readFileSync(statsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HubStats);
  const hubStats = (advance = true) => {
    const lines = readStats().filter((l) => !l.afterGc);
    const phase = lines.filter((l) => l.t > statsFrom);
    if (advance) statsFrom = lines.at(-1)?.t ?? statsFrom;
    return { phase, last: lines.at(-1)! };
  };
  /** The hub's memory right after a full GC (SIGUSR2 to test/soak/hub-stats.mjs). */
  const liveMemory = async (pid: number): Promise<HubStats> => {
    const since = Date.now();
    process.kill(pid, 'SIGUSR2');
    for (let i = 0; i < 100; i++) {
      await sleep(100);
      const line = readStats().findLast((l) => l.afterGc && l.t >= since);
      if (line) return line;
    }
    throw new Error('the hub wrote no memory figures within 10 s of SIGUSR2');
  };
  const store = openHubStore({ stateDir });
  const keys = new Map<string, string>();
  for (const id of ['good', 'stalled', ...Array.from({ length: DEVICES }, (_, i) => `d${i}`)]) keys.set(id, store.identities.createDevice(id).primaryKey);
  store.twins.patchDesired({ deviceId: 'stalled' }, Object.fromEntries(Array.from({ length: 7 }, (_, i) => [`blob${i}`, 'x'.repeat(4000)])));
  const policy = store.identities.servicePolicy();
  store.close();

  // The hub as a user starts it.
  const hub: ChildProcess = spawn(
    process.execPath,
    // SOAK_HUB_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the hub process.
    [...(process.env.SOAK_HUB_NODE_ARGS?.split(' ').filter(Boolean) ?? []), '--import', path.join(ROOT, 'test/soak/hub-stats.mjs'), path.join(ROOT, 'bin/edgemu.js'), '--state-dir', stateDir, '--log-level', 'warn', 'hub', '--mqtts-port', '0', '--amqps-port', '0', '--https-port', '0', '--bind', '127.0.0.1', '--json', '--limit', 'twinGetsPerSecond=0'],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SOAK_HUB_STATS: statsFile } },
  );
  const hello = await new Promise<Hello>((resolve, reject) => {
    let out = '';
    let ready = false;
    hub.stdout!.on('data', (d: Buffer) => {
      // After its first line (the JSON hello), what the hub prints goes to stderr (e.g. the
      // output of `SOAK_HUB_NODE_ARGS=--trace-gc`).
      if (ready) return void process.stderr.write(d);
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      ready = true;
      resolve(JSON.parse(line) as Hello);
    });
    hub.once('exit', (code) => reject(new Error(`edgemu hub exited with ${code} before listening`)));
  });
  const ca = readFileSync(hello.caFile, 'utf8');
  const { mqttsPort, httpsPort } = hello;
  const auth = createSasToken('localhost', policy.primaryKey, Math.floor(Date.now() / 1000) + 3600, policy.name);
  log(`hub pid ${hello.pid}: MQTT ${mqttsPort}, HTTPS ${httpsPort}, state ${stateDir}, open-file limit ${fdLimit}`);

  const probeProc = fork(fileURLToPath(import.meta.url), ['--probe'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SOAK_PORT: String(mqttsPort), SOAK_CA: hello.caFile, SOAK_KEY: keys.get('good')! },
  });
  probeProc.on('message', (m: { error?: string }) => m.error && log(`probe: ${m.error}`));
  // The hub and the well-behaved device are started: from here on this process is the load generator.
  const nice = lowerOwnPriority(LOAD_GENERATOR_NICENESS);
  log(`load generator (this process: ${DEVICES} devices, the attackers, the service requests) at nice ${nicenessOf(process.pid)} (was ${nice.from}); hub (pid ${hello.pid}) at nice ${nicenessOf(hello.pid)} and well-behaved device (pid ${probeProc.pid}) at nice ${nicenessOf(probeProc.pid!)} — on one machine the attackers stand in for other machines`);
  const report = () =>
    new Promise<{ latencies: number[]; acked: number }>((resolve) => {
      const on = (m: { latencies?: number[]; acked: number }) => {
        if (!m.latencies) return;
        probeProc.off('message', on);
        resolve(m as { latencies: number[]; acked: number });
      };
      probeProc.on('message', on);
      probeProc.send({ cmd: 'report' });
    });
  const phaseP99 = async (name: string) => {
    const r = await report();
    const v = p99(r.latencies);
    // Whether the hub's own loop was blocked, or the hub was waiting for a CPU (machine load).
    const { phase } = hubStats();
    const secs = phase.length / 4;
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    const longestGc = phase.reduce((a, x) => (x.gcMaxMs > a.gcMaxMs ? x : a), phase[0]!);
    log(`  hub during "${name}": event-loop delay max ${Math.max(...phase.map((x) => x.delayMaxMs)).toFixed(1)} ms, p99 of 250 ms windows ${p99(phase.map((x) => x.delayP99Ms)).toFixed(1)} ms; longest GC pause ${longestGc.gcMaxMs.toFixed(1)} ms (${longestGc.gcMaxKind}; GC ${phase.reduce((a, x) => a + x.gcMs, 0).toFixed(0)} ms in all); hub CPU ${(phase.reduce((a, x) => a + x.cpuMs, 0) / 10 / secs).toFixed(0)}% of one core over ${secs.toFixed(1)} s; machine load average ${load}; hub RSS now ${rssMb(hello.pid).toFixed(1)} MB (C heap ${cHeapMb(hello.pid).toFixed(1)} MB)`);
    check(v < 50, `${name}: well-behaved device ack p99 ${v.toFixed(1)} ms < 50 ms (${r.latencies.length} acks)`);
  };

  const request = (method: string, p: string, body?: Buffer) =>
    new Promise<number>((resolve) => {
      const req = https.request({ host: '127.0.0.1', servername: 'localhost', port: httpsPort, ca, method, path: `${p}?api-version=2021-04-12`, agent: false, headers: { authorization: auth, 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(body);
    });
  const connectionState = async (id: string) =>
    new Promise<string>((resolve) => {
      https
        .get({ host: '127.0.0.1', servername: 'localhost', port: httpsPort, ca, path: `/devices/${id}?api-version=2021-04-12`, agent: false, headers: { authorization: auth } }, (res) => {
          let t = '';
          res.on('data', (d: Buffer) => (t += d.toString()));
          res.on('end', () => resolve((JSON.parse(t) as { connectionState: string }).connectionState));
        })
        .on('error', () => resolve('?'));
    });

  await sleep(3000);
  await report(); // warm-up acks are not counted
  hubStats();
  log(`hub RSS at start ${rssMb(hello.pid).toFixed(1)} MB`);

  // 1. Thousands of connections, at a fixed rate whatever the machine: CONNECTS_PER_SECOND
  // (IoT Hub S1's new-connection quota per unit: learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling),
  // started on a schedule in batches of 10 without waiting for earlier ones.
  const devices: tls.TLSSocket[] = [];
  let refused = 0;
  const connecting: Array<Promise<void>> = [];
  const connectStart = Date.now();
  for (let i = 0; i < DEVICES; i += 10) {
    await sleep(Math.max(0, connectStart + (i / CONNECTS_PER_SECOND) * 1000 - Date.now()));
    for (let j = i; j < Math.min(i + 10, DEVICES); j++) {
      connecting.push(
        rawDeviceConnect({ port: mqttsPort, ca, deviceId: `d${j}`, key: keys.get(`d${j}`)!, keepAliveSecs: 600 }).then(
          (b) => {
            if (b.returnCode === 0) devices.push(b.socket.on('error', () => {}));
            else refused++;
          },
          () => void refused++,
        ),
      );
    }
  }
  await Promise.all(connecting);
  log(`  ${DEVICES} devices connected in ${((Date.now() - connectStart) / 1000).toFixed(1)} s (started at ${CONNECTS_PER_SECOND} per second)`);
  check(devices.length === DEVICES, `${devices.length} of ${DEVICES} devices connected (${refused} refused)`);
  await phaseP99('2,000 devices connecting');
  // The baseline: the hub with its devices connected, before any attacker arrives.
  await sleep(3000);
  const v8HeapMb = () => hubStats(false).last.heapTotal / MB;
  const baseline = { ...(await settled(hello.pid, SETTLE_SECONDS, v8HeapMb)), live: await liveMemory(hello.pid), sockets: hubStats(false).last.sockets };
  log(`baseline with ${devices.length} devices connected: C heap ${baseline.cHeap.toFixed(1)} MB, rest of RSS (outside the C heap and V8's heap) ${baseline.restOfRss.toFixed(1)} MB (lowest over ${SETTLE_SECONDS} s); after a full GC V8 heap used ${mb(baseline.live.heapUsed)} of ${mb(baseline.live.heapTotal)} MB, external ${mb(baseline.live.external)} MB; ${baseline.sockets} open sockets`);
  const attackRound = async (round: number, before: Settled): Promise<Settled> => {
    const tag = ` (round ${round})`;

    // 2. Slowloris handshakes.
    const slow: Array<{ socket: net.Socket; opened: number; closedAfter?: number }> = [];
    for (let i = 0; i < SLOWLORIS; i += 100) {
      for (let j = 0; j < 100; j++) {
        const entry: { socket: net.Socket; opened: number; closedAfter?: number } = { socket: net.connect(mqttsPort, '127.0.0.1'), opened: Date.now() };
        entry.socket.on('error', () => {});
        entry.socket.once('close', () => (entry.closedAfter = Date.now() - entry.opened));
        slow.push(entry);
      }
      // Paced below the listen backlog (511): a SYN dropped from a full backlog is retried seconds later.
      await sleep(200);
    }
    await sleep(HANDSHAKE_TIMEOUT_MS + 2000);
    const closed = slow.filter((s) => s.closedAfter !== undefined && s.closedAfter <= HANDSHAKE_TIMEOUT_MS + 2000).length;
    check(closed === SLOWLORIS, `${closed} of ${SLOWLORIS} slowloris handshakes closed within the ${HANDSHAKE_TIMEOUT_MS / 1000} s timeout (+2 s)${tag}`);
    for (const s of slow) s.socket.destroy();
    await phaseP99(`slowloris${tag}`);

    // 3. Twin-GET clients that never read: a new one every second for the whole phase (one at a
    // time: a second connection of the identity would replace the first instead of being cut off).
    const stallStart = Date.now();
    const beforeStall = rssMb(hello.pid);
    let peakStall = beforeStall;
    let stalledClients = 0;
    let cutOff = 0;
    for (let n = 0; n * (1000 / STALLED_PER_SECOND) < MIN_PHASE_MS; n++) {
      await sleep(Math.max(0, stallStart + n * (1000 / STALLED_PER_SECOND) - Date.now()));
      const stalled = await rawDeviceConnect({ port: mqttsPort, ca, deviceId: 'stalled', key: keys.get('stalled')! });
      stalledClients++;
      stalled.socket.pause();
      stalled.socket.on('error', () => {});
      let closedByHub = false;
      stalled.socket.once('close', () => (closedByHub = true));
      for (let i = 0; i < 20_000 && !closedByHub; i += 1000) {
        stalled.socket.write(Buffer.concat(Array.from({ length: 1000 }, (_, j) => publishQos0(`$iothub/twin/GET/?$rid=${i + j}`))));
        peakStall = Math.max(peakStall, rssMb(hello.pid));
        await sleep(20);
      }
      for (let i = 0; i < 50 && !closedByHub; i++) {
        peakStall = Math.max(peakStall, rssMb(hello.pid));
        await sleep(200);
      }
      // The hub closed the socket, and the identity is disconnected (not merely a socket error).
      if (closedByHub && (await connectionState('stalled')) === 'Disconnected') cutOff++;
      peakStall = Math.max(peakStall, rssMb(hello.pid));
      stalled.socket.destroy();
    }
    await sleep(Math.max(0, MIN_PHASE_MS - (Date.now() - stallStart)));
    check(cutOff === stalledClients, `${cutOff} of ${stalledClients} never-reading twin-GET clients were disconnected at the write limit${tag}`);
    check(peakStall - beforeStall < 50, `hub RSS grew ${(peakStall - beforeStall).toFixed(1)} MB < 50 MB under the stalled readers${tag}`);
    await phaseP99(`stalled twin readers${tag}`);

    // 4. Idle sockets on the service API; fresh requests and oversized bodies meanwhile.
    const idleStart = Date.now();
    const idle: net.Socket[] = [];
    for (let i = 0; i < IDLE_SERVICE; i += 100) {
      for (let j = 0; j < 100; j++) {
        const s = j % 2 === 0 ? net.connect(httpsPort, '127.0.0.1') : tls.connect({ host: '127.0.0.1', port: httpsPort, ca, servername: 'localhost' });
        idle.push(s.on('error', () => {}));
      }
      await sleep(20);
    }
    await sleep(500);
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push(await request('GET', '/twins/good'));
    check(statuses.every((s) => s === 200), `fresh service requests served while ${IDLE_SERVICE} idle sockets are held: ${statuses.filter((s) => s === 200).length}/20${tag}`);
    const big = Buffer.alloc(4 * 1024 * 1024, 'a');
    const tooLarge: number[] = [];
    for (let i = 0; i < 5; i++) tooLarge.push(await request('PATCH', '/twins/good', big));
    check(tooLarge.every((s) => s === 413), `oversized bodies answered 413: ${tooLarge.join(',')}${tag}`);
    // The sockets stay open for the rest of the phase (the hub closes the ones that never start TLS at the handshake timeout).
    await sleep(Math.max(0, MIN_PHASE_MS - (Date.now() - idleStart)));
    await phaseP99(`idle service sockets${tag}`);

    // 5. The attackers leave (the devices stay). The hub must close every socket they opened...
    for (const s of idle) s.destroy();
    const attackersLeft = Date.now();
    let sockets = hubStats(false).last.sockets;
    for (let i = 0; i < SOCKETS_CLOSE_SECONDS * 4 && sockets !== baseline.sockets; i++) {
      await sleep(250);
      sockets = hubStats(false).last.sockets;
    }
    check(sockets === baseline.sockets, `hub holds ${sockets} open sockets after the attackers left, as many as at the baseline (${baseline.sockets})${tag}`);
    // ...and give back what it allocated for them. V8 and the allocator return memory lazily, so
    // each figure is the lowest over SETTLE_SECONDS.
    const after = await settled(hello.pid, SETTLE_SECONDS, v8HeapMb);
    const live = await liveMemory(hello.pid);
    log(`  hub memory after the attackers left${tag}: C heap ${after.cHeap.toFixed(1)} MB, rest of RSS ${after.restOfRss.toFixed(1)} MB (before this round ${before.cHeap.toFixed(1)} and ${before.restOfRss.toFixed(1)} MB); after a full GC V8 heap used ${mb(live.heapUsed)} of ${mb(live.heapTotal)} MB, external ${mb(live.external)} MB`);
    // The well-behaved device is measured for the whole phase after the attackers left.
    await sleep(Math.max(0, MIN_PHASE_MS - (Date.now() - attackersLeft)));
    // What V8 and Node hold (the JS heap, Buffers) is checked after a full GC, so a leak shows
    // as live objects, not as garbage a later collection would have taken.
    check(live.heapUsed <= baseline.live.heapUsed + LIVE_HEAP_MARGIN_MB * MB, `V8 heap used after a full GC ${mb(live.heapUsed)} MB within ${LIVE_HEAP_MARGIN_MB} MB of the baseline's ${mb(baseline.live.heapUsed)} MB${tag}`);
    check(live.external <= baseline.live.external + LIVE_EXTERNAL_MARGIN_MB * MB, `external memory (Buffers) after a full GC ${mb(live.external)} MB within ${LIVE_EXTERNAL_MARGIN_MB} MB of the baseline's ${mb(baseline.live.external)} MB${tag}`);
    // Resident memory is compared round with round, not with the baseline: the first round
    // leaves pages that V8 and glibc keep for reuse and that a later round reuses (mallopt(3):
    // glibc's main arena is trimmed only from its top; V8 keeps committed heap pages), so it
    // stays above the baseline with no leak at all, while a leak adds the same again every round.
    if (round > 1) {
      check(after.cHeap <= before.cHeap + C_HEAP_ROUND_GROWTH_MB, `C heap after round ${round} ${after.cHeap.toFixed(1)} MB within ${C_HEAP_ROUND_GROWTH_MB} MB of what it was after round ${round - 1} (${before.cHeap.toFixed(1)} MB)`);
      check(after.restOfRss <= before.restOfRss * 1.1, `hub RSS outside the C heap and V8's heap after round ${round} ${after.restOfRss.toFixed(1)} MB within 10% of what it was after round ${round - 1} (${before.restOfRss.toFixed(1)} MB)`);
    }
    await phaseP99(`after the attackers left${tag}`);
    return after;
  };

  // Steps 2-5, the attacks, run ATTACK_ROUNDS times: memory a leak holds grows with every
  // round, memory the allocator keeps for reuse does not.
  const rounds: Settled[] = [];
  for (let round = 1; round <= ATTACK_ROUNDS; round++) rounds.push(await attackRound(round, rounds.at(-1) ?? baseline));
  log(`C heap: baseline ${baseline.cHeap.toFixed(1)} MB, after each round ${rounds.map((r) => r.cHeap.toFixed(1)).join(' / ')} MB; rest of RSS: baseline ${baseline.restOfRss.toFixed(1)} MB, after each round ${rounds.map((r) => r.restOfRss.toFixed(1)).join(' / ')} MB`);
  for (const d of devices) d.destroy();

  // Nothing acknowledged is lost.
  const ackedSeqs = await new Promise<number[]>((resolve) => {
    probeProc.on('message', (m: { done?: boolean; ackedSeqs?: number[] }) => m.done && resolve(m.ackedSeqs!));
    probeProc.send({ cmd: 'stop' });
  });
  hub.kill('SIGTERM');
  await new Promise((r) => hub.once('exit', r));
  const reopened = openHubStore({ stateDir });
  const stored = new Set(reopened.messages.read({ deviceId: 'good' }, 1_000_000).map((m) => (JSON.parse(m.body.toString()) as { n: number }).n));
  reopened.close();
  const lost = ackedSeqs.filter((n) => !stored.has(n));
  check(lost.length === 0, `${ackedSeqs.length} acknowledged, ${stored.size} stored, ${lost.length} acknowledged but lost`);
  rmSync(stateDir, { recursive: true, force: true });

  if (failures.length > 0) {
    log(`${failures.length} check(s) failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('all checks passed');
  process.exit(0);
}

if (process.argv.includes('--probe')) await probe();
else
  await main().catch((error: unknown) => {
    log(`soak aborted: ${(error as Error).stack ?? String(error)}`);
    process.exit(1);
  });
