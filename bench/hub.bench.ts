/**
 * Hub benchmarks (`npm run bench -- hub`), each printed as a table:
 * 1. RSS per idle TLS connection: 2,000 MQTT.js clients (in a separate load process, so the
 *    hub's RSS is measured alone) connected and subscribed like SDK clients.
 * 2. Desired-update delivery latency p50/p99 with 1,000 connected module clients.
 * 3. Telemetry ingest over TLS at QoS 1 with many clients (each message acknowledged only once
 *    durable in SQLite), next to Debian's mosquitto doing plain pub/sub (QoS 1, no TLS, no
 *    persistence) with the same load generator in the same run.
 * The same file is the load generator: `hub.bench.ts --role <name> <spec.json>` in a child.
 * (Over 400 lines on purpose: the load generator must be the same file the child re-runs.)
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqtt, { type MqttClient } from 'mqtt';

const here = path.dirname(fileURLToPath(import.meta.url));

interface ClientSpec {
  clientId: string;
  username?: string;
  password?: string;
}
interface LoadSpec {
  url: string;
  ca?: string;
  clients: ClientSpec[];
  /** idle: connect + subscribe and wait; desired: record desired-patch latency; publish: send QoS 1 telemetry */
  perClient?: number;
  window?: number;
  payloadBytes?: number;
  expectPatches?: number;
}

// ---------------------------------------------------------------- load generator (child role)

async function connectAll(spec: LoadSpec, concurrency = 50): Promise<MqttClient[]> {
  const clients: MqttClient[] = new Array(spec.clients.length);
  let next = 0;
  const worker = async () => {
    while (next < spec.clients.length) {
      const i = next++;
      const c = spec.clients[i]!;
      clients[i] = await mqtt.connectAsync(spec.url, {
        ...(spec.ca ? { ca: spec.ca } : {}),
        clientId: c.clientId,
        ...(c.username ? { username: c.username } : {}),
        ...(c.password ? { password: c.password } : {}),
        protocolVersion: 4,
        clean: false,
        keepalive: 180,
        reconnectPeriod: 0,
        connectTimeout: 60_000,
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return clients;
}

const send = (msg: unknown) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const waitForLine = () =>
  new Promise<string>((resolve) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) {
        process.stdin.off('data', onData);
        resolve(buf.slice(0, i));
      }
    };
    process.stdin.on('data', onData);
  });

async function runRole(role: string, specFile: string): Promise<void> {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LoadSpec;
  if (role === 'idle') {
    const clients = await connectAll(spec);
    await Promise.all(clients.map((c, i) => c.subscribeAsync(['$iothub/twin/res/#', '$iothub/methods/POST/#', `devices/${spec.clients[i]!.clientId}/messages/devicebound/#`])));
    send({ connected: clients.length });
    await waitForLine();
    await Promise.all(clients.map((c) => c.endAsync(true)));
  } else if (role === 'desired') {
    const clients = await connectAll(spec);
    const latencies: number[] = [];
    let done: () => void;
    const finished = new Promise<void>((r) => (done = r));
    for (const c of clients) {
      c.on('message', (_topic, payload) => {
        const sentAt = (JSON.parse(payload.toString()) as { sentAt: number }).sentAt;
        latencies.push(performance.timeOrigin + performance.now() - sentAt);
        if (latencies.length === spec.expectPatches) done();
      });
    }
    await Promise.all(clients.map((c) => c.subscribeAsync('$iothub/twin/PATCH/properties/desired/#')));
    send({ connected: clients.length });
    await finished;
    send({ latencies });
    await Promise.all(clients.map((c) => c.endAsync(true)));
  } else if (role === 'publish') {
    const clients = await connectAll(spec);
    send({ connected: clients.length });
    await waitForLine();
    const payload = Buffer.alloc(spec.payloadBytes ?? 128, 'x');
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c, i) => {
        const topic = spec.url.startsWith('mqtts') ? `devices/${spec.clients[i]!.clientId}/messages/events/` : `bench/${i}`;
        let sent = 0;
        const lane = async () => {
          while (sent < spec.perClient!) {
            sent++;
            await c.publishAsync(topic, payload, { qos: 1 });
          }
        };
        await Promise.all(Array.from({ length: spec.window ?? 32 }, lane));
      }),
    );
    const ms = performance.now() - t0;
    send({ acked: spec.perClient! * clients.length, ms });
    await Promise.all(clients.map((c) => c.endAsync(true)));
  }
  else if (role === 'rawpublish') {
    await rawPublish(spec);
  }
  process.exit(0);
}

// A minimal MQTT 3.1.1 QoS 1 publisher on raw sockets: MQTT.js costs more CPU per message than
// the brokers measured, so on 2 cores it would measure itself. Packets are encoded by hand.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
};
const str = (s: string): Buffer => {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
function connectPacket(c: ClientSpec): Buffer {
  const flags = (c.username ? 0x80 : 0) | (c.password ? 0x40 : 0) | 0x02;
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 180]), str(c.clientId), ...(c.username ? [str(c.username)] : []), ...(c.password ? [str(c.password)] : [])]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}
function publishPacket(topic: string, id: number, payload: Buffer): Buffer {
  const t = str(topic);
  const mid = Buffer.alloc(2);
  mid.writeUInt16BE(id);
  return Buffer.concat([Buffer.from([0x32]), varint(t.length + 2 + payload.length), t, mid, payload]);
}

async function rawPublish(spec: LoadSpec): Promise<void> {
  const tls = await import('node:tls');
  const payload = Buffer.alloc(spec.payloadBytes ?? 128, 'x');
  const window = spec.window ?? 64;
  const perClient = spec.perClient!;
  const secure = spec.url.startsWith('mqtts');
  const { hostname, port } = new URL(spec.url);
  let startAll!: () => void;
  const go = new Promise<void>((r) => (startAll = r));
  const finishedAt: number[] = [];
  const runs = spec.clients.map(
    (c, i) =>
      new Promise<void>((resolve, reject) => {
        const topic = secure ? `devices/${c.clientId}/messages/events/` : `bench/${i}`;
        const socket: net.Socket = secure
          ? tls.connect({ host: hostname, port: Number(port), ca: spec.ca, servername: 'localhost' })
          : net.connect(Number(port), hostname);
        socket.setNoDelay(true);
        socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(connectPacket(c)));
        socket.on('error', reject);
        let sent = 0;
        let acked = 0;
        let buf = Buffer.alloc(0);
        let started = false;
        const pump = () => {
          if (!started) return;
          const batch: Buffer[] = [];
          while (sent < perClient && sent - acked < window) batch.push(publishPacket(topic, (sent++ % 65535) + 1, payload));
          if (batch.length) socket.write(Buffer.concat(batch));
        };
        socket.on('data', (d: Buffer) => {
          buf = buf.length ? Buffer.concat([buf, d]) : (d as Buffer<ArrayBuffer>);
          let off = 0;
          while (buf.length - off >= 2) {
            let len = 0;
            let mul = 1;
            let i2 = off + 1;
            let byte: number;
            do {
              if (i2 >= buf.length) break;
              byte = buf[i2++]!;
              len += (byte & 0x7f) * mul;
              mul *= 128;
            } while (byte & 0x80);
            if (i2 + len > buf.length) break;
            const type = buf[off]! >> 4;
            if (type === 2) {
              if (buf[i2 + 1] !== 0) return reject(new Error(`CONNACK ${buf[i2 + 1]}`));
              void go.then(() => {
                started = true;
                pump();
              });
            } else if (type === 4) {
              acked++;
            }
            off = i2 + len;
          }
          buf = buf.subarray(off);
          if (acked === perClient) {
            finishedAt.push(performance.now());
            socket.end();
            resolve();
          } else pump();
        });
      }),
  );
  // all connected (CONNACK seen) is approximated by a short settle after connecting
  await new Promise((r) => setTimeout(r, 500 + spec.clients.length * 20));
  send({ connected: spec.clients.length });
  await waitForLine();
  const t0 = performance.now();
  startAll();
  await Promise.all(runs);
  send({ acked: perClient * spec.clients.length, ms: performance.now() - t0 });
}

// ---------------------------------------------------------------- orchestration (parent)

interface Child {
  next(): Promise<Record<string, unknown>>;
  tell(line: string): void;
  done: Promise<void>;
}

function startLoad(role: string, spec: LoadSpec, dir: string): Child {
  const specFile = path.join(dir, `${role}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specFile, JSON.stringify(spec));
  const child = spawn(process.execPath, [path.join(here, '..', 'bin', 'run-ts.js'), fileURLToPath(import.meta.url), '--role', role, specFile], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`load process ${role} exited with ${code}`)))));
  return {
    next: () => {
      const l = lines.shift();
      return l !== undefined
        ? Promise.resolve(JSON.parse(l) as Record<string, unknown>)
        : Promise.race([new Promise<Record<string, unknown>>((r) => waiters.push((x) => r(JSON.parse(x) as Record<string, unknown>))), done.then(() => ({}) as Record<string, unknown>)]);
    },
    tell: (line) => child.stdin.write(`${line}\n`),
    done,
  };
}

const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
const rssAfterGc = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().rss;
};
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const table = (rows: Array<[string, string, string]>) => {
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) process.stdout.write(`| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |\n`);
};
/** user+system CPU time of a process in µs, from /proc/<pid>/stat (clock ticks of 10 ms). */
const procCpuMicros = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });

async function main(): Promise<void> {
  const { startHub } = await import('../runtime/hub/start-hub.js');
  const { openHubStore } = await import('../runtime/hub/store/hub-store.js');
  const { createSasToken } = await import('../runtime/hub/sas.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'edgemu-bench-'));
  const results: Array<[string, string, string]> = [['benchmark', 'result', 'aim']];
  const store = openHubStore({ stateDir: dir, maxMessages: 1_000_000 });
  const hub = await startHub({ stateDir: dir, mqttsPort: 0, bindAddress: '127.0.0.1', store });
  const url = `mqtts://localhost:${hub.mqttsPort}`;
  const exp = Math.floor(Date.now() / 1000) + 7200;
  const devices = (prefix: string, n: number): ClientSpec[] =>
    hub.store.transaction(() =>
      Array.from({ length: n }, (_, i) => {
        const deviceId = `${prefix}${i}`;
        const id = hub.store.identities.createDevice(deviceId);
        return { clientId: deviceId, username: `localhost/${deviceId}/?api-version=2021-04-12`, password: createSasToken(`localhost/devices/${deviceId}`, id.primaryKey, exp) };
      }),
    );
  try {
    const only = process.env.BENCH_ONLY; // rss | latency | ingest
    // 1. RSS per idle TLS connection
    if (!only || only === 'rss') {
      const n = Number(process.env.BENCH_IDLE_CLIENTS ?? 2000);
      const specs = devices('idle', n);
      const before = await rssAfterGc();
      const load = startLoad('idle', { url, ca: hub.caCert, clients: specs }, dir);
      const t0 = performance.now();
      await load.next();
      const connectSecs = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 1000));
      const after = await rssAfterGc();
      const perConn = (after - before) / n / 1024;
      results.push([`RSS per idle TLS connection (${n} clients)`, `${perConn.toFixed(1)} KB (hub RSS ${(before / 2 ** 20).toFixed(0)} → ${(after / 2 ** 20).toFixed(0)} MB; connect ${connectSecs.toFixed(1)} s)`, '< 60 KB']);
      load.tell('stop');
      await load.done;
    }
    // 2. desired-update latency with 1,000 connected module clients
    if (!only || only === 'latency') {
      const n = Number(process.env.BENCH_MODULE_CLIENTS ?? 1000);
      hub.store.identities.createDevice('gw', { edge: true });
      const specs: ClientSpec[] = hub.store.transaction(() =>
        Array.from({ length: n }, (_, i) => {
          const m = hub.store.identities.createModule('gw', `mod${i}`);
          return { clientId: `gw/mod${i}`, username: `localhost/gw/mod${i}/?api-version=2021-04-12`, password: createSasToken(`localhost/devices/gw/modules/mod${i}`, m.primaryKey, exp) };
        }),
      );
      const patches = n * 2;
      const load = startLoad('desired', { url, ca: hub.caCert, clients: specs, expectPatches: patches }, dir);
      await load.next();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < patches; i++) {
        hub.store.twins.patchDesired({ deviceId: 'gw', moduleId: `mod${i % n}` }, { sentAt: performance.timeOrigin + performance.now(), round: Math.floor(i / n) });
        if (i % 20 === 19) await new Promise((r) => setTimeout(r, 10)); // ~2,000 patches/s
      }
      const { latencies } = (await load.next()) as { latencies: number[] };
      const cpu = process.cpuUsage(cpu0);
      await load.done;
      const sorted = latencies.sort((a, b) => a - b);
      results.push([`desired-patch delivery latency (${n} module clients, ${patches} patches)`, `p50 ${pct(sorted, 50).toFixed(1)} ms, p99 ${pct(sorted, 99).toFixed(1)} ms (hub CPU ${((cpu.user + cpu.system) / patches).toFixed(0)} µs/patch)`, 'p99 < 50 ms']);
    }
    // 3. telemetry ingest over TLS, QoS 1, durable; then mosquitto plain pub/sub
    if (!only || only === 'ingest') {
      const nClients = Number(process.env.BENCH_PUB_CLIENTS ?? 50);
      const perClient = Number(process.env.BENCH_PUB_PER_CLIENT ?? 2000);
      const specs = devices('pub', nClients);
      const load = startLoad('rawpublish', { url, ca: hub.caCert, clients: specs, perClient, window: 64, payloadBytes: 128 }, dir);
      await load.next();
      const before = hub.messages.count();
      const cpu0 = process.cpuUsage();
      load.tell('go');
      const r = (await load.next()) as { acked: number; ms: number };
      const cpu = process.cpuUsage(cpu0);
      const cpuPerMsg = (cpu.user + cpu.system) / r.acked;
      await load.done;
      const stored = hub.messages.count() - before;
      if (process.env.BENCH_DEBUG) {
        const rows = hub.store.db.prepare("SELECT device_id, COUNT(*) n FROM messages GROUP BY device_id ORDER BY n LIMIT 5").all();
        process.stderr.write(`${JSON.stringify(rows)} count=${hub.messages.count()}\n`);
      }
      results.push([`edgemu telemetry ingest, TLS, QoS 1, durable (${nClients} clients × ${perClient})`, `${Math.round((r.acked / r.ms) * 1000).toLocaleString('en')} msg/s (${stored} stored; hub CPU ${cpuPerMsg.toFixed(1)} µs/msg)`, '≥ 15,000 msg/s']);

      const mosq = await runMosquitto(dir, nClients, perClient);
      results.push([`mosquitto ${mosq.version}, plain TCP, QoS 1 pub/sub (${nClients} clients × ${perClient})`, mosq.result, 'reference']);
    }
  } finally {
    await hub.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`machine: ${(await import('node:os')).cpus().length} cores, Node ${process.version}\n\n`);
  table(results);
}

async function runMosquitto(dir: string, nClients: number, perClient: number): Promise<{ version: string; result: string }> {
  if (!existsSync('/usr/sbin/mosquitto')) {
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
      execFileSync('apt-get', ['install', '-y', '-qq', 'mosquitto'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } catch (error) {
      return { version: '(not installed)', result: `apt-get install mosquitto failed: ${(error as Error).message.split('\n')[0]}` };
    }
  }
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_inflight_messages 0\nmax_queued_messages 100000\n`);
  const broker = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let version = '';
  broker.stderr.on('data', (d: Buffer) => (version ||= /mosquitto version (\S+)/.exec(d.toString())?.[1] ?? ''));
  try {
    const url = `mqtt://127.0.0.1:${port}`;
    for (let i = 0; i < 50; i++) {
      const ok = await new Promise<boolean>((resolve) => net.connect(port, '127.0.0.1').once('connect', function (this: net.Socket) { this.destroy(); resolve(true); }).once('error', () => resolve(false)));
      if (ok) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const sub = await mqtt.connectAsync(url, { clientId: 'bench-sub', clean: true, reconnectPeriod: 0 });
    let received = 0;
    sub.on('message', () => received++);
    await sub.subscribeAsync('bench/#', { qos: 1 });
    const clients = Array.from({ length: nClients }, (_, i) => ({ clientId: `mpub${i}` }));
    const load = startLoad('rawpublish', { url, clients, perClient, window: 64, payloadBytes: 128 }, dir);
    await load.next();
    const cpu0 = procCpuMicros(broker.pid!);
    load.tell('go');
    const r = (await load.next()) as { acked: number; ms: number };
    const cpuPerMsg = (procCpuMicros(broker.pid!) - cpu0) / r.acked;
    await load.done;
    const end = Date.now() + 10_000;
    while (received < r.acked && Date.now() < end) await new Promise((res) => setTimeout(res, 50));
    await sub.endAsync(true);
    return { version: version || 'unknown', result: `${Math.round((r.acked / r.ms) * 1000).toLocaleString('en')} msg/s published (${received} delivered to the subscriber; broker CPU ${cpuPerMsg.toFixed(1)} µs/msg)` };
  } finally {
    broker.kill('SIGTERM');
  }
}

if (process.argv[2] === '--role') await runRole(process.argv[3]!, process.argv[4]!);
else await main();
